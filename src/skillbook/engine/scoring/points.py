"""From the events a grading run wrote to points: only checks the graders hold, each once, clamped.

The results stream comes from a process that ran the learner's code, so nothing in it is trusted
but the verdict of a check the parent already knows (skillbook.engine.scoring.known): weights come from the
graders, a check reported twice counts by its first report, records for unknown checks or of the
wrong shape are ignored and reported, and a known check that never reported, or was skipped, scores 0.

An exercise's promises (course.toml) gate its checks: the checks of an edge promise (main = false)
earn points only once every check of every main promise passes, so a stub that returns None for a
missing id earns nothing.
"""

import math
from typing import NamedTuple

from skillbook.course.manifest import Exercise, Lesson, Promise
from skillbook.engine.scoring.known import KnownCheck
from skillbook.engine.scoring.results import ExerciseResult, LessonResult

NOT_REPORTED = "this check did not finish: the grading process stopped before it reported"
SKIPPED = "this check was skipped, which counts as failed (a problem of the graders, not of your code: tell your instructor)"
MAX_MESSAGE = 500


def _text(value, limit: int = MAX_MESSAGE) -> str:
    return value[:limit] if isinstance(value, str) else ""


def verdicts(known: tuple[KnownCheck, ...], events: list[dict]) -> tuple[dict[str, dict], list[str]]:
    """The first well-formed report of each known check (name -> record), and what was ignored."""
    by_name = {c.name: c for c in known}
    found: dict[str, dict] = {}
    ignored: list[str] = []
    for event in events:
        if not isinstance(event, dict) or event.get("event") != "check":
            continue
        name = event.get("check")
        check = by_name.get(name) if isinstance(name, str) else None
        if check is None:
            if not (isinstance(name, str) and name.endswith(" (clean-up)") and name[:-11] in by_name):
                ignored.append(f"a result for {_text(name, 80)!r}, which the graders do not hold")
                continue
            if event.get("passed") is False and name not in found:  # shown, weighs nothing, and the exercise does not pass
                found[name] = {"passed": False, "message": _text(event.get("message")), "question": ""}
            continue
        if event.get("exercise") != check.exercise or not isinstance(event.get("passed"), bool):
            ignored.append(f"a malformed result for {check.name}")
            continue
        if check.name in found:
            ignored.append(f"a second result for {check.name}")
            continue
        found[check.name] = {"passed": event["passed"], "message": _text(event.get("message")),
                             "question": _text(event.get("question")), "skipped": event.get("skipped") is True}
    return found, ignored


def clamp(points: float, maximum: float) -> float:
    """Finite, within [0, maximum], to two decimals."""
    if not math.isfinite(points):
        return 0.0
    return round(min(max(points, 0.0), maximum), 2)


def _verdict(record: dict) -> tuple[bool, str]:
    """Passed, and the message: a skipped check is failed (a grader must force what it checks)."""
    if record.get("skipped") is True:
        reason = record.get("message") or "no reason given"
        return False, f"{SKIPPED}: {reason}"
    return record["passed"], record["message"]


class _Row(NamedTuple):
    check: KnownCheck
    promise: Promise | None  # None: the exercise lists no promises yet, or none names this check
    passed: bool
    message: str
    question: str

    @property
    def main(self) -> bool:
        return self.promise is None or self.promise.main


def _rows(exercise: Exercise, known: list[KnownCheck], found: dict[str, dict], stopped: str | None) -> list[_Row]:
    """Each known check's verdict (never reported: failed), and a weightless row for a failed clean-up."""
    rows = []
    for check in known:
        record = found.get(check.name) or {"passed": False, "message": stopped or NOT_REPORTED, "question": ""}
        promise = exercise.promise_of(check.function)
        rows.append(_Row(check, promise, *_verdict(record), record.get("question", "")))
        clean_up = found.get(check.name + " (clean-up)")
        if clean_up is not None:
            weightless = KnownCheck(check.name + " (clean-up)", check.function, check.exercise, 0.0)
            rows.append(_Row(weightless, promise, False, clean_up["message"], clean_up.get("question", "")))
    return rows


def score_exercise(exercise: Exercise, known: list[KnownCheck], found: dict[str, dict], stopped: str | None) -> ExerciseResult:
    """Points in proportion to the weight of the checks that pass and count.

    A check's promise (course.toml) says whether it is main or an edge case; an edge check counts
    only once every main check of the exercise passes. A check no promise names, or every check of an
    exercise that lists no promises yet, is main. The message and hint are those of the first failing
    main check (else the first failing edge check): its promise's hint, or the exercise's level-1 hint.
    """
    rows = _rows(exercise, known, found, stopped)
    main_failing = [r for r in rows if not r.passed and r.main]
    failing = main_failing + [r for r in rows if not r.passed and not r.main]
    waiting_for = f"“{main_failing[0].promise.says}”" if main_failing and main_failing[0].promise else "the main behaviour"
    checks, total, earned = [], 0.0, 0.0
    for row in rows:
        counts = row.passed and (row.main or not main_failing)
        total += row.check.weight
        earned += row.check.weight if counts else 0.0
        message = f"passes, but counts once {waiting_for} works" if row.passed and not counts else row.message
        checks.append({"check": row.check.name, "passed": row.passed, "counts": counts, "message": message,
                       "question": row.question, "promise": row.promise.id if row.promise else ""})
    if not rows:
        points, message = 0.0, "no check of this exercise exists in the graders"
    else:
        points = clamp(exercise.points * earned / total, exercise.points) if total else 0.0
        message = failing[0].message if failing else f"all {len(rows)} checks passed"
    passed = bool(rows) and not failing
    promise = failing[0].promise if failing else None
    return ExerciseResult(
        id=exercise.id, points=points, max_points=exercise.points, passed=passed, message=message,
        hint="" if passed else (promise.hint if promise and promise.hint else exercise.hint),
        promise="" if passed or promise is None else promise.says,
        checks=checks,
    )


def summarise(lesson: Lesson, known: tuple[KnownCheck, ...], events: list[dict], stopped: str | None) -> LessonResult:
    found, ignored = verdicts(known, events)
    exercises = [score_exercise(ex, [c for c in known if c.exercise == ex.id], found, stopped) for ex in lesson.exercises]
    return LessonResult(
        lesson=lesson.id,
        points=clamp(sum(e.points for e in exercises), lesson.max_points),
        max_points=lesson.max_points,
        exercises=exercises,
        error=stopped,
        ignored=ignored[:20],
    )
