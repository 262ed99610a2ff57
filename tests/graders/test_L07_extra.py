"""L07: does a read-modify-write transfer without a lock lose points under concurrency on PostgreSQL?"""

import pytest

from skillbook.engine.databases import backend, grading_base_url
from tests.graders.cases.L07 import RACE
from tests.graders.submissions import assert_only_broken_lose_points


@pytest.mark.parametrize("case", RACE)
def test_lost_updates_lose_points_on_postgres(case, grade, submission, database_url):
    """Does a transfer that reads, then writes without a lock, lose points under concurrency (PostgreSQL)?"""
    result = grade(submission("L07", RACE[case][0]))
    if backend(grading_base_url(database_url)) == "postgresql":
        assert_only_broken_lose_points(result, {case: RACE[case]})
    else:  # SQLite lets one writer in at a time: no update can be lost, and full marks are right
        assert result.points == result.max_points, [e for e in result.exercises if not e.passed]


