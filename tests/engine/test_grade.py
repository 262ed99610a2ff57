"""Does `skillbook grade` give a clear result for broken and hostile notebooks, never a traceback or a hang?"""

import json
import subprocess
import sys
import time

import pytest

from skillbook.engine import grade as grading
from skillbook.engine.grade import GradingError, grade_notebook
from tests.builders import solution_path

FAST = {"cell_seconds": 2, "check_seconds": 2, "total_seconds": 60}


@pytest.fixture(params=["fork-server", "fresh-process"])
def process_kind(request, monkeypatch):
    """Both ways a notebook is graded: forked from a warm server (batches) or a new process (one notebook).
    Used by the cases where the process itself is at stake (exit, kill, memory, time limits)."""
    monkeypatch.setattr(grading, "_use_fork_servers", request.param == "fork-server")
    return request.param


def _cli(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "skillbook", *args], capture_output=True, text=True, timeout=timeout)


def test_json_has_the_documented_shape():
    """Does --json print lesson, points, max_points and per-exercise id/points/max_points/passed/message?"""
    done = _cli("grade", str(solution_path("L00")), "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert {"lesson", "points", "max_points", "exercises"} <= set(data)
    assert data["lesson"] == "L00" and data["points"] == data["max_points"] == 7
    for exercise in data["exercises"]:
        assert {"id", "points", "max_points", "passed", "message"} <= set(exercise)


def test_missing_file_is_a_clear_error_not_a_traceback(tmp_path):
    """Does a path with no notebook give a one-line message, a JSON error and exit code 2?"""
    done = _cli("grade", str(tmp_path / "L00_build_skill.ipynb"), "--json")
    assert done.returncode == 2
    assert "no notebook at" in done.stderr and "Traceback" not in done.stderr
    assert "error" in json.loads(done.stdout)


def test_unknown_lesson_is_a_clear_error(tmp_path):
    """Does a notebook that belongs to no lesson ask for --lesson?"""
    stray = tmp_path / "homework.ipynb"
    stray.write_text("{}")
    with pytest.raises(GradingError, match="--lesson"):
        grade_notebook(stray)


def test_invalid_json_scores_zero_with_a_message(tmp_path):
    """Is a notebook that is not JSON graded 0 on every exercise, saying so?"""
    path = tmp_path / "L00_build_skill.ipynb"
    path.write_text('{"cells": [ {"cell_type": "code", ')
    result = grade_notebook(path, **FAST)
    assert result.points == 0
    assert all("not valid JSON" in e.message for e in result.exercises)


def test_json_that_is_not_a_notebook_scores_zero(tmp_path):
    path = tmp_path / "L00_build_skill.ipynb"
    path.write_text('["not", "a", "notebook"]')
    result = grade_notebook(path, **FAST)
    assert result.points == 0 and all("not a notebook" in e.message for e in result.exercises)


HOSTILE = {
    # a busy loop in a cell before the exercises: that cell is stopped, the exercises still count
    "endless-loop": ("l00-create-skill", "while True:\n    pass", 7),
    "endless-await": ("l00-create-skill", "import asyncio\nawait asyncio.Event().wait()", 7),
    "sys-exit": ("l00-create-skill", "import sys\nsys.exit(3)", 7),
    "syntax-error": ("l00-create-skill", "def broken(:\n    pass", 7),
    "stderr-noise": ("l00-create-skill", "import sys\nprint('noise', file=sys.stderr)", 7),
    "swallows-everything": ("l00-create-skill", "while True:\n    try:\n        pass\n    except Exception:\n        pass", 7),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_cell_costs_only_itself(case, submission, process_kind):
    """Is a cell that loops, exits or fails stopped and reported, while the exercises still earn points?"""
    cell, source, expected = HOSTILE[case]
    started = time.monotonic()
    result = grade_notebook(submission("L00", {cell: source}), **FAST)
    assert time.monotonic() - started < 45
    assert result.points == expected, result


def test_os_exit_during_loading_ends_with_a_result(submission, process_kind):
    """Does a notebook that kills the grading process still get a result that says what happened?"""
    result = grade_notebook(submission("L00", {"l00-create-skill": "import os\nos._exit(0)"}), **FAST)
    assert result.points == 0
    assert all("ended early" in e.message and "os._exit" in e.message for e in result.exercises)


def test_exercise_that_hangs_is_stopped_by_the_check_limit(submission):
    """Does an exercise whose code never returns lose its points with a time-limit message, and only it?"""
    hanging = {"L00-task_model": (
        "from datetime import UTC, datetime\nfrom sqlalchemy.orm import registry\nfrom sqlmodel import Field, SQLModel\n"
        "class Base(SQLModel, registry=registry()):\n    pass\n"
        "def now():\n    while True:\n        pass\n"
        "class Task(Base, table=True):\n    id: int | None = Field(default=None, primary_key=True)\n"
        "    title: str\n    status: str = 'pending'\n    created_at: datetime = Field(default_factory=now)\n"
    )}
    result = grade_notebook(submission("L00", hanging), **FAST)
    assert result.exercise("L00.skill_description").passed
    task = result.exercise("L00.task_model")
    assert task.points < task.max_points
    assert any("did not finish" in c["message"] for c in task.checks)


def test_whole_run_time_limit_kills_and_reports(submission, process_kind):
    """Past the total limit, is the process killed and every unreported exercise given a reason?"""
    result = grade_notebook(
        # It catches the time-limit exception itself and loops again: only the kill stops it.
        submission("L00", {"l00-create-skill": "while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass"}),
        cell_seconds=3, check_seconds=5, total_seconds=8,
    )
    assert result.points == 0
    assert "grading stopped after 8 s" in (result.error or "")


def test_a_huge_allocation_fails_its_exercise_not_the_grading(submission, process_kind):
    """Does allocating 10 GB give a MemoryError in that exercise's result (the memory limit), on both paths?"""
    cell = "L00-skill_description"
    result = grade_notebook(submission("L00", {cell: "hoard = bytearray(10 * 1024**3)\nskill_description = 'x'"}),
                            memory_bytes=1024**3, **FAST)
    description = result.exercise("L00.skill_description")
    assert not description.passed and "ran out of memory: it used more than 1 GB" in description.message
    assert result.exercise("L00.task_model").passed


EXITS_IN_THIRD_CHECK = (  # a correct Task whose first INSERT in a check (task_model's third) ends the process
    "import os\nfrom datetime import UTC, datetime\nfrom sqlalchemy import event\nfrom sqlalchemy.orm import registry\n"
    "from sqlmodel import Field, SQLModel\n"
    "class Base(SQLModel, registry=registry()):\n    pass\n"
    "class Task(Base, table=True):\n    id: int | None = Field(default=None, primary_key=True)\n"
    "    title: str\n    status: str = 'pending'\n"
    "    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))\n"
    "@event.listens_for(Task, 'before_insert')\ndef leave(mapper, connection, target):\n"
    "    if connection.engine.url.database:  # the graders' database, not the lesson's in-memory demonstration\n"
    "        os._exit(0)\n"
)


def test_os_exit_during_a_check_fails_that_exercise(submission, process_kind):
    """Does code that ends the process with exit status 0 during task_model's third check lose that
    exercise's unreported checks, with a message naming where it stopped (issue 11: it scored 7/7)?"""
    result = grade_notebook(submission("L00", {"L00-task_model": EXITS_IN_THIRD_CHECK}), **FAST)
    task = result.exercise("L00.task_model")
    assert result.exercise("L00.skill_description").passed
    assert not task.passed and task.points < task.max_points and result.points < 7
    assert "ended early while checking L00.task_model (test_task_status_defaults_to_pending)" in task.message
    assert not result.cacheable


HOG_TASK_TREE = ("async def get_task_tree(session, root_id, depth=3):\n    hoard = []\n"
                 "    while True:\n        hoard.append(' ' * 10**6)")


def test_running_out_of_memory_in_a_check_costs_only_that_exercise(submission):
    """Is a MemoryError in get_task_tree reported on that exercise, in words, while the exercises after it
    are still checked (issue 11: pytest's INTERNALERROR left them "not run"), and is the result not cached?"""
    result = grade_notebook(submission("L06", {"L06-get_task_tree": HOG_TASK_TREE}), memory_bytes=1024**3,
                            cell_seconds=10, check_seconds=20, total_seconds=200)
    tree = result.exercise("L06.get_task_tree")
    assert not tree.passed and "ran out of memory: it used more than 1 GB in get_task_tree" in tree.message, tree
    assert "Exercise 3" in tree.message and "cell " not in tree.message.replace("the cell under", "")
    assert result.exercise("L06.tag_task").passed and result.exercise("L06.tasks_by_tag").passed
    assert result.error is None and not result.cacheable


def test_an_untouched_exercise_is_not_answered_yet_by_its_heading():
    """Does the learner's blank notebook say each exercise is not answered yet, naming it by the heading
    above it, never by a cell number (JupyterLab shows none) nor by a later teaching cell's NameError?"""
    from tests.builders import lesson_path

    result = grade_notebook(lesson_path("L00"), **FAST)
    task = result.exercise("L00.task_model")
    assert task.message.startswith("“Exercise 2 · A first table model” is not answered yet"), task.message
    assert all("cell 2" not in e.message and "NameError" not in e.message for e in result.exercises)


def test_a_result_decided_by_a_limit_is_not_cached(submission, tmp_path, monkeypatch):
    """Is a run stopped by a time limit graded again next time instead of served from the cache?"""
    from skillbook.course import manifest
    from skillbook.engine.cache import cache_dir, cached_grade

    monkeypatch.setenv("SKILLBOOK_CACHE_DIR", str(tmp_path / "cache"))
    notebook = submission("L00", {"l00-create-skill": "while True:\n    try:\n        while True:\n            pass\n"
                                                      "    except BaseException:\n        pass"})
    result = cached_grade(notebook, manifest.lesson("L00"), cell_seconds=1, check_seconds=2, total_seconds=4)
    assert result.error and "grading stopped after 4 s" in result.error
    assert not list(cache_dir().glob("*.json"))


def test_an_oversized_notebook_is_refused_before_it_is_parsed(tmp_path):
    """Is a notebook over the size limit scored 0 with a message saying so and what to do, unparsed?"""
    path = tmp_path / "L00_build_skill.ipynb"
    with open(path, "wb") as f:  # a notebook, then padding past the limit
        f.write(b'{"cells": [], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}')
        f.truncate(grading.NOTEBOOK_BYTES + 1)  # a sparse file: costs no disk
    started = time.monotonic()
    result = grade_notebook(path, **FAST)
    assert time.monotonic() - started < 5
    assert result.points == 0 and "clear its outputs" in (result.error or ""), result.error


def test_a_notebook_sees_only_its_own_processes(submission, process_kind):
    """Graded through a warm server or alone, is the grading process (and so every pipe it holds) out of
    the notebook's /proc? (A full skill_description only if it sees no more than a few processes.)"""
    cell = ("import os\npids = [int(p) for p in os.listdir('/proc') if p.isdigit()]\n"
            "skill_description = ('Use when writing async database code with SQLModel, SQLAlchemy and FastAPI: '\n"
            "                     'sessions and queries.') if max(pids) < 20 and os.getppid() < 20 else 1")
    result = grade_notebook(submission("L00", {"L00-skill_description": cell}), **FAST)
    assert result.exercise("L00.skill_description").passed, result.exercise("L00.skill_description")
