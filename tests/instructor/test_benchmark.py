"""Does benchmarks/grade_class.py run end to end (one student: the solution) and find both tools agree?"""

import subprocess
import sys

import pytest

from skillbook.course import manifest, paths


@pytest.mark.slow
def test_benchmark_script_smoke_run():
    done = subprocess.run([sys.executable, "benchmarks/grade_class.py", "--students", "1", "--lessons", "L05"],
                          cwd=paths.repo_root(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 students x L05 = 1 notebooks (1 solutions, 0 untouched, 0 wrong)" in done.stdout
    cells = len(manifest.lesson("L05").exercises)
    assert f"test cells compared: {cells} (expected {cells}); every score equal: yes" in done.stdout
    assert "skillbook grade-class:" in done.stdout and "nbgrader autograde:" in done.stdout and "x faster" in done.stdout


@pytest.mark.slow
@pytest.mark.xdist_group("graded-class")  # four grading runs: never beside the graded class's time limits
def test_benchmark_scheduler_mode_smoke_run():
    """--scheduler: local grading and a one-worker LocalCluster on one notebook, the same points, a table."""
    done = subprocess.run([sys.executable, "benchmarks/grade_class.py", "--scheduler", "--workers", "1",
                           "--students", "1", "--lessons", "L00"],
                          cwd=paths.repo_root(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    for row in ("local, --jobs 1", "Dask LocalCluster", "1 worker(s), 1 thread(s)", "notebooks/s",
                "Dask's overhead per notebook", "every run gave every notebook the same points: yes"):
        assert row in done.stdout, done.stdout
