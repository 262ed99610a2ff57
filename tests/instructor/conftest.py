"""One graded class for the instructor tests: correct, blank and hostile submissions in one batch.

grade-class runs once per test run (it is the slow part; once even across pytest-xdist workers) on
SQLite; the tests read what it left: results.json files, the gradebook (through `nbgrader export`),
feedback pages and grades.
"""

import fcntl
import io
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.console import Console

from skillbook.instructor import grade_class as classgrade, coursedir

from skillbook.course import manifest

from skillbook.engine import sandbox
from tests.builders import lesson_path, solution_path
from tests.instructor import hostile
from tests.instructor.course import release, submit

LESSONS = ["L00", "L05"]
# The control group: their scores must be exactly what each gets when graded alone.
CONTROLS = {("good-1", "L00"): solution_path("L00"), ("good-2", "L00"): solution_path("L00"),
            ("good-1", "L05"): solution_path("L05"), ("blank", "L00"): lesson_path("L00")}
# Short limits, so the hangs cost seconds, but long enough that a correct notebook never meets them and
# that `exercise-never-returns` (four checks that each hang until their limit) is not killed as a whole.
LIMITS = {"cell_seconds": 2, "check_seconds": 2, "total_seconds": 16}


@dataclass
class GradedClass:
    course: Path
    code: int
    output: str
    seconds: float
    sandboxed: bool
    cases: dict  # student name -> hostile.Case

    def stored(self, student: str, lesson_id: str) -> coursedir.Stored:
        found = [s for s in coursedir.stored_results(self.course)[0] if s.student == student and s.lesson.id == lesson_id]
        assert len(found) == 1, f"no results.json for {student} {lesson_id}"
        return found[0]


def _once(tmp_path_factory, name: str, make):
    """make(folder) once per test run, even across pytest-xdist workers (each has its own session):
    the first worker to take the lock makes it in a folder they all share; the others wait, then reuse it."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # shared by the workers of this run
    folder, done = root / name, root / f"{name}.done.json"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            done.write_text(json.dumps(make(folder)))
    return folder, json.loads(done.read_text())


@pytest.fixture(scope="session")
def released_gradebook(tmp_path_factory) -> Path:
    """A gradebook that knows the lessons, made once (nbgrader takes seconds to start)."""
    folder, _ = _once(tmp_path_factory, "released", lambda folder: release(folder, LESSONS) or {})
    return folder / "gradebook.db"


def new_course(folder: Path, gradebook: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "gradebook.db").write_bytes(gradebook.read_bytes())
    return folder


def _grade_class(course: Path, gradebook: Path) -> dict:
    new_course(course, gradebook)
    for (student, lesson_id), notebook in CONTROLS.items():
        submit(course, student, lesson_id, notebook)
    lesson = manifest.lesson("L00")
    places = {"classmate": str(course / "submitted" / "good-1" / lesson.dir / lesson.notebook_name),
              "solution": str(solution_path("L00")), "gradebook": str(course / "gradebook.db")}
    for name, case in _cases().items():
        hostile.build(case, course / "submitted" / name / manifest.lesson(case.lesson).dir, places)
    (course / "submitted" / "good-2" / "homework-3").mkdir()  # not a lesson: skipped, said so
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("TEST_DATABASE_URL", raising=False)  # SQLite, whatever the suite's backend
        started = time.monotonic()
        # Three jobs on two CPUs: the two long hangs sleep, and a third thread keeps both CPUs busy meanwhile.
        code = classgrade.run(course, jobs=3, limits=LIMITS, console=Console(file=out, width=200))
    return {"code": code, "output": out.getvalue(), "seconds": time.monotonic() - started}


def _cases() -> dict:
    on = sandbox.bwrap() is not None
    return {name: case for name, case in hostile.CASES.items() if on or not case.sandbox_only}


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory, released_gradebook) -> GradedClass:
    course, run = _once(tmp_path_factory, "class", lambda folder: _grade_class(folder, released_gradebook))
    return GradedClass(course, run["code"], run["output"], run["seconds"], sandbox.bwrap() is not None, _cases())
