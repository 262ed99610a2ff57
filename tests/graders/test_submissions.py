"""Do the graders of every lesson fail realistic wrong answers, and give full marks to correct ones written another way?

The cases are data in tests/graders/cases/LXX.py. Wrong cases that break different exercises are
graded together in one notebook (a "round", see submissions.py); so are alternatives that replace
different cells.
"""

import importlib

import pytest

from skillbook.course import manifest
from tests.builders import lesson_path, solution_path
from tests.graders.submissions import (
    alternative_rounds, assert_only_broken_lose_points, broken_ids, merged_cells, rounds,
)

UNANSWERED_WORDS = ("not answered", "not written yet", "NotImplementedError", "does not define")


def _cases(lesson_id: str):
    return importlib.import_module(f"tests.graders.cases.{lesson_id}")


LESSONS = list(manifest.lessons())
# Wrong cases and alternatives run on PostgreSQL too where the database changes the outcome (engines,
# CRUD, loading, transactions, migrations, the complete layer); elsewhere on SQLite. Their PostgreSQL
# copies are `slow` (`make test-slow`, run by CI after `make test`), which keeps `make test` under
# fifteen minutes. Every lesson's solution and untouched notebook are graded on both backends in `make test`.
POSTGRES_ROUNDS = ("L02", "L05", "L06", "L07", "L08", "L09")


def _sqlite_only(lesson_id: str) -> list:
    return [pytest.mark.slow_on_postgres] if lesson_id in POSTGRES_ROUNDS else [pytest.mark.sqlite_only]


WRONG_ROUNDS = [
    pytest.param(lesson_id, group, id=f"{lesson_id}-" + "+".join(group), marks=_sqlite_only(lesson_id))
    for lesson_id in LESSONS for group in rounds(_cases(lesson_id).WRONG)
]
ALTERNATIVE_ROUNDS = [
    pytest.param(lesson_id, group, id=f"{lesson_id}-" + "+".join(group), marks=_sqlite_only(lesson_id))
    for lesson_id in LESSONS for group in alternative_rounds(_cases(lesson_id).ALTERNATIVES)
]


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_solution_scores_full_marks(lesson_id, grade):
    """Does the master notebook earn every point?"""
    result = grade(solution_path(lesson_id))
    assert result.points == result.max_points == manifest.lesson(lesson_id).max_points, \
        [e for e in result.exercises if not e.passed]


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_unanswered_lesson_scores_zero(lesson_id, grade):
    """Does the student notebook, untouched, earn nothing, with a message for each exercise?"""
    result = grade(lesson_path(lesson_id))
    assert result.points == 0, [e for e in result.exercises if e.points]
    for exercise in result.exercises:
        assert not exercise.passed and any(w in exercise.message for w in UNANSWERED_WORDS), exercise


@pytest.mark.parametrize("lesson_id, group", WRONG_ROUNDS)
def test_wrong_submissions_lose_points(lesson_id, group, grade, submission):
    """Does each realistic mistake cost points on the exercises it breaks, and only there, with a message and a hint?"""
    assert_only_broken_lose_points(grade(submission(lesson_id, merged_cells(group))), group)


@pytest.mark.parametrize("lesson_id, group", ALTERNATIVE_ROUNDS)
def test_correct_alternatives_get_full_marks(lesson_id, group, grade, submission):
    """Does a correct answer written another way earn every point? (Alternatives that replace
    different cells are graded together in one notebook.)"""
    result = grade(submission(lesson_id, {cell: source for cells in group.values() for cell, source in cells.items()}))
    assert result.points == result.max_points, (", ".join(group), [e for e in result.exercises if not e.passed])


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_every_lesson_keeps_enough_cases(lesson_id):
    """Does each lesson keep at least 5 wrong and 2 correct-but-different submissions, each touching a real exercise?"""
    cases = _cases(lesson_id)
    ids = {e.id for e in manifest.lesson(lesson_id).exercises}
    assert len(cases.WRONG) >= 5 and len(cases.ALTERNATIVES) >= 2
    for case, (_, broken) in cases.WRONG.items():
        assert broken_ids(broken) <= ids, f"{case} names an exercise {lesson_id} does not have"
