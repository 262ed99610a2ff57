"""Where the course's folders are: the repository root, lessons, graders, the template and the learner's skill."""

import os
from pathlib import Path

SKILL_NAME = "relational-db-agent"


def repo_root() -> Path:
    """The course repository: SKILLBOOK_ROOT, or the folder holding course.toml above this package."""
    if env := os.environ.get("SKILLBOOK_ROOT"):
        return Path(env).resolve()
    for parent in Path(__file__).resolve().parents:
        if (parent / "course.toml").is_file():
            return parent
    raise RuntimeError("cannot find the course repository (no course.toml above skillbook); set SKILLBOOK_ROOT")


def manifest_path() -> Path:
    return repo_root() / "course.toml"


def graders_dir() -> Path:
    return repo_root() / "graders"


def lessons_dir() -> Path:
    return repo_root() / "lessons"


def solutions_dir() -> Path:
    return repo_root() / "solutions"


def reflections_dir() -> Path:
    return repo_root() / "reflections"


def template_dir() -> Path:
    return repo_root() / "skill_template" / SKILL_NAME


def skill_dir() -> Path:
    """The learner's own skill: SKILLBOOK_SKILL_DIR, or my-skill/relational-db-agent."""
    if env := os.environ.get("SKILLBOOK_SKILL_DIR"):
        return Path(env).resolve()
    return repo_root() / "my-skill" / SKILL_NAME
