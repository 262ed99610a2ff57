"""Per-submission limits (skillbook.engine.isolation): disk, the memory of all its processes together,
and the number of its processes. A fork server gives each run namespaces of its own here; a fresh
process still gets the per-process limits (RLIMIT_AS, RLIMIT_FSIZE)."""

import pytest

from skillbook.engine import grade as grading
from skillbook.engine.grade import grade_notebook

FAST = {"cell_seconds": 20, "check_seconds": 5, "total_seconds": 90}
MB = 1024 * 1024


@pytest.fixture
def fork_server(monkeypatch):
    monkeypatch.setattr(grading, "_use_fork_servers", True)
    yield
    grading.close_fork_server()


def _answer_if(condition: str) -> str:
    """A correct skill_description only when `condition` held (so the points show what the cell saw)."""
    return (f"{condition}\nskill_description = ('Use when writing async database code with SQLModel, SQLAlchemy "
            "and FastAPI: sessions, migrations and queries.') if blocked else 1")


def test_one_huge_file_fails_to_be_written(submission, fork_server):
    """Does a file larger than the run's disk fail to be written (no space, or file too large)?"""
    fill = _answer_if("try:\n    open('big.bin', 'wb').write(b'x' * (100 * 2**20))\n    blocked = False\n"
                      "except OSError:\n    blocked = True")
    result = grade_notebook(submission("L00", {"L00-skill_description": fill}), disk_bytes=64 * MB, **FAST)
    assert result.exercise("L00.skill_description").passed, result.exercise("L00.skill_description")


def test_many_files_together_cannot_pass_the_runs_disk(submission, fork_server, tmp_path):
    """Do 4 files of 30 MB, each under the limit, fail together past 64 MB, in the run's folder, its HOME and TMPDIR?"""
    fill = _answer_if(
        "import os, tempfile\nblocked = False\n"
        "for i, folder in enumerate(['.', os.environ['HOME'], tempfile.gettempdir(), '.']):\n"
        "    try:\n        open(os.path.join(folder, f'part{i}.bin'), 'wb').write(b'x' * (30 * 2**20))\n"
        "    except OSError:\n        blocked = True")
    result = grade_notebook(submission("L00", {"L00-skill_description": fill}), disk_bytes=64 * MB, **FAST)
    assert result.exercise("L00.skill_description").passed, result.exercise("L00.skill_description")


HOARDERS = """import os, time
for _ in range(4):
    if os.fork() == 0:
        hoard = b'x' * (400 * 2**20)  # written, so resident: 1.6 GB in four processes
        time.sleep(60)
        os._exit(0)
time.sleep(60)"""


def test_the_memory_of_all_processes_together_is_limited(submission, fork_server):
    """Do four processes of 400 MB each, each under the per-process limit, stop the run at 1 GB together?"""
    result = grade_notebook(submission("L00", {"l00-create-skill": HOARDERS}), memory_bytes=1024**3, **FAST)
    assert result.error and "more than 1 GB of memory (all its processes together)" in result.error, result.error
    assert "while running your notebook's cells" in result.error
    assert result.points == 0


FORKER = """import os, time
for _ in range(100):
    if os.fork() == 0:
        time.sleep(60)
        os._exit(0)
time.sleep(60)"""


def test_the_number_of_processes_is_limited(submission, fork_server):
    """Does a notebook that starts 100 processes get stopped, saying so?"""
    result = grade_notebook(submission("L00", {"l00-create-skill": FORKER}), max_processes=30, **FAST)
    assert result.error and "more than 30 processes" in result.error, result.error


def test_a_run_cannot_reach_the_folders_of_other_runs(submission, fork_server):
    """Does a notebook find only its own run folder beside it, so that it cannot append to the results
    of a submission graded at the same time (here: a folder standing for one)?"""
    runs = grading._runs_folder(None)
    other = runs / "skillbook-grade-classmate"
    other.mkdir(exist_ok=True)
    (other / "results.jsonl").write_text("")
    try:
        reach = _answer_if(
            "import os\nwork = os.path.dirname(os.getcwd())\nrunsdir = os.path.dirname(work)\n"
            "blocked = os.listdir(runsdir) == [os.path.basename(work)]\n"
            "for name in os.listdir(runsdir):\n"
            "    try:\n        open(os.path.join(runsdir, name, 'results.jsonl'), 'a').write('{}\\n')\n"
            "    except OSError:\n        pass")
        result = grade_notebook(submission("L00", {"L00-skill_description": reach}), **FAST)
        assert result.exercise("L00.skill_description").passed, result.exercise("L00.skill_description")
        assert (other / "results.jsonl").read_text() == ""
    finally:
        (other / "results.jsonl").unlink()
        other.rmdir()
