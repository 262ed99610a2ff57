"""`skillbook verify-skill`: judge a skill by the rules of the course's own scripts/verify.py.

The rules live in one place, the template's scripts/verify.py, which the learner's skill carries and an
agent can run standalone; this module loads that file instead of repeating its rules.
"""

import importlib.util
import sys
from pathlib import Path

from skillbook.course import paths


def _verifier():
    path = paths.template_dir() / "scripts" / "verify.py"
    spec = importlib.util.spec_from_file_location("skill_verify", path)
    module = importlib.util.module_from_spec(spec)
    # Importing must not leave a __pycache__ inside the template (verify would then flag it).
    previous, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = previous
    return module


def verify_skill(skill: Path, *, run_examples: bool = True) -> list[str]:
    """Every problem with the skill, by the rules of the course's scripts/verify.py."""
    return list(_verifier().verify(Path(skill), run_examples=run_examples))
