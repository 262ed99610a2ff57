"""Points come only from checks the graders hold, each counted once, with the graders' weights."""

import math

import pytest

from skillbook.course import manifest
from skillbook.engine.scoring.known import KnownCheck, known_checks
from skillbook.engine.scoring.points import summarise

L00 = manifest.lesson("L00")


def honest(lesson, *, passed=True) -> list[dict]:
    return [{"event": "check", "exercise": c.exercise, "check": c.name, "weight": c.weight, "passed": passed,
             "message": "" if passed else "wrong"} for c in known_checks(lesson)]


def test_known_checks_come_from_the_grader_files():
    """Does every exercise of every lesson have checks, with finite positive weights and names pytest reports?"""
    for lesson in manifest.lessons().values():
        checks = known_checks(lesson)
        assert {c.exercise for c in checks} == {e.id for e in lesson.exercises}, lesson.id
        assert all(math.isfinite(c.weight) and c.weight > 0 for c in checks)
        assert all(c.name.startswith(c.function) for c in checks)


def test_all_known_checks_passing_earn_full_marks():
    result = summarise(L00, known_checks(L00), honest(L00), None)
    assert result.points == L00.max_points and not result.ignored


def test_forged_weights_and_unknown_checks_earn_nothing():
    """Negative, huge, NaN weights and checks the graders do not hold change no point."""
    known = known_checks(L00)
    failing = honest(L00, passed=False)
    first = known[0]
    forged = [
        {"event": "check", "exercise": first.exercise, "check": "test_bonus", "weight": 1e9, "passed": True},
        {"event": "check", "exercise": first.exercise, "check": first.name, "weight": -1e9, "passed": True},
        {"event": "check", "exercise": first.exercise, "check": first.name, "weight": float("nan"), "passed": True},
        {"event": "check", "exercise": "L05.create_task", "check": known[1].name, "weight": 5, "passed": True},
        "not a record", {"event": "check"}, {"event": "check", "check": first.name, "passed": "yes"},
    ]
    result = summarise(L00, known, failing + forged, None)
    assert result.points == 0
    assert len(result.ignored) == len(forged) - 1  # the string is not even a record
    assert all(math.isfinite(e.points) and 0 <= e.points <= e.max_points for e in result.exercises)


def test_a_check_counts_by_its_first_report():
    known = known_checks(L00)
    first_fails = honest(L00, passed=False)[:1] + honest(L00)
    result = summarise(L00, known, first_fails, None)
    assert result.points < L00.max_points
    assert any("second result" in why for why in result.ignored)


def test_a_known_check_that_never_reported_scores_zero():
    """A process that ends after two of an exercise's checks does not pass the exercise."""
    known = known_checks(L00)
    reported = honest(L00)[:-1]
    result = summarise(L00, known, reported, "the grading process ended early")
    last = result.exercise(known[-1].exercise)
    assert not last.passed and last.points < last.max_points
    assert "ended early" in last.message


@pytest.mark.parametrize("lesson_id", ["L00", "L05"])
def test_nothing_reported_is_zero_everywhere(lesson_id):
    lesson = manifest.lesson(lesson_id)
    result = summarise(lesson, known_checks(lesson), [], "the notebook never ran")
    assert result.points == 0 and all(not e.passed and e.message == "the notebook never ran" for e in result.exercises)


# --- Promises gate the checks; a skipped check fails ---------------------------------------------

GATED = manifest.parse('''format_version = 1
[[lesson]]
id = "L01"
dir = "L01_x"
title = "x"

[[lesson.exercise]]
id = "L01.get"
points = 4
hints = ["level one", "level two"]

[[lesson.exercise.promise]]
id = "found"
says = "returns the row with that id"
checks = ["test_found", "test_found_after_update"]
hint = "Look the row up by its primary key."

[[lesson.exercise.promise]]
id = "missing"
says = "returns None for an id that does not exist"
checks = ["test_missing"]
main = false
hint = "A lookup of a missing key gives None; do not raise."

[[lesson.exercise.promise]]
id = "typed"
says = "the row's fields have their types"
checks = ["test_types"]

[[lesson.exercise]]
id = "L01.old"
points = 3
hints = ["old hint"]
''')["L01"]
GATED_CHECKS = (
    KnownCheck("test_missing", "test_missing", "L01.get", 1.0),  # an edge check first, as pytest may run it
    KnownCheck("test_found[sqlite]", "test_found", "L01.get", 1.0),
    KnownCheck("test_found_after_update", "test_found_after_update", "L01.get", 2.0),
    KnownCheck("test_types", "test_types", "L01.get", 1.0),
    KnownCheck("test_a", "test_a", "L01.old", 1.0),
    KnownCheck("test_b", "test_b", "L01.old", 2.0),
)


def events(verdicts: dict[str, bool], **extra) -> list[dict]:
    """One record a check: passed unless `verdicts` says otherwise; extra[name] adds fields."""
    return [{"event": "check", "exercise": c.exercise, "check": c.name, "weight": c.weight,
             "passed": verdicts.get(c.name, True), "message": "" if verdicts.get(c.name, True) else f"{c.name} failed",
             **extra.get(c.name, {})} for c in GATED_CHECKS]


def test_edge_checks_earn_nothing_until_every_main_check_passes():
    """Does a stub that only gets the missing-id case right earn 0, and say why its passing check did not count?"""
    result = summarise(GATED, GATED_CHECKS, events({"test_found[sqlite]": False, "test_found_after_update": False,
                                                    "test_types": False}), None)
    get = result.exercise("L01.get")
    assert get.points == 0 and not get.passed
    missing = next(c for c in get.checks if c["check"] == "test_missing")
    assert missing["passed"] and not missing["counts"]
    assert missing["message"] == "passes, but counts once “returns the row with that id” works"


def test_main_checks_earn_their_share_and_edge_checks_count_once_they_all_pass():
    one_main_fails = summarise(GATED, GATED_CHECKS, events({"test_found_after_update": False}), None).exercise("L01.get")
    assert one_main_fails.points == 4 * 2 / 5  # test_found and test_types pass (weight 2 of 5); test_missing waits
    edge_fails = summarise(GATED, GATED_CHECKS, events({"test_missing": False}), None).exercise("L01.get")
    assert edge_fails.points == 4 * 4 / 5 and not edge_fails.passed
    assert summarise(GATED, GATED_CHECKS, events({}), None).exercise("L01.get").points == 4


def test_the_hint_is_the_failing_promises_own():
    """Is the hint that of the first failing main check's promise, even when an edge check failed before it?"""
    get = summarise(GATED, GATED_CHECKS, events({"test_missing": False, "test_found_after_update": False}), None).exercise("L01.get")
    assert get.promise == "returns the row with that id"
    assert get.hint == "Look the row up by its primary key." and get.message == "test_found_after_update failed"
    edge = summarise(GATED, GATED_CHECKS, events({"test_missing": False}), None).exercise("L01.get")
    assert (edge.promise, edge.hint) == ("returns None for an id that does not exist",
                                         "A lookup of a missing key gives None; do not raise.")
    no_own_hint = summarise(GATED, GATED_CHECKS, events({"test_types": False}), None).exercise("L01.get")
    assert no_own_hint.promise == "the row's fields have their types" and no_own_hint.hint == "level one"
    passing = summarise(GATED, GATED_CHECKS, events({}), None).exercise("L01.get")
    assert passing.passed and passing.hint == passing.promise == ""


def test_an_exercise_without_promises_counts_every_check_as_main():
    old = summarise(GATED, GATED_CHECKS, events({"test_a": False}), None).exercise("L01.old")
    assert old.points == 3 * 2 / 3 and old.hint == "old hint" and old.promise == ""


def test_a_skipped_check_counts_as_failed():
    """Does a skipped check fail, whatever `passed` its record claims, and say it was the graders' problem?"""
    skipped = {"test_found_after_update": {"skipped": True, "message": "needs PostgreSQL"}}
    get = summarise(GATED, GATED_CHECKS, events({}, **skipped), None).exercise("L01.get")
    assert not get.passed and get.points == 4 * 2 / 5  # test_found, test_types; the edge check waits
    assert get.message.startswith("this check was skipped") and get.message.endswith(": needs PostgreSQL")
    assert "problem of the graders" in get.message


def test_gated_points_stay_finite_and_within_the_exercise():
    for verdicts in ({}, {c.name: False for c in GATED_CHECKS}, {"test_missing": False}):
        for ex in summarise(GATED, GATED_CHECKS, events(verdicts), None).exercises:
            assert math.isfinite(ex.points) and 0 <= ex.points <= ex.max_points


def test_a_grader_skip_reaches_scoring_as_a_failed_check(tmp_path):
    """Does the pytest plugin record a check skipped at setup or in its body (which a bare report would lose)?"""
    import json
    import subprocess
    import sys

    (tmp_path / "test_skips.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.exercise('L01.get')\n@pytest.mark.skipif(True, reason='needs PostgreSQL')\n"
        "def test_at_setup():\n    pass\n\n"
        "@pytest.mark.exercise('L01.get')\ndef test_in_body():\n    pytest.skip('cannot force it here')\n")
    results = tmp_path / "results.jsonl"
    subprocess.run([sys.executable, "-m", "pytest", str(tmp_path / "test_skips.py"), "-p", "skillbook.engine.pytest_plugin",
                    "-p", "no:cacheprovider", "-q", "--results", str(results)], cwd=tmp_path, check=False,
                   capture_output=True, timeout=120)
    records = [json.loads(line) for line in results.read_text().splitlines()]
    checks = {r["check"]: r for r in records if r["event"] == "check"}
    assert checks["test_at_setup"]["skipped"] and checks["test_at_setup"]["message"] == "needs PostgreSQL"
    assert checks["test_in_body"]["skipped"] and checks["test_in_body"]["message"] == "cannot force it here"
    assert not any(r["passed"] for r in checks.values())
