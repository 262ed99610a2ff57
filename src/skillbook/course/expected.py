"""Expected outputs of the demos whose printed output is the point of the lesson (`# NBVAL_CHECK_OUTPUT`).

Where they are kept:
- on SQLite, in the solution notebook itself, in the marked cells only (execution count 1); every other
  cell stays without outputs, and nbgrader's ClearOutput strips these from lessons/;
- on PostgreSQL, only for the marked cells where it prints something else (a driver's error message,
  a behaviour SQLite lacks): beside the notebook, in `<notebook name>.postgres.json`
  (`{"cells": {cell id: outputs}}`), which nbgrader_config.py keeps out of lessons/. `notebook(lesson,
  "postgresql")` lays those outputs over the solution's for nbval.

Outputs are stored as nbval compares them: sanitized by solutions/nbval-sanitize.cfg (addresses, times,
durations, object ids, temporary paths), so re-recording changes a file only when an output changed.
Recording runs the notebooks; the caller passes the runner in (`skillbook dev record-outputs`).
"""

import json
import re
from collections.abc import Callable
from pathlib import Path

import nbformat

from skillbook.course import cells, manifest, paths
from skillbook.files import atomic_write

Outputs = list[dict]


def sanitize_file() -> Path:
    return paths.solutions_dir() / "nbval-sanitize.cfg"


def sanitizer() -> Callable[[str], str]:
    """The sanitize rules as nbval reads and applies them, in the file's order."""
    from nbval.plugin import get_sanitize_patterns

    rules = get_sanitize_patterns(sanitize_file().read_text(encoding="utf-8"))

    def sanitize(text: str) -> str:
        for regex, replace in rules:
            text = re.sub(regex, replace, text)
        return text

    return sanitize


def solution_path(lesson: manifest.Lesson) -> Path:
    return paths.solutions_dir() / lesson.dir / lesson.notebook_name


def postgres_path(lesson: manifest.Lesson) -> Path:
    return paths.solutions_dir() / lesson.dir / f"{lesson.notebook_name}.postgres.json"


def postgres_outputs(lesson: manifest.Lesson) -> dict[str, Outputs]:
    path = postgres_path(lesson)
    return json.loads(path.read_text(encoding="utf-8"))["cells"] if path.exists() else {}


def checked_cells(nb) -> list:
    return [cell for cell in nb.cells if cells.is_output_checked(cell)]


def notebook(lesson: manifest.Lesson, backend: str = "sqlite"):
    """The solution notebook holding the outputs expected on `backend` ("sqlite" or "postgresql")."""
    nb = nbformat.read(solution_path(lesson), as_version=4)
    if backend == "postgresql":
        differing = postgres_outputs(lesson)
        for cell in checked_cells(nb):
            if cell.get("id") in differing:
                cell.outputs = [nbformat.from_dict(output) for output in differing[cell.get("id")]]
    return nb


def clean(outputs: Outputs, sanitize: Callable[[str], str]) -> Outputs:
    """A run's outputs as they are stored: sanitized, valid nbformat, an error's traceback reduced to
    its last line (nbval never compares tracebacks; they are full of paths)."""
    kept = []
    for output in outputs:
        kind = output["output_type"]
        if kind == "stream":
            kept.append(nbformat.v4.new_output("stream", name=output["name"], text=sanitize(output["text"])))
        elif kind in ("execute_result", "display_data"):
            data = {mime: sanitize(value) if isinstance(value, str) else value for mime, value in output["data"].items()}
            extra = {"execution_count": 1} if kind == "execute_result" else {}
            kept.append(nbformat.v4.new_output(kind, data=data, **extra))
        elif kind == "error":
            ename, evalue = output["ename"], sanitize(output["evalue"])
            kept.append(nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"]))
    return kept


def record(lesson: manifest.Lesson, sqlite: dict[str, Outputs], postgres: dict[str, Outputs] | None) -> list[str]:
    """Store the outputs of a fresh run (cell id -> raw outputs) as the marked cells' expected outputs;
    `postgres=None` leaves the PostgreSQL file as it is. Returns the files that changed."""
    sanitize = sanitizer()
    path = solution_path(lesson)
    nb = nbformat.read(path, as_version=4)
    expected = {}  # marked cell id -> its stored SQLite output
    for cell in nb.cells:
        if cells.is_code(cell):
            checked = cells.is_output_checked(cell)
            cell.outputs = clean(sqlite.get(cell.get("id"), []), sanitize) if checked else []
            cell.execution_count = 1 if checked else None
            if checked:
                expected[cell.get("id")] = cell.outputs
    changed = []
    text = nbformat.writes(nb) + "\n"
    if text != path.read_text(encoding="utf-8"):
        atomic_write(path, text)
        changed.append(str(path))
    if postgres is not None:
        differing = {cell_id: outputs for cell_id in expected
                     if (outputs := clean(postgres.get(cell_id, []), sanitize)) != expected[cell_id]}
        store = postgres_path(lesson)
        old = store.read_text(encoding="utf-8") if store.exists() else None
        new = json.dumps({"cells": differing}, indent=1, ensure_ascii=False, sort_keys=True) + "\n" if differing else None
        if new != old:
            if new is None:
                store.unlink()
            else:
                atomic_write(store, new)
            changed.append(str(store))
    return changed
