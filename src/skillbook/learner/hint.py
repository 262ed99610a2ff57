"""`make hint E=L05.create_task LEVEL=2`: an exercise's hints from course.toml, one level at a time."""

from skillbook.course.manifest import Exercise


class HintLevelError(ValueError):
    """A level the exercise has no hint for; the message says which levels exist."""


def hint_lines(exercise: Exercise, level: int = 1, show_all: bool = False) -> list[str]:
    """The hints up to `level` (all of them with show_all), and the command for the next one."""
    count = len(exercise.hints)
    if not count:
        return [f"{exercise.id} has no hints; its check cell says what was wrong."]
    if not show_all and not 1 <= level <= count:
        raise HintLevelError(
            f"{exercise.id} has {count} hint{'s' if count > 1 else ''}: "
            + (f"LEVEL can be 1 to {count}" if count > 1 else "LEVEL can only be 1")
            + f" (you asked for {level})")
    shown = exercise.hints if show_all else exercise.hints[:level]
    lines = [f"Hint {number}/{count} for {exercise.id}: {hint}" for number, hint in enumerate(shown, 1)]
    if len(shown) < count:
        lines.append(f"(next: make hint E={exercise.id} LEVEL={len(shown) + 1})")
    return lines
