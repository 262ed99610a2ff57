"""Do the solution notebooks run top to bottom in a real kernel, does `nbgrader autograde` record the
same points as `skillbook grade`, and is lessons/ what nbgrader generates?

Each lesson's solution runs in a kernel once per backend. On SQLite, and on PostgreSQL for the lessons
in POSTGRES_AUTOGRADE, that kernel is nbgrader's (`nbgrader autograde`), so one run checks both that the
notebook executes cleanly and that the gradebook agrees with our grader. The other lessons run on
PostgreSQL through nbclient: nbgrader's part (a check cell's points land in its grade cell) does not
depend on the backend, and a run of nbgrader costs about 20 s a lesson.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbgrader.api import Gradebook

from skillbook.course import cells, manifest, paths
from skillbook.engine.databases import isolated_database
from tests.builders import lesson_path, solution_path

LESSONS = list(manifest.lessons())
BIN = Path(sys.executable).parent
POSTGRES_AUTOGRADE = ("L00", "L07")  # the first lesson, and the one whose graders lean most on the database
UNANSWERED_AUTOGRADE = ("L00",)  # the untouched lesson through nbgrader too (every lesson: test_submissions)


def _assert_ran_clean(nb, lesson, skill: Path, *, graded: bool) -> None:
    """Nothing on stderr, an error only where a cell demonstrates one, full points; the reflect cell
    wrote into the (temporary) skill, except under nbgrader, where grading must leave the skill alone."""
    unexpected = []
    for number, cell in enumerate(nb.cells, 1):
        for output in cell.get("outputs", []):
            if output.get("name") == "stderr" or (output.get("output_type") == "error" and not cells.is_demonstration(cell)):
                unexpected.append(f"cell {number}: {output.get('text') or output.get('ename')}")
    assert not unexpected, unexpected
    for cell in nb.cells:
        if cells.is_demonstration(cell):
            assert any(o.get("output_type") == "error" for o in cell.outputs), f"demonstration cell {cell.get('id')} did not fail"
    earned = 0.0
    for cell in nb.cells:
        if cells.is_test_cell(cell):
            results = [o for o in cell.outputs if o.get("output_type") == "execute_result"]
            assert results, f"test cell {cells.grade_id(cell)} returned no points"
            earned += float(results[-1]["data"]["text/plain"])
    assert earned == lesson.max_points
    if graded:
        assert not skill.exists(), "an nbgrader run wrote into the learner's skill"
    else:
        assert (skill / "SKILL.md").exists(), "the reflect cell should have written into the (temporary) skill"


def _nbgrader(*args, env):
    done = subprocess.run([BIN / "nbgrader", *args, "--log-level=ERROR"], cwd=paths.repo_root(), env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr


def _autograde(lesson, tmp_path, database_url, lesson_db, grade):
    """nbgrader's whole path: generate, autograde; then compare its gradebook with our grader, cell by cell."""
    students = {"solution": solution_path(lesson.id)}
    if lesson.id in UNANSWERED_AUTOGRADE:
        students["unanswered"] = lesson_path(lesson.id)
    for student, notebook in students.items():
        folder = tmp_path / "submitted" / student / lesson.dir
        folder.mkdir(parents=True)
        shutil.copy(notebook, folder / lesson.notebook_name)
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "DATABASE_URL")}
    env.update(COURSE_DIR=str(tmp_path), SKILLBOOK_RELEASE_DIR=str(tmp_path / "release"), DATABASE_URL=lesson_db,
               SKILLBOOK_CACHE_DIR=str(tmp_path / "cache"), PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    if database_url:
        env["TEST_DATABASE_URL"] = database_url
    _nbgrader("generate_assignment", lesson.dir, "--force", env=env)
    _nbgrader("autograde", lesson.dir, "--create", "--force", env=env)
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gradebook:
        for student, notebook in students.items():
            ours = grade(notebook)
            theirs = gradebook.find_submission_notebook(lesson.dir, lesson.dir, student)
            by_cell = {g.name: g.score for g in theirs.grades}
            for exercise in ours.exercises:
                check_cell = manifest.exercise(exercise.id).check_grade_id
                assert by_cell[check_cell] == exercise.points, f"{student} {exercise.id}: nbgrader {by_cell[check_cell]}, skillbook {exercise.points}"
            assert theirs.score == ours.points
        assert gradebook.find_submission_notebook(lesson.dir, lesson.dir, "solution").score == lesson.max_points
    return nbformat.read(tmp_path / "autograded" / "solution" / lesson.dir / lesson.notebook_name, as_version=4)


def _execute(lesson, tmp_path, database_url, lesson_db, monkeypatch):
    workdir = tmp_path / lesson.dir
    workdir.mkdir()
    nb = nbformat.read(solution_path(lesson.id), as_version=4)
    nbformat.write(nb, workdir / lesson.notebook_name)  # check() grades the saved notebook beside the kernel
    # The teaching cells use a database of their own (DATABASE_URL); check cells grade on the server.
    monkeypatch.setenv("DATABASE_URL", lesson_db)
    if database_url:
        monkeypatch.setenv("TEST_DATABASE_URL", database_url)
    monkeypatch.setenv("SKILLBOOK_CACHE_DIR", str(tmp_path / "cache"))
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}).execute()
    return nb


@pytest.mark.slow
@pytest.mark.parametrize("lesson_id", LESSONS)
def test_solution_runs_clean_and_nbgrader_agrees(lesson_id, tmp_path, isolated_skill, database_url, grade, monkeypatch):
    """Does the master notebook run top to bottom in a kernel, with nothing on stderr and full points,
    and (through nbgrader) does the gradebook hold exactly the points `skillbook grade` gives?"""
    lesson = manifest.lesson(lesson_id)
    with isolated_database(database_url, tmp_path) as lesson_db:
        graded = database_url is None or lesson_id in POSTGRES_AUTOGRADE
        if graded:
            nb = _autograde(lesson, tmp_path, database_url, lesson_db, grade)
        else:
            nb = _execute(lesson, tmp_path, database_url, lesson_db, monkeypatch)
    _assert_ran_clean(nb, lesson, isolated_skill, graded=graded)


@pytest.mark.slow
def test_lessons_are_what_nbgrader_generates(tmp_path):
    """Is every committed student notebook exactly what `make lessons` makes from solutions/, without
    the outputs the solutions keep, and without the expected outputs on PostgreSQL beside them?"""
    release = tmp_path / "release"
    env = dict(os.environ, COURSE_DIR=str(tmp_path), SKILLBOOK_RELEASE_DIR=str(release),
               PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    for lesson in manifest.lessons().values():
        subprocess.run(
            [BIN / "nbgrader", "generate_assignment", lesson.dir, "--force", "--log-level=ERROR"],
            cwd=paths.repo_root(), env=env, check=True, capture_output=True,
        )
        generated = (release / lesson.dir / lesson.notebook_name).read_text(encoding="utf-8")
        committed = (paths.lessons_dir() / lesson.dir / lesson.notebook_name).read_text(encoding="utf-8")
        assert generated == committed, f"lessons/{lesson.dir} drifted from solutions/: run `make lessons`"
        # The solution keeps its marked demos' expected outputs (tests/test_nbval.py); ClearOutput drops them.
        kept = [c for c in nbformat.read(solution_path(lesson.id), as_version=4).cells if cells.is_code(c) and c.outputs]
        handed_out = [c for c in nbformat.reads(generated, as_version=4).cells if cells.is_code(c) and (c.outputs or c.execution_count)]
        assert not handed_out, f"lessons/{lesson.dir} carries outputs"
        assert kept or lesson.id < "L04", f"solutions/{lesson.dir} keeps no expected output to strip"
        assert not list((release / lesson.dir).glob("*.postgres.json")), "nbgrader_config.py should keep these out"
