"""Grade a notebook once per version: the check cells of one notebook share one grading run."""

import hashlib
import json
import os
import tempfile
from pathlib import Path

from skillbook.course import paths
from skillbook.engine.databases import backend, grading_base_url
from skillbook.engine.grade import NOTEBOOK_BYTES, grade_notebook
from skillbook.course.manifest import Lesson
from skillbook.engine.scoring.results import LessonResult
from skillbook.files import atomic_write


def _code_fingerprint(lesson: Lesson) -> str:
    """Changes whenever anything that decides a grade changes: graders, manifest, engine, models."""
    root = paths.repo_root()
    files = [paths.graders_dir() / "conftest.py", paths.graders_dir() / lesson.grader_file, paths.manifest_path()]
    for package in ("skillbook", "taskflow"):
        files += sorted((root / "src" / package).rglob("*.py"))
    digest = hashlib.sha256()
    for path in files:
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def cache_dir() -> Path:
    """SKILLBOOK_CACHE_DIR, or a private folder in the system's temporary directory."""
    folder = Path(os.environ.get("SKILLBOOK_CACHE_DIR") or Path(tempfile.gettempdir()) / f"skillbook-cache-{os.getuid()}")
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def cached_grade(notebook: Path, lesson: Lesson, *, content: bytes | None = None,
                 database_url: str | None = None, **options) -> LessonResult:
    """grade_notebook's result, from the cache when this notebook (or `content` in its place) was
    graded before on the same database with the same graders. `options` go to grade_notebook."""
    base = grading_base_url(database_url)
    if content is None and notebook.stat().st_size > NOTEBOOK_BYTES:  # refused unread, with its message
        return grade_notebook(notebook, lesson=lesson.id, database_url=base, **options)
    key = hashlib.sha256()
    key.update(notebook.read_bytes() if content is None else content)
    key.update(f"{lesson.id}|{backend(base)}|{base or ''}|{_code_fingerprint(lesson)}".encode())
    entry = cache_dir() / f"{key.hexdigest()}.json"
    if entry.exists():
        try:
            return LessonResult.from_json(json.loads(entry.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError):
            entry.unlink(missing_ok=True)
    result = grade_notebook(notebook, lesson=lesson.id, database_url=base, content=content, **options)
    if result.error is None and result.cacheable:  # a run stopped or limited (time, memory) may go otherwise next time
        atomic_write(entry, json.dumps(result.to_json()))
    return result
