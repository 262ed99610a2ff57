"""`skillbook hint L05.create_task`: an exercise's hints from course.toml, one level at a time."""

from skillbook.course.manifest import Exercise


def hint_lines(exercise: Exercise, level: int = 1, show_all: bool = False) -> list[str]:
    """The hints up to `level` (all of them with show_all), and how to ask for the next one."""
    hints = exercise.hints if show_all else exercise.hints[: max(level, 1)]
    lines = [f"Hint {number}/{len(exercise.hints)} for {exercise.id}: {hint}" for number, hint in enumerate(hints, 1)]
    if not show_all and level < len(exercise.hints):
        lines.append(f"(more: skillbook hint {exercise.id} --level {level + 1})")
    return lines
