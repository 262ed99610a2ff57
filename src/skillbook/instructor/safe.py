"""What a student controls, made safe where it goes: a terminal, a file, a CSV cell, a number.

A student controls their folder's name (any bytes but `/`), their notebook, and so every message a
check repeats from their code (an exception's text, what they printed). Before any of it is printed
or written:

    text(s)            control characters (terminal escape codes, NUL, carriage returns) removed,
                       bytes that are not UTF-8 (a folder name) shown as \\xNN, not a crash
    csv_cell(s)        text(s), and a cell starting = + - @ (a spreadsheet formula) starts with ' instead
    points(p, top)     a finite number within [0, top]; anything else (NaN, a string) is 0
    result(r, lesson)  a LessonResult with all of the above applied to every message and number
"""

import math
import re
from dataclasses import replace

from skillbook.course.manifest import Lesson
from skillbook.engine.scoring.results import ExerciseResult, LessonResult

# C0 controls but tab and newline, DEL, and C1 controls (U+0080-U+009F: a terminal reads U+009B as ESC [).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
LIMIT = 20_000  # characters of one message kept; a longer one is cut (a flood of output is not feedback)


def text(value, limit: int = LIMIT) -> str:
    """`value` as text fit to print or write: no control characters, no undecodable bytes, bounded."""
    if not isinstance(value, str):
        value = "" if value is None else str(value)
    # A name read from the file system keeps undecodable bytes as lone surrogates (os.fsdecode):
    # they cannot be encoded as UTF-8, so show them as the bytes they were.
    value = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    value = _CONTROL.sub("", value)
    return value if len(value) <= limit else value[:limit] + " [cut]"


def csv_cell(value) -> str:
    """A CSV cell a spreadsheet shows as text: never a formula (OWASP's CSV injection advice)."""
    cleaned = text(value)
    return "'" + cleaned if cleaned.startswith(_FORMULA) else cleaned


def points(value, top: float) -> float:
    """A finite number of points within [0, top]."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    if not math.isfinite(number):
        return 0.0
    return min(max(number, 0.0), float(top))


def _value(value):
    """A check's field: a flag or a finite number as it is, anything else as text()."""
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else 0.0
    return text(value)


def _exercise(exercise: ExerciseResult, top: float) -> ExerciseResult:
    checks = [{key: _value(value) for key, value in check.items()} for check in exercise.checks if isinstance(check, dict)]
    return replace(exercise, id=text(exercise.id), points=points(exercise.points, top), max_points=top,
                   passed=bool(exercise.passed), message=text(exercise.message), hint=text(exercise.hint),
                   checks=checks)


def result(found: LessonResult, lesson: Lesson) -> LessonResult:
    """`found` with every message made text() and every number points() within the lesson's maximum
    (from course.toml, not from the result); exercises the lesson does not have are left out."""
    tops = {exercise.id: exercise.points for exercise in lesson.exercises}
    exercises = [_exercise(exercise, tops[exercise.id]) for exercise in found.exercises if exercise.id in tops]
    total = round(sum(exercise.points for exercise in exercises), 2)
    return replace(found, lesson=lesson.id, points=points(total, lesson.max_points), max_points=lesson.max_points,
                   exercises=exercises,
                   error=None if found.error is None else text(found.error))
