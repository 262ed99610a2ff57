"""The skill as a learner who solves every lesson grows it, built once for the tests that read it.

grown_skill: {"start": the template as L00 copies it, "L00": after L00's Reflect, ..., "L09": after L09's},
each a copy of the skill folder at that stage, reflected from the solution notebooks on SQLite.
"""

import ast
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
    root = tmp_path_factory.mktemp("grown")
    saved = os.environ.pop("TEST_DATABASE_URL", None)  # grade on SQLite: the same skill on every run
    try:
        skill = create_skill(root / "live" / "relational-db-agent", quiet=True)
        stages = {"start": shutil.copytree(skill, root / "start" / skill.name)}
        for lesson in manifest.lessons().values():
            reflect(lesson.id, notebook=solution_path(lesson.id), skill=skill, quiet=True)
            stages[lesson.id] = shutil.copytree(skill, root / lesson.id / skill.name)
    finally:
        if saved is not None:
            os.environ["TEST_DATABASE_URL"] = saved
    return stages


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
