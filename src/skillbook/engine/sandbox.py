"""A bubblewrap (bwrap) sandbox around the grading process, for grading a whole class.

Without it, a submission runs as the instructor's user: it can read every file that user can (other
submissions, solutions/, the gradebook) and signal their processes. Inside it, the notebook sees:

    the system (/usr, /bin, /lib*, a few files of /etc)   read-only
    the interpreter, the venv, src/, graders/, course.toml, skill_template/, reflections/   read-only
    its own grading folder                                read-write
    /tmp, /dev, /proc                                     private to the sandbox

and nothing else: no course directory, no solutions/, no home folder. It has no network on SQLite
(PostgreSQL keeps the host's, for 127.0.0.1:5432), its own process and user namespaces, and no
capabilities. `SandboxedForkServer` keeps the warm fork server of skillbook.engine.forkserver inside one
sandbox per grading thread. The server alone keeps CAP_SYS_ADMIN and CAP_SYS_RESOURCE of the sandbox's
own user namespace (never of the host): it needs them to give every notebook a pid and mount namespace
of its own inside the sandbox (skillbook.engine.isolation), and its children drop them before any
learner code runs. A notebook's processes end with its namespace; `serve()` then empties /tmp, so
nothing of one submission reaches the next.
"""

import ctypes
import gc
import importlib
import os
import shutil
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

from skillbook.course import paths
from skillbook.engine import isolation
from skillbook.engine.forkserver import WARM, ForkServer, ForkServerError, answer

SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32")
# What Python, SQLite and asyncpg read from /etc; the rest (shadow, ssh keys, ...) stays out.
ETC = ("/etc/passwd", "/etc/group", "/etc/hosts", "/etc/nsswitch.conf", "/etc/host.conf", "/etc/resolv.conf",
       "/etc/localtime", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/ssl", "/etc/ca-certificates",
       "/etc/alternatives", "/etc/mime.types")
PROJECT = ("src", "graders", "course.toml", "skill_template", "reflections")
TMP_BYTES = 256 * 1024 * 1024  # the sandbox's private /tmp (a tmpfs, so it is memory)


@cache
def bwrap() -> str | None:
    """The bwrap executable, if it is installed and can build a sandbox here (containers may forbid it)."""
    found = shutil.which("bwrap")
    if found is None:
        return None
    probe = subprocess.run([found, *_isolation(network=False, server=True), "--ro-bind", "/", "/", "true"],
                           capture_output=True, timeout=30)
    return found if probe.returncode == 0 else None


def version() -> str:
    done = subprocess.run([bwrap() or "bwrap", "--version"], capture_output=True, text=True)
    return done.stdout.strip() or "bubblewrap"


def readable() -> list[Path]:
    """Host folders the grading process needs to read: interpreter, venv and the course's code."""
    root = paths.repo_root()
    folders = [Path(sys.base_prefix), Path(sys.prefix), *(root / name for name in PROJECT)]
    folders.append(Path(__file__).resolve().parents[1])  # skillbook's own package folder, wherever installed
    return [f for f in dict.fromkeys(p.resolve() for p in folders) if f.exists()]


def exposes(path: Path) -> bool:
    """Would the sandbox show this host path to a notebook? (It should not show a course directory.)"""
    path = path.resolve()
    shown = [Path(p) for p in SYSTEM + ETC] + readable()
    return any(path == p or p in path.parents for p in shown)


SERVER_CAPABILITIES = ("CAP_SYS_ADMIN", "CAP_SYS_RESOURCE")  # in the sandbox's user namespace only


def _isolation(network: bool, server: bool = False) -> list[str]:
    args = ["--unshare-all", "--unshare-user", "--cap-drop", "ALL", "--die-with-parent", "--new-session"]
    if server:  # a fork server: it makes a namespace per notebook (a nested user namespace would forbid that)
        for capability in SERVER_CAPABILITIES:
            args += ["--cap-add", capability]
    else:
        args.append("--disable-userns")
    if network:
        args.append("--share-net")
    return args


def command(argv: list[str], *, writable: list[Path], network: bool, server: bool = False) -> list[str]:
    """argv run inside a new sandbox in which only `writable` (and a private /tmp) can be written.
    `server`: argv is the fork server, which keeps what it needs to isolate each notebook."""
    args = [bwrap() or "bwrap", *_isolation(network, server)]
    # The private /tmp first: binds that follow stay visible even where they lie under the host's /tmp
    # (a course cloned into /tmp, the grading folder from tempfile).
    args += ["--dev", "/dev", "--proc", "/proc", "--size", str(TMP_BYTES), "--tmpfs", "/tmp"]
    for path in SYSTEM + ETC:
        args += ["--ro-bind-try", path, path]
    for path in readable():
        args += ["--ro-bind", str(path), str(path)]
    for path in writable:
        args += ["--bind", str(path), str(path)]
    return args + ["--", *argv]


def _empty_tmp(keep: list[Path], folder: Path = Path("/tmp")) -> None:
    """Remove what the last notebook left in the private /tmp, but not the folders bound into it
    (the grading folder; the course's code when it lives under /tmp)."""
    for entry in folder.iterdir():
        if entry in keep:
            continue
        if any(entry in kept.parents for kept in keep):
            _empty_tmp(keep, entry)  # a folder on the way to a bound one: empty around it
        elif entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def serve(scratch: Path) -> None:
    """The fork server's loop inside the sandbox (`python -m skillbook.engine.sandbox SCRATCH`), same protocol."""
    # Not dumpable: a notebook (a child, same user) cannot ptrace this server or write its memory.
    ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    for name in WARM:
        importlib.import_module(name)
    gc.freeze()  # children share the warm heap's pages longer: no collection writes to them
    keep = [scratch, *readable()]

    def finish(pid: int) -> int:
        status = os.waitpid(pid, 0)[1]  # the notebook's pid namespace, and so all it started, is gone
        _empty_tmp(keep)
        return status

    answer(finish)


class SandboxedForkServer(ForkServer):
    """A ForkServer inside its own sandbox; grade in a folder under `scratch`, the only one it can write."""

    name = "the sandboxed fork server"

    def __init__(self, *, env: dict[str, str], network: bool) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="skillbook-sandbox-")
        self.scratch = Path(self._folder.name).resolve()
        argv = [sys.executable, "-m", "skillbook.engine.sandbox", str(self.scratch)]
        self._spawn(command(argv, writable=[self.scratch], network=network, server=True), cwd=self.scratch, env=env)

    @property
    def isolation(self) -> str:
        """Refuses to grade unless every notebook gets a pid namespace of its own (the caller then grades
        in a sandbox of its own per notebook)."""
        found = ForkServer.isolation.fget(self)
        if found != isolation.NAMESPACES:
            self._kill()
            raise ForkServerError(f"{self.name} cannot give each notebook a pid namespace ({found})")
        return found

    def _stop(self, pid: int) -> None:
        """Process ids in the reply belong to the sandbox, so on time-out the whole sandbox is killed
        (never a host process group of that number); the next run starts a new one."""
        self._kill()  # bwrap and, through its pid namespace, everything inside


if __name__ == "__main__":
    serve(Path(sys.argv[1]))
