"""Grade a notebook: a fresh process, its own database and folder, and a hard time limit.

The worker reports each check as it finishes; whatever it did not report (because the notebook
hung, exited or crashed it) scores 0 with a message that says so.
"""

import atexit
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from skillbook.course import manifest
from skillbook.engine import isolation
from skillbook.engine.forkserver import OUTPUT_BYTES, ForkServer, ForkServerError, clean_environment, read_bounded
from skillbook.engine.databases import grading_base_url, isolated_database
from skillbook.course.manifest import Lesson
from skillbook.engine.scoring.known import known_checks
from skillbook.engine.scoring.results import LessonResult
from skillbook.engine.scoring.points import summarise

TOTAL_SECONDS = 240.0  # the whole run, notebook and checks; the process is killed after it
CELL_SECONDS = 30.0  # one notebook cell
LOAD_SECONDS = 120.0  # all the notebook's cells together
CHECK_SECONDS = 20.0  # one check
MEMORY_BYTES = 2 * 1024**3  # each process's address space (RLIMIT_AS), and all of a run's processes together
DISK_BYTES = isolation.DEFAULT_DISK_BYTES  # the run's folder (a tmpfs where namespaces work; else per file)
MAX_PROCESSES = isolation.DEFAULT_MAX_PROCESSES
COPY_LIMIT = 50 * 1024 * 1024
RESULTS_BYTES = 4 * 1024 * 1024  # what the parent reads of results.jsonl: far more than any grader writes
RESULTS_LINES = 20_000
NOTEBOOK_BYTES = 20 * 1024 * 1024  # a notebook larger than this is not parsed (outputs full of data?)
# Set by the engine for every run; the rest of our environment is reduced to an allow-list.
SCRUBBED = ("SKILLBOOK_SKILL_DIR", "SKILLBOOK_GRADING")


class GradingError(Exception):
    """The notebook could not be graded at all (no such file, unknown lesson)."""


def _copy_lesson_folder(notebook: Path, workdir: Path) -> Path:
    """The notebook and the files beside it, so the grader cannot change the learner's own."""
    budget = COPY_LIMIT

    def ignore(folder, names):
        nonlocal budget
        skipped = {n for n in names if n in (".ipynb_checkpoints", "__pycache__", ".git") or n.endswith(".db")}
        for name in names:
            target = Path(folder) / name
            if name not in skipped and target.is_file():
                budget -= target.stat().st_size
                if budget < 0:
                    skipped.add(name)
        return skipped

    copy = workdir / "lesson"
    shutil.copytree(notebook.parent, copy, ignore=ignore, symlinks=True)
    target = copy / notebook.name
    if not target.exists():
        shutil.copy2(notebook, target)
    return target


def scrubbed_environment() -> dict[str, str]:
    """What a notebook may see of our environment: the allow-list of skillbook.engine.forkserver
    (PATH, HOME, LANG, LC_*, TZ, SKILLBOOK_*), without the settings the engine sets per run."""
    return {k: v for k, v in clean_environment().items() if k not in SCRUBBED}


def _environment(database_url: str, workdir: Path) -> dict[str, str]:
    env = scrubbed_environment()
    env.update(
        DATABASE_URL=database_url,
        SKILLBOOK_GRADING="1",
        SKILLBOOK_SKILL_DIR=str(workdir / "no-skill"),
        PYTHONDONTWRITEBYTECODE="1",
        HOME=str(workdir),
        TMPDIR=str(workdir),  # removed with it, and in the sandbox the one folder it may write
    )
    return env


def _read_events(path: Path) -> list[dict]:
    """The run's events: at most RESULTS_BYTES and RESULTS_LINES of them (a notebook can write this file)."""
    events = []
    try:
        with open(path, "rb") as results:
            chunk = results.read(RESULTS_BYTES)
    except OSError:
        return events
    for line in chunk.splitlines()[:RESULTS_LINES]:
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return events


def _stopped_by_limit(workdir: Path) -> dict | None:
    """Why the run's pid 1 ended it (memory or processes of all its processes together), if it did."""
    try:
        with open(workdir / isolation.STOPPED, "rb") as f:
            found = json.loads(f.read(4096))
        return found if isinstance(found, dict) else None
    except (OSError, ValueError):
        return None


def _where(events: list[dict]) -> str:
    """Where the run was when it stopped: the check that started and never reported, or the notebook's cells."""
    reported = {e["check"] for e in events
                if isinstance(e, dict) and e.get("event") == "check" and isinstance(e.get("check"), str)}
    for event in reversed(events):
        if isinstance(event, dict) and event.get("event") == "running" and isinstance(event.get("check"), str):
            if event["check"] not in reported:
                return f"while checking {str(event.get('exercise'))[:80]} ({event['check'][:120]})"
            break
    if reported:
        return "between two checks"
    return "while running your notebook's cells"


def _why_stopped(code: int | None, events: list[dict], output: str, limit: dict | None, total_seconds: float) -> str | None:
    """In words, why this run's result is not the notebook's whole grade; None when the run ended normally.
    The worker's exit status counts: a run ends normally only with exit 0 after its end event."""
    where = _where(events)
    if limit and limit.get("limit") == "processes":
        return f"your code started more than {limit.get('max')} processes at once {where}; grading stopped there"
    if limit:
        return (f"your code used more than {_gigabytes(limit.get('max'))} of memory (all its processes together) "
                f"{where}; grading stopped there")
    if code is None:
        return f"grading stopped after {total_seconds:g} s: your code did not finish {where} (an endless loop?)"
    ends = [e for e in events if isinstance(e, dict) and e.get("event") == "end"]
    tail = " | ".join(output.strip().splitlines()[-5:])[:500]
    if code == -9 or code == 137:
        return f"the grading process was killed {where} (out of memory?); grading stopped there"
    if code < 0:
        return f"the grading process crashed (signal {-code}) {where}; grading stopped there"
    if not ends:
        return (f"the grading process ended early {where} (exit code {code}): "
                "does your code call os._exit, or use up all memory?")
    if code != 0 or ends[-1].get("exit") not in (0, 1):  # 1: some checks failed, which is a normal end
        memory = "MemoryError" in output
        return (f"your code ran out of memory {where}" if memory else
                f"the graders could not finish {where} (exit {ends[-1].get('exit')}): {tail}")
    if not any(isinstance(e, dict) and e.get("event") == "check" for e in events):
        return "the graders did not run: " + tail
    return None


def _gigabytes(value) -> str:
    return f"{value / 1024**3:.3g} GB" if isinstance(value, (int, float)) else "the allowed amount"


def _fresh_process(argv: list[str], *, env: dict[str, str], cwd: Path, timeout: float,
                   limits: dict, bound: list[str]) -> tuple[int | None, str]:
    """A worker in a process started for this notebook alone: through a cold fork server, so it gets
    namespaces of its own (the grading process's pipes out of its reach), or in a bwrap sandbox of its own."""
    if _sandbox is None:
        try:
            with ForkServer(warm=False) as server:
                return server.run(argv, env=env, cwd=cwd, timeout=timeout, limits=limits, folder=cwd.parent, bound=bound)
        except ForkServerError:
            pass  # a plain process, below
    command = [sys.executable, "-m", "skillbook.engine.worker", *argv]
    if _sandbox is not None:
        from skillbook.engine import sandbox

        command = sandbox.command(command, writable=[cwd.parent], network=_sandbox["network"])

    output_path = cwd.parent / "worker-output.txt"
    with open(output_path, "wb") as output:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
            stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            code = None
    return code, read_bounded(output_path, OUTPUT_BYTES)


_warm = threading.local()
_use_fork_servers = False
_sandbox: dict | None = None  # {"network": bool} while grading in a bwrap sandbox (skillbook.engine.sandbox)


def use_fork_servers(enabled: bool = True) -> None:
    """Grade through a warm fork server (one per grading thread): for many notebooks in one process."""
    global _use_fork_servers
    _use_fork_servers = enabled


def use_sandbox(enabled: bool = True, *, network: bool = False) -> None:
    """Grade inside a bubblewrap sandbox (skillbook.engine.sandbox): for other people's notebooks.

    `network` keeps the host's network, which grading on a PostgreSQL server needs. Servers started
    before the change keep their old setting: call it before grading starts.
    """
    global _sandbox
    _sandbox = {"network": network} if enabled else None


def _server() -> ForkServer | None:
    """This thread's warm fork server (started on first use), or None when not grading through one."""
    if not _use_fork_servers:
        return None
    server = getattr(_warm, "server", None)
    if server is not None and (getattr(_warm, "failed", False) or server._process.poll() is not None):
        close_fork_server()  # it failed or died (a time-out, a notebook that killed it): start a new one
        server = None
    if server is None:
        if _sandbox is not None:
            from skillbook.engine.sandbox import SandboxedForkServer

            server = SandboxedForkServer(env=scrubbed_environment(), network=_sandbox["network"])
        else:
            server = ForkServer()
        _warm.server, _warm.failed = server, False
        atexit.register(server.close)
    return server


def close_fork_server() -> None:
    """Stop this thread's fork server now (a grading thread that is done), not at exit."""
    server = getattr(_warm, "server", None)
    _warm.server = None
    if server is not None:
        atexit.unregister(server.close)
        server.close()


def _run_worker(argv: list[str], *, env: dict[str, str], cwd: Path, timeout: float, limits: dict,
                bound: list[str], server: ForkServer | None = None) -> tuple[int | None, str]:
    """Run the grading worker: (exit code or None at the time limit, its output).

    `server` is the caller's own fork server (a learner's kernel keeps one); else this thread's, if any."""
    own = server is None
    server = _server() if own else server
    if server is not None:
        try:
            return server.run(argv, env=env, cwd=cwd, timeout=timeout, limits=limits, folder=cwd.parent, bound=bound)
        except ForkServerError:
            if own:
                _warm.failed = True  # replaced before the next notebook; this one gets a fresh process
    return _fresh_process(argv, env=env, cwd=cwd, timeout=timeout, limits=limits, bound=bound)


def _new_events(path: Path, offset: int, on_event: Callable[[dict], None]) -> int:
    """Pass on the events written after `offset` (whole lines only); the new offset."""
    if offset >= RESULTS_BYTES:  # as far as the parent reads this file at all
        return offset
    try:
        with open(path, "rb") as results:
            results.seek(offset)
            chunk = results.read(RESULTS_BYTES - offset)
    except OSError:
        return offset
    complete = chunk[: chunk.rfind(b"\n") + 1]
    for line in complete.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            on_event(event)
    return offset + len(complete)


@contextlib.contextmanager
def _following(path: Path, on_event: Callable[[dict], None] | None):
    """While the worker runs, pass each event it writes (a check starts, a check ends) to `on_event`."""
    if on_event is None:
        yield
        return
    stop = threading.Event()

    def follow() -> None:
        offset = 0
        while not stop.wait(0.2):
            offset = _new_events(path, offset, on_event)
        _new_events(path, offset, on_event)

    follower = threading.Thread(target=follow, name="skillbook-events", daemon=True)
    follower.start()
    try:
        yield
    finally:
        stop.set()
        follower.join()


def zero_result(lesson: Lesson, why: str) -> LessonResult:
    return summarise(lesson, known_checks(lesson), [], why)


def resolve_lesson(notebook: Path, lesson_id: str | None) -> Lesson:
    if lesson_id:
        try:
            return manifest.lesson(lesson_id)
        except KeyError as exc:
            raise GradingError(exc.args[0]) from None
    found = manifest.lesson_for_path(notebook)
    if found is None:
        raise GradingError(f"cannot tell which lesson {notebook.name} belongs to; pass --lesson (for example --lesson L05)")
    return found


def grade_notebook(
    notebook: Path | str,
    *,
    lesson: str | None = None,
    database_url: str | None = None,
    total_seconds: float = TOTAL_SECONDS,
    check_seconds: float = CHECK_SECONDS,
    cell_seconds: float = CELL_SECONDS,
    load_seconds: float = LOAD_SECONDS,
    memory_bytes: int = MEMORY_BYTES,
    disk_bytes: int = DISK_BYTES,
    max_processes: int = MAX_PROCESSES,
    content: bytes | None = None,
    fork_server: ForkServer | None = None,
    on_event: Callable[[dict], None] | None = None,
    scratch: Path | None = None,
) -> LessonResult:
    """Grade one notebook against its lesson's graders. Raises GradingError only when it cannot grade.

    content:     grade these bytes as the notebook, in its folder (what a learner's kernel ran)
    fork_server: grade through this warm server (a learner's kernel keeps its own)
    on_event:    called from another thread with each event the worker writes while it runs
    scratch:     the folder for the run's files (a learner's check uses memory, /dev/shm: SQLite's
                 writes are a third of a check's time on a disk)
    """
    notebook = Path(notebook)
    the_lesson = resolve_lesson(notebook, lesson)
    known = known_checks(the_lesson)  # before the notebook runs: points come only from these
    if not notebook.is_file():
        raise GradingError(f"no notebook at {notebook}")
    size = len(content) if content is not None else notebook.stat().st_size
    if size > NOTEBOOK_BYTES:  # checked before anything parses it
        return zero_result(the_lesson, f"the notebook is {size / 1024**2:.0f} MB, more than the {NOTEBOOK_BYTES // 1024**2} MB "
                                       "a graded notebook may have: clear its outputs (Edit > Clear Outputs of All Cells) and save it")
    # In a sandboxed fork server, the one folder the sandbox can write is the server's scratch.
    scratch = scratch or getattr(fork_server or _server(), "scratch", None)
    with tempfile.TemporaryDirectory(prefix="skillbook-grade-", dir=scratch) as tmp:
        workdir = Path(tmp)
        copy = _copy_lesson_folder(notebook.resolve(), workdir)
        if content is not None:
            copy.write_bytes(content)
        results = workdir / "results.jsonl"
        results.touch()  # the host's file, bound into the run's tmpfs: the parent reads it afterwards
        limits = {"memory_bytes": memory_bytes, "disk_bytes": disk_bytes, "max_processes": max_processes}
        with isolated_database(grading_base_url(database_url), workdir) as url:
            argv = ["--lesson", the_lesson.id, "--notebook", str(copy), "--results", str(results),
                    "--check-seconds", str(check_seconds), "--cell-seconds", str(cell_seconds),
                    "--load-seconds", str(load_seconds), "--memory-bytes", str(memory_bytes),
                    "--disk-bytes", str(disk_bytes)]
            with _following(results, on_event):
                code, output = _run_worker(argv, env=_environment(url, workdir), cwd=copy.parent,
                                           timeout=total_seconds, limits=limits, bound=[results.name],
                                           server=fork_server)
            events = _read_events(results)
            stopped = _why_stopped(code, events, output, _stopped_by_limit(workdir), total_seconds)
        result = summarise(the_lesson, known, events, stopped)
        # A time or memory limit hit in a cell or a check depends on the machine's load: never cached.
        result.cacheable = stopped is None and not any(
            isinstance(e, dict) and e.get("event") == "check" and e.get("limit") for e in events)
        return result
