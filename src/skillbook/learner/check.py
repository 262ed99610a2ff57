"""`await check("L05.create_task")`: the body of every nbgrader test cell.

It grades the saved notebook with the same graders as `skillbook grade` and `make check`
(one grading run per saved version of the notebook, shared by all its check cells), prints
the result in words on stdout, and returns the points, which nbgrader records as the cell's
partial credit. It never raises and never writes to stderr.
"""

import asyncio
import time

from skillbook.course import manifest
from skillbook.course.locate import lesson_notebook
from skillbook.learner.report import exercise_lines


async def check(exercise_id: str) -> float:
    import os

    if os.environ.get("SKILLBOOK_GRADING"):
        # Our own loader skips test cells; this guards against a cell that lost its tags.
        return 0
    try:
        exercise = manifest.exercise(exercise_id)
        lesson = manifest.lesson(exercise_id.split(".", 1)[0])
    except KeyError as exc:
        print(f"✗ {exc.args[0]}")
        return 0
    try:
        notebook = lesson_notebook(lesson)
        saved = time.strftime("%H:%M:%S", time.localtime(notebook.stat().st_mtime))
        from skillbook.engine.cache import cached_grade

        result = await asyncio.to_thread(cached_grade, notebook, lesson)
    except Exception as exc:  # a check cell must not fail: say why and score 0
        print(f"✗ {exercise_id}  0/{exercise.points:g}\n    Could not check: {exc}")
        return 0
    ex = result.exercise(exercise_id)
    print("\n".join(exercise_lines(ex)))
    print(f"(checked {notebook.name} as saved at {saved}; save with Ctrl+S before checking again)")
    return ex.points
