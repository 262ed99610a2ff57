"""The skill as a learner who solves every lesson grows it, built once for the tests that read it.

grown_skill: {"start": the template as L00 copies it, "L00": after L00's Reflect, ..., "L09": after L09's},
each a copy of the skill folder at that stage, reflected from the solution notebooks on SQLite. Under
xdist the first worker builds it and the others wait for it and read it (a lock in the run's temp folder).
"""

import ast
import fcntl
import os
import re
import shutil

import pytest

from skillbook.course import manifest
from skillbook.skill.folder import create_skill
from skillbook.skill.reflect import reflect
from tests.builders import solution_path

FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


@pytest.fixture(scope="session")
def grown_skill(tmp_path_factory):
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the folder all workers of this run share
    root = shared / "grown-skill"
    stages = {"start": root / "start" / "relational-db-agent"}
    stages |= {lesson_id: root / lesson_id / "relational-db-agent" for lesson_id in manifest.lessons()}
    with open(shared / "grown-skill.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "done").exists():
            _grow(root, stages)
            (root / "done").touch()
    return stages


def _grow(root, stages) -> None:
    shutil.rmtree(root, ignore_errors=True)
    saved = os.environ.pop("TEST_DATABASE_URL", None)  # grade on SQLite: the same skill on every run
    try:
        skill = create_skill(root / "live" / "relational-db-agent", quiet=True)
        shutil.copytree(skill, stages["start"])
        for lesson in manifest.lessons().values():
            reflect(lesson.id, notebook=solution_path(lesson.id), skill=skill, quiet=True)
            shutil.copytree(skill, stages[lesson.id])
    finally:
        if saved is not None:
            os.environ["TEST_DATABASE_URL"] = saved


def python_code(skill) -> dict[str, str]:
    """Every piece of Python in a skill an agent could copy: examples, and python blocks in Markdown."""
    found = {str(p.relative_to(skill)): p.read_text(encoding="utf-8") for p in sorted(skill.glob("examples/*.py"))}
    for path in sorted(skill.rglob("*.md")):
        for number, match in enumerate(FENCE.finditer(path.read_text(encoding="utf-8"))):
            if match.group(1) in ("python", "py", "python3"):
                found[f"{path.relative_to(skill)}#{number}"] = match.group(2)
    return found


def defined_names(code: str) -> set[str]:
    """Every function and class the code defines, at any depth."""
    tree = ast.parse(code)
    return {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
