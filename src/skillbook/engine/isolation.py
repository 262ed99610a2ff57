"""Each grading run in namespaces of its own: nothing it starts outlives it, and the grader is out of its reach.

The fork server (skillbook.engine.forkserver) forks C1 for every request; where the kernel allows it:

    server ── C1: setsid, closes every descriptor but its output, unshares a pid and a mount namespace
              │   (and a user namespace outside bubblewrap), then waits
              └── C2: pid 1 of the new pid namespace. Mounts a fresh /proc (only this namespace's processes;
                  /proc/sys read-only), a tmpfs of `disk_bytes` on the run's folder (the worker's cwd, HOME,
                  TMPDIR and SQLite database; results.jsonl is bound in from the host), drops every
                  capability, then reaps and watches
                  └── C3: the worker (learner code runs here)

- C3 holds no descriptor of the server, and its /proc shows its own namespace only: the server, bwrap's
  pid 1 and the processes of other submissions are not there to open /proc/<pid>/fd of.
- When C2 ends, the kernel kills every process left in the namespace, whatever its state (a thread group
  whose leader exited, a process that called setsid), and C1 ends only after they are all gone: the next
  submission starts on a clean machine. No scan of /proc.
- Limits: every process has RLIMIT_AS `memory_bytes`; C2 sums the memory (PSS) of all processes of the
  namespace and counts them ten times a second and ends the run above `memory_bytes` together or above
  `max_processes`, writing why to STOPPED in the run's folder on the host (out of the worker's reach);
  the namespace's pid_max caps processes at about 300 even between two looks.

Where namespaces cannot be made (no user namespaces for this user, a container that forbids them),
`mode()` is "process group": C1 runs the worker itself and what it started is killed by process group
afterwards; a process that left the group survives (docs/instructor.md says so).
"""

import ctypes
import errno
import json
import os
import resource
import shutil
import signal
import time
from pathlib import Path

NAMESPACES = "namespaces"
PROCESS_GROUP = "process group"
STOPPED = "stopped-by-limit.json"  # written by C2 into the run's folder on the host
DEFAULT_DISK_BYTES = 256 * 1024**2
DEFAULT_MAX_PROCESSES = 64
WATCH_SECONDS = 0.1

_CLONE_NEWNS, _CLONE_NEWUSER, _CLONE_NEWPID = 0x00020000, 0x10000000, 0x20000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = (
    1, 2, 4, 8, 32, 4096, 16384, 1 << 18)
_PR_SET_DUMPABLE, _PR_SET_NO_NEW_PRIVS, _PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL = 4, 38, 47, 4
_libc = ctypes.CDLL(None, use_errno=True)
_flavour: int | None | bool = False  # the unshare flags that work here (None: none do); False: not probed yet


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    if not _private_mounts:  # never change the mounts of the machine's own namespace (a root caller could)
        raise OSError(errno.EPERM, "refusing to mount outside a private mount namespace")
    encode = lambda s: s.encode() if s is not None else None  # noqa: E731
    _check(_libc.mount(encode(source), encode(target), encode(fstype), ctypes.c_ulong(flags), encode(data)),
           f"mount {target}")


_private_mounts = False  # True once this process has a mount namespace of its own: only then may it mount


def _unshare(flags: int) -> None:
    global _private_mounts
    uid, gid = os.getuid(), os.getgid()
    _check(_libc.unshare(flags), "unshare")
    _private_mounts = bool(flags & _CLONE_NEWNS)
    if flags & _CLONE_NEWUSER:  # the same user inside as outside
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
        Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")


def _fresh_proc() -> None:
    """This namespace's own /proc, with what could change the host read-only (as bubblewrap does)."""
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)
    _mount("proc", "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)
    for name in ("sys", "sysrq-trigger", "irq", "bus"):
        path = f"/proc/{name}"
        if os.path.exists(path):
            _mount(path, path, None, _MS_BIND | _MS_REC)
            _mount(None, path, None, _MS_BIND | _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)


def _drop_capabilities() -> None:
    """No capability left, and none to gain by exec: the worker is an ordinary process of its namespace."""
    _libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this thread
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable: empty (two words each)
    _libc.syscall(126 if os.uname().machine == "x86_64" else 91, header, data)  # capset
    _check(_libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def _probe_flags(flags: int) -> bool:
    """Can a child unshare `flags`, and its pid 1 mount /proc and a tmpfs? (Tried in throw-away processes.)"""
    folder = Path(f"/dev/shm/.skillbook-probe-{os.getpid()}")
    try:
        folder.mkdir(exist_ok=True)
    except OSError:
        folder = Path("/tmp")  # only the mount's success matters; it happens in a private namespace
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            _unshare(flags)
            inner = os.fork()
            if inner == 0:
                try:
                    _fresh_proc()
                    _mount("tmpfs", str(folder), "tmpfs", _MS_NOSUID | _MS_NODEV, "size=1m")
                    os._exit(0)
                except BaseException:  # noqa: BLE001 - any failure means: not here
                    os._exit(1)
            code = os.waitstatus_to_exitcode(os.waitpid(inner, 0)[1])
        except BaseException:  # noqa: BLE001
            code = 1
        os._exit(code)
    status = os.waitpid(pid, 0)[1]
    if folder.name.startswith(".skillbook-probe"):
        folder.rmdir()
    return os.waitstatus_to_exitcode(status) == 0


def mode() -> str:
    """NAMESPACES if every run gets its own pid and mount namespace here, else PROCESS_GROUP (probed once)."""
    global _flavour
    if os.environ.get("SKILLBOOK_ISOLATION") == "process-group":  # to test (and debug) the fallback
        _flavour = None
    if _flavour is False:
        _flavour = next((f for f in (_CLONE_NEWUSER | _CLONE_NEWPID | _CLONE_NEWNS, _CLONE_NEWPID | _CLONE_NEWNS)
                         if _probe_flags(f)), None)
    return PROCESS_GROUP if _flavour is None else NAMESPACES


def _write_stopped(folder_fd: int | None, why: dict) -> None:
    if folder_fd is None:
        return
    try:
        fd = os.open(STOPPED, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600, dir_fd=folder_fd)
        os.write(fd, json.dumps(why).encode())
        os.close(fd)
    except OSError:
        pass


def _memory_of(pid: str) -> int:
    """A process's share of memory (PSS), or its resident size where PSS cannot be read."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _over_limit(memory_bytes: int, max_processes: int) -> dict | None:
    pids = [p for p in os.listdir("/proc") if p.isdigit() and p != "1"]
    if max_processes and len(pids) > max_processes:
        return {"limit": "processes", "count": len(pids), "max": max_processes}
    if memory_bytes:
        used = sum(_memory_of(p) for p in pids)
        if used > memory_bytes:
            return {"limit": "memory", "bytes": used, "max": memory_bytes}
    return None


def _run_folder_on_tmpfs(folder: Path, disk_bytes: int, bound: list[str]) -> int:
    """Replace the run's folder by a tmpfs of `disk_bytes` holding a copy of it; the files named in
    `bound` stay the host's (bound in). Returns a descriptor of the host folder, for STOPPED."""
    host = os.open(folder, os.O_PATH | os.O_DIRECTORY)
    _mount("tmpfs", str(folder), "tmpfs", _MS_NOSUID | _MS_NODEV, f"size={disk_bytes},mode=0700")
    source = Path(f"/proc/self/fd/{host}")
    for entry in source.iterdir():
        target = folder / entry.name
        if entry.name == STOPPED:
            continue
        if entry.name in bound:
            target.touch()
            _mount(str(entry), str(target), None, _MS_BIND)
        elif entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, target, symlinks=True)
        else:
            shutil.copy2(entry, target, follow_symlinks=False)
    return host


def _pid_one(limits: dict, folder: str | None, bound: list[str], become_worker) -> None:
    """C2: set up the namespace, start the worker, reap, watch; never returns."""
    code = 1
    host = None
    try:
        _fresh_proc()
        try:
            with open("/proc/sys/kernel/pid_max", "w") as f:  # per pid namespace since Linux 6.14
                f.write("301")
        except OSError:
            pass
        if folder and limits.get("disk_bytes"):
            host = _run_folder_on_tmpfs(Path(folder), int(limits["disk_bytes"]), bound)
        _drop_capabilities()
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
        worker = os.fork()
        if worker == 0:
            if host is not None:
                os.close(host)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
            become_worker()  # never returns
        _libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)  # the worker cannot ptrace its pid 1
        status = None
        memory, processes = int(limits.get("memory_bytes") or 0), int(limits.get("max_processes") or 0)
        while status is None:
            signal.sigtimedwait({signal.SIGCHLD}, WATCH_SECONDS)
            while True:  # reap the worker and every orphan handed to pid 1
                try:
                    pid, raw = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if pid == 0:
                    break
                if pid == worker:
                    status = raw
            if status is None and (why := _over_limit(memory, processes)):
                _write_stopped(host, why)
                status = signal.SIGKILL  # as if killed; the kernel kills them all when pid 1 exits
        code = os.waitstatus_to_exitcode(status)
        code = 128 - code if code < 0 else code
    except BaseException as exc:  # noqa: BLE001 - say it in the output; the run then has no results
        os.write(2, f"skillbook: could not set up the grading namespace: {exc}\n".encode())
    os._exit(code)


def run(limits: dict, folder: str | None, bound: list[str], become_worker) -> None:
    """C1 (single-threaded, descriptors but 0-2 closed): run `become_worker` in namespaces of its own and
    end as it ended, once every process it started is gone. Never returns."""
    apply_rlimits(limits)
    if mode() != NAMESPACES:
        become_worker()
    _unshare(_flavour)
    inner = os.fork()
    if inner == 0:
        _pid_one(limits, folder, bound, become_worker)
    code = os.waitstatus_to_exitcode(os.waitpid(inner, 0)[1])
    if code > 128 and code - 128 < signal.NSIG:  # pid 1 reports a killed worker as 128 + signal: end the same way
        signal.signal(code - 128, signal.SIG_DFL)
        os.kill(os.getpid(), code - 128)
        time.sleep(1)
    os._exit(code)


def apply_rlimits(limits: dict) -> None:
    """Per process: address space (a huge allocation raises MemoryError) and the size of one file."""
    memory = limits.get("memory_bytes")
    if memory:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    disk = limits.get("disk_bytes")
    if disk:
        resource.setrlimit(resource.RLIMIT_FSIZE, (disk, disk))
