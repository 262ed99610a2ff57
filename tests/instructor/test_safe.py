"""Is what a student controls made safe before grade-class, feedback and grades print or write it?"""

import math

from skillbook.course import manifest
from skillbook.engine.scoring.results import ExerciseResult, LessonResult
from skillbook.instructor import safe


def test_control_characters_and_escape_codes_are_removed():
    said = safe.text("red \x1b[31mtext\x1b[0m\x07 title \x1b]0;owned\x07 csi \x9b2J nul \x00 cr \r end")
    assert said == "red [31mtext[0m title ]0;owned csi 2J nul  cr  end"
    assert safe.text("two\nlines\tand a tab") == "two\nlines\tand a tab"


def test_a_name_that_is_not_utf8_is_shown_as_its_bytes():
    name = b"caf\xe9-\xff".decode("utf-8", "surrogateescape")  # as os.listdir gives it
    assert safe.text(name) == "caf\\xe9-\\xff"
    safe.text(name).encode("utf-8")  # writable


def test_a_long_message_is_cut():
    assert len(safe.text("x" * 100_000)) < 20_100 and safe.text("x" * 100_000).endswith("[cut]")


def test_csv_cells_never_start_a_formula():
    for formula in ("=2+3", "+SUM(1;2)", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1"):
        assert safe.csv_cell(formula).startswith("'"), formula
    assert safe.csv_cell("ada") == "ada" and safe.csv_cell("=\x1b[2J1") == "'=[2J1"


def test_points_are_finite_and_within_the_maximum():
    assert [safe.points(p, 4) for p in (2.5, -3, 1e300, math.nan, math.inf, -math.inf, "1e9", None)] == \
        [2.5, 0, 4, 0, 0, 0, 4, 0]


def test_a_result_is_clamped_to_the_lessons_points_not_its_own():
    lesson = manifest.lesson("L00")
    first, second = lesson.exercises
    forged = LessonResult("L00", 1e9, 1e9, [
        ExerciseResult(first.id, math.nan, 1e9, True, "ok \x1b[2J"),
        ExerciseResult(second.id, 1e6, 1e9, True, "ok", checks=[{"check": "x\x07", "passed": True, "message": "\x1b]0;t"}]),
        ExerciseResult("L00.bonus", 100, 100, True, "not an exercise of L00"),
    ], error="\x1b[31mstopped")
    kept = safe.result(forged, lesson)
    assert [(e.id, e.points, e.max_points) for e in kept.exercises] == [(first.id, 0, first.points), (second.id, second.points, second.points)]
    assert kept.points == second.points and kept.max_points == lesson.max_points
    assert kept.exercises[0].message == "ok [2J" and kept.exercises[1].checks[0] == {"check": "x", "passed": True, "message": "]0;t"}
    assert kept.error == "[31mstopped"
