"""`skillbook grade-class` (`make autograde`): grade every submission of a class, in parallel.

    skillbook grade-class [--course DIR] [--jobs N] [--lesson L05 ...] [--database-url URL]
    skillbook grade-class --scheduler tcp://host:8786 ...   the grading on Dask (skillbook.instructor.cluster)

It reads nbgrader's submitted/<student>/<lesson dir>/<notebook>.ipynb and grades each with the same
engine as `skillbook grade` (so the same points as `nbgrader autograde`), without a kernel:

- N threads (default: one per CPU), each with its own warm fork server (skillbook.engine.forkserver);
- each submission in its own process, folder and database, with a scrubbed environment, time
  limits and a memory limit; inside a bubblewrap sandbox when bwrap is installed (skillbook.engine.sandbox);
- results in autograded/<student>/<lesson dir>/results.json (for `skillbook feedback` and
  `skillbook grades`), and the points in nbgrader's gradebook (skillbook.instructor.gradebook);
- a broken submission (not JSON, not a notebook, a symbolic link, a hang) costs only itself: it
  gets a zero result that says why, the class goes on, and the broken ones are listed at the end.
"""

import contextlib
import ctypes
import os
import queue
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text
from sqlalchemy.engine import make_url

from skillbook.instructor import coursedir, safe

from skillbook.engine import grade as grading

from skillbook.course import manifest
from skillbook.instructor.coursedir import Stored, Submission
from skillbook.engine.databases import backend, grading_base_url
from skillbook.files import atomic_copy
from skillbook.engine.grade import GradingError, grade_notebook, zero_result
from skillbook.engine.scoring.results import LessonResult

UNRUNNABLE = "Your notebook could not be run"  # how the graders begin a message when nothing could run
PR_SET_DUMPABLE = 4  # linux/prctl.h
MAX_COPY = 20 * 1024 * 1024  # the notebook copy beside results.json (for formgrader); larger is not graded anyway
MAX_TIMESTAMP = 1024  # timestamp.txt: nbgrader writes about 30 bytes; a larger one is not a timestamp
MAX_KEPT = 64 * 1024  # timestamp.txt and submission_secret.txt copied beside results.json


def problem(result: LessonResult) -> str | None:
    """Why a graded submission counts as broken (listed at the end), or None if it was graded normally."""
    if result.error:
        return result.error
    for exercise in result.exercises:
        if exercise.message.startswith(UNRUNNABLE):
            return exercise.message
    return None


def grade_one(submission: Submission, limits: dict) -> tuple[LessonResult, str | None]:
    """Grade one submission; whatever is wrong with it becomes its own zero result, never an exception."""
    refused = coursedir.refusal(submission)
    if refused:
        return zero_result(submission.lesson, refused), refused
    try:
        result = grade_notebook(submission.notebook, lesson=submission.lesson.id, **limits)
    except GradingError as exc:
        return zero_result(submission.lesson, str(exc)), str(exc)
    except Exception as exc:  # one submission must never stop the class; say what happened to it
        why = f"could not be graded ({type(exc).__name__}: {exc})"
        return zero_result(submission.lesson, why), why
    return result, problem(result)


def _grade_in_threads(todo: list[Submission], jobs: int, limits: dict):
    """Yield (submission, result, problem) as threads finish them; each thread has its own fork server."""
    waiting: queue.Queue = queue.Queue()
    for submission in todo:
        waiting.put(submission)
    finished: queue.Queue = queue.Queue()

    def work() -> None:
        try:
            while True:
                try:
                    submission = waiting.get_nowait()
                except queue.Empty:
                    return
                finished.put((submission, *grade_one(submission, limits)))
        finally:
            grading.close_fork_server()

    threads = [threading.Thread(target=work, name=f"grade-{n}", daemon=True) for n in range(min(jobs, len(todo)))]
    for thread in threads:
        thread.start()
    left = len(todo)
    while left:
        try:
            item = finished.get(timeout=1)
        except queue.Empty:
            if any(thread.is_alive() for thread in threads) or not finished.empty():
                continue
            raise RuntimeError(f"the grading threads stopped with {left} submissions not graded") from None
        left -= 1
        yield item
    for thread in threads:
        thread.join()


def _timestamp(submission: Submission) -> str | None:
    """timestamp.txt as nbgrader's collect wrote it, if it is one: a plain file, read no further than
    MAX_TIMESTAMP bytes (a student controls it: it may be 2 GB, or a pipe that never ends)."""
    from nbgrader.utils import parse_utc

    path = submission.folder / "timestamp.txt"
    try:
        if not path.is_file() or path.is_symlink() or path.stat().st_size > MAX_TIMESTAMP:
            return None
        with path.open("rb") as stamp:
            text = stamp.read(MAX_TIMESTAMP).decode("utf-8").strip()
        return str(parse_utc(text)) if text else None
    except (OSError, UnicodeDecodeError, ValueError, OverflowError):
        return None


def _keep(course: Path, submission: Submission) -> None:
    """Beside results.json, as nbgrader autograde leaves them: the notebook (formgrader shows it) and
    the files its feedback exchange needs. Only plain files; never what a link points to."""
    if coursedir.refusal(submission):
        return
    target = coursedir.autograded(course, submission.student, submission.lesson)
    for name, limit in ((submission.lesson.notebook_name, MAX_COPY), *((kept, MAX_KEPT) for kept in coursedir.KEPT)):
        source = submission.folder / name
        if source.is_file() and not source.is_symlink() and source.stat().st_size <= limit:
            atomic_copy(source, target / name)


def sandbox_status(course: Path, wanted: bool, network: bool) -> tuple[bool, str]:
    """Turn the sandbox on if we can, and say in words whether it is on."""
    from skillbook.engine import sandbox

    if not wanted:
        return False, "Sandbox: off (--no-sandbox): submissions run as you and can read your files."
    if sandbox.bwrap() is None:
        why = "bubblewrap (bwrap) is not installed or cannot run here"
        return False, (f"Sandbox: off — {why}. Submissions run as you and can read what you can "
                       "(other submissions, solutions/, the gradebook). Install it: apt-get install bubblewrap")
    grading.use_sandbox(True, network=network)
    text = (f"Sandbox: on ({sandbox.version()}): each submission sees only its own folder, the system and "
            f"the graders; {'network kept for PostgreSQL' if network else 'no network'}.")
    if sandbox.exposes(course):
        text += f"\n  Warning: the course directory {course} is inside a folder the sandbox shows; move it elsewhere."
    return True, text


def _say(console: Console, text) -> None:
    """Print text that may hold a student's words: never read as rich markup, no control characters."""
    if isinstance(text, str):
        text = safe.text(text)
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def database_status(base: str | None) -> tuple[bool, str | None]:
    """(may we grade on this database, what to say about it). On PostgreSQL every submission needs a
    role of its own, so that the server's URL never reaches a notebook (skillbook.engine.databases)."""
    from skillbook.engine.databases import may_create_roles, trusts_without_password

    if backend(base) != "postgresql":
        return True, None
    where = make_url(base).render_as_string(hide_password=True)
    try:
        if not may_create_roles(base):
            return False, (f"Cannot grade on {where}: its role may not create roles (CREATEROLE), and every submission "
                           "needs a role of its own so that your URL and password never reach a notebook. "
                           "Use a role with CREATEROLE and CREATEDB, or grade on SQLite.")
        if trusts_without_password(base):
            return True, (f"Warning: {where} lets anyone on this machine connect as {make_url(base).username} without a "
                          "password (`trust` in pg_hba.conf): a submission can too, whatever role it is given. "
                          "Require passwords (scram-sha-256) on a server that grades other people's notebooks.")
    except Exception as exc:  # noqa: BLE001 - cannot reach it: say so, grade nothing
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        return False, f"Cannot reach {where}: {first}"
    return True, None


@contextlib.contextmanager
def _unreadable_by_submissions():
    """While grading, this process's /proc files (its environment: TEST_DATABASE_URL with its password)
    belong to root, so a submission running as you cannot read them (prctl PR_SET_DUMPABLE 0). Its
    command line stays readable by anyone: never put a password in --database-url."""
    libc = None
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            libc = ctypes.CDLL(None, use_errno=True)
    if libc is None or libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        yield
        return
    try:
        yield
    finally:
        libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)


def _open_gradebook(url: str, console: Console):
    from skillbook.instructor.gradebook import GradebookWriter

    try:
        return GradebookWriter(url)
    except Exception as exc:  # grade anyway: results.json still feeds feedback and grades
        _say(console, f"Cannot open the gradebook {url} ({type(exc).__name__}: {exc}); results go to autograded/ only.")
        return None


def run(course: Path, *, jobs: int | None = None, lessons: list[str] | None = None, database_url: str | None = None,
        sandbox: bool = True, gradebook_url: str | None = None, limits: dict | None = None,
        console: Console | None = None, cluster=None) -> int:
    """Grade the course's submissions here in `jobs` threads, or on a Dask cluster
    (skillbook.instructor.cluster.Cluster); results, gradebook and progress stay here either way."""
    from skillbook.instructor.gradebook import default_url

    console = console or Console()
    course = course.resolve()
    chosen = [manifest.lesson(each) for each in lessons] if lessons else None
    todo, skipped = coursedir.submissions(course, chosen)
    for note in skipped:
        _say(console, f"Skipped {note}")
    if not todo:
        _say(console, f"No submissions in {course / 'submitted'} (expected submitted/<student>/<lesson dir>/<notebook>.ipynb).")
        return 1
    jobs = max(1, jobs or os.cpu_count() or 1)
    base = grading_base_url(database_url)
    usable, said = database_status(base)
    if said:
        _say(console, said)
    if not usable:
        return 1
    gradebook_url = gradebook_url or default_url(course)
    writer = _open_gradebook(gradebook_url, console)
    known = writer.lessons() if writer else set()
    for lesson_dir in sorted({s.lesson.dir for s in todo} - known if writer else ()):
        _say(console, f"The gradebook has no {lesson_dir}: its results go to autograded/ only. "
                      "Run `make lessons` (nbgrader generate_assignment) with this course directory first.")
    broken: list[tuple[Submission, str]] = []
    unrecorded: list[tuple[Submission, str]] = []
    graded: list[tuple[Submission, LessonResult]] = []
    limits = {**(limits or {}), "database_url": base}
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("left"), TimeRemainingColumn())
    hidden = contextlib.ExitStack()
    try:
        hidden.enter_context(_unreadable_by_submissions())
        if cluster is None:
            sandboxed, status = sandbox_status(course, sandbox, network=backend(base) != "sqlite")
            grading.use_fork_servers()
            label, grade = f"{jobs} jobs", lambda: _grade_in_threads(todo, jobs, limits)
        else:
            sandboxed, status = cluster.start(sandbox, network=backend(base) != "sqlite")
            label, grade = cluster.label, lambda: cluster.grade(todo, limits)
        _say(console, status)
        started = time.monotonic()
        with Progress(*columns, console=console) as progress:
            task = progress.add_task(f"Grading ({label})", total=len(todo))
            for submission, result, why in grade():
                stamp = datetime.now(UTC).isoformat(timespec="seconds")
                coursedir.store(course, Stored(submission.student, submission.lesson, result, why, stamp, sandboxed))
                _keep(course, submission)
                if submission.lesson.dir in known:
                    try:
                        writer.record(submission, result, _timestamp(submission))
                    except Exception as exc:  # a gradebook problem with one row must not lose the others
                        unrecorded.append((submission, f"{type(exc).__name__}: {exc}"))
                if why:
                    broken.append((submission, why))
                    _say(progress.console, Text.assemble((safe.text(submission.name), "yellow"), f": {safe.text(why)}"))
                graded.append((submission, result))
                progress.advance(task)
    finally:
        if writer:
            writer.close()
        grading.use_sandbox(False)
        hidden.close()
    _summary(console, graded, broken, unrecorded, time.monotonic() - started, label, gradebook_url if writer else None)
    return 0


def _summary(console: Console, graded, broken, unrecorded, seconds: float, label: str, gradebook_url: str | None) -> None:
    table = Table(title=f"Graded {len(graded)} submissions in {seconds:.1f} s ({label})", title_justify="left")
    for name, justify in (("lesson", "left"), ("submissions", "right"), ("mean", "right"), ("full marks", "right"), ("broken", "right")):
        table.add_column(name, justify=justify)
    broken_names = {s.name for s, _ in broken}
    for lesson in sorted({s.lesson for s, _ in graded}, key=lambda each: each.id):
        mine = [(s, r) for s, r in graded if s.lesson == lesson]
        mean = sum(r.points for _, r in mine) / len(mine)
        table.add_row(lesson.id, str(len(mine)), f"{mean:.1f}/{lesson.max_points:g}",
                      str(sum(r.points == lesson.max_points for _, r in mine)), str(sum(s.name in broken_names for s, _ in mine)))
    console.print(table)
    where = f"points in the gradebook {gradebook_url}" if gradebook_url else "no gradebook"
    _say(console, f"Results: autograded/<student>/<lesson>/results.json; {where}")
    if broken:
        _say(console, f"Could not be graded normally ({len(broken)}), scored as the results say:")
        for submission, why in broken:
            _say(console, f"  {submission.name}: {why}")
    for submission, why in unrecorded:
        _say(console, f"Not in the gradebook: {submission.name}: {why}")
