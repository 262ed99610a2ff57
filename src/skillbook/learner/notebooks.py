"""A learner's saved notebook: what is wrong with it, in one line with advice that works, and the
version of it a check grades (the saved cells, with the sources the kernel ran in their place)."""

import json
from dataclasses import dataclass, field
from pathlib import Path

from skillbook.course import cells, manifest, paths
from skillbook.course.manifest import Lesson


def _shown(path: Path) -> str:
    """The path as a learner would type it: relative to the course folder when it is inside it."""
    try:
        return str(path.resolve().relative_to(paths.repo_root()))
    except (ValueError, RuntimeError):
        return str(path)


def checkpoint(path: Path) -> Path:
    """Where Jupyter keeps the notebook's last checkpoint (File > Save writes it too)."""
    return path.parent / ".ipynb_checkpoints" / f"{path.stem}-checkpoint{path.suffix}"


def _readable_checkpoint(path: Path) -> Path | None:
    saved = checkpoint(path)
    try:
        raw = json.loads(saved.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return saved if isinstance(raw, dict) and isinstance(raw.get("cells"), list) else None


def _in_course(path: Path) -> bool:
    try:
        path.resolve().relative_to(paths.repo_root())
        return True
    except (ValueError, RuntimeError):
        return False


def restore_advice(path: Path) -> str:
    """Commands that get a readable notebook back: the last checkpoint, or the last committed version."""
    ways = []
    if saved := _readable_checkpoint(path):
        ways.append(f"copy back Jupyter's last checkpoint: cp '{_shown(saved)}' '{_shown(path)}'")
    if _in_course(path):
        ways.append(f"take the version you last committed (or the blank lesson): git restore '{_shown(path)}'")
    return ("; " + "; or ".join(ways)) if ways else ""


def _owner(raw: dict) -> str | None:
    """The lesson whose exercise cells a notebook holds, from its nbgrader grade ids."""
    for cell in raw.get("cells", []):
        grade_id = cells.grade_id(cell) if isinstance(cell, dict) else None
        if grade_id and "-" in grade_id:
            lesson_id = grade_id.split("-", 1)[0]
            if lesson_id in manifest.lessons():
                return lesson_id
    return None


def load(path: Path, lesson: Lesson) -> tuple[dict | None, str | None]:
    """(the notebook's JSON, None), or (None, why it cannot be checked, with what to do) in one line."""
    name = _shown(path)
    if not path.exists():
        return None, f"there is no notebook at {name}{restore_advice(path)}"
    if path.is_dir():
        return None, f"{name} is a folder, not a notebook"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        return None, f"cannot read {name}: {exc.strerror or exc}"
    except UnicodeDecodeError:
        return None, f"{name} is not a text file, so not a notebook{restore_advice(path)}"
    except json.JSONDecodeError as exc:
        return None, (f"{name} is not a whole notebook (its JSON breaks at line {exc.lineno}: {exc.msg}), "
                      f"maybe cut short while saving{restore_advice(path)}")
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        return None, f"{name} is JSON but not a notebook (it has no cells){restore_advice(path)}"
    owner = _owner(raw)
    if owner != lesson.id:
        whose = f"{owner}'s notebook" if owner else "a notebook without the exercises of any lesson"
        if path.name != lesson.notebook_name:  # the wrong file: point to the right one
            own = _shown(paths.lessons_dir() / lesson.dir / lesson.notebook_name)
            return None, f"{name} is {whose}, not {lesson.id}'s: check {lesson.id} in {own}"
        return None, f"{name} is {whose}, not {lesson.id}'s{restore_advice(path)}"
    return raw, None


def problem(path: Path, lesson: Lesson) -> str | None:
    """Why `path` cannot be checked as `lesson`'s notebook (one line, with advice), or None."""
    return load(path, lesson)[1]


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


@dataclass
class Ran:
    """The notebook a check grades, and how it differs from the saved file."""

    content: bytes | None  # None: the saved file is what ran
    exercises: list[str] = field(default_factory=list)  # exercises whose cell ran unsaved
    other_cells: int = 0  # other cells that ran unsaved
    unsaved_new: int = 0  # cells that ran but are not in the saved file at all


def with_ran_sources(raw: dict, ran: dict[str, str], lesson: Lesson) -> Ran:
    """The saved notebook with every recorded cell's source as it ran in place of the saved one."""
    by_grade_id = {exercise.grade_id: exercise.id for exercise in lesson.exercises}
    found, exercises, others = set(), [], 0
    for cell in raw["cells"]:
        cell_id = cell.get("id") if isinstance(cell, dict) else None
        if cell_id not in ran:
            continue
        found.add(cell_id)
        if ran[cell_id] == _source(cell):
            continue
        cell["source"] = ran[cell_id]
        if cells.is_test_cell(cell):
            continue  # the grader never runs a check cell
        if exercise := by_grade_id.get(cells.grade_id(cell) or ""):
            exercises.append(exercise)
        else:
            others += 1
    if not exercises and not others:
        return Ran(content=None, unsaved_new=len(set(ran) - found))
    content = json.dumps(raw, indent=1, ensure_ascii=False).encode("utf-8")
    return Ran(content=content, exercises=exercises, other_cells=others, unsaved_new=len(set(ran) - found))


def difference_note(ran: Ran) -> str | None:
    """What the learner should know when the check graded something other than the saved file."""
    parts = []
    if ran.exercises:
        parts.append(", ".join(ran.exercises))
    if ran.other_cells:
        parts.append(f"{ran.other_cells} other cell{'s' if ran.other_cells > 1 else ''}")
    notes = []
    if parts:
        notes.append(f"Checked the code you ran; your saved file differs in {' and '.join(parts)}.")
    if ran.unsaved_new:
        them = "them" if ran.unsaved_new > 1 else "it"
        notes.append(f"{ran.unsaved_new} cell(s) you ran are not in the saved file, so the check could not run {them}.")
    if not notes:
        return None
    return " ".join(notes) + " Save (Ctrl+S) before you submit: your grade comes from the saved file."


def one_line(exc: BaseException) -> str:
    """An exception as one line a learner can read (KeyError's message without its quotes)."""
    if isinstance(exc, KeyError) and exc.args and isinstance(exc.args[0], str):
        return exc.args[0]
    first = (str(exc).strip().splitlines() or [""])[0][:300]
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def lesson_problem(lesson_id: str, notebook: Path | None = None) -> str | None:
    """Why a lesson's notebook cannot be read (an unknown lesson id, a missing or broken file), or None."""
    from skillbook.course.locate import lesson_notebook

    try:
        lesson = manifest.lesson(lesson_id)
    except KeyError as exc:
        return one_line(exc)
    if notebook is None:
        try:
            notebook = lesson_notebook(lesson)
        except FileNotFoundError as exc:
            return str(exc)
    return problem(Path(notebook), lesson)
