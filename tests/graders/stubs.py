"""Do-nothing submissions: every exercise's names defined, none doing anything.

    stub_source(solution_cell_source, "None")   # the cell with each definition of its solution region stubbed
    stub_submission("L05", "[]", folder)        # the student notebook with every solution cell stubbed

The stubs come from the syntax tree of the master notebook's solution cell, so they keep the names
and signatures the graders look for: a function (async or not, method or not) keeps its parameters
and returns the stub value (`__init__` and other dunders `pass`), a class keeps its bases (not
`table=True`: a table without columns cannot be declared) with its methods stubbed, a value becomes
the stub value, and any other statement of the region (writing a file, a query) is left out.
Imports and the code the learner is given outside the region stay as they are.
"""

import ast
from pathlib import Path

import nbformat

from skillbook.course import cells, manifest
from skillbook.course.promises import BEGIN, END, source
from tests.builders import lesson_path, solution_path

STUB_VALUES = ("None", "False", "[]")  # `pass` is `return None`


def _region_lines(text: str) -> set[int]:
    """1-based numbers of the lines inside the solution region(s)."""
    inside, lines = False, set()
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip() in (BEGIN, END):
            inside = line.strip() == BEGIN
        elif inside:
            lines.add(number)
    return lines


def _stub_function(node: ast.FunctionDef | ast.AsyncFunctionDef, value: str) -> ast.stmt:
    kept = [d for d in node.decorator_list if isinstance(d, ast.Name) and d.id in ("staticmethod", "classmethod", "property")]
    body = "pass" if node.name.startswith("__") else f"return {value}"
    stub = type(node)(name=node.name, args=node.args, body=ast.parse(body).body, decorator_list=kept,
                      returns=node.returns, type_params=getattr(node, "type_params", []))
    return ast.fix_missing_locations(ast.copy_location(stub, node))


def _stub_class(node: ast.ClassDef, value: str) -> ast.stmt:
    methods = [_stub_function(n, value) for n in node.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    stub = ast.ClassDef(name=node.name, bases=node.bases, keywords=[k for k in node.keywords if k.arg != "table"],
                        body=methods or [ast.Pass()], decorator_list=[], type_params=getattr(node, "type_params", []))
    return ast.fix_missing_locations(ast.copy_location(stub, node))


def _stub_statement(node: ast.stmt, value: str) -> ast.stmt | None:
    if isinstance(node, ast.Import | ast.ImportFrom):
        return node
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return _stub_function(node, value)
    if isinstance(node, ast.ClassDef):
        return _stub_class(node, value)
    targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
    names = [t for t in targets if isinstance(t, ast.Name)]
    if names:
        return ast.parse(" = ".join(t.id for t in names) + f" = {value}").body[0]
    return None  # anything else the solution does: the stub does nothing


def stub_source(text: str, value: str) -> str:
    """The solution cell with what its region defines stubbed, the rest as given."""
    region = _region_lines(text)
    tree = compile(text, "<solution>", "exec", flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    parts = []
    for node in tree.body:
        lines = set(range(node.lineno, node.end_lineno + 1))
        if not lines & region:
            parts.append(ast.get_source_segment(text, node, padded=True))  # given to the learner
            continue
        stub = _stub_statement(node, value)
        if stub is not None:
            parts.append(ast.unparse(stub))
    return "\n\n".join(parts) + "\n"


def stub_submission(lesson_id: str, value: str, folder: Path) -> Path:
    """The lesson's student notebook with every solution cell replaced by its stubbed solution."""
    lesson = manifest.lesson(lesson_id)
    solved = {cells.grade_id(c): source(c) for c in nbformat.read(solution_path(lesson_id), as_version=4).cells
              if cells.is_solution(c)}
    nb = nbformat.read(lesson_path(lesson_id), as_version=4)
    for cell in nb.cells:
        if cells.is_solution(cell) and cells.grade_id(cell) in solved:
            cell.source = stub_source(solved[cells.grade_id(cell)], value)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / lesson.notebook_name
    nbformat.write(nb, path)
    return path
