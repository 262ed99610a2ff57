"""What can a notebook graded in the bubblewrap sandbox reach? (Skipped, saying why, without bwrap.)

Without bubblewrap, grade-class still gives each submission its own process, folder, database,
scrubbed environment, time and memory limits, but the notebook runs as the instructor's user and
can read whatever that user can: the last test shows it copying its answers from solutions/.
"""

import json
import os
import shutil
import time
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from skillbook.engine import grade as grading, isolation, sandbox
from skillbook.engine.forkserver import clean_environment

from skillbook.course import manifest, paths
from tests.builders import solution_path
from tests.engine.test_forkserver import FORGER, SURVIVOR
from tests.instructor import hostile

# Skipped only where bubblewrap is not installed: installed but unable to build its namespaces fails
# (test_bubblewrap_works_where_installed), so a machine that silently grades unsandboxed is caught.
needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None,
                                 reason="bubblewrap (bwrap) is not installed: apt-get install bubblewrap")
pytestmark = pytest.mark.xdist_group("graded-class")

PROBE = """import json, os, socket, sys
seen = {}
for path in sys.argv[3:]:
    try:
        with open(path, "rb") as f:
            f.read(1)
        seen[path] = "read"
    except OSError as exc:
        seen[path] = type(exc).__name__
for path in (sys.argv[1], sys.argv[2]):
    try:
        with open(os.path.join(path, "written.txt"), "w") as f:
            f.write("x")
        seen["write " + path] = "written"
    except OSError as exc:
        seen["write " + path] = type(exc).__name__
try:
    socket.create_connection(("127.0.0.1", int(os.environ["PROBE_PORT"])), timeout=3).close()
    seen["network"] = "connected"
except OSError as exc:
    seen["network"] = type(exc).__name__
try:
    os.kill(int(os.environ["PROBE_PID"]), 0)
    seen["signal host process"] = "sent"
except OSError as exc:
    seen["signal host process"] = type(exc).__name__
seen["processes"] = sum(name.isdigit() for name in os.listdir("/proc"))
print(json.dumps(seen))
"""


def _probe(tmp_path, reads: list[str], network: bool) -> dict:
    own = tmp_path / "own"
    own.mkdir(exist_ok=True)
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        env = {**os.environ, "PROBE_PORT": str(server.getsockname()[1]), "PROBE_PID": str(os.getpid())}
        command = sandbox.command([sys.executable, "-c", PROBE, str(own), str(paths.repo_root() / "src"), *reads],
                                  writable=[own], network=network)
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@needs_bwrap
def test_a_sandboxed_notebook_sees_only_its_folder_and_the_graders(tmp_path):
    """Are other submissions, the gradebook, solutions/ and secrets invisible, and only its own folder writable?"""
    course = tmp_path / "course"
    classmate = course / "submitted" / "classmate" / "L00_build_skill" / "L00_build_skill.ipynb"
    classmate.parent.mkdir(parents=True)
    classmate.write_text("{}")
    (course / "gradebook.db").write_bytes(b"SQLite format 3\0")
    secrets = [path for path in ("/etc/shadow", str(Path.home() / ".bashrc")) if Path(path).is_file()]
    hidden = [str(classmate), str(course / "gradebook.db"), str(solution_path("L00")), *secrets]
    needed = [str(paths.graders_dir() / "conftest.py"), str(paths.manifest_path()), sys.executable]
    seen = _probe(tmp_path, hidden + needed, network=False)
    for path in hidden:
        assert seen[path] == "FileNotFoundError", (path, seen[path])
    for path in needed:
        assert seen[path] == "read", (path, seen[path])
    assert seen[f"write {tmp_path / 'own'}"] == "written"
    assert seen[f"write {paths.repo_root() / 'src'}"] == "OSError"  # read-only
    assert not (paths.repo_root() / "src" / "written.txt").exists()


@needs_bwrap
def test_a_sandboxed_notebook_cannot_reach_host_processes_or_network(tmp_path):
    """No signal reaches the grading process, few processes are visible, and only PostgreSQL grading has network."""
    offline = _probe(tmp_path, [], network=False)
    assert offline["signal host process"] == "ProcessLookupError" and offline["processes"] <= 3
    assert offline["network"] != "connected"
    assert _probe(tmp_path, [], network=True)["network"] == "connected"


@needs_bwrap
def test_in_grade_class_copying_and_reading_others_gets_nothing(graded_class):
    """In the class's batch, did copying from solutions/ or a classmate, or reading the gradebook, fail?"""
    assert graded_class.sandboxed
    for name in ("steals-from-solutions", "steals-from-classmate", "reads-gradebook", "tampers-with-gradebook"):
        description = graded_class.stored(name, "L00").result.exercise("L00.skill_description")
        assert not description.passed and ("No such file" in description.message
                                           or "unable to open database file" in description.message), description


def test_without_the_sandbox_a_notebook_can_copy_from_solutions(tmp_path, monkeypatch):
    """The documented limitation: outside bubblewrap, a notebook reads what the instructor can, solutions/ included."""
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
    monkeypatch.setattr(grading, "_sandbox", None)
    lesson = manifest.lesson("L00")
    case = hostile.CASES["steals-from-solutions"]
    hostile.build(case, tmp_path / lesson.dir, {"solution": str(solution_path("L00"))})
    result = grading.grade_notebook(tmp_path / lesson.dir / lesson.notebook_name)
    assert result.points == lesson.max_points  # copied, not written: only the sandbox stops this


@needs_bwrap
def test_course_code_under_the_hosts_tmp_stays_visible(tmp_path, monkeypatch):
    """A course cloned into /tmp: do its read-only folders survive the sandbox's private /tmp?"""
    code = tmp_path / "clone" / "graders"  # pytest's tmp_path lies under the host's /tmp
    code.mkdir(parents=True)
    (code / "conftest.py").write_text("# graders\n")
    monkeypatch.setattr(sandbox, "readable", lambda: [code.resolve()])
    done = subprocess.run(sandbox.command(["/bin/cat", str(code / "conftest.py")], writable=[], network=False),
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "# graders\n"), done.stderr


def test_emptying_tmp_between_notebooks_spares_the_bound_folders(tmp_path):
    """After a notebook, is everything it left in /tmp gone, but not the folders bound into it, nor what they hold?"""
    scratch, code = tmp_path / "grading", tmp_path / "clone" / "src"
    for folder in (scratch, code):
        folder.mkdir(parents=True)
        (folder / "keep.txt").write_text("kept")
    left = [tmp_path / "left.txt", tmp_path / "clone" / "left.txt", tmp_path / "dir" / "left.txt"]
    for path in left:
        path.parent.mkdir(exist_ok=True)
        path.write_text("left by the last notebook")
    sandbox._empty_tmp([scratch, code], tmp_path)
    assert (scratch / "keep.txt").exists() and (code / "keep.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clone", "grading"]
    assert not any(path.exists() for path in left)


@needs_bwrap
def test_bubblewrap_works_where_installed():
    """Installed bubblewrap must build the sandbox (with the fork server's namespaces) here, or this fails."""
    assert sandbox.bwrap() is not None, "bwrap is installed but cannot create its namespaces here"


def _sandboxed_run(server, notebook_source: dict, spy_name: str) -> tuple[int | None, Path]:
    from tests.builders import submission_from

    notebook = submission_from("L00", notebook_source, server.scratch / "run" / "lesson")
    spy = server.scratch / spy_name
    env = {"PATH": os.environ["PATH"], "SPY_FILE": str(spy), "SKILLBOOK_SKILL_DIR": str(server.scratch / "no-skill"),
           "DATABASE_URL": f"sqlite+aiosqlite:///{server.scratch / 'run' / 'x.db'}"}
    argv = ["--lesson", "L00", "--notebook", str(notebook), "--results", str(server.scratch / "run" / "r.jsonl")]
    code, output = server.run(argv, env=env, cwd=notebook.parent, timeout=90)
    assert code == 0, output
    return code, spy


@needs_bwrap
def test_a_sandboxed_notebook_cannot_reach_the_servers_pipes():
    """In the sandbox, is bwrap's pid 1 (which holds the server's pipes) out of reach, and the server's own
    /proc too, so a notebook finds no pipe to forge replies into?"""
    with sandbox.SandboxedForkServer(env=clean_environment(), network=False) as server:
        assert server.isolation == isolation.NAMESPACES
        _, spy = _sandboxed_run(server, {"l00-create-skill": FORGER}, "forger.json")
        seen = json.loads(spy.read_text())
        assert seen["written"] == [] and max(seen["pids"]) < 20, seen


@needs_bwrap
def test_in_the_sandbox_every_process_of_a_run_is_gone_when_it_ends():
    """Is a thread group whose leader exited, started by one notebook, dead before the next one starts?"""
    with sandbox.SandboxedForkServer(env=clean_environment(), network=False) as server:
        _, beats = _sandboxed_run(server, {"l00-create-skill": SURVIVOR}, "beats.txt")
        written = beats.stat().st_size
        time.sleep(0.5)
        assert written > 0 and beats.stat().st_size == written
