"""grade-class on a Dask cluster: a real scheduler and two worker processes on this machine (LocalCluster).

Does the cluster give every submission of the hostile class the points local grading gave it? Does a
worker killed mid-run cost no submission? Is a notebook that kills every worker it runs on scored 0
with a message instead of being retried forever?
"""

import contextlib
import io
import os
import shutil
import signal
import threading
import time

import dask
import pytest
from distributed import LocalCluster
from rich.console import Console

from skillbook.course import manifest
from skillbook.instructor import coursedir, grade_class as classgrade
from skillbook.instructor.cluster import Cluster, ClusterError
from tests.builders import lesson_path, solution_path, submission_from
from tests.instructor.conftest import LIMITS, new_course
from tests.instructor.course import submit

# In the graded class's group: never on one CPU with its time-limited grading (LIMITS), which busy CPUs can
# push past its limits.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("graded-class")]

# A notebook cannot reach its Dask worker (its run has a pid namespace of its own), but it can make the
# machine's out-of-memory killer kill it: this one waits, and the test kills the worker grading it each time.
WAITS_FOR_THE_KILLER = "import time\ntime.sleep(120)\n"


@contextlib.contextmanager
def local_cluster(**config):
    """Two worker processes of one thread each (restarted by their nannies when they die); a worker
    holds one task at a time (worker-saturation 1), so a worker's death touches only the notebook it grades.
    The scheduler's HTTP server takes a free port (dashboard_address=None would still try 8787)."""
    settings = {"distributed.scheduler.worker-saturation": 1.0, **config}
    with dask.config.set(settings), LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                                 dashboard_address=":0") as local:
        with Cluster.connect(local.scheduler_address) as cluster:
            yield cluster


def _grade(course, cluster, **options) -> tuple[int, str]:
    out = io.StringIO()
    code = classgrade.run(course, cluster=cluster, console=Console(file=out, width=200), **options)
    return code, out.getvalue()


def _points(course) -> dict:
    return {(s.student, s.lesson.id): s for s in coursedir.stored_results(course)[0]}


@pytest.mark.timeout(1200)  # the whole hostile class (80 submissions, their hangs included) on two workers
def test_the_cluster_grades_the_hostile_class_as_local_grading(graded_class, tmp_path, monkeypatch):
    """Every submission of the class (correct, blank, malformed, hostile): the same points per exercise,
    and the same ones listed as broken, as grade-class gave them on this machine."""
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)  # SQLite, as the local run (workers inherit it)
    course = new_course(tmp_path / "course", graded_class.course / "gradebook.db")
    shutil.copytree(graded_class.course / "submitted", course / "submitted", symlinks=True)
    with local_cluster() as cluster:
        code, output = _grade(course, cluster, limits=LIMITS, sandbox=graded_class.sandboxed)
        # what grading processes inherit: not the tuning Dask's nanny gave its worker process
        assert set(cluster.client.run(os.getenv, "MALLOC_TRIM_THRESHOLD_").values()) == {None}
    assert code == 0, output
    assert "Grading (Dask: 2 workers, 2 threads)" in output
    assert ("Sandbox: on" if graded_class.sandboxed else "Sandbox: off") in output
    local, remote = _points(graded_class.course), _points(course)
    assert set(remote) == set(local) and len(local) > 30
    # A notebook stopped by the whole-notebook time limit (LIMITS) in either run depends on how busy the
    # machine was, not on where it ran: only the designed hangs may be, and they are left out.
    total = f"after {LIMITS['total_seconds']:g} s"
    timed_out = {key for key in local if total in (local[key].result.error or "") + (remote[key].result.error or "")}
    assert len(timed_out) <= 3, sorted(timed_out)
    # What these earn depends on the machine's limits and load at the time ("at most" in hostile.py).
    limited = {(case.student(name), case.lesson) for name, case in graded_class.cases.items() if case.broken is None}
    for key, here in local.items():
        if key in timed_out or (key[0], key[1]) in limited:
            continue
        there = remote[key]
        assert [(e.id, e.points, e.passed) for e in there.result.exercises] == \
               [(e.id, e.points, e.passed) for e in here.result.exercises], key
        assert (there.problem is None) == (here.problem is None), (key, there.problem, here.problem)
        assert there.sandboxed == here.sandboxed


def _class(course, students: int) -> dict:
    """Solutions and untouched notebooks of L00, and one L05 solution: what each must score."""
    expected = {}
    for number in range(students):
        solved = number % 2 == 0
        submit(course, f"learner-{number}", "L00", (solution_path if solved else lesson_path)("L00"))
        expected[(f"learner-{number}", "L00")] = manifest.lesson("L00").max_points if solved else 0
    submit(course, "learner-0", "L05", solution_path("L05"))
    expected[("learner-0", "L05")] = manifest.lesson("L05").max_points
    return expected


def _kill_a_busy_worker(cluster: Cluster, course, killed: list) -> None:
    """Once the first result is stored, SIGKILL a worker process while it grades a notebook."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if list((course / "autograded").glob("*/*/results.json")):
            busy = [worker for worker, keys in cluster.client.processing().items() if keys]
            if busy:
                pid = cluster.client.run(os.getpid, workers=[busy[0]])[busy[0]]
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                return
        time.sleep(0.05)


def test_a_worker_killed_mid_run_loses_no_submission(released_gradebook, tmp_path, monkeypatch):
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
    course = new_course(tmp_path / "course", released_gradebook)
    expected = _class(course, students=8)
    killed: list[int] = []
    with local_cluster() as cluster:
        before = set(cluster.client.run(os.getpid).values())
        killer = threading.Thread(target=_kill_a_busy_worker, args=(cluster, course, killed))
        killer.start()
        code, output = _grade(course, cluster)
        killer.join()
        after = set(cluster.client.run(os.getpid).values())
    assert code == 0, output
    assert killed and killed[0] in before and killed[0] not in after, (killed, before, after)  # it died; a new one took over
    stored = _points(course)
    assert {key: each.result.points for key, each in stored.items()} == expected
    assert not any(each.problem for each in stored.values()), output


def _kill_whoever_grades(cluster: Cluster, name: str, times: int, killed: list) -> None:
    """SIGKILL the worker process grading the task of submission `name`, `times` times (as the OOM killer would)."""
    deadline = time.monotonic() + 240
    while len(killed) < times and time.monotonic() < deadline:
        for worker, keys in cluster.client.processing().items():
            if any(name in str(key) for key in keys):
                pid = cluster.client.run(os.getpid, workers=[worker])[worker]
                if pid not in killed:
                    time.sleep(1)  # its grading has started
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
        time.sleep(0.1)


def test_a_notebook_that_kills_every_worker_scores_zero_and_the_class_goes_on(released_gradebook, tmp_path, monkeypatch):
    """A notebook whose workers die (the OOM killer, here the test) on allowed-failures + 1 workers is given up
    (KilledWorker): 0 points, a message, and the rest of the class graded."""
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
    course = new_course(tmp_path / "course", released_gradebook)
    expected = _class(course, students=3)
    submission_from("L00", {"l00-create-skill": WAITS_FOR_THE_KILLER}, course / "submitted" / "killer" / "L00_build_skill")
    killed: list[int] = []
    with local_cluster(**{"distributed.scheduler.allowed-failures": 1}) as cluster:
        oom = threading.Thread(target=_kill_whoever_grades, args=(cluster, "-killer-L00", 2, killed))
        oom.start()
        code, output = _grade(course, cluster, sandbox=False)
        oom.join()
    assert len(killed) == 2, killed
    assert code == 0, output
    stored = _points(course)
    killer = stored.pop(("killer", "L00"))
    assert killer.result.points == 0 and killer.problem.startswith("grading stopped 2 Dask workers"), killer.problem
    assert "killer/L00_build_skill: grading stopped 2 Dask workers" in output
    assert {key: each.result.points for key, each in stored.items()} == expected


def test_no_scheduler_is_a_one_line_error():
    with pytest.raises(ClusterError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        Cluster.connect("tcp://127.0.0.1:9", timeout=2)
