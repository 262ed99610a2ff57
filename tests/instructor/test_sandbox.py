"""What can a notebook graded in the bubblewrap sandbox reach? (Skipped, saying why, without bwrap.)

Without bubblewrap, grade-class still gives each submission its own process, folder, database,
scrubbed environment, time and memory limits, but the notebook runs as the instructor's user and
can read whatever that user can: the last test shows it copying its answers from solutions/.
"""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from skillbook.engine import grade as grading, sandbox

from skillbook.course import manifest, paths
from tests.builders import solution_path
from tests.instructor import hostile

needs_bwrap = pytest.mark.skipif(sandbox.bwrap() is None,
                                 reason="bubblewrap (bwrap) is not installed or cannot run here: apt-get install bubblewrap")
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
