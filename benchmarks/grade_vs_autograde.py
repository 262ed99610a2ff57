"""Time `skillbook grade` against `nbgrader autograde` on the same notebooks, in one command.

    .venv/bin/python benchmarks/grade_vs_autograde.py [--lesson L00] [--database-url URL] [--repeat 3]

Both grade the lesson's solution and its untouched student notebook on the same database: the
server of --database-url, else of TEST_DATABASE_URL, else SQLite (nbgrader's check cells read
TEST_DATABASE_URL, so it is set for both or for neither). It prints each tool's wall time, the
ratio ("faster" or "slower"), and whether every exercise got the same points from both.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nbgrader.api import Gradebook

from skillbook.course import manifest, paths
from skillbook.engine.databases import backend, grading_base_url
from skillbook.engine.grade import grade_notebook

BIN = Path(sys.executable).parent


def ratio(ours: float, theirs: float, who: str) -> str:
    """How many times faster `who` (timed `ours`) is than nbgrader (`theirs`), or slower when it is."""
    if ours <= theirs:
        return f"{who} is {theirs / ours:.1f}x faster"
    return f"{who} is {ours / theirs:.1f}x slower"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lesson", default="L00")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    lesson = manifest.lesson(args.lesson)
    # One database for both sides: resolved once, then given to each explicitly.
    database_url = grading_base_url(args.database_url)
    os.environ.pop("TEST_DATABASE_URL", None)
    notebooks = {
        "solution": paths.solutions_dir() / lesson.dir / lesson.notebook_name,
        "unanswered": paths.lessons_dir() / lesson.dir / lesson.notebook_name,
    }
    ours_times, theirs_times, agree = [], [], True
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="bench-course-") as course:
            course = Path(course)
            for student, notebook in notebooks.items():
                folder = course / "submitted" / student / lesson.dir
                folder.mkdir(parents=True)
                shutil.copy(notebook, folder / lesson.notebook_name)
            env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL")}
            # A fresh check cache: nbgrader's check cells must not reuse an earlier run's grading.
            env.update(COURSE_DIR=str(course), SKILLBOOK_RELEASE_DIR=str(course / "release"),
                       SKILLBOOK_CACHE_DIR=str(course / "cache"),
                       PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
            if database_url:
                env["TEST_DATABASE_URL"] = database_url
            subprocess.run([str(BIN / "nbgrader"), "generate_assignment", lesson.dir, "--force", "--log-level=ERROR"],
                           cwd=paths.repo_root(), env=env, check=True, capture_output=True)

            started = time.perf_counter()
            ours = {s: grade_notebook(course / "submitted" / s / lesson.dir / lesson.notebook_name,
                                      database_url=database_url) for s in notebooks}
            ours_times.append(time.perf_counter() - started)

            started = time.perf_counter()
            subprocess.run([str(BIN / "nbgrader"), "autograde", lesson.dir, "--create", "--force", "--log-level=ERROR"],
                           cwd=paths.repo_root(), env=env, check=True, capture_output=True)
            theirs_times.append(time.perf_counter() - started)

            with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
                for student, result in ours.items():
                    graded = gradebook.find_submission_notebook(lesson.dir, lesson.dir, student)
                    cells = {g.name: g.score for g in graded.grades}
                    for ex in result.exercises:
                        if cells.get(manifest.exercise(ex.id).check_grade_id) != ex.points:
                            agree = False
    ours_t, theirs_t = statistics.median(ours_times), statistics.median(theirs_times)
    on = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(backend(database_url), backend(database_url))
    print(f"{lesson.id} on {on} for both, {len(notebooks)} notebooks, median of {args.repeat} runs")
    print(f"  skillbook grade:    {ours_t:6.2f} s")
    print(f"  nbgrader autograde: {theirs_t:6.2f} s")
    print(f"  ratio: {ratio(ours_t, theirs_t, 'skillbook')}")
    print(f"  every exercise scored the same by both: {'yes' if agree else 'NO'}")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
