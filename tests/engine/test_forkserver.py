"""Is a notebook graded in a forked child isolated like one graded in a fresh process?"""

import json
import os
import time

import pytest

from skillbook.engine import isolation
from skillbook.engine.forkserver import ForkServer, ForkServerError
from tests.builders import solution_path

SPY = """import json, os
environ = open("/proc/self/environ", "rb").read().split(b"\\0")
json.dump({"env": dict(os.environ), "cwd": os.getcwd(),
           "environ": sorted(e.split(b"=", 1)[0].decode() for e in environ if e)}, open(os.environ["SPY_FILE"], "w"))"""

# A notebook that looks through /proc for the pipes of the grading machinery (the fork server's request
# and reply pipes; bwrap's pid 1, which holds them too) and writes fake replies into every one it can
# open. It only touches pid 1 and its chain of parents, and only those whose command line names skillbook
# or bwrap: where isolation fails, the test must not write into unrelated processes of the machine.
FORGER = """import json, os
def command(pid):
    try:
        return open(f"/proc/{pid}/cmdline", "rb").read()
    except OSError:
        return b""
def grading(pid):
    return b"skillbook.engine" in command(pid) or b"bwrap" in command(pid)
targets, pid = [1], os.getppid()  # pid 1 (bwrap's init in a sandbox) and the chain of parents
while pid > 1 and grading(pid):
    targets.append(pid)
    status = open(f"/proc/{pid}/status").read()
    pid = int(status.split("PPid:")[1].split()[0])
seen = {"pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()), "written": [], "me": os.getpid()}
for pid in targets:
    if not grading(pid):
        continue
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        continue
    for fd in fds:
        try:
            if not os.readlink(f"/proc/{pid}/fd/{fd}").startswith("pipe:"):
                continue
            with open(f"/proc/{pid}/fd/{fd}", "w") as pipe:
                pipe.write('{"exit": 0}\\n{"pid": 1}\\n{"exit": 0}\\n')
            seen["written"].append(f"{pid}/{fd}")
        except OSError:
            pass
json.dump(seen, open(os.environ["SPY_FILE"], "w"))"""

# A process that leaves the notebook's session and whose main thread exits while another thread goes on
# writing (state Z with a live thread: what a scan of /proc skipped).
SURVIVOR = """import ctypes, os, threading, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        def beat():
            while True:
                with open(os.environ["SPY_FILE"], "a") as f:
                    f.write("x")
                time.sleep(0.02)
        threading.Thread(target=beat).start()
        ctypes.CDLL(None).syscall(60, 0)  # SYS_exit: ends the main thread only
    os._exit(0)
time.sleep(0.3)"""


def _env(tmp_path, **extra):
    return {"PATH": os.environ["PATH"], "SKILLBOOK_GRADING": "1", "SKILLBOOK_SKILL_DIR": str(tmp_path / "no-skill"),
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", **extra}


def _args(notebook, results, *more):
    return ["--lesson", "L00", "--notebook", str(notebook), "--results", str(results), *more]


def test_child_sees_only_the_environment_and_folder_it_was_given(tmp_path, submission, monkeypatch):
    monkeypatch.setenv("SERVER_ONLY_SECRET", "must not reach a notebook")
    for name in ("DB_PASS", "GH_PAT", "REDIS_URL"):  # secrets no list of secret words matches
        monkeypatch.setenv(name, "secret")
    notebook = submission("L00", {"l00-create-skill": SPY})
    work = notebook.parent
    with ForkServer() as server:
        for round_ in ("first", "second"):  # every request is a new, clean child of the same server
            spy = tmp_path / f"{round_}.json"
            code, output = server.run(_args(notebook, tmp_path / f"{round_}.jsonl"),
                                      env=_env(tmp_path, SPY_FILE=str(spy)), cwd=work, timeout=60)
            assert code == 0, output
            seen = json.loads(spy.read_text())
            assert "SERVER_ONLY_SECRET" not in seen["env"] and seen["env"]["SPY_FILE"] == str(spy)
            # What the process was started with (a fork inherits its server's block, not os.environ):
            # the allow-list only, and no secret of the instructor's.
            assert all(name in ("PATH", "HOME", "LANG", "LANGUAGE", "TZ", "TERM", "PYTEST_DISABLE_PLUGIN_AUTOLOAD")
                       or name.startswith(("LC_", "SKILLBOOK_")) for name in seen["environ"]), seen["environ"]
            assert not {"SERVER_ONLY_SECRET", "DB_PASS", "GH_PAT", "REDIS_URL"} & set(seen["environ"])
            assert seen["cwd"] == str(work)
            assert '"event": "end"' in (tmp_path / f"{round_}.jsonl").read_text()


def test_a_child_that_fails_or_hangs_costs_only_itself(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    with ForkServer() as server:
        code, output = server.run(_args("x.ipynb", tmp_path / "r0.jsonl") + ["--lesson", "NOPE"], env=_env(tmp_path), cwd=work, timeout=30)
        assert code not in (0, None) and "NOPE" in output  # an unknown lesson: the child fails, says why
        code, _ = server.run(_args(solution_path("L00"), tmp_path / "r.jsonl"), env=_env(tmp_path), cwd=work, timeout=0.2)
        assert code is None  # killed at the limit, long before it could finish
        code, _ = server.run(_args(solution_path("L00"), tmp_path / "r2.jsonl"), env=_env(tmp_path), cwd=work, timeout=60)
        assert code == 0  # and the server grades the next one


def test_a_closed_server_says_so():
    server = ForkServer()
    server.close()
    with pytest.raises(ForkServerError):
        server.run(["--lesson", "L00"], env={}, cwd=os.getcwd(), timeout=5)


def test_a_notebook_cannot_reach_the_servers_pipes(tmp_path, submission):
    """Does a notebook that writes fake replies into every pipe it finds in /proc find none, see only its
    own processes, and leave the server answering the next notebook truly?"""
    notebook = submission("L00", {"l00-create-skill": FORGER})
    spy = tmp_path / "forger.json"
    with ForkServer() as server:
        assert server.isolation == isolation.NAMESPACES  # this machine can: a failure here is a finding
        code, output = server.run(_args(notebook, tmp_path / "forger.jsonl"), env=_env(tmp_path, SPY_FILE=str(spy)),
                                  cwd=notebook.parent, timeout=60)
        assert code == 0, output
        seen = json.loads(spy.read_text())
        assert seen["written"] == [], seen
        assert max(seen["pids"]) < 20 and seen["me"] < 20, seen  # a pid namespace of its own
        code, output = server.run(_args(notebook.parent / "missing.ipynb", tmp_path / "next.jsonl") + ["--lesson", "NOPE"],
                                  env=_env(tmp_path), cwd=notebook.parent, timeout=60)
        assert code not in (0, None) and "NOPE" in output  # the server's next reply is this run's own


def test_every_process_of_a_run_is_gone_when_it_ends(tmp_path, submission):
    """Is a process that left the session, with its main thread exited and another thread running,
    killed before the run's result is returned?"""
    notebook = submission("L00", {"l00-create-skill": SURVIVOR})
    beats = tmp_path / "beats.txt"
    with ForkServer() as server:
        code, output = server.run(_args(notebook, tmp_path / "r.jsonl"), env=_env(tmp_path, SPY_FILE=str(beats)),
                                  cwd=notebook.parent, timeout=60)
        assert code == 0, output
        written = beats.stat().st_size
        time.sleep(0.5)
        assert written > 0 and beats.stat().st_size == written  # it ran, and it is gone


def test_without_namespaces_a_process_group_still_grades(tmp_path, monkeypatch):
    """Where namespaces cannot be made, does the fallback (a process group per run) still grade correctly
    and clean up what stayed in the group?"""
    monkeypatch.setenv("SKILLBOOK_ISOLATION", "process-group")
    work = tmp_path / "work"
    work.mkdir()
    with ForkServer() as server:
        assert server.isolation == isolation.PROCESS_GROUP
        code, output = server.run(_args(solution_path("L00"), tmp_path / "r.jsonl"), env=_env(tmp_path), cwd=work, timeout=60)
        assert code == 0, output
        events = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
        assert sum(e.get("passed") is True for e in events) == 7
