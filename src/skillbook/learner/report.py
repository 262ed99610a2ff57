"""Results in words for a learner: one line an exercise, then what was wrong and the next hint."""

from skillbook.course import manifest
from skillbook.engine.results import ExerciseResult, LessonResult


def _points(value: float) -> str:
    return f"{value:g}"


def more_hints(exercise_id: str, shown: int = 1) -> str | None:
    """The command that shows the next hint, if the exercise has one after the `shown` first."""
    try:
        count = len(manifest.exercise(exercise_id).hints)
    except KeyError:
        return None
    return f"make hint E={exercise_id} LEVEL={shown + 1}" if count > shown else None


def exercise_lines(ex: ExerciseResult, database: str = "") -> list[str]:
    mark = "✓" if ex.passed else "✗"
    on = f"  · {database}" if database else ""
    lines = [f"{mark} {ex.id}  {_points(ex.points)}/{_points(ex.max_points)}{on}"]
    if not ex.passed:
        lines.append(f"    What was wrong: {ex.message}")
        if ex.hint:
            lines.append(f"    Hint: {ex.hint}")
            if command := more_hints(ex.id):
                lines.append(f"    More help: {command}")
    return lines


def lesson_text(result: LessonResult, title: str = "", database: str = "") -> str:
    head = f"{result.lesson} {title}".strip()
    lines = [f"{head}: {_points(result.points)}/{_points(result.max_points)} points"]
    if result.error:
        lines.append(f"  Note: {result.error}")
    for ex in result.exercises:
        lines.extend("  " + line for line in exercise_lines(ex, database))
    passed = sum(ex.passed for ex in result.exercises)
    lines.append(f"  {passed} of {len(result.exercises)} exercises pass.")
    if passed < len(result.exercises):
        lines.append("  These checks are a guide; your instructor's grade comes from the same graders on your submitted notebook.")
    return "\n".join(lines)


def first_failure_text(result: LessonResult, title: str = "", database: str = "") -> str:
    """As rustlings shows it: the first exercise that fails, its message and hint, the rest in one line."""
    exercises = result.exercises
    failing = next((i for i, ex in enumerate(exercises) if not ex.passed), None)
    on = f" on {database}" if database else ""
    head = f"{result.lesson} {title}".strip()
    if failing is None:
        return (f"✓ {head}: all {len(exercises)} exercises pass{on} "
                f"({_points(result.points)}/{_points(result.max_points)} points). Next: run the Reflect cell.")
    lines = [f"{head}: {_points(result.points)}/{_points(result.max_points)} points{on}"]
    if result.error:
        lines.append(f"  Note: {result.error}")
    lines.extend("  " + line for line in exercise_lines(exercises[failing], database))
    before, after = exercises[:failing], exercises[failing + 1:]
    summary = []
    if before:
        summary.append(f"{len(before)} before it pass")
    if after:
        passing = sum(ex.passed for ex in after)
        summary.append(f"of the {len(after)} after it, {passing} pass and {len(after) - passing} fail")
    if summary:
        lines.append(f"  The rest: {'; '.join(summary)} (make check L={result.lesson} lists every one).")
    return "\n".join(lines)
