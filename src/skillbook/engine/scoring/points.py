"""From the events a grading run wrote to points: only checks the graders hold, each once, clamped.

The results stream comes from a process that ran the learner's code, so nothing in it is trusted
but the verdict of a check the parent already knows (skillbook.engine.scoring.known): weights come from the
graders, a check reported twice counts by its first report, records for unknown checks or of the
wrong shape are ignored and reported, and a known check that never reported scores 0.
"""

import math

from skillbook.course.manifest import Exercise, Lesson
from skillbook.engine.scoring.known import KnownCheck
from skillbook.engine.results import ExerciseResult, LessonResult

NOT_REPORTED = "this check did not finish: the grading process stopped before it reported"
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
                             "question": _text(event.get("question"))}
    return found, ignored


def clamp(points: float, maximum: float) -> float:
    """Finite, within [0, maximum], to two decimals."""
    if not math.isfinite(points):
        return 0.0
    return round(min(max(points, 0.0), maximum), 2)


def score_exercise(exercise: Exercise, known: list[KnownCheck], found: dict[str, dict], stopped: str | None) -> ExerciseResult:
    checks = []
    for check in known:
        record = found.get(check.name)
        if record is None:
            record = {"passed": False, "message": stopped or NOT_REPORTED, "question": ""}
        checks.append((check, record))
        clean_up = found.get(check.name + " (clean-up)")
        if clean_up is not None:
            checks.append((KnownCheck(check.name + " (clean-up)", check.function, check.exercise, 0.0), clean_up))
    total = sum(c.weight for c, _ in checks)
    earned = sum(c.weight for c, r in checks if r["passed"])
    failed = [(c, r) for c, r in checks if not r["passed"]]
    if not checks:
        points, message = 0.0, "no check of this exercise exists in the graders"
    else:
        points = clamp(exercise.points * earned / total, exercise.points) if total else 0.0
        message = failed[0][1]["message"] if failed else f"all {len(checks)} checks passed"
    passed = bool(checks) and not failed
    return ExerciseResult(
        id=exercise.id, points=points, max_points=exercise.points, passed=passed, message=message,
        hint="" if passed else exercise.hint,
        checks=[{"check": c.name, "passed": r["passed"], "message": r["message"], "question": r["question"]}
                for c, r in checks],
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
