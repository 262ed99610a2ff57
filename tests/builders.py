"""Learner notebooks for tests, built from a lesson's solution with some cells replaced.

    submission_from("L05", {"L05-create_task": "async def create_task(session, data): ..."}, folder)

Keys are nbgrader grade ids of solution cells, or cell ids; a value of None deletes the cell.
"""

from pathlib import Path

import nbformat

from skillbook.course import cells, manifest, paths


def solution_path(lesson_id: str) -> Path:
    lesson = manifest.lesson(lesson_id)
    return paths.solutions_dir() / lesson.dir / lesson.notebook_name


def lesson_path(lesson_id: str) -> Path:
    lesson = manifest.lesson(lesson_id)
    return paths.lessons_dir() / lesson.dir / lesson.notebook_name


def submission_from(lesson_id: str, replacements: dict[str, str | None], folder: Path) -> Path:
    lesson = manifest.lesson(lesson_id)
    nb = nbformat.read(solution_path(lesson_id), as_version=4)
    unknown = set(replacements)
    kept = []
    for cell in nb.cells:
        key = cells.grade_id(cell) if cells.grade_id(cell) in replacements else cell.get("id")
        if key in replacements:
            unknown.discard(key)
            if replacements[key] is None:
                continue
            cell.source = replacements[key]
        kept.append(cell)
    if unknown:
        raise KeyError(f"no cell {sorted(unknown)} in {lesson.notebook_name}")
    nb.cells = kept
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / lesson.notebook_name
    nbformat.write(nb, path)
    return path
