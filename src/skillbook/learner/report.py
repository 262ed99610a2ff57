"""What a learner reads: results in words (one line an exercise, then the promise not kept yet, what
was wrong and that promise's hint), and, while a check runs, what it is doing: after 2 s, which check runs and for how long.

The engine passes on each event its worker writes (a check starts, a check ends); Running keeps
the latest and words it. In a notebook the words go into one display that updates in place and is
emptied when the check ends, however it ends (a result, a time limit, an interrupt); in a terminal
they go into one line, rewritten in place when the terminal allows it.
"""

import asyncio
import contextlib
import sys
import threading
import time

from skillbook.course import manifest
from skillbook.engine.scoring.results import ExerciseResult, LessonResult


def _points(value: float) -> str:
    return f"{value:g}"


def more_hints(exercise_id: str, shown: int = 1) -> str | None:
    """The command that shows the next hint, if the exercise has one after the `shown` first."""
    try:
        count = len(manifest.exercise(exercise_id).hints)
    except KeyError:
        return None
    return f"make hint E={exercise_id} LEVEL={shown + 1}" if count > shown else None


def _hints_shown(ex: ExerciseResult) -> int:
    """1 when the hint shown is the exercise's level-1 hint; 0 when it is a promise's own hint."""
    try:
        return int(ex.hint == manifest.exercise(ex.id).hint)
    except KeyError:
        return 1


def exercise_lines(ex: ExerciseResult, database: str = "") -> list[str]:
    """The result line; for a failure, the promise not kept yet, what was wrong, and that promise's hint."""
    mark = "✓" if ex.passed else "✗"
    on = f"  · {database}" if database else ""
    lines = [f"{mark} {ex.id}  {_points(ex.points)}/{_points(ex.max_points)}{on}"]
    if not ex.passed:
        if ex.promise:
            lines.append(f"    Not yet: {ex.promise}")
        lines.append(f"    What was wrong: {ex.message}")
        if ex.hint:
            lines.append(f"    Hint: {ex.hint}")
            if command := more_hints(ex.id, _hints_shown(ex)):
                lines.append(f"    More help: {command}")
    return lines


def lesson_text(result: LessonResult, title: str = "", database: str = "") -> str:
    head = f"{result.lesson} {title}".strip()
    lines = [f"{head}: {_points(result.points)}/{_points(result.max_points)} points"]
    if result.error:
        lines.append(f"  Note: {result.error}")
    for ex in result.exercises:
        lines.extend("  " + line for line in exercise_lines(ex, database))
    passed = sum(ex.passed for ex in result.exercises)
    lines.append(f"  {passed} of {len(result.exercises)} exercises pass.")
    if passed < len(result.exercises):
        lines.append("  These checks are a guide; your instructor's grade comes from the same graders on your submitted notebook.")
    return "\n".join(lines)


def first_failure_text(result: LessonResult, title: str = "", database: str = "") -> str:
    """As rustlings shows it: the first exercise that fails, its message and hint, the rest in one line."""
    exercises = result.exercises
    failing = next((i for i, ex in enumerate(exercises) if not ex.passed), None)
    on = f" on {database}" if database else ""
    head = f"{result.lesson} {title}".strip()
    if failing is None:
        return (f"✓ {head}: all {len(exercises)} exercises pass{on} "
                f"({_points(result.points)}/{_points(result.max_points)} points). Next: run the Reflect cell.")
    lines = [f"{head}: {_points(result.points)}/{_points(result.max_points)} points{on}"]
    if result.error:
        lines.append(f"  Note: {result.error}")
    lines.extend("  " + line for line in exercise_lines(exercises[failing], database))
    before, after = exercises[:failing], exercises[failing + 1:]
    summary = []
    if before:
        summary.append(f"{len(before)} before it pass")
    if after:
        passing = sum(ex.passed for ex in after)
        summary.append(f"of the {len(after)} after it, {passing} pass and {len(after) - passing} fail")
    if summary:
        lines.append(f"  The rest: {'; '.join(summary)} (make check L={result.lesson} lists every one).")
    return "\n".join(lines)


# --- While a check runs --------------------------------------------------------------------------


SHOW_AFTER = 2.0  # seconds a check runs before it says what it is doing
EVERY = 0.5  # seconds between updates


class Running:
    """Fed with the worker's events (from the engine's thread); says what is running."""

    def __init__(self, lesson_id: str, database: str = "") -> None:
        self.lesson_id = lesson_id
        self.database = database
        self.started = time.monotonic()
        self.current: dict | None = None
        self.current_since = self.started
        self.finished = 0
        self.worker_started = False

    def __call__(self, event: dict) -> None:
        if event.get("event") == "start":
            self.worker_started = True
        elif event.get("event") == "running":
            self.current, self.current_since = event, time.monotonic()
        elif event.get("event") == "check":
            self.finished += 1

    def exercise(self) -> str:
        """The exercise whose check runs now ("" before the first)."""
        return (self.current or {}).get("exercise") or ""

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def text(self) -> str:
        where = f" on {self.database}" if self.database else ""
        head = f"⏳ Checking {self.lesson_id}{where}: {self.elapsed():.0f} s so far"
        if self.current is None:
            doing = "running your notebook's cells" if self.worker_started else "starting the grader"
            return f"{head}; now {doing}"
        what = self.current.get("question") or self.current.get("check", "")
        return f"{head}; now {self.current.get('exercise')} — {what} ({time.monotonic() - self.current_since:.0f} s)"


async def shown_in_notebook(work, running: Running, *, stop=None, after: float = SHOW_AFTER):
    """Await `work`; once it has run `after` seconds, show running.text() in a display that updates.

    The display is emptied however the wait ends; `stop()` is called if the wait is interrupted,
    so the grading it waits for ends too.
    """
    from IPython.display import display

    task = asyncio.ensure_future(work)
    handle = None
    try:
        while not task.done():
            await asyncio.wait({task}, timeout=EVERY)
            if task.done() or running.elapsed() < after:
                continue
            shown = {"text/plain": running.text()}
            if handle is None:
                handle = display(shown, raw=True, display_id=True)
            else:
                handle.update(shown, raw=True)
        return task.result()
    except BaseException:
        if not task.done() and stop is not None:
            stop()
        raise
    finally:
        if handle is not None:
            handle.update({"text/plain": ""}, raw=True)


@contextlib.contextmanager
def shown_in_terminal(running: Running, stream=None, *, after: float = SHOW_AFTER):
    """While the block runs, after `after` seconds: one line that says what the check is doing.

    On a terminal the line is rewritten in place and wiped at the end; elsewhere (a pipe, a log)
    a line is written when it starts and each time the checks of another exercise start.
    """
    stream = stream or sys.stdout
    live = stream.isatty()
    done = threading.Event()
    shown = {"last": "", "width": 0}

    def tick() -> None:
        while not done.wait(EVERY):
            if running.elapsed() < after:
                continue
            text = running.text()
            if live:
                stream.write("\r" + text.ljust(shown["width"]))
                shown["width"] = len(text)
            else:
                if running.exercise() == shown["last"] and shown["width"]:
                    continue
                shown["last"], shown["width"] = running.exercise(), len(text)
                stream.write(text + "\n")
            stream.flush()

    ticker = threading.Thread(target=tick, name="skillbook-progress", daemon=True)
    ticker.start()
    try:
        yield running
    finally:
        done.set()
        ticker.join()
        if live and shown["width"]:
            stream.write("\r" + " " * shown["width"] + "\r")
            stream.flush()
