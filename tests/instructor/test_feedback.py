"""Does `make feedback` give each student their points, what was wrong and a hint, and never the graders' source?"""

import html
import subprocess

import pytest

from skillbook.instructor import coursedir

from skillbook.course import paths
from skillbook.instructor.feedback import clean
from tests.instructor.hostile import CASES

pytestmark = pytest.mark.xdist_group("graded-class")
# What a grader's source looks like; none of it may reach a student.
SOURCE = ("def test_", "assert ", "@pytest", "@description", "learner.", "import pytest")


@pytest.fixture(scope="module")
def pages(graded_class):
    done = subprocess.run(["make", "--no-print-directory", "feedback", f"COURSE_DIR={graded_class.course}"],
                          cwd=paths.repo_root(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return {(s.student, s.lesson.id): s for s in coursedir.stored_results(graded_class.course)[0]}


def test_every_page_has_points_messages_and_hints(graded_class, pages):
    for (student, lesson_id), stored in pages.items():
        page = coursedir.feedback_file(graded_class.course, student, stored.lesson).read_text(encoding="utf-8")
        assert f"{stored.result.points:g} of {stored.result.max_points:g} points" in page
        for exercise in stored.result.exercises:
            assert html.escape(exercise.id) in page and f"{exercise.points:g} / {exercise.max_points:g}" in page
            if not exercise.passed:
                assert html.escape(exercise.hint) in page, f"{student}: no hint for {exercise.id}"
                first_words = html.escape(clean(exercise.message)[:40])
                assert first_words in page, f"{student}: no message for {exercise.id}"


def test_no_page_shows_grader_source(graded_class, pages):
    for (student, _), stored in pages.items():
        page = coursedir.feedback_file(graded_class.course, student, stored.lesson).read_text(encoding="utf-8")
        for text in SOURCE:
            assert text not in page, f"{student}'s feedback shows {text!r}"


def test_what_a_notebook_raised_is_shown_as_text(graded_class, pages):
    """Is a message carrying HTML (from the learner's own exception) escaped, never run in the page?"""
    assert "html-in-message" in CASES
    page = coursedir.feedback_file(graded_class.course, "html-in-message", pages[("html-in-message", "L00")].lesson)
    text = page.read_text(encoding="utf-8")
    assert "<script>" not in text and "&lt;script&gt;" in text


def test_pages_sit_where_nbgrader_release_feedback_looks(graded_class, pages):
    """feedback/<student>/<lesson>/<lesson>.html with the submission's timestamp.txt beside it."""
    lesson = pages[("timestamp-garbage", "L00")].lesson
    folder = graded_class.course / "feedback" / "timestamp-garbage" / lesson.dir
    assert (folder / f"{lesson.dir}.html").is_file() and (folder / "timestamp.txt").is_file()


def test_a_failing_exercise_shows_its_promise_and_which_checks_wait():
    """Does the page name the promise not kept yet, and say why an edge check that passed earns nothing?"""
    from skillbook.engine.scoring.results import ExerciseResult
    from skillbook.instructor.feedback import _exercise

    ex = ExerciseResult(id="L05.get_task", points=0, max_points=2, passed=False, message="returned None for task 2",
                        hint="Look the row up by its primary key.", promise="returns the task with the given id",
                        checks=[{"check": "test_missing", "passed": True, "counts": False, "question": "None for a missing id?",
                                 "message": "passes, but counts once “returns the task with the given id” works"}])
    shown = _exercise(ex)
    assert "<strong>Not yet:</strong> returns the task with the given id" in shown
    assert "✓ None for a missing id? <em>(passes, but counts once “returns the task with the given id” works)</em>" in shown
