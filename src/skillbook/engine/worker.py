"""The grading process: runs one lesson's grader suite on one notebook, results as JSON lines.

    python -m skillbook.engine.worker --lesson L05 --notebook PATH --results FILE

Started by skillbook.engine.grade in its own process so that a notebook that hangs, exits or crashes
costs only the exercises it had not reached.
"""

import argparse
import gc
import json
import os
import resource
import sys

import pytest

from skillbook.course import manifest, paths


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m skillbook.engine.worker")
    parser.add_argument("--lesson", required=True)
    parser.add_argument("--notebook", required=True)
    parser.add_argument("--results", required=True)
    parser.add_argument("--check-seconds", default="20")
    parser.add_argument("--cell-seconds", default="30")
    parser.add_argument("--load-seconds", default="120")
    parser.add_argument("--memory-bytes", type=int, default=0, help="limit the address space (0: no limit)")
    parser.add_argument("--disk-bytes", type=int, default=0, help="limit the size of any one file (0: no limit)")
    args = parser.parse_args(argv)
    # Everything imported so far (pytest, SQLAlchemy, ... : most of the heap, in a fork server all of
    # it) lives as long as this process: freezing it spares every garbage collection from walking it.
    gc.freeze()
    # Set here, the one place both ways of starting a worker (fork server, fresh process) pass: a notebook
    # that allocates too much gets a MemoryError, not the machine's memory; a huge file fails to grow (EFBIG).
    for kind, wanted in ((resource.RLIMIT_AS, args.memory_bytes), (resource.RLIMIT_FSIZE, args.disk_bytes)):
        if wanted:
            _, hard = resource.getrlimit(kind)
            limit = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
            resource.setrlimit(kind, (limit, limit))
    os.environ["SKILLBOOK_GRADING"] = "1"
    # Only the plugins grading needs: nbval alone would cost a second of imports in every run.
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    lesson = manifest.lesson(args.lesson)
    graders = paths.graders_dir()
    with open(args.results, "a", encoding="utf-8") as out:
        out.write(json.dumps({"event": "start", "lesson": lesson.id}) + "\n")
    code = pytest.main(
        [
            str(graders / lesson.grader_file),
            "-c", str(graders / "pytest.ini"),
            "--rootdir", str(graders),
            "-p", "pytest_asyncio.plugin",
            "-p", "skillbook.engine.pytest_plugin",
            "-p", "no:cacheprovider",
            # They only turn stray exceptions into warnings, which grading ignores, and pay for it
            # with full garbage collections.
            "-p", "no:unraisableexception", "-p", "no:threadexception",
            "-q", "--no-header", "-rN",
            "--notebook", args.notebook,
            "--results", args.results,
            "--check-seconds", args.check_seconds,
            "--cell-seconds", args.cell_seconds,
            "--load-seconds", args.load_seconds,
        ]
    )
    with open(args.results, "a", encoding="utf-8") as out:
        out.write(json.dumps({"event": "end", "exit": int(code)}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
