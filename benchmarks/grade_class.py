"""Time `skillbook grade-class` against `nbgrader autograde` on one synthetic class, in one command.

    .venv/bin/python benchmarks/grade_class.py [--students 30] [--lessons L05 L06 L07] [--jobs N]

It builds a temporary nbgrader course: every student submits every lesson, a mix of the solution,
the untouched lesson notebook and realistic wrong answers (tests/graders/cases/LXX.py). Each
notebook starts with a markdown cell naming its student, as real submissions differ: no grader can
reuse another student's grading. Then, on that same course directory and each with a fresh, empty
grading cache (SKILLBOOK_CACHE_DIR; the notebooks' check cells cache by notebook bytes):

1. `skillbook grade-class --course C` (all lessons, --jobs N, a warm fork server per job);
2. `nbgrader autograde <lesson dir> --create --force` for each lesson (after generate_assignment).

It prints both wall times, the ratio, the CPU count and whether the gradebook holds the same
points, cell by cell, after each.
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--lessons", nargs="+", default=["L05", "L06", "L07"])
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--no-sandbox", action="store_true", help="grade-class without bubblewrap")
    args = parser.parse_args(argv)
    lessons = [manifest.lesson(each) for each in args.lessons]
    with tempfile.TemporaryDirectory(prefix="bench-class-") as tmp:
        course = Path(tmp) / "course"
        release(course, [lesson.id for lesson in lessons])
        made = build_class(course, args.students, lessons)

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
          f"{os.cpu_count()} CPUs, grade-class --jobs {args.jobs}{' --no-sandbox' if args.no_sandbox else ''}")
    print(f"  skillbook grade-class:  {ours:7.1f} s")
    print(f"  nbgrader autograde:     {theirs:7.1f} s")
    print(f"  ratio: grade-class is {theirs / ours:.1f}x faster")
    print(f"  test cells compared: {len(after_theirs)} (expected {expected}); "
          f"every score equal: {'yes' if not differ and len(after_theirs) == expected else 'NO'}")
    for key in differ[:10]:
        print(f"    {key}: grade-class {after_ours.get(key)}, nbgrader {after_theirs[key]}")
    return 0 if not differ and len(after_theirs) == expected else 1


if __name__ == "__main__":
    sys.exit(main())
