"""Points come only from checks the graders hold, each counted once, with the graders' weights."""

import math

import pytest

from skillbook.course import manifest
from skillbook.engine.scoring.known import known_checks
from skillbook.engine.scoring.points import summarise

L00 = manifest.lesson("L00")


def honest(lesson, *, passed=True) -> list[dict]:
    return [{"event": "check", "exercise": c.exercise, "check": c.name, "weight": c.weight, "passed": passed,
             "message": "" if passed else "wrong"} for c in known_checks(lesson)]


def test_known_checks_come_from_the_grader_files():
    """Does every exercise of every lesson have checks, with finite positive weights and names pytest reports?"""
    for lesson in manifest.lessons().values():
        checks = known_checks(lesson)
        assert {c.exercise for c in checks} == {e.id for e in lesson.exercises}, lesson.id
        assert all(math.isfinite(c.weight) and c.weight > 0 for c in checks)
        assert all(c.name.startswith(c.function) for c in checks)


def test_all_known_checks_passing_earn_full_marks():
    result = summarise(L00, known_checks(L00), honest(L00), None)
    assert result.points == L00.max_points and not result.ignored


def test_forged_weights_and_unknown_checks_earn_nothing():
    """Negative, huge, NaN weights and checks the graders do not hold change no point."""
    known = known_checks(L00)
    failing = honest(L00, passed=False)
    first = known[0]
    forged = [
        {"event": "check", "exercise": first.exercise, "check": "test_bonus", "weight": 1e9, "passed": True},
        {"event": "check", "exercise": first.exercise, "check": first.name, "weight": -1e9, "passed": True},
        {"event": "check", "exercise": first.exercise, "check": first.name, "weight": float("nan"), "passed": True},
        {"event": "check", "exercise": "L05.create_task", "check": known[1].name, "weight": 5, "passed": True},
        "not a record", {"event": "check"}, {"event": "check", "check": first.name, "passed": "yes"},
    ]
    result = summarise(L00, known, failing + forged, None)
    assert result.points == 0
    assert len(result.ignored) == len(forged) - 1  # the string is not even a record
    assert all(math.isfinite(e.points) and 0 <= e.points <= e.max_points for e in result.exercises)


def test_a_check_counts_by_its_first_report():
    known = known_checks(L00)
    first_fails = honest(L00, passed=False)[:1] + honest(L00)
    result = summarise(L00, known, first_fails, None)
    assert result.points < L00.max_points
    assert any("second result" in why for why in result.ignored)


def test_a_known_check_that_never_reported_scores_zero():
    """A process that ends after two of an exercise's checks does not pass the exercise."""
    known = known_checks(L00)
    reported = honest(L00)[:-1]
    result = summarise(L00, known, reported, "the grading process ended early")
    last = result.exercise(known[-1].exercise)
    assert not last.passed and last.points < last.max_points
    assert "ended early" in last.message


@pytest.mark.parametrize("lesson_id", ["L00", "L05"])
def test_nothing_reported_is_zero_everywhere(lesson_id):
    lesson = manifest.lesson(lesson_id)
    result = summarise(lesson, known_checks(lesson), [], "the notebook never ran")
    assert result.points == 0 and all(not e.passed and e.message == "the notebook never ran" for e in result.exercises)
