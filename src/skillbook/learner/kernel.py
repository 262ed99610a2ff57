"""What a learner's kernel keeps for the check cells: the source of every cell as it ran, and a warm
grading server.

`from skillbook import check` (the first code cell of every lesson) calls start() in a Jupyter
kernel. From then on:

- IPython's `pre_run_cell` event records each cell's source, keyed by the cell id JupyterLab sends
  with the execute request, so a check grades what the learner ran, saved or not;
- a fork server (skillbook.engine.forkserver) imports the grading stack once, in the background,
  and the lesson's grader checks are collected (skillbook.engine.scoring.known), so that a check
  forks a ready grading process instead of starting Python; the check's files
  (the notebook's copy, its SQLite database) go to memory (scratch(), also used by make check/watch).

Nothing happens outside a kernel, or in a kernel that nbgrader runs to grade (nbclient sends no
cell ids, so there would be nothing to record anyway).
"""

import atexit
import os
import sys
import threading
from pathlib import Path

from skillbook.course.locate import is_grading
from skillbook.engine.forkserver import ForkServer

_ran: dict[str, str] = {}  # cell id -> the source of its last run
_lock = threading.Lock()
_server: ForkServer | None = None
_started = False


def _record(info) -> None:
    cell_id = getattr(info, "cell_id", None)
    if cell_id and isinstance(info.raw_cell, str):
        _ran[cell_id] = info.raw_cell


def _shell():
    """The kernel's IPython shell, or None outside a Jupyter kernel."""
    if "ipykernel" not in sys.modules:
        return None
    from IPython import get_ipython

    shell = get_ipython()
    return shell if getattr(shell, "kernel", None) is not None else None


def start(shell=None, *, warm: bool = True) -> bool:
    """Record cells as they run (once per kernel) and start the warm server; False outside a kernel."""
    global _started
    shell = shell or _shell()
    if shell is None or is_grading():
        return False
    with _lock:
        if not _started:
            shell.events.register("pre_run_cell", _record)
            _started = True
    if warm:
        server()
        threading.Thread(target=_know_the_checks, name="skillbook-known-checks", daemon=True).start()
    return True


def _know_the_checks() -> None:
    """Collect the checks of this folder's lesson now, not during the learner's first check (seconds)."""
    from skillbook.course import manifest
    from skillbook.engine.scoring.known import known_checks

    try:
        lesson = manifest.lesson_for_path(Path.cwd() / "notebook.ipynb")
        if lesson is not None:
            known_checks(lesson)
    except Exception:  # noqa: BLE001 - the check itself collects them again and says what went wrong
        pass


def ran() -> dict[str, str]:
    """The source each recorded cell had when it last ran."""
    return dict(_ran)


def server() -> ForkServer | None:
    """The kernel's warm grading server, started (again) if it is not running; None before start()."""
    global _server
    if not _started:
        return None
    with _lock:
        if _server is not None and _server._process.poll() is not None:
            _server.close()
            atexit.unregister(_server.close)
            _server = None
        if _server is None:
            _server = ForkServer()
            atexit.register(_server.close)
        return _server


def scratch() -> Path | None:
    """A private folder in memory (/dev/shm) for a check's files, or None where there is none."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        return None
    folder = shm / f"skillbook-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
    except OSError:
        return None
    mine = folder.stat()
    return folder if mine.st_uid == os.getuid() and not mine.st_mode & 0o077 else None  # never another user's
