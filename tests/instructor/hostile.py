"""Malformed and hostile submissions, as data: how to build each one and what grading must say about it.

    CASES = {name: Case(build, expect, says, ...)}

build is one of
    Cells({...})     the lesson's solution with cells replaced (tests/builders.submission_from; None deletes)
    Prepend({...})   the solution with code put before a cell's own source
    Raw(b"...")      the notebook file's bytes
    Special("...")   a file that is not a plain notebook (a folder, a symbolic link, 10 MB of outputs, ...)
Sources may name {classmate} (a correct classmate's submitted notebook), {solution} (the lesson's
master notebook in solutions/) and {gradebook} (the course's gradebook.db); building fills them in.

expect is "zero" (every exercise 0), "full" (the lesson's max points), "less" (some points lost) or
None (no promise about its own points: see `writes-results-file`); says is a phrase its messages must
hold; broken says whether grade-class lists it as not graded normally. sandbox_only cases would harm
the machine or other submissions without the bubblewrap sandbox (they are the sandbox's tests);
blocked cases read what only the sandbox keeps from them (without it they succeed: a documented limit).
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path

import nbformat

from skillbook.course import cells, manifest
from tests.builders import solution_path, submission_from


@dataclass(frozen=True)
class Cells:
    replacements: dict


@dataclass(frozen=True)
class Prepend:
    before: dict


@dataclass(frozen=True)
class Raw:
    data: bytes


@dataclass(frozen=True)
class Special:
    kind: str
    arg: str = ""


@dataclass(frozen=True)
class Case:
    build: object
    expect: str | None
    says: str | None = None
    broken: bool = False
    lesson: str = "L00"
    sandbox_only: bool = False
    blocked: bool = False


STEAL = """import json
# Copies the answers instead of writing them: every solution cell of another notebook, run here.
for _cell in json.load(open("{path}", encoding="utf-8"))["cells"]:
    if _cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
        exec("".join(_cell["source"]), globals())
"""
FORGE = """import json, os
# Appends passing checks to the results file the grading process writes (one folder up).
with open(os.path.join(os.getcwd(), os.pardir, "results.jsonl"), "a") as _out:
    for _exercise in ("L00.skill_description", "L00.task_model"):
        _out.write(json.dumps({"event": "check", "exercise": _exercise, "check": "forged", "weight": 1000,
                               "passed": True, "message": ""}) + "\\n")
"""
DROP_EVERYTHING = """import os
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import create_async_engine
# Drops every table and deletes every row it can reach, before the checks run.
_engine = create_async_engine(os.environ["DATABASE_URL"])
async with _engine.begin() as _conn:
    _meta = MetaData()
    await _conn.run_sync(_meta.reflect)
    for _table in reversed(_meta.sorted_tables):
        await _conn.execute(_table.delete())
    await _conn.run_sync(_meta.drop_all)
await _engine.dispose()
"""
# The hangs below sleep rather than spin (`endless-loop` spins): the limits stop both alike, and a
# sleeping hang leaves the CPUs to the rest of the batch.
HANGING_TASK = """import time
from datetime import UTC, datetime
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel
class Base(SQLModel, registry=registry()):
    pass
def now():
    time.sleep(3600)
class Task(Base, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str
    status: str = "pending"
    created_at: datetime = Field(default_factory=now)
"""
DELETE_EVERY_ROW = """from sqlmodel import delete
from taskflow.models import Task
async def delete_task(session, task_id):
    await session.exec(delete(Task))  # every task, not the one asked for
    await session.commit()
    return True
"""
FORK_CHILDREN = 20
FORK_MARK = "301.5"  # `sleep 301.5`: the fork bomb's children, found by their command line afterwards
DAEMON_MARK = "302.5"

CASES = {
    # -- not a notebook at all: a zero that says why, listed as broken -------------------------------
    "invalid-json": Case(Raw(b'{"cells": [ {"cell_type": "code", '), "zero", "not valid JSON", broken=True),
    "empty-file": Case(Raw(b""), "zero", "not valid JSON", broken=True),
    "not-utf8": Case(Raw(b'{"cells": [], "metadata": {"x": "\xff\xfe\xfa"}}'), "zero", "not UTF-8", broken=True),
    "json-not-a-notebook": Case(Raw(b'["not", "a", "notebook"]'), "zero", "not a notebook", broken=True),
    "nbformat-3": Case(Raw(json.dumps({"nbformat": 3, "nbformat_minor": 0, "cells": [], "worksheets": []}).encode()),
                       "zero", "old (version 3)", broken=True),
    "notebook-is-a-folder": Case(Special("folder"), "zero", "is a folder", broken=True),
    "symlink-to-etc-passwd": Case(Special("symlink", "/etc/passwd"), "zero", "symbolic link", broken=True),
    "symlink-to-classmate": Case(Special("symlink", "{classmate}"), "zero", "symbolic link", broken=True),
    "[bold]name-with-markup": Case(Raw(b"[not json"), "zero", "not valid JSON", broken=True),  # printed as is
    "oversized-21-mb": Case(Special("oversized"), "zero", "not graded", broken=True),
    # -- a notebook, edited badly or on purpose: each exercise scored on its own ---------------------
    "deleted-answer-cells": Case(Cells({"L00-skill_description": None, "L00-task_model": None}), "zero", "does not define"),
    "duplicated-cells": Case(Special("duplicated"), "full"),
    "test-cells-return-zero": Case(Cells({"L00-skill_description-check": "0", "L00-task_model-check": "0"}), "full"),
    "test-cell-prints-fake-score": Case(Cells({"L00-skill_description": None,
                                              "L00-skill_description-check": "print('L00: 7/7 points')\n7"}),
                                       "less", "does not define `skill_description`"),
    "html-in-message": Case(Cells({"L00-skill_description": "raise ValueError('<script>alert(1)</script>')"}),
                            "less", "<script>"),
    "syntax-error": Case(Cells({"L00-task_model": "class Task(:\n    pass"}), "less", "SyntaxError"),
    "endless-loop": Case(Cells({"l00-create-skill": "while True:\n    pass"}), "full"),
    "exercise-never-returns": Case(Cells({"L00-task_model": HANGING_TASK}), "less", "did not finish"),
    "catches-base-exception-forever": Case(Cells({"l00-create-skill": (
        "import time\nwhile True:\n    try:\n        time.sleep(3600)\n    except BaseException:\n        pass")}),
        "zero", "grading stopped after", broken=True),
    "sys-exit": Case(Cells({"l00-create-skill": "import sys\nsys.exit(3)"}), "full"),
    "os-exit": Case(Cells({"l00-create-skill": "import os\nos._exit(0)"}), "zero", "ended early", broken=True),
    "allocates-10-gb": Case(Prepend({"L00-skill_description": "hoard = bytearray(10 * 1024**3)\n"}),
                            "less", "ran out of memory"),
    "stderr-noise": Case(Cells({"l00-create-skill": "import sys\nfor _ in range(2000):\n    print('noise ' * 50, file=sys.stderr)"}), "full"),
    "stdout-flood-50-mb": Case(Cells({"l00-create-skill": "print('x' * 50_000_000)"}), "full"),
    "outputs-10-mb": Case(Special("outputs"), "full"),
    "timestamp-garbage": Case(Special("timestamp", "the day before the deadline, honest"), "full"),
    "fork-bomb-limited": Case(Cells({"l00-create-skill": (
        f"import os\nfor _ in range({FORK_CHILDREN}):\n    if os.fork() == 0:\n"
        f"        os.execv('/bin/sleep', ['sleep', '{FORK_MARK}'])")}), "full"),
    "writes-results-file": Case(Cells({"l00-create-skill": FORGE, "L00-skill_description": None, "L00-task_model": None}), None),
    "drops-tables-deletes-rows": Case(Prepend({"L05-create_task": DROP_EVERYTHING}), "full", lesson="L05"),
    "delete-removes-every-row": Case(Cells({"L05-delete_task": DELETE_EVERY_ROW}), "less", "delete", lesson="L05"),
    # -- reads what is not its own: blocked by the sandbox, a documented limit without it ----------
    "steals-from-solutions": Case(Cells({"L00-skill_description": STEAL.replace("{path}", "{solution}"), "L00-task_model": None}),
                                  "zero", "No such file", blocked=True),
    "steals-from-classmate": Case(Cells({"L00-skill_description": STEAL.replace("{path}", "{classmate}"), "L00-task_model": None}),
                                  "zero", "No such file", blocked=True),
    "reads-gradebook": Case(Prepend({"L00-skill_description": "open('{gradebook}', 'rb').read(16)\n"}),
                            "less", "No such file", blocked=True),
    # -- would harm other submissions or the machine without the sandbox -----------------------------
    "tampers-with-gradebook": Case(Prepend({"L00-skill_description": (
        "import sqlite3\n_db = sqlite3.connect('file:{gradebook}?mode=rw', uri=True)\n"
        "_db.execute('UPDATE grade SET auto_score = 100')\n_db.commit()\n")}),
        "less", "unable to open database file", sandbox_only=True),
    "daemon-escapes-its-session": Case(Cells({"l00-create-skill": (
        "import os\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
        f"        os.execv('/bin/sleep', ['sleep', '{DAEMON_MARK}'])\n    os._exit(0)")}), "full", sandbox_only=True),
    "kills-its-parent": Case(Cells({"l00-create-skill": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"}),
                             "full", sandbox_only=True),
}


def _fill(source: str | None, places: dict[str, str]) -> str | None:
    if source is None:
        return None
    for name, value in places.items():
        source = source.replace("{" + name + "}", value)
    return source


def _solution_with(lesson_id: str, change) -> nbformat.NotebookNode:
    nb = nbformat.read(solution_path(lesson_id), as_version=4)
    change(nb)
    return nb


def build(case: Case, folder: Path, places: dict[str, str]) -> None:
    """Write the case's submission into folder (submitted/<student>/<lesson dir>/)."""
    lesson = manifest.lesson(case.lesson)
    target = folder / lesson.notebook_name
    folder.mkdir(parents=True, exist_ok=True)
    kind = case.build
    if isinstance(kind, Raw):
        target.write_bytes(kind.data)
    elif isinstance(kind, Cells):
        submission_from(case.lesson, {k: _fill(v, places) for k, v in kind.replacements.items()}, folder)
    elif isinstance(kind, Prepend):
        def prepend(nb):
            for cell in nb.cells:
                key = cells.grade_id(cell) or cell.get("id")
                if key in kind.before:
                    cell.source = _fill(kind.before[key], places) + cell.source

        nbformat.write(_solution_with(case.lesson, prepend), target)
    elif kind.kind == "folder":
        target.mkdir()
    elif kind.kind == "symlink":
        os.symlink(_fill(kind.arg, places), target)
    elif kind.kind == "duplicated":
        def duplicate(nb):
            nb.cells = [copy for cell in nb.cells for copy in ((cell, cell) if cell.cell_type == "code" else (cell,))]

        target.write_text(json.dumps(_solution_with(case.lesson, duplicate)))  # nbformat would renumber the ids
    elif kind.kind == "outputs":
        def outputs(nb):
            code = next(cell for cell in nb.cells if cell.cell_type == "code")
            code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="y" * 1024 * 1024) for _ in range(10)]

        nbformat.write(_solution_with(case.lesson, outputs), target)
    elif kind.kind == "oversized":
        nb = _solution_with(case.lesson, lambda nb: None)
        nb.metadata["padding"] = "z" * (21 * 1024 * 1024)
        nbformat.write(nb, target)
    elif kind.kind == "timestamp":
        target.write_bytes(solution_path(case.lesson).read_bytes())
        (folder / "timestamp.txt").write_text(kind.arg)
    else:
        raise ValueError(f"unknown special case {kind.kind}")
