"""Does a submission that defines every name and does nothing earn nothing, on every exercise of every lesson?

The stubs (tests/graders/stubs.py) keep each solution's names and signatures and return None,
False or [] (a `pass` body is `return None`); checks that a stub happens to satisfy (a missing id
gives None, an empty batch gives []) belong to edge promises, which count only once the main
behaviour works. Graded on SQLite: a stub behaves the same on both databases.
"""

import pytest

from skillbook.course import manifest
from tests.graders.stubs import STUB_VALUES, stub_submission


@pytest.mark.sqlite_only
@pytest.mark.parametrize("value", STUB_VALUES)
@pytest.mark.parametrize("lesson_id", list(manifest.lessons()))
def test_do_nothing_stubs_score_zero(lesson_id, value, grade, tmp_path):
    result = grade(stub_submission(lesson_id, value, tmp_path))
    earned = {e.id: f"{e.points:g}/{e.max_points:g} ({e.message})" for e in result.exercises if e.points}
    assert not earned, f"stubs returning {value} earn points: {earned}"
