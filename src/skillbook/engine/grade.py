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
from skillbook.engine.forkserver import ForkServer, ForkServerError
from skillbook.engine.databases import grading_base_url, isolated_database
from skillbook.course.manifest import Lesson
from skillbook.engine.scoring.known import known_checks
from skillbook.engine.results import LessonResult
from skillbook.engine.scoring.points import summarise

TOTAL_SECONDS = 240.0  # the whole run, notebook and checks; the process is killed after it
CELL_SECONDS = 30.0  # one notebook cell
LOAD_SECONDS = 120.0  # all the notebook's cells together
CHECK_SECONDS = 20.0  # one check
MEMORY_BYTES = 2 * 1024**3  # address space of the grading process (RLIMIT_AS): a huge allocation fails there
COPY_LIMIT = 50 * 1024 * 1024
# What the notebook's process may not inherit: our own settings and the usual secret carriers.
SCRUBBED = ("DATABASE_URL", "TEST_DATABASE_URL", "SKILLBOOK_SKILL_DIR", "JPY_SESSION_NAME")
SECRET_WORDS = ("PASSWORD", "SECRET", "TOKEN", "KEY", "CREDENTIAL")


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
    """Our environment without our settings and anything that looks like a secret."""
    return {
        k: v for k, v in os.environ.items()
        if k not in SCRUBBED and not any(word in k.upper() for word in SECRET_WORDS)
    }


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
    events = []
    if path.exists():
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return events


def _fresh_process(argv: list[str], *, env: dict[str, str], cwd: Path, timeout: float) -> tuple[int | None, str]:
    command = [sys.executable, "-m", "skillbook.engine.worker", *argv]
    if _sandbox is not None:
        from skillbook.engine import sandbox

        command = sandbox.command(command, writable=[cwd.parent], network=_sandbox["network"])
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
        return process.returncode, output.decode(errors="replace")
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        return None, output.decode(errors="replace")


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


def _run_worker(argv: list[str], *, env: dict[str, str], cwd: Path, timeout: float,
                server: ForkServer | None = None) -> tuple[int | None, str]:
    """Run the grading worker: (exit code or None at the time limit, its output).

    `server` is the caller's own fork server (a learner's kernel keeps one); else this thread's, if any."""
    own = server is None
    server = _server() if own else server
    if server is not None:
        try:
            return server.run(argv, env=env, cwd=cwd, timeout=timeout)
        except ForkServerError:
            if own:
                _warm.failed = True  # replaced before the next notebook; this one gets a fresh process
    return _fresh_process(argv, env=env, cwd=cwd, timeout=timeout)


def _new_events(path: Path, offset: int, on_event: Callable[[dict], None]) -> int:
    """Pass on the events written after `offset` (whole lines only); the new offset."""
    try:
        with open(path, "rb") as results:
            results.seek(offset)
            chunk = results.read()
    except OSError:
        return offset
    complete = chunk[: chunk.rfind(b"\n") + 1]
    for line in complete.splitlines():
        try:
            on_event(json.loads(line))
        except ValueError:
            continue
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
    # In a sandboxed fork server, the one folder the sandbox can write is the server's scratch.
    scratch = scratch or getattr(fork_server or _server(), "scratch", None)
    with tempfile.TemporaryDirectory(prefix="skillbook-grade-", dir=scratch) as tmp:
        workdir = Path(tmp)
        copy = _copy_lesson_folder(notebook.resolve(), workdir)
        if content is not None:
            copy.write_bytes(content)
        results = workdir / "results.jsonl"
        with isolated_database(grading_base_url(database_url), workdir) as url:
            argv = ["--lesson", the_lesson.id, "--notebook", str(copy), "--results", str(results),
                    "--check-seconds", str(check_seconds), "--cell-seconds", str(cell_seconds),
                    "--load-seconds", str(load_seconds), "--memory-bytes", str(memory_bytes)]
            with _following(results, on_event):
                code, output = _run_worker(argv, env=_environment(url, workdir), cwd=copy.parent,
                                           timeout=total_seconds, server=fork_server)
            stopped = None
            if code is None:
                stopped = f"grading stopped after {total_seconds:g} s: the notebook or a check never finished"
            events = _read_events(results)
            if stopped is None and not any(e.get("event") == "end" for e in events):
                last = next((e for e in reversed(events) if e.get("event") == "check"), None)
                where = f"after checking {last['check']}" if last else "while running your notebook"
                stopped = (f"the grading process ended early {where} (exit code {code}): "
                           "does your code call os._exit, or use up all memory?")
            if stopped is None and not any(e.get("event") == "check" for e in events):
                tail = output.strip().splitlines()[-5:]
                stopped = "the graders did not run: " + " | ".join(tail)
        return summarise(the_lesson, known, events, stopped)
