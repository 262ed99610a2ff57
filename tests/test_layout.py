"""Does skillbook keep its wings apart (the layers contract of issue 10)?

    files.py    shared helpers           imports no other skillbook module
    course/     the course as data       imports course/ and files.py
    engine/     grading one notebook     imports engine/, course/ and files.py
    learner/, instructor/, skill/        each imports itself, engine/, course/ and files.py
    cli.py, __init__.py, __main__.py     the entry points: may import any wing

Imports are read from the syntax tree (function-level imports included), so a lazy import cannot
hide a forbidden edge.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "skillbook"
ENTRY_POINTS = {"cli", "__init__", "__main__"}
WINGS = {"files", "course", "engine", "learner", "instructor", "skill"}
ALLOWED = {
    "files": {"files"},
    "course": {"course", "files"},
    "engine": {"engine", "course", "files"},
    "learner": {"learner", "engine", "course", "files"},
    "instructor": {"instructor", "engine", "course", "files"},
    "skill": {"skill", "engine", "course", "files"},
}
MAX_MODULES_PER_WING = 10


def _wing(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def _imported_wings(path: Path, package: Path = PACKAGE) -> list[tuple[int, str]]:
    """(line, wing) for every skillbook import in the module, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = path.relative_to(package.parent).with_suffix("").parts  # ("skillbook", "engine", "grade")
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - node.level]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            # `from skillbook import x` names a wing (or a top-level function) in x
            targets = [f"{module}.{alias.name}" for alias in node.names] if module == "skillbook" else [module]
        else:
            continue
        for target in targets:
            parts = target.split(".")
            if parts[0] == "skillbook" and len(parts) > 1:
                found.append((node.lineno, parts[1]))
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_imports_only_what_its_wing_may(path):
    """Does each module import only its own wing and the wings below it?"""
    wing = _wing(path)
    if wing in ENTRY_POINTS:
        return  # entry points compose the wings
    assert wing in WINGS, f"{path.relative_to(PACKAGE)} is outside every wing: put it in one of {sorted(WINGS)}"
    bad = [(line, target) for line, target in _imported_wings(path)
           if target in WINGS and target not in ALLOWED[wing]]
    assert not bad, (f"{path.relative_to(PACKAGE)} ({wing}/) imports "
                     + ", ".join(f"skillbook.{target} (line {line})" for line, target in bad)
                     + f"; {wing}/ may import only {sorted(ALLOWED[wing])}")


def test_checker_sees_a_forbidden_import(tmp_path):
    """Would the rule catch an engine module that reaches into the learner wing, lazily?"""
    fake = tmp_path / "skillbook" / "engine" / "bad.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("def f():\n    from skillbook.learner.report import lesson_text\n    from ..skill import folder\n")
    assert sorted(wing for _, wing in _imported_wings(fake, tmp_path / "skillbook")) == ["learner", "skill"]


def test_no_wing_is_a_flat_room():
    """Does every wing hold at most ~10 modules, and the package root only its entry points and files.py?"""
    for wing in WINGS - {"files"}:
        modules = [p for p in (PACKAGE / wing).glob("*.py") if p.name != "__init__.py"]
        assert len(modules) <= MAX_MODULES_PER_WING, f"{wing}/ holds {len(modules)} modules"
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert top <= ENTRY_POINTS | {"files"}, f"modules at the package root outside a wing: {sorted(top - ENTRY_POINTS - {'files'})}"


def test_no_import_cycle_between_wings():
    """Do the wings form no cycle (engine never reaches back up through another wing)?"""
    edges = {wing: set() for wing in WINGS}
    for path in MODULES:
        wing = _wing(path)
        if wing in WINGS:
            edges[wing] |= {target for _, target in _imported_wings(path) if target in WINGS and target != wing}
    seen, stack = set(), []

    def visit(node):
        assert node not in stack, "import cycle: " + " -> ".join([*stack[stack.index(node):], node])
        if node in seen:
            return
        stack.append(node)
        for nxt in edges[node]:
            visit(nxt)
        stack.pop()
        seen.add(node)

    for wing in WINGS:
        visit(wing)
