"""Time `skillbook grade-class` against `nbgrader autograde` on one synthetic class, in one command.

    .venv/bin/python benchmarks/grade_class.py [--students 30] [--lessons L05 L06 L07] [--jobs N]
    .venv/bin/python benchmarks/grade_class.py --scheduler [ADDRESS] [--workers 1 2 4] [--students 30] ...

It builds a temporary nbgrader course: every student submits every lesson, a mix of the solution,
the untouched lesson notebook and realistic wrong answers (tests/graders/cases/LXX.py). Each
notebook starts with a markdown cell naming its student, as real submissions differ: no grader can
reuse another student's grading. Then, on that same course directory and each with a fresh, empty
grading cache (SKILLBOOK_CACHE_DIR; the notebooks' check cells cache by notebook bytes):

1. `skillbook grade-class --course C` (all lessons, --jobs N, a warm fork server per job);
2. `nbgrader autograde <lesson dir> --create --force` for each lesson (after generate_assignment).

It prints both wall times, the ratio, the CPU count and whether the gradebook holds the same
points, cell by cell, after each.

With --scheduler it compares local grading with grading on Dask (skillbook.instructor.cluster), all
in this process through grade_class.run, on the same class: local grading with --jobs 1 and --jobs N,
then a distributed.LocalCluster of 1, 2 and 4 worker processes (one thread each; --workers to
choose), or the cluster at ADDRESS. It prints notebooks per second for each, the per-notebook
overhead of Dask (one worker against --jobs 1: shipping the notebook and its result, scheduling), and
whether every run gave every notebook the same points. Worker start-up (the cluster and its fork
servers) is timed apart from grading. On a machine with few cores the workers share those cores with
the scheduler and each other: more workers there show Dask's overhead, not a speed-up; the speed-up
comes from workers on other machines.
"""

import argparse
import importlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/ holds the course builders

from skillbook.course import manifest  # noqa: E402
from tests.builders import lesson_path, solution_path, submission_from  # noqa: E402
from tests.instructor.course import BIN, environment, nbgrader, release  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from grade_vs_autograde import ratio  # noqa: E402


def _kind(number: int) -> str:
    """Two solutions, one untouched notebook, two wrong answers in every five students."""
    return ("solution", "wrong", "blank", "solution", "wrong")[number % 5]


def build_class(course: Path, students: int, lessons: list) -> dict:
    """submitted/<student>/<lesson>/<notebook>.ipynb for every student and lesson; returns what each got."""
    made = {}
    for lesson in lessons:
        wrong = list(importlib.import_module(f"tests.graders.cases.{lesson.id}").WRONG.values())
        for number in range(students):
            student = f"student-{number:02d}"
            folder = course / "submitted" / student / lesson.dir
            kind = _kind(number)
            if kind == "wrong":
                replacements, _ = wrong[number % len(wrong)]
                path = submission_from(lesson.id, replacements, folder)
            else:
                folder.mkdir(parents=True, exist_ok=True)
                path = folder / lesson.notebook_name
                path.write_bytes((solution_path if kind == "solution" else lesson_path)(lesson.id).read_bytes())
            nb = nbformat.read(path, as_version=4)
            nb.cells.insert(0, nbformat.v4.new_markdown_cell(f"Submitted by {student}."))
            nbformat.write(nb, path)
            made[(student, lesson.dir)] = kind
    return made


def scores(course: Path) -> dict:
    """{(student, lesson dir, test cell): auto_score} from the course's gradebook."""
    from nbgrader.api import Gradebook

    found = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for assignment in gradebook.assignments:
            for submission in assignment.submissions:
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        found[(submission.student.id, assignment.name, grade.cell.name)] = grade.auto_score
    return found


def timed(command: list[str], env: dict) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[:2])} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return time.perf_counter() - started


def _points(course: Path) -> dict:
    from skillbook.instructor import coursedir

    return {(s.student, s.lesson.id): [(e.id, e.points) for e in s.result.exercises]
            for s in coursedir.stored_results(course)[0]}


def _grade_in_process(course: Path, cache: Path, **options) -> float:
    """grade_class.run on the course, quietly, with a fresh grading cache; its wall time."""
    import io

    from rich.console import Console

    from skillbook.instructor import grade_class

    os.environ["SKILLBOOK_CACHE_DIR"] = str(cache)
    started = time.perf_counter()
    code = grade_class.run(course, console=Console(file=io.StringIO()), **options)
    seconds = time.perf_counter() - started
    if code != 0:
        sys.exit(f"grade-class exited {code} ({options})")
    return seconds


def _round_trip(cluster, course: Path) -> float:
    """Seconds for one task that carries a notebook's bytes to a worker and back, one after another."""
    notebooks = [path.read_bytes() for path in sorted((course / "submitted").glob("*/*/*.ipynb"))]
    started = time.perf_counter()
    for data in notebooks:
        cluster.client.submit(len, data, pure=False).result()
    return (time.perf_counter() - started) / len(notebooks)


def scheduler_mode(args, course: Path, tmp: Path, notebooks: int) -> int:
    """Local grading against Dask on the same class; a table of notebooks per second."""
    import logging

    from distributed import LocalCluster

    from skillbook.instructor.cluster import Cluster

    for name in ("DATABASE_URL", "TEST_DATABASE_URL"):
        os.environ.pop(name, None)  # SQLite, in this process and the workers it starts
    sandbox = not args.no_sandbox
    rows, reference, same = [], None, True

    def measure(label: str, layout: str, **options) -> float:
        nonlocal reference, same
        seconds = _grade_in_process(course, tmp / f"cache-{len(rows)}", sandbox=sandbox, **options)
        points = _points(course)
        reference = reference or points
        same = same and points == reference and len(points) == notebooks
        rows.append((label, layout, seconds))
        return seconds

    one_job = measure("local, --jobs 1", "1 thread", jobs=1)
    measure(f"local, --jobs {args.jobs}", f"{args.jobs} threads", jobs=args.jobs)
    dask_one, round_trip, startup = None, None, []
    clusters = [("at " + args.scheduler, None)] if args.scheduler != "local" else [("LocalCluster", n) for n in args.workers]
    for where, workers in clusters:
        started = time.perf_counter()
        local = None
        if workers:
            local = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                                 silence_logs=logging.ERROR)
        try:
            with Cluster.connect(local.scheduler_address if local else args.scheduler) as cluster:
                startup.append(time.perf_counter() - started)
                nthreads = cluster.client.nthreads()
                layout = f"{len(nthreads)} worker(s), {sum(nthreads.values())} thread(s)"
                seconds = measure(f"Dask {where}", layout, cluster=cluster)
                if workers in (1, None):
                    dask_one = seconds
                    round_trip = _round_trip(cluster, course)
        finally:
            if local:
                local.close()

    print(f"{notebooks} notebooks ({', '.join(l.id for l in args.lesson_objects)}), {os.cpu_count()} CPUs, "
          f"sandbox {'on' if sandbox else 'off'}")
    print(f"  {'grading':<24} {'layout':<26} {'seconds':>8} {'notebooks/s':>12} {'vs --jobs 1':>12}")
    for label, layout, seconds in rows:
        print(f"  {label:<24} {layout:<26} {seconds:8.1f} {notebooks / seconds:12.2f} {one_job / seconds:11.2f}x")
    if startup:
        print(f"  cluster start-up (not in the times above): {', '.join(f'{s:.1f} s' for s in startup)}")
    if dask_one is not None:
        print(f"  Dask's overhead per notebook (1 worker against --jobs 1): {(dask_one - one_job) / notebooks * 1000:+.0f} ms; "
              f"a task's round trip carrying one notebook, nothing graded: {round_trip * 1000:.0f} ms")
    if os.cpu_count() and os.cpu_count() < 4:
        print(f"  note: {os.cpu_count()} CPUs: workers beyond that share them, so these figures show Dask's overhead, "
              "not a speed-up (that needs workers on other machines)")
    print(f"  every run gave every notebook the same points: {'yes' if same else 'NO'}")
    return 0 if same else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--lessons", nargs="+", default=["L05", "L06", "L07"])
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--no-sandbox", action="store_true", help="grade-class without bubblewrap")
    parser.add_argument("--scheduler", nargs="?", const="local", metavar="ADDRESS",
                        help="compare local grading with Dask: LocalClusters (no ADDRESS) or the cluster at ADDRESS")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4], help="LocalCluster sizes for --scheduler")
    args = parser.parse_args(argv)
    lessons = args.lesson_objects = [manifest.lesson(each) for each in args.lessons]
    with tempfile.TemporaryDirectory(prefix="bench-class-") as tmp:
        course = Path(tmp) / "course"
        release(course, [lesson.id for lesson in lessons])
        made = build_class(course, args.students, lessons)
        if args.scheduler:
            return scheduler_mode(args, course, Path(tmp), len(made))

        env = environment(course, SKILLBOOK_CACHE_DIR=str(Path(tmp) / "cache-grade-class"))
        command = [str(BIN / "skillbook"), "grade-class", "--course", str(course), "--jobs", str(args.jobs)]
        ours = timed(command + (["--no-sandbox"] if args.no_sandbox else []), env)
        after_ours = scores(course)

        started = time.perf_counter()
        for lesson in lessons:
            nbgrader(course, "autograde", lesson.dir, "--create", "--force", SKILLBOOK_CACHE_DIR=str(Path(tmp) / "cache-nbgrader"))
        theirs = time.perf_counter() - started
        after_theirs = scores(course)

    differ = sorted(k for k in after_theirs if after_ours.get(k) != after_theirs[k])
    expected = args.students * sum(len(lesson.exercises) for lesson in lessons)
    kinds = {kind: sum(1 for each in made.values() if each == kind) for kind in ("solution", "blank", "wrong")}
    print(f"{args.students} students x {', '.join(l.id for l in lessons)} = {len(made)} notebooks "
          f"({kinds['solution']} solutions, {kinds['blank']} untouched, {kinds['wrong']} wrong); "
          f"{os.cpu_count()} CPUs, grade-class --jobs {args.jobs}{' --no-sandbox' if args.no_sandbox else ''}; "
          "both on SQLite")
    print(f"  skillbook grade-class:  {ours:7.1f} s")
    print(f"  nbgrader autograde:     {theirs:7.1f} s")
    print(f"  ratio: {ratio(ours, theirs, 'grade-class')}")
    print(f"  test cells compared: {len(after_theirs)} (expected {expected}); "
          f"every score equal: {'yes' if not differ and len(after_theirs) == expected else 'NO'}")
    for key in differ[:10]:
        print(f"    {key}: grade-class {after_ours.get(key)}, nbgrader {after_theirs[key]}")
    return 0 if not differ and len(after_theirs) == expected else 1


if __name__ == "__main__":
    sys.exit(main())
