"""Does `skillbook runs` (`make runs`) say in a few lines whether a lesson notebook runs from the top,
naming unanswered exercises by their headings and every other failure by its heading and error?"""

import subprocess
import sys

import nbformat
import pytest

from skillbook.course import manifest, paths
from skillbook.learner import runs
from skillbook.learner.runs import CellRun
from tests.builders import lesson_path, solution_path


def _skillbook(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "skillbook", *args], capture_output=True, text=True, timeout=600, cwd=cwd)


@pytest.mark.slow
def test_make_runs_on_an_untouched_lesson_names_only_the_unanswered_exercises():
    """Does `make runs L=l00` (any case) run the untouched lesson, pass, and name each exercise as
    "not answered yet" by its heading, without a traceback?"""
    done = subprocess.run(["make", "--no-print-directory", "runs", "L=l00"], cwd=paths.repo_root(),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "· Exercise 1 · Write your skill's description (L00.skill_description): not answered yet" in done.stdout
    assert "· Exercise 2 · A first table model (L00.task_model): not answered yet" in done.stdout
    assert "✓ Nothing else failed; 2 exercise(s) not answered yet." in done.stdout
    assert "✗" not in done.stdout and "Traceback" not in done.stdout + done.stderr
    assert len(done.stdout.splitlines()) <= 8


@pytest.mark.slow
def test_a_failing_cell_is_one_line_under_its_heading(tmp_path):
    """In an answered notebook with a broken demo, is the failure one line (heading, error, message),
    and are the outputs the learner saved not taken for expectations?"""
    nb = nbformat.read(solution_path("L04"), as_version=4)
    for cell in nb.cells:
        if cell.get("id") == "l04-lifecycle":
            cell.source = cell.source.replace('print("6. closed")', 'print("6. closed", project.nmae)')
        if cell.get("id") == "l04-expire-fixed":  # a saved output that no longer matches: not a failure here
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="something else\n")]
            cell.execution_count = 3
    folder = tmp_path / "L04_sessions"
    folder.mkdir()
    nbformat.write(nb, folder / "L04_sessions.ipynb")
    done = _skillbook("runs", "L04", "--notebook", str(folder / "L04_sessions.ipynb"),
                      "--database-url", f"sqlite+aiosqlite:///{tmp_path / 'lesson.db'}")
    assert done.returncode == 1, done.stdout + done.stderr
    failures = [line for line in done.stdout.splitlines() if "✗" in line]
    assert failures[0] == "  ✗ 1 · The life of a session: AttributeError: 'Project' object has no attribute 'nmae'", done.stdout
    assert len(failures) == 2 and failures[1].startswith("✗ 1 cell(s) failed")
    assert "not answered yet" not in done.stdout and "Traceback" not in done.stdout + done.stderr


@pytest.mark.parametrize("args, message", [
    (["L99"], "skillbook runs: unknown lesson 'L99' (the course has L00"),
    (["L05", "--notebook", "missing.ipynb"], "skillbook runs: no notebook at missing.ipynb"),
    (["L05", "--notebook", "broken.ipynb"], "skillbook runs: cannot read broken.ipynb: "),
])
def test_bad_input_is_answered_in_one_line(args, message, tmp_path):
    (tmp_path / "broken.ipynb").write_text("{ not json", encoding="utf-8")
    done = _skillbook("runs", *args, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == "" and len(done.stderr.splitlines()) == 1 and done.stderr.startswith(message), done.stderr


# summarize() on runs described by hand: which failure means what, without starting a kernel.

def _lesson_nb(lesson_id):
    return nbformat.read(lesson_path(lesson_id), as_version=4)


def _answers(lesson_id):
    lesson = manifest.lesson(lesson_id)
    return runs.answer_names(lesson, solution_path(lesson_id))


def _failed(cell_id, ename, evalue="", frames=()):
    return CellRun(cell_id=cell_id, outcome="failed", problem="error", ename=ename, evalue=evalue, frames=list(frames))


def test_a_stub_called_from_a_demo_names_the_exercise_it_belongs_to():
    """A demo calling create_task's stub fails with NotImplementedError: is that create_task "not
    answered yet", not a broken demo?"""
    nb = _lesson_nb("L05")
    summary = runs.summarize(nb, manifest.lesson("L05"),
                             [_failed("l05-update-dump", "NotImplementedError", frames=["<module>", "create_task"])], _answers("L05"))
    assert summary.ok and not summary.broken and not summary.following
    assert "Exercise 1 · create_task (L05.create_task)" in summary.unanswered


def test_a_name_an_unanswered_exercise_defines_is_not_a_broken_cell():
    """L00's stub leaves `Task` undefined: is the demo's NameError counted with the exercise, while a
    NameError for a name no exercise defines (a typo) stays a failure of its own?"""
    lesson = manifest.lesson("L00")
    waiting = runs.summarize(_lesson_nb("L00"), lesson, [_failed("l00-try-db", "NameError", "name 'Task' is not defined")],
                             _answers("L00"))
    assert waiting.ok and not waiting.broken and not waiting.following
    typo = runs.summarize(_lesson_nb("L00"), lesson, [_failed("l00-try-db", "NameError", "name 'Tsak' is not defined")],
                          _answers("L00"))
    assert typo.following == [runs.Failure("Try it against a real database", "NameError: name 'Tsak' is not defined")]


def test_a_failure_above_every_exercise_is_broken():
    nb = nbformat.read(solution_path("L04"), as_version=4)  # every exercise answered
    summary = runs.summarize(nb, manifest.lesson("L04"), [_failed("l04-setup", "ModuleNotFoundError", "No module named 'taskflow'")])
    assert not summary.ok and summary.unanswered == []
    assert summary.broken == [runs.Failure("L04 · Session management", "ModuleNotFoundError: No module named 'taskflow'")]


def test_a_timeout_and_a_changed_output_are_said_in_words():
    nb = nbformat.read(solution_path("L04"), as_version=4)
    summary = runs.summarize(nb, manifest.lesson("L04"), [
        CellRun(cell_id="l04-lifecycle", outcome="failed", problem="timeout", ename="KeyboardInterrupt"),
        CellRun(cell_id="l04-expire-fixed", outcome="failed", problem="output", diff="--- expected\n+++ printed now\n-1\n+2"),
    ])
    assert summary.broken[0].why.startswith("still running when its time was up")
    assert summary.broken[1].why.startswith("printed something else than the notebook expects:\n--- expected")
