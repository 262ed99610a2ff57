"""Does grade-class put its points where nbgrader's own tools (export, formgrader) look for them?"""

import csv

import pytest
from nbgrader.api import Gradebook

from skillbook.instructor import grade_class as classgrade, coursedir

from skillbook.course import manifest
from tests.builders import lesson_path, solution_path
from tests.conftest import BACKENDS
from tests.instructor.conftest import new_course
from tests.instructor.course import nbgrader, submit

pytestmark = pytest.mark.xdist_group("graded-class")


def _in_gradebook(stored: list) -> list:
    """The results nbgrader can hold: a student folder whose name is not UTF-8 cannot be a student id
    (grade-class says "Not in the gradebook" for it; test_not_utf8_students_are_said_and_left_out)."""
    def utf8(name: str) -> bool:
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True

    return [each for each in stored if utf8(each.student)]


def test_nbgrader_export_sees_every_result(graded_class, tmp_path):
    """Does `nbgrader export` list each submission with the points in its results.json, out of the lesson's max?"""
    nbgrader(graded_class.course, "export", "--to", str(tmp_path / "export.csv"))
    with (tmp_path / "export.csv").open(newline="") as rows:
        exported = {(row["student_id"], row["assignment"]): row for row in csv.DictReader(rows)}
    stored, unreadable = coursedir.stored_results(graded_class.course)
    assert stored and not unreadable
    for each in _in_gradebook(stored):
        row = exported[(each.student, each.lesson.dir)]
        assert float(row["score"]) == pytest.approx(each.result.points), (each.student, each.lesson.id)
        assert float(row["max_score"]) == each.lesson.max_points


def test_each_test_cell_holds_its_exercise_points(graded_class):
    """Is auto_score set on every exercise's test cell (its check_grade_id), with nothing left to grade by hand?"""
    stored, _ = coursedir.stored_results(graded_class.course)
    with Gradebook(f"sqlite:///{graded_class.course / 'gradebook.db'}") as gradebook:
        for each in _in_gradebook(stored):
            notebook = gradebook.find_submission_notebook(each.lesson.dir, each.lesson.dir, each.student)
            cells = {grade.cell.name: grade for grade in notebook.grades}
            for exercise in each.result.exercises:
                grade = cells[manifest.exercise(exercise.id).check_grade_id]
                assert grade.auto_score == exercise.points and not grade.needs_manual_grade
            answers = {comment.cell.name: comment.auto_comment for comment in notebook.comments}
            if each.student == "blank":  # the released notebook, untouched: nbgrader's "No response."
                assert answers["L00-skill_description"] == "No response."


def test_not_utf8_students_are_said_and_left_out(graded_class):
    """Is a student folder whose name is not UTF-8 graded (results.json), said to be missing from the
    gradebook, and shown by its bytes, never crashing the batch?"""
    stored, _ = coursedir.stored_results(graded_class.course)
    left_out = [each for each in stored if each not in _in_gradebook(stored)]
    assert left_out, "the hostile class has students whose folder names are not UTF-8"
    for each in left_out:
        shown = each.student.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        assert f"Not in the gradebook: {shown}/{each.lesson.dir}: LookupError: the student folder" in graded_class.output


def test_results_and_notebook_copy_sit_in_autograded(graded_class):
    """Beside results.json, is the submitted notebook kept (formgrader shows it), but never what a link points to?"""
    lesson = manifest.lesson("L00")
    kept = coursedir.autograded(graded_class.course, "good-1", lesson) / lesson.notebook_name
    assert kept.read_bytes() == solution_path("L00").read_bytes()
    linked = coursedir.autograded(graded_class.course, "symlink-to-etc-passwd", lesson)
    assert (linked / "results.json").is_file() and not (linked / lesson.notebook_name).exists()


@pytest.mark.parametrize("database_url", [BACKENDS[1]], indirect=True)
def test_grade_class_on_postgresql(database_url, released_gradebook, tmp_path, capsys):
    """On a PostgreSQL server (network kept in the sandbox), are the solution and the blank notebook graded as ever?"""
    course = new_course(tmp_path / "course", released_gradebook)
    submit(course, "solved", "L00", solution_path("L00"))
    submit(course, "blank", "L00", lesson_path("L00"))
    assert classgrade.run(course, jobs=2, database_url=database_url) == 0
    out = capsys.readouterr().out
    assert "Sandbox: off" in out or "network kept for PostgreSQL" in out
    stored = {each.student: each.result for each in coursedir.stored_results(course)[0]}
    assert stored["solved"].points == manifest.lesson("L00").max_points and stored["blank"].points == 0
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        assert gradebook.find_submission("L00_build_skill", "solved").score == stored["solved"].points
