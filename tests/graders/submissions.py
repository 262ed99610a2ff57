"""Helpers for the submission tests: group wrong cases into rounds, and judge a graded round."""


def broken_ids(value) -> set[str]:
    """A case breaks one exercise id or several."""
    return {value} if isinstance(value, str) else set(value)


def rounds(wrong: dict) -> list[dict]:
    """Groups of cases in which no two break the same exercise or replace the same cell.

    Graders check each exercise through its own function, so one notebook with a wrong create_task
    and a wrong list_tasks tells as much as two notebooks do, in half the grading time.
    """
    groups: list[dict] = []
    for case, (cells, broken) in wrong.items():
        for group in groups:
            if all(not (broken_ids(b) & broken_ids(broken)) and not (set(c) & set(cells)) for c, b in group.values()):
                group[case] = (cells, broken)
                break
        else:
            groups.append({case: (cells, broken)})
    return groups


def alternative_rounds(alternatives: dict) -> list[dict]:
    """Correct alternatives grouped so that no two replace the same cell: one notebook per group."""
    groups: list[dict] = []
    for case, cells in alternatives.items():
        for group in groups:
            if all(not (set(c) & set(cells)) for c in group.values()):
                group[case] = cells
                break
        else:
            groups.append({case: cells})
    return groups


def merged_cells(group: dict) -> dict[str, str]:
    return {cell: source for replacements, _ in group.values() for cell, source in replacements.items()}


def assert_only_broken_lose_points(result, group: dict) -> None:
    """Every exercise a case breaks lost points and says why, with a hint; every other one passed."""
    broken = {exercise: case for case, (_, ids) in group.items() for exercise in broken_ids(ids)}
    for exercise in result.exercises:
        if exercise.id in broken:
            assert exercise.points < exercise.max_points, f"{broken[exercise.id]}: {exercise}"
            assert exercise.message and exercise.hint, f"{broken[exercise.id]}: no message or hint"
        else:
            assert exercise.passed, f"{exercise.id} lost points it should not have ({', '.join(group)}): {exercise.message}"
