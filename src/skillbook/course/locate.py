"""Which notebook file a check or reflect cell belongs to."""

import os
from pathlib import Path

from skillbook.course import paths
from skillbook.course.manifest import Lesson


def lesson_notebook(lesson: Lesson, start: Path | None = None) -> Path:
    """The lesson's notebook: beside the running kernel (its working folder), or in lessons/."""
    here = Path(start or os.getcwd())
    candidates = [here / lesson.notebook_name]
    if session := os.environ.get("JPY_SESSION_NAME"):  # set by Jupyter Server to the notebook's path
        candidates.append(Path(session))
    candidates.append(paths.lessons_dir() / lesson.dir / lesson.notebook_name)
    for path in candidates:
        if path.is_file() and path.suffix == ".ipynb":
            return path
    raise FileNotFoundError(f"cannot find {lesson.notebook_name} (looked in {here})")


def is_grading() -> bool:
    """True inside a grading run (ours, or nbgrader's autograde/validate)."""
    return bool(os.environ.get("SKILLBOOK_GRADING") or os.environ.get("NBGRADER_EXECUTION"))
