"""One graded class for the instructor tests: correct, blank and hostile submissions in one batch.

grade-class runs once per test run (it is the slow part; once even across pytest-xdist workers) on
SQLite; the tests read what it left: results.json files, the gradebook (through `nbgrader export`),
feedback pages and grades.
"""

import asyncio
import fcntl
import hashlib
import io
import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy.engine import make_url

from skillbook.instructor import grade_class as classgrade, coursedir

from skillbook.course import manifest

from skillbook.engine import sandbox
from tests.builders import lesson_path, solution_path
from tests.instructor import hostile
from tests.instructor.course import release, submit

LESSONS = ["L00", "L05"]
PG_CANARY = f"hostile_canary_{uuid.uuid4().hex[:8]}"  # a database on the server that the PostgreSQL cases try to drop
# The control group: their scores must be exactly what each gets when graded alone.
CONTROLS = {("good-1", "L00"): solution_path("L00"), ("good-2", "L00"): solution_path("L00"),
            ("good-1", "L05"): solution_path("L05"), ("blank", "L00"): lesson_path("L00")}
PG_CONTROLS = {("good-1", "L00"): solution_path("L00"), ("blank", "L00"): lesson_path("L00")}
# Short limits, so the hangs cost seconds, but long enough that a correct notebook never meets them and
# that `exercise-never-returns` (four checks that each hang until their limit) is not killed as a whole.
# The class holds submissions that load the machine on purpose (2 GB of children, 200 MB of output,
# 320 MB of disk), so the limits leave a correct notebook room on a busy machine.
LIMITS = {"cell_seconds": 4, "check_seconds": 4, "total_seconds": 30}


@dataclass
class GradedClass:
    course: Path
    code: int
    output: str
    seconds: float
    sandboxed: bool
    cases: dict  # case name -> hostile.Case
    before: dict  # what lay outside the submissions' scratch before grading: {path: digest}
    database: str = "sqlite"
    canary_survived: bool = True  # PostgreSQL: the database the cases try to drop was there after grading

    def stored(self, name: str, lesson_id: str) -> coursedir.Stored:
        """What grade-class stored for a student (or a hostile case, by its name) and lesson."""
        student = self.cases[name].student(name) if name in self.cases else name
        found = [s for s in coursedir.stored_results(self.course)[0] if s.student == student and s.lesson.id == lesson_id]
        assert len(found) == 1, f"no results.json for {student!r} {lesson_id}"
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


def outside(course: Path) -> dict[str, str]:
    """What no submission may change: every file of the course but what grading writes (autograded/,
    the gradebook), and the canary folder beside the course. {path: sha256}"""
    found = {}
    for root in (course, course.parent / f"{course.name}-canary"):
        for path in sorted(root.rglob("*")) if root.exists() else ():
            relative = path.relative_to(course) if root == course else None
            if relative and (relative.parts[0] in ("autograded", "feedback", "grades") or path.name.startswith("gradebook.db")):
                continue
            if path.is_symlink():
                found[str(path)] = "-> " + os.readlink(path)
            elif path.is_file() and path.stat().st_size < 64 * 1024 * 1024:
                found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
            elif path.is_file():
                found[str(path)] = f"{path.stat().st_size} bytes"
    return found


def _grade_class(course: Path, gradebook: Path, database: str = "sqlite") -> dict:
    new_course(course, gradebook)
    canary = course.parent / f"{course.name}-canary"
    canary.mkdir(exist_ok=True)
    (canary / "canary.txt").write_text("nothing graded may change this file\n")
    controls = CONTROLS if database == "sqlite" else PG_CONTROLS
    for (student, lesson_id), notebook in controls.items():
        submit(course, student, lesson_id, notebook)
    lesson = manifest.lesson("L00")
    places = {"classmate": str(course / "submitted" / "good-1" / lesson.dir / lesson.notebook_name),
              "solution": str(solution_path("L00")), "gradebook": str(course / "gradebook.db"),
              "canary": PG_CANARY}
    for name, case in cases(database).items():
        hostile.build(case, course / "submitted" / case.student(name) / manifest.lesson(case.lesson).dir, places)
    if database == "sqlite":
        (course / "submitted" / "good-2" / "homework-3").mkdir()  # not a lesson: skipped, said so
    before = outside(course)
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        if database == "sqlite":
            patch.delenv("TEST_DATABASE_URL", raising=False)  # SQLite, whatever the suite's backend
        for name, value in hostile.SECRETS.items():  # the instructor's own secrets: no notebook may see one
            patch.setenv(name, value)
        started = time.monotonic()
        # Three jobs on two CPUs: the two long hangs sleep, and a third thread keeps both CPUs busy meanwhile.
        code = classgrade.run(course, jobs=3, limits=LIMITS, console=Console(file=out, width=200))
    return {"code": code, "output": out.getvalue(), "seconds": time.monotonic() - started, "before": before}


def cases(database: str = "sqlite") -> dict:
    """The hostile cases one graded class holds: those of its database, and the sandbox's only with bwrap."""
    on = sandbox.bwrap() is not None
    return {name: case for name, case in hostile.CASES.items()
            if case.database == database and (on or not case.sandbox_only)}


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory, released_gradebook) -> GradedClass:
    course, run = _once(tmp_path_factory, "class", lambda folder: _grade_class(folder, released_gradebook))
    return GradedClass(course, run["code"], run["output"], run["seconds"], sandbox.bwrap() is not None, cases(),
                       run["before"])


@pytest.fixture(scope="session")
def graded_class_postgres(tmp_path_factory, released_gradebook) -> GradedClass:
    """The PostgreSQL cases and a control, graded on TEST_DATABASE_URL, beside a database they try to drop."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("set TEST_DATABASE_URL to grade the PostgreSQL cases")
    admin = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)

    def grade(folder):
        _admin(admin, f'CREATE DATABASE "{PG_CANARY}"')
        try:
            run = _grade_class(folder, released_gradebook, "postgresql")
            run["canary_survived"] = bool(_admin(admin, f"SELECT 1 FROM pg_database WHERE datname = '{PG_CANARY}'"))
            return run
        finally:
            _admin(admin, f'DROP DATABASE IF EXISTS "{PG_CANARY}" WITH (FORCE)')

    course, run = _once(tmp_path_factory, "class-postgres", grade)
    return GradedClass(course, run["code"], run["output"], run["seconds"], sandbox.bwrap() is not None,
                       cases("postgresql"), run["before"], "postgresql", run["canary_survived"])


def _admin(dsn: str, sql: str):
    """Run one statement as the server's role; the first value it returns."""
    import asyncpg

    async def run():
        conn = await asyncpg.connect(dsn)
        try:
            return await conn.fetchval(sql)
        finally:
            await conn.close()

    return asyncio.run(run())
