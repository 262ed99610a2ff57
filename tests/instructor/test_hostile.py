"""Does one grade-class batch survive a class full of malformed and hostile submissions?

Known limitation (same-process grading): a notebook runs in the process that records its checks, so
it can tamper with its own result — `writes-results-file` appends passing checks to the results file
and is believed. What we guarantee, and test here, is that it cannot change anyone else's result,
stop the batch, or (in the sandbox) read what is not its own.
"""

from pathlib import Path

import pytest

from skillbook.engine.grade import grade_notebook
from tests.instructor import hostile
from tests.instructor.conftest import CONTROLS

pytestmark = pytest.mark.xdist_group("graded-class")


def test_the_batch_finishes_and_says_so(graded_class):
    """Does grade-class exit 0, skip what is not a lesson, and list every broken submission at the end?"""
    assert graded_class.code == 0, graded_class.output
    assert "Skipped submitted/good-2/homework-3: not a lesson of this course" in graded_class.output
    listed = graded_class.output.split("Could not be graded normally", 1)[1]
    for name, case in graded_class.cases.items():
        assert (f"  {name}/" in listed) == case.broken, f"{name}: listed as broken: {not case.broken}"
    assert ("Sandbox: on" if graded_class.sandboxed else "Sandbox: off") in graded_class.output
    assert "Grading (3 jobs)" in graded_class.output and "left" in graded_class.output  # the progress bar


@pytest.mark.parametrize("name", list(hostile.CASES))
def test_every_hostile_submission_gets_a_clear_result(name, graded_class):
    """Does each get a result per exercise, with a message (and a hint where it lost points), never a traceback?"""
    case = hostile.CASES[name]
    if name not in graded_class.cases:
        pytest.skip("needs the bubblewrap sandbox: without it, it would harm the machine or other submissions")
    stored = graded_class.stored(name, case.lesson)
    result = stored.result
    assert (stored.problem is not None) == case.broken, stored.problem
    for exercise in result.exercises:
        assert 0 <= exercise.points <= exercise.max_points
        assert exercise.message and "Traceback" not in exercise.message, exercise
        assert exercise.passed or exercise.hint, f"{exercise.id} failed without a hint"
    if case.blocked and not graded_class.sandboxed:
        return  # without the sandbox it can read them: test_sandbox.py shows that limitation
    if case.expect == "zero":
        assert result.points == 0 and not any(e.passed for e in result.exercises), result
    elif case.expect == "full":
        assert result.points == result.max_points, result
    elif case.expect == "less":
        assert 0 <= result.points < result.max_points, result
    if case.says:
        said = " ".join([result.error or "", *(e.message for e in result.exercises)])
        assert case.says in said, said


def test_correct_submissions_score_as_when_graded_alone(graded_class, monkeypatch):
    """In a batch full of hostile notebooks, does every control get exactly its points graded on its own?"""
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
    for (student, lesson_id), notebook in CONTROLS.items():
        alone = grade_notebook(notebook, database_url=None)
        batch = graded_class.stored(student, lesson_id).result
        assert [(e.id, e.points, e.passed) for e in batch.exercises] == [(e.id, e.points, e.passed) for e in alone.exercises]


def _commands() -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:
            continue
    return found


def test_nothing_a_submission_started_is_left_running(graded_class):
    """Are the fork bomb's children (and, in the sandbox, an escaped daemon) gone when the batch is done?"""
    left = [c for c in _commands() if c.startswith("sleep ") and (hostile.FORK_MARK in c or hostile.DAEMON_MARK in c)]
    assert not left, left
