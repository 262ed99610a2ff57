"""L09: does a test suite that asserts nothing earn nothing on the testing exercise?"""

from tests.graders.cases.L09 import WRONG


def test_tests_that_assert_nothing_score_zero(grade, submission):
    """Tests that send requests and assert nothing pass on every app: do they score 0 on L09.app_tests,
    with a message naming a mistake they let through, while the other exercises keep full marks?"""
    result = grade(submission("L09", WRONG["tests-assert-nothing"][0]))
    tests = result.exercise("L09.app_tests")
    assert tests.points == 0, tests
    assert "pass against" in tests.message, tests.message
    assert all(e.passed for e in result.exercises if e.id != "L09.app_tests"), [e for e in result.exercises if not e.passed]
