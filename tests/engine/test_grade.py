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
    assert not description.passed and "ran out of memory (grading allows 1 GB)" in description.message
    assert result.exercise("L00.task_model").passed
