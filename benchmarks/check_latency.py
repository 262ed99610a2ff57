"""How long a learner waits: `skillbook check` (what `make check` runs) against `nbgrader validate`.

    .venv/bin/python benchmarks/check_latency.py [--lesson L05] [--repeat 3]

Both check the same notebook (the lesson's solution, as a learner who finished it would have), each
as a fresh command, the way a learner runs them. It prints the median wall times and the ratio.
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

from skillbook.course import manifest, paths

BIN = Path(sys.executable).parent


def _timed(command, env, cwd) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lesson", default="L05")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    lesson = manifest.lesson(args.lesson)
    ours, theirs = [], []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
            tmp = Path(tmp)
            notebook = tmp / lesson.dir / lesson.notebook_name
            notebook.parent.mkdir()
            shutil.copy(paths.solutions_dir() / lesson.dir / lesson.notebook_name, notebook)
            # No shared check cache between the two tools or between runs: each pays for its own grading.
            env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL")}
            env.update(SKILLBOOK_SKILL_DIR=str(tmp / "skill"), PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
            ours.append(_timed([BIN / "skillbook", "check", lesson.id, "--notebook", str(notebook)],
                               dict(env, SKILLBOOK_CACHE_DIR=str(tmp / "cache-ours")), paths.repo_root()))
            theirs.append(_timed([BIN / "nbgrader", "validate", str(notebook)],
                                 dict(env, SKILLBOOK_CACHE_DIR=str(tmp / "cache-theirs")), notebook.parent))
    ours_t, theirs_t = statistics.median(ours), statistics.median(theirs)
    print(f"{lesson.id} ({len(lesson.exercises)} exercises), median of {args.repeat} runs")
    print(f"  skillbook check (make check): {ours_t:6.2f} s")
    print(f"  nbgrader validate:            {theirs_t:6.2f} s")
    print(f"  ratio: make check is {theirs_t / ours_t:.1f}x faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
