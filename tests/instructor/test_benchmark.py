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


@pytest.mark.slow
@pytest.mark.xdist_group("graded-class")
def test_grade_vs_autograde_puts_both_on_one_database():
    """With TEST_DATABASE_URL exported, do both tools grade on it (and on SQLite without it), the same points?"""
    import os

    url = os.environ.get("TEST_DATABASE_URL")
    done = subprocess.run([sys.executable, "benchmarks/grade_vs_autograde.py", "--lesson", "L00", "--repeat", "1"],
                          cwd=paths.repo_root(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"L00 on {'PostgreSQL' if url else 'SQLite'} for both" in done.stdout, done.stdout
    assert "every exercise scored the same by both: yes" in done.stdout
    assert " faster" in done.stdout or " slower" in done.stdout


def test_the_ratio_says_slower_when_it_is():
    sys.path.insert(0, str(paths.repo_root() / "benchmarks"))
    from grade_vs_autograde import ratio

    assert ratio(2.0, 30.0, "grade-class") == "grade-class is 15.0x faster"
    assert ratio(6.0, 2.0, "skillbook") == "skillbook is 3.0x slower"
