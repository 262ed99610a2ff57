"""L05: is a list_tasks without ORDER BY told to order, on both databases (not sent to look at its filters)?"""

from tests.graders.cases.L05 import WRONG


def test_missing_order_by_is_diagnosed_as_order(grade, submission):
    """Without .order_by, does every failing list_tasks check say to add it, on SQLite and on PostgreSQL?

    SQLite happens to return rows in id order, PostgreSQL (after an UPDATE) does not: judged by the
    rows alone, PostgreSQL's pages looked like a filter or offset bug."""
    result = grade(submission("L05", WRONG["list-without-order-by"][0]))
    listed = result.exercise("L05.list_tasks")
    assert not listed.passed
    failed = [c for c in listed.checks if not c["passed"]]
    assert failed
    for check in failed:
        assert ".order_by(Task.id)" in check["message"] and "Check the filters" not in check["message"], check
