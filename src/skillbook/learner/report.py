"""Results in words for a learner: one line an exercise, then what was wrong and the next hint."""

from skillbook.engine.results import ExerciseResult, LessonResult


def _points(value: float) -> str:
    return f"{value:g}"


def exercise_lines(ex: ExerciseResult) -> list[str]:
    mark = "✓" if ex.passed else "✗"
    lines = [f"{mark} {ex.id}  {_points(ex.points)}/{_points(ex.max_points)}"]
    if not ex.passed:
        lines.append(f"    What was wrong: {ex.message}")
        if ex.hint:
            lines.append(f"    Hint: {ex.hint}")
    return lines


def lesson_text(result: LessonResult, title: str = "") -> str:
    head = f"{result.lesson} {title}".strip()
    lines = [f"{head}: {_points(result.points)}/{_points(result.max_points)} points"]
    if result.error:
        lines.append(f"  Note: {result.error}")
    for ex in result.exercises:
        lines.extend("  " + line for line in exercise_lines(ex))
    passed = sum(ex.passed for ex in result.exercises)
    lines.append(f"  {passed} of {len(result.exercises)} exercises pass.")
    if passed < len(result.exercises):
        lines.append("  These checks are a guide; your instructor's grade comes from the same graders on your submitted notebook.")
    return "\n".join(lines)
