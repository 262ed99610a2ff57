"""Do results read as a learner needs them: the database on every line, the next hint's command,
and in watch only the first failing exercise with the rest in one line?"""

import io
import time

import pytest

from skillbook.course import manifest
from skillbook.engine.scoring.results import ExerciseResult, LessonResult
from skillbook.learner.hint import HintLevelError, hint_lines
from skillbook.learner.report import Running, exercise_lines, first_failure_text, lesson_text, shown_in_terminal


def _result(*passed: bool) -> LessonResult:
    exercises = [ExerciseResult(id=e.id, points=e.points if ok else 0, max_points=e.points, passed=ok,
                                message="" if ok else f"{e.name} is wrong", hint="" if ok else e.hint)
                 for e, ok in zip(manifest.lesson("L05").exercises, passed)]
    return LessonResult(lesson="L05", points=sum(e.points for e in exercises), max_points=19, exercises=exercises)


def test_every_result_line_names_the_database():
    text = lesson_text(_result(True, False, True, True, True, True), "Async CRUD", "PostgreSQL")
    lines = [line for line in text.splitlines() if line.strip().startswith(("✓", "✗"))]
    assert len(lines) == 6 and all(line.endswith("· PostgreSQL") for line in lines)
    assert "More help: make hint E=L05.get_task LEVEL=2" in text


def test_a_failure_names_the_promise_not_kept_and_its_own_hint():
    """Does a failing exercise show the promise whose check failed and that promise's hint, then the
    command for the exercise's hints from level 1 (none of them was shown)?"""
    ex = ExerciseResult(id="L05.get_task", points=1, max_points=2, passed=False, message="get_task(9999) raised KeyError",
                        hint="Missing ids are not an error here.", promise="returns `None` for an id that does not exist")
    lines = exercise_lines(ex, "SQLite")
    assert lines[1:] == ["    Not yet: returns `None` for an id that does not exist",
                         "    What was wrong: get_task(9999) raised KeyError",
                         "    Hint: Missing ids are not an error here.",
                         "    More help: make hint E=L05.get_task LEVEL=1"]
    fallback = ExerciseResult(id="L05.get_task", points=0, max_points=2, passed=False, message="wrong",
                              hint=manifest.exercise("L05.get_task").hint)
    assert exercise_lines(fallback)[-1] == "    More help: make hint E=L05.get_task LEVEL=2"


def test_watch_shows_the_first_failure_and_the_rest_in_one_line():
    text = first_failure_text(_result(True, True, False, True, False, True), "Async CRUD", "SQLite")
    assert text.count("What was wrong:") == 1 and "✗ L05.list_tasks" in text and "Hint:" in text
    assert text.splitlines()[-1] == ("  The rest: 2 before it pass; of the 3 after it, 2 pass and 1 fail "
                                     "(make check L=L05 lists every one).")
    assert "L05.delete_task" not in text  # the later failure waits its turn
    done = first_failure_text(_result(*[True] * 6), "Async CRUD", "SQLite")
    assert done.startswith("✓ L05 Async CRUD: all 6 exercises pass on SQLite (19/19 points)")


def test_hint_levels_start_at_one_and_refuse_the_rest_in_words():
    exercise = manifest.exercise("L05.create_task")
    count = len(exercise.hints)
    assert hint_lines(exercise, 1)[-1] == "(next: make hint E=L05.create_task LEVEL=2)"
    assert len(hint_lines(exercise, count)) == count
    for level in (0, -1, count + 1):
        with pytest.raises(HintLevelError, match=f"LEVEL can be 1 to {count}"):
            hint_lines(exercise, level)


def test_ids_are_case_insensitive_and_unknown_ones_list_the_valid():
    assert manifest.lesson("l05").id == "L05" and manifest.lesson("l05_CRUD").id == "L05"
    assert manifest.exercise("l05.Create_Task").id == "L05.create_task"
    with pytest.raises(KeyError, match="its exercises: L05.create_task, L05.get_task"):
        manifest.exercise("L05.nope")


def test_a_slow_check_says_which_check_runs_in_a_terminal():
    running = Running("L05", "SQLite")
    out = io.StringIO()  # not a terminal: a line when the checks of another exercise start
    with shown_in_terminal(running, out, after=0.1):
        time.sleep(0.7)
        running({"event": "start"})
        running({"event": "running", "exercise": "L05.list_tasks", "check": "test_pages",
                 "question": "Do pages overlap?"})
        time.sleep(0.7)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("⏳ Checking L05 on SQLite:") and lines[0].endswith("now starting the grader")
    assert "now L05.list_tasks — Do pages overlap? (" in lines[-1]
