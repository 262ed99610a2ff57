"""`await check("L05.create_task")`: the body of every nbgrader test cell.

It grades what the learner ran: the saved notebook, with the source of every cell the kernel ran
(skillbook.learner.kernel) in place of the saved one, so an unsaved fix is checked as it ran; when
the saved file differs it says in which exercises. It grades with the same graders as
`skillbook grade` and `make check`, on the learner's database (skillbook.learner.database), once per
version of the notebook, shared by all its check cells (skillbook.engine.cache), through the
kernel's warm grading server. After 2 s it shows which check runs. It prints the result in words
and returns the points, which nbgrader records as the cell's partial credit. It never raises and
never writes to stderr.
"""

import asyncio
import os
import threading

from skillbook.course import manifest
from skillbook.course.locate import lesson_notebook
from skillbook.engine.scoring.results import LessonResult
from skillbook.learner import database, kernel, notebooks
from skillbook.learner.report import Running, exercise_lines, shown_in_notebook

_one_at_a_time = threading.Lock()  # the kernel's grading server grades one notebook at a time


def _grade(notebook, lesson, content: bytes | None, running: Running, server) -> tuple[LessonResult, database.Target]:
    from skillbook.engine.cache import cached_grade

    with _one_at_a_time:
        where = database.target()
        running.database = where.name
        result = cached_grade(notebook, lesson, content=content, database_url=where.url,
                              fork_server=server, on_event=running, scratch=kernel.scratch())
        return result, where


async def check(exercise_id: str) -> float:
    if os.environ.get("SKILLBOOK_GRADING"):
        # Our own loader skips test cells; this guards against a cell that lost its tags.
        return 0
    try:
        exercise = manifest.exercise(exercise_id)
        lesson = manifest.lesson(exercise.id.split(".", 1)[0])
    except KeyError as exc:
        print(f"✗ {exc.args[0]}")
        return 0
    points = f"0/{exercise.points:g}"
    try:
        notebook = lesson_notebook(lesson)
    except FileNotFoundError as exc:
        print(f"✗ {exercise.id}  {points}\n    Could not check: {exc}")
        return 0
    raw, problem = notebooks.load(notebook, lesson)
    if problem:
        print(f"✗ {exercise.id}  {points}\n    Could not check: {problem}")
        return 0
    ran = notebooks.with_ran_sources(raw, kernel.ran(), lesson)
    running = Running(lesson.id)
    server = kernel.server()  # None outside a kernel: a fresh grading process then
    try:
        result, where = await shown_in_notebook(
            asyncio.to_thread(_grade, notebook, lesson, ran.content, running, server), running,
            stop=server.interrupt if server else None)
    except Exception as exc:  # a check cell must not fail: say why and score 0
        print(f"✗ {exercise.id}  {points}\n    Could not check: {exc}")
        return 0
    except (asyncio.CancelledError, KeyboardInterrupt):  # the learner stopped it: say so, and stop
        print(f"Check of {exercise.id} stopped after {running.elapsed():.0f} s: you interrupted it.")
        raise
    ex = result.exercise(exercise.id)
    lines = exercise_lines(ex, where.name)
    if where.note:
        lines.append(f"    ({where.note})")
    if note := notebooks.difference_note(ran):
        lines.append(f"({note})")
    print("\n".join(lines))
    return ex.points
