"""A warm process that forks one grading process per notebook.

Starting Python and importing pytest, SQLAlchemy, SQLModel, FastAPI and Alembic costs about a third of
a grading run. A fork server pays that once: it imports them, then forks a child for every notebook.
The child is still a process of its own (own memory, own session, own environment, own working
folder, killed as a group on time-out), so isolation is what a fresh process gives.

    server = ForkServer()                      # one per thread that grades
    code, output = server.run(argv, env=..., cwd=..., timeout=...)
    server.close()

Protocol on the server's stdin/stdout, one JSON object per line:
    hello    {"isolation": "namespaces"}    (or "process group": skillbook.engine.isolation)
    request  {"argv": [...], "env": {...}, "cwd": "...", "output": "file", "limits": {...},
              "folder": "the run's folder, made a tmpfs", "bound": ["results.jsonl"]}
    replies  {"pid": 1234}  then  {"exit": 0}   (exit is -9 and the like for a signal)

The server is started with an allow-listed environment (clean_environment()): a forked child's
/proc/self/environ shows the block its server was started with, whatever os.environ says later.
"""

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from skillbook.engine import isolation

WARM = (
    "pytest", "_pytest.assertion.rewrite", "pytest_asyncio.plugin", "sqlalchemy", "sqlalchemy.ext.asyncio",
    "sqlalchemy.dialects.postgresql.asyncpg", "sqlalchemy.dialects.sqlite.aiosqlite", "sqlmodel",
    "sqlmodel.ext.asyncio.session", "aiosqlite", "asyncpg", "fastapi", "httpx", "alembic.command",
    "skillbook.engine.worker", "skillbook.engine.pytest_plugin", "skillbook.engine.loading",
)


OUTPUT_BYTES = 64 * 1024  # what the parent reads of a worker's output: its end
# What a notebook's process may see of the environment (issue 11): the rest, secrets included, stays out.
ALLOWED_ENVIRONMENT = ("PATH", "HOME", "LANG", "LANGUAGE", "TZ", "TERM")
ALLOWED_PREFIXES = ("LC_", "SKILLBOOK_")


def clean_environment(source: dict[str, str] | None = None) -> dict[str, str]:
    """The allow-listed part of an environment (os.environ by default)."""
    source = os.environ if source is None else source
    return {k: v for k, v in source.items() if k in ALLOWED_ENVIRONMENT or k.startswith(ALLOWED_PREFIXES)}


def read_bounded(path: Path, limit: int) -> str:
    """The last `limit` bytes of a file a notebook's process wrote (its end says what went wrong)."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > limit:
                f.seek(size - limit)
            return f.read(limit).decode("utf-8", errors="replace")
    except OSError:
        return ""


class ForkServerError(RuntimeError):
    """The fork server is gone; the caller can fall back to a fresh process."""


def _child(request: dict) -> None:
    """In the forked child: become the grading process the request describes, then exit.

    It keeps no descriptor of the server (its pipes are replaced and every other descriptor closed),
    and runs the worker in namespaces of its own where the machine allows (skillbook.engine.isolation)."""
    try:
        os.setsid()
        output = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        isolation.run(request.get("limits", {}), request.get("folder"), request.get("bound", []),
                      lambda: _become_worker(request))
    except BaseException:  # noqa: BLE001 - report it in the output, never return into the server loop
        import traceback

        traceback.print_exc()
    sys.stderr.flush()
    os._exit(1)


def _become_worker(request: dict) -> None:
    """Run the worker in this process, as `python -m skillbook.engine.worker` would, then exit."""
    try:
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.path[0] = request["cwd"]  # as `python -m` would have it
        sys.dont_write_bytecode = True
        from skillbook.engine import worker

        code = worker.main(request["argv"])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - report it in the output, never return into the server loop
        import traceback

        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def answer(finish: Callable[[int], int]) -> None:
    """Fork a worker for each request line on stdin and report its pid, then its exit code once
    `finish(pid)` has waited for it and cleaned up after it (returning the wait status)."""
    replies = sys.stdout
    replies.write(json.dumps({"isolation": isolation.mode()}) + "\n")  # probed before any request
    replies.flush()
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request)
        replies.write(json.dumps({"pid": pid}) + "\n")
        replies.flush()
        status = finish(pid)
        replies.write(json.dumps({"exit": os.waitstatus_to_exitcode(status)}) + "\n")
        replies.flush()


def _finish(pid: int) -> int:
    # Wait without reaping: while the child is a zombie its pid cannot be reused, so the kill
    # below reaches only what the notebook left running in its session.
    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    return os.waitpid(pid, 0)[1]


def serve(warm: bool = True) -> None:
    """The server loop (`python -m skillbook.engine.forkserver [--cold]`): one request at a time."""
    import importlib

    for name in WARM if warm else ():
        importlib.import_module(name)
    answer(_finish)


class ForkServer:
    """The requesting side. Not thread-safe: give every grading thread its own."""

    name = "the fork server"
    running: int | None = None  # the pid of the worker now running, if any
    _isolation: str | None = None

    def __init__(self, *, warm: bool = True) -> None:
        """warm=False: import nothing ahead, for a single notebook (it still gets its own namespaces)."""
        self._folder = tempfile.TemporaryDirectory(prefix="skillbook-forkserver-")
        argv = [sys.executable, "-m", "skillbook.engine.forkserver", *([] if warm else ["--cold"])]
        self._spawn(argv, cwd=Path(self._folder.name), env=clean_environment())

    @property
    def isolation(self) -> str:
        """How each run is isolated: isolation.NAMESPACES or isolation.PROCESS_GROUP (waits for the server)."""
        if self._isolation is None:
            hello = self._reply(time.monotonic() + 120)
            if hello is None or "isolation" not in hello:
                self._kill()
                raise ForkServerError(f"{self.name} did not start")
            self._isolation = hello["isolation"]
        return self._isolation

    def _spawn(self, argv: list[str], *, cwd: Path, env: dict[str, str]) -> None:
        self._process = subprocess.Popen(
            argv, cwd=cwd, env={**env, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, bufsize=1, start_new_session=True,
        )

    def _reply(self, deadline: float | None) -> dict | None:
        """The next reply, or None if the deadline passed first."""
        stdout = self._process.stdout
        while True:
            wait = None if deadline is None else max(deadline - time.monotonic(), 0)
            ready, _, _ = select.select([stdout], [], [], wait)
            if not ready:
                return None
            line = stdout.readline()
            if not line:
                raise ForkServerError("the fork server exited")
            return json.loads(line)

    def run(self, argv: list[str], *, env: dict[str, str], cwd: Path, timeout: float,
            limits: dict | None = None, folder: Path | None = None,
            bound: list[str] = ()) -> tuple[int | None, str]:
        """(exit code, or None when it was killed at the time limit; what it printed, at most OUTPUT_BYTES).

        limits: memory_bytes, disk_bytes, max_processes (skillbook.engine.isolation)
        folder: the run's folder, made a tmpfs of disk_bytes for the run; `bound` names its files that stay
                the host's (the results file the parent reads)"""
        if self._process.poll() is not None:
            raise ForkServerError(f"{self.name} is not running")
        self.isolation  # the hello comes first
        output = Path(cwd).parent / "worker-output.txt"
        request = {"argv": argv, "env": env, "cwd": str(cwd), "output": str(output), "limits": limits or {},
                   "folder": str(folder) if folder else None, "bound": list(bound)}
        try:
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise ForkServerError(f"{self.name} is gone: {exc}") from None
        started = self._reply(time.monotonic() + 30)
        if started is None:
            self._kill()
            raise ForkServerError(f"{self.name} did not start a process")
        self.running = started["pid"]
        try:
            finished = self._reply(time.monotonic() + timeout)
            if finished is None:
                self._stop(started["pid"])
        finally:
            self.running = None
        text = read_bounded(output, OUTPUT_BYTES)
        return (finished["exit"] if finished else None), text

    def interrupt(self) -> None:
        """Stop the worker now running (from another thread: a learner interrupted the check)."""
        pid = self.running
        if pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)

    def _stop(self, pid: int) -> None:
        """Kill a worker past its time limit (its own process group) and wait for the server to see it end."""
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._reply(None)

    def _kill(self) -> None:
        """Kill the server and everything it started."""
        try:
            os.killpg(self._process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._process.wait()

    def close(self) -> None:
        """Stop the server (it ends when its stdin closes) and close both pipes, also of one that died."""
        with contextlib.suppress(OSError):  # a dead server's pipe may fail to flush
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._kill()
        self._process.stdout.close()
        self._folder.cleanup()

    def __enter__(self) -> "ForkServer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


if __name__ == "__main__":
    serve(warm="--cold" not in sys.argv[1:])
