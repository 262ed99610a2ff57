"""`skillbook grade-class --scheduler ADDRESS`: grade a class on a Dask distributed cluster.

    with Cluster.connect("tcp://scheduler:8786") as cluster:
        grade_class.run(course, cluster=cluster)

The instructor's machine keeps the course directory, the gradebook, results.json and the progress
bar; grade_class.run does all of that exactly as for local grading. Only the grading moves:

- each submission is one Dask task carrying its notebook's bytes and lesson id (nothing else of the
  course leaves the instructor's machine); a worker writes the bytes into a temporary folder and calls
  grade_class.grade_one on them, the function local grading calls, in a warm fork server per worker
  thread, inside the bubblewrap sandbox, with the same limits;
- a refused submission (a symbolic link, a folder, a missing notebook) and one over the engine's size
  limit never leave the instructor's machine: grade_one scores them there, without running them;
- at most WINDOW tasks per worker thread are in flight, so a class of thousands never sits in memory;
- a worker that dies mid-task costs nothing: the scheduler gives its tasks to another worker. A
  submission that was running on `distributed.scheduler.allowed-failures` + 1 workers that all died
  (default 3 + 1) is given up by the scheduler (KilledWorker): it scores 0 with a message and the
  class goes on.

What a worker needs: this kit installed (the same version: a task names skillbook's functions, it
does not carry them), `distributed`, and bubblewrap (`apt-get install bubblewrap`) unless the
instructor passes --no-sandbox. `Cluster.start` asks every worker before grading begins and refuses
to start if one cannot sandbox; a worker that joins later without bubblewrap fails its tasks, which
are listed as not graded (never graded unsandboxed).
"""

import os
import re
import socket
import tempfile
import threading
import uuid
from pathlib import Path

from skillbook.course import manifest
from skillbook.engine import grade as grading
from skillbook.engine.grade import zero_result
from skillbook.engine.loading.read import MAX_BYTES
from skillbook.engine.scoring.results import LessonResult
from skillbook.instructor import coursedir
from skillbook.instructor.coursedir import Submission

CONNECT_SECONDS = 30  # reaching the scheduler
WORKERS_SECONDS = 300  # a batch system may take minutes to start the first worker
WINDOW = 4  # tasks in flight per worker thread
LARGE_TASK = MAX_BYTES + 1024 * 1024  # a task with the largest notebook the engine grades is no surprise


class ClusterError(Exception):
    """The cluster cannot grade as asked (no scheduler, no worker, a worker without the sandbox)."""


# -- on a worker -------------------------------------------------------------------------------------

_settings_lock = threading.Lock()
_settings: tuple | None = None  # the sandbox setting this worker process grades with
_generation = 0  # bumped when it changes, so each thread restarts its warm fork server
_local = threading.local()


def _without_dask_tuning() -> None:
    """Dask's nanny tunes its worker process through the environment (MALLOC_TRIM_THRESHOLD_,
    OMP_NUM_THREADS, ...: distributed.nanny.pre-spawn-environ); grading processes inherit the
    environment, so take back what Dask set, and they start as they would from grade-class here."""
    import dask

    for name, value in (dask.config.get("distributed.nanny.pre-spawn-environ", None) or {}).items():
        if os.environ.get(name) == str(value):
            del os.environ[name]


def _prepare(sandbox: dict | None) -> None:
    """Grade in this worker process as grade-class grades locally: warm fork servers, the sandbox."""
    global _settings, _generation
    wanted = (sandbox is not None, bool(sandbox and sandbox["network"]))
    with _settings_lock:
        if wanted != _settings:
            if sandbox is not None:
                from skillbook.engine import sandbox as bwrap

                if bwrap.bwrap() is None:
                    raise ClusterError(f"the Dask worker on {socket.gethostname()} cannot sandbox: bubblewrap (bwrap) "
                                       "is not installed or cannot run there (apt-get install bubblewrap)")
            _without_dask_tuning()
            grading.use_fork_servers()
            grading.use_sandbox(sandbox is not None, network=wanted[1])
            _settings, _generation = wanted, _generation + 1
    if getattr(_local, "generation", None) != _generation:
        grading.close_fork_server()  # started under another setting: the next grading starts a new one
        _local.generation = _generation


def grade_task(lesson_id: str, notebook: bytes, limits: dict, sandbox: dict | None) -> tuple[dict, str | None]:
    """A Dask task: grade one submission's notebook bytes with grade_class.grade_one, as locally."""
    from skillbook.instructor.grade_class import grade_one

    _prepare(sandbox)
    lesson = manifest.lesson(lesson_id)
    with tempfile.TemporaryDirectory(prefix="skillbook-task-") as tmp:
        folder = Path(tmp) / "submitted" / "student" / lesson.dir  # the student's name stays home
        folder.mkdir(parents=True)
        (folder / lesson.notebook_name).write_bytes(notebook)
        result, why = grade_one(Submission("student", lesson, folder), limits)
    return result.to_json(), why


def worker_status(sandbox_wanted: bool) -> dict:
    """Run on every worker before grading: its host and whether it can sandbox."""
    from skillbook.engine import sandbox

    found = sandbox.bwrap() if sandbox_wanted else None
    return {"host": socket.gethostname(), "sandbox": sandbox.version() if found else None}


# -- on the instructor's machine ---------------------------------------------------------------------

def _read(submission: Submission) -> bytes | None:
    """The notebook's bytes to send, or None when grade_one must score it here (refused, too large)."""
    if coursedir.refusal(submission):
        return None
    try:
        with open(submission.notebook, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError:
        return None
    return data if len(data) <= MAX_BYTES else None


class Cluster:
    """A connection to a Dask scheduler that grade_class.run grades through."""

    def __init__(self, client, address: str) -> None:
        self.client = client
        self.address = address
        self._sandbox: dict | None = None
        self.label = "Dask"

    @classmethod
    def connect(cls, address: str, timeout: float = CONNECT_SECONDS) -> "Cluster":
        from distributed import Client

        try:
            client = Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterError(f"cannot reach the Dask scheduler at {address} ({type(exc).__name__}: {exc})") from None
        return cls(client, address)

    def __enter__(self) -> "Cluster":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def start(self, wanted: bool, network: bool, workers_timeout: float = WORKERS_SECONDS) -> tuple[bool, str]:
        """Check every worker before grading: (sandboxed, the status line grade-class prints)."""
        try:
            self.client.wait_for_workers(1, timeout=workers_timeout)
        except TimeoutError:
            raise ClusterError(f"no Dask worker joined {self.address} in {workers_timeout:g} s") from None
        statuses = self.client.run(worker_status, wanted)
        threads = sum(self.client.nthreads().values())
        self.label = f"Dask: {len(statuses)} workers, {threads} threads"
        where = f"on {len(statuses)} Dask workers at {self.address}"
        if not wanted:
            self._sandbox = None
            return False, (f"Sandbox: off (--no-sandbox) {where}: submissions run as the workers' user and can "
                           "read what it can.")
        missing = sorted(f"{address} ({status['host']})" for address, status in statuses.items() if not status["sandbox"])
        if missing:
            raise ClusterError(f"bubblewrap (bwrap) is not installed or cannot run on {', '.join(missing)}: install it "
                               "on every worker (apt-get install bubblewrap), or grade with --no-sandbox")
        self._sandbox = {"network": network}
        versions = ", ".join(sorted({status["sandbox"] for status in statuses.values()}))
        return True, (f"Sandbox: on ({versions}) {where}: each submission sees only its own folder, the system and "
                      f"the graders; {'network kept for PostgreSQL' if network else 'no network'}.")

    def grade(self, todo: list[Submission], limits: dict):
        """Yield (submission, result, problem) as the workers finish them, in any order."""
        import dask
        from distributed import as_completed

        from skillbook.instructor.grade_class import grade_one

        run = uuid.uuid4().hex[:8]
        waiting = iter(enumerate(todo))
        window = WINDOW * max(1, sum(self.client.nthreads().values()))
        running = as_completed(loop=self.client.loop)
        sent: dict = {}

        def send(count: int):
            """Submit up to `count` more tasks; yield the submissions graded here instead."""
            while count > 0:
                number, submission = next(waiting, (None, None))
                if submission is None:
                    return
                data = _read(submission)
                if data is None:
                    yield (submission, *grade_one(submission, limits))
                    continue
                # The bytes travel inside the task (not scattered to one worker) so that the scheduler can
                # run it again elsewhere when its worker dies; up to MAX_BYTES is expected, not a mistake.
                with dask.config.set({"distributed.admin.large-graph-warning-threshold": LARGE_TASK}):
                    future = self.client.submit(grade_task, submission.lesson.id, data, limits, self._sandbox,
                                                key=_key(run, number, submission), pure=False)
                sent[future.key] = submission
                running.add(future)
                count -= 1

        yield from send(window)
        for future in running:
            submission = sent.pop(future.key)
            yield (submission, *self._outcome(future, submission))
            future.release()
            yield from send(1)

    @staticmethod
    def _outcome(future, submission: Submission) -> tuple[LessonResult, str]:
        from distributed.scheduler import KilledWorker

        if future.status == "finished":
            result, why = future.result()
            return LessonResult.from_json(result), why
        if future.status == "error":
            exc = future.exception()
            if isinstance(exc, KilledWorker):
                why = (f"grading stopped {exc.allowed_failures + 1} Dask workers (each died while grading this "
                       "notebook); it was not tried again")
            else:
                why = f"could not be graded on the cluster ({type(exc).__name__}: {exc})"
        else:
            why = f"could not be graded on the cluster (its task was {future.status}: the scheduler went away?)"
        return zero_result(submission.lesson, why), why


def _key(run: str, number: int, submission: Submission) -> str:
    """The task's Dask key: unique per run, and readable on the dashboard (student and lesson). Student
    names may be any bytes, which Dask's messages cannot carry: only letters, digits and `._-` are kept."""
    readable = re.sub(r"[^A-Za-z0-9._-]", "_", submission.student)[:40]
    return f"skillbook-grade-{run}-{number}-{readable}-{submission.lesson.id}"
