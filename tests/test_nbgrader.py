"""Does `nbgrader autograde` record the same points as `skillbook grade`, exercise by exercise?"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from skillbook import manifest, paths
from tests.builders import lesson_path, solution_path

BIN = Path(sys.executable).parent
# nbgrader runs the whole notebook in a kernel (about 20 s a lesson). The check cells' points come from
# the same engine on either backend, so PostgreSQL repeats this for the first lesson and the one whose
# graders depend most on the database (transactions); test_submissions grades every lesson on both.
POSTGRES_AGREEMENT = ("L00", "L07")


def _nbgrader(*args, env):
    done = subprocess.run([BIN / "nbgrader", *args, "--log-level=ERROR"], cwd=paths.repo_root(), env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("lesson_id", list(manifest.lessons()))
def test_autograde_agrees_with_skillbook_grade(lesson_id, tmp_path, database_url, grade):
    """For the solution and the untouched lesson, do nbgrader's gradebook and our grader give equal points?"""
    if database_url and lesson_id not in POSTGRES_AGREEMENT:
        pytest.skip(f"PostgreSQL agreement is checked on {', '.join(POSTGRES_AGREEMENT)}")
    lesson = manifest.lesson(lesson_id)
    students = {"solution": solution_path(lesson_id), "unanswered": lesson_path(lesson_id)}
    for student, notebook in students.items():
        folder = tmp_path / "submitted" / student / lesson.dir
        folder.mkdir(parents=True)
        shutil.copy(notebook, folder / lesson.notebook_name)
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "DATABASE_URL")}
    env.update(COURSE_DIR=str(tmp_path), SKILLBOOK_RELEASE_DIR=str(tmp_path / "release"),
               PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
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
