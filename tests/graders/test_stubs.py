"""Does a submission that defines every name and does nothing earn nothing, on every exercise of every lesson?

The stubs (tests/graders/stubs.py) keep each solution's names and signatures and return None,
False or [] (a `pass` body is `return None`); checks that a stub happens to satisfy (a missing id
gives None, an empty batch gives []) belong to edge promises, which count only once the main
behaviour works. Graded on SQLite: a stub behaves the same on both databases.
"""

import pytest

from skillbook.course import manifest
from tests.graders.stubs import STUB_VALUES, stub_source, stub_submission


@pytest.mark.sqlite_only
@pytest.mark.parametrize("value", STUB_VALUES)
@pytest.mark.parametrize("lesson_id", list(manifest.lessons()))
def test_do_nothing_stubs_score_zero(lesson_id, value, grade, tmp_path):
    result = grade(stub_submission(lesson_id, value, tmp_path))
    earned = {e.id: f"{e.points:g}/{e.max_points:g} ({e.message})" for e in result.exercises if e.points}
    assert not earned, f"stubs returning {value} earn points: {earned}"


def test_a_stub_keeps_names_and_signatures_and_does_nothing():
    """Does the stub keep imports, the given code, each signature and class base, and drop what the solution does?"""
    solution = '''import asyncio

engine = make_engine()  # given

### BEGIN SOLUTION
LIMIT = 100


class Page(Base, table=True):
    size = 3

    def __init__(self, items):
        self.items = items

    async def first(self, *, n: int = 1) -> list:
        return self.items[:n]


await asyncio.sleep(0)
### END SOLUTION


async def count(session, *, status=None) -> int:
    """Given signature; the body is the learner's."""
    ### BEGIN SOLUTION
    return await session.scalar(status)
    ### END SOLUTION
'''
    assert stub_source(solution, "[]") == '''import asyncio

engine = make_engine()

LIMIT = []

class Page(Base):

    def __init__(self, items):
        pass

    async def first(self, *, n: int=1) -> list:
        return []

async def count(session, *, status=None) -> int:
    return []
'''
