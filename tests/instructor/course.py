"""A temporary nbgrader course directory for the instructor tests and benchmarks/grade_class.py.

    release(course, ["L00", "L05"])      the lessons in course/gradebook.db, as `make lessons` puts them
    submit(course, "alice", "L05", path)  course/submitted/alice/L05_crud/L05_crud.ipynb
    nbgrader(course, "export", "--to", "x.csv")
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from skillbook.course import manifest, paths

BIN = Path(sys.executable).parent
# One process for all lessons: each `nbgrader generate_assignment` command costs seconds of start-up.
RELEASE = """import sys
from nbgrader.apps import NbGraderAPI
from traitlets.config.loader import PyFileConfigLoader
api = NbGraderAPI(config=PyFileConfigLoader("nbgrader_config.py", path=".").load_config())
for lesson in sys.argv[1:]:
    done = api.generate_assignment(lesson, force=True)
    if not done["success"]:
        sys.exit(f"{lesson}: {done['error']}")
"""


def environment(course: Path, **extra: str) -> dict[str, str]:
    """nbgrader_config.py pointed at the course; releases go into it, never into lessons/."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL")}
    env.update(COURSE_DIR=str(course), SKILLBOOK_RELEASE_DIR=str(course / "release"),
               PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}", **extra)
    return env


def _run(command: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    done = subprocess.run(command, cwd=paths.repo_root(), env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:3])} failed:\n{done.stdout}\n{done.stderr}")
    return done


def release(course: Path, lesson_ids: list[str]) -> None:
    course.mkdir(parents=True, exist_ok=True)
    dirs = [manifest.lesson(each).dir for each in lesson_ids]
    _run([sys.executable, "-c", RELEASE, *dirs], environment(course), timeout=300)


def nbgrader(course: Path, *args: str, timeout: float = 1800, **env: str) -> subprocess.CompletedProcess:
    return _run([str(BIN / "nbgrader"), *args, "--log-level=ERROR"], environment(course, **env), timeout)


def submit(course: Path, student: str, lesson_id: str, notebook: Path | bytes) -> Path:
    """Put a notebook (a file to copy, or raw bytes) where nbgrader's collect would."""
    lesson = manifest.lesson(lesson_id)
    folder = course / "submitted" / student / lesson.dir
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / lesson.notebook_name
    if isinstance(notebook, bytes):
        target.write_bytes(notebook)
    else:
        shutil.copyfile(notebook, target)
    return target
