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


def _text_files(skill: Path) -> dict[str, list[str]]:
    """Every file an agent reads (scripts/ aside), as stripped lines."""
    found = {}
    for path in sorted(Path(skill).rglob("*")):
        relative = path.relative_to(skill)
        if path.is_file() and path.suffix in (".md", ".py") and relative.parts[0] != "scripts":
            found[relative.as_posix()] = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return found


def repeated_blocks(skill: Path, size: int = 6) -> list[str]:
    """Blocks of `size` consecutive non-blank lines that appear in two files: "a.md:12 = b.py:40"."""
    seen: dict[tuple[str, ...], str] = {}
    found = []
    for name, lines in _text_files(skill).items():
        numbered = [(n, line) for n, line in enumerate(lines, 1) if line]
        reported = set()
        for start in range(len(numbered) - size + 1):
            window = tuple(line for _, line in numbered[start:start + size])
            where = f"{name}:{numbered[start][0]}"
            first = seen.setdefault(window, where)
            if first.split(":")[0] != name and first.split(":")[0] not in reported:
                found.append(f"{where} repeats {first}")
                reported.add(first.split(":")[0])
    return found


def repeated_line_share(skill: Path, long: int = 40) -> tuple[int, int]:
    """(long lines that appear in more than one file, all long lines): the skill's duplication."""
    files = {name: {line for line in lines if len(line) >= long} for name, lines in _text_files(skill).items()}
    counts: dict[str, int] = {}
    for lines in files.values():
        for line in lines:
            counts[line] = counts.get(line, 0) + 1
    total = sum(len(lines) for lines in files.values())
    return sum(1 for lines in files.values() for line in lines if counts[line] > 1), total
