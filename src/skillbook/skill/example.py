"""A lesson's runnable example in the learner's skill: the course's program with the learner's passing code.

reflections/examples/<file> is a complete program (models on SQLModel, a main() that shows every
exercise at work). Comment lines say what belongs to which exercise:

    # skillbook:exercise L05.create_task        the course's version, replaced by the learner's code
    ...
    # skillbook:end
    # skillbook:with L05.create_task [L05.x]     kept only when those exercises' code is in the example
    ...
    # skillbook:end
    # skillbook:exercise L08.alembic_project text=ENV_PY
                                                 the learner's env.py, as the string constant ENV_PY

An exercise that did not pass leaves nothing behind, so the skill never holds the course's answer.
The learner's code is the exercise cell without what the template provides itself (the notebook's
scaffolding: names the template binds outside exercise regions), without imports of course code
(taskflow, skillbook), and with tables moved from a private `registry()` base onto SQLModel, so
Alembic autogenerate sees them. Code that needs a name the example lacks, or that keeps the program
from running, is left out with the reason.
"""

import ast
import builtins
import os
import re
import subprocess
import sys
import symtable
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

MARKER = re.compile(r"^\s*# skillbook:(exercise|with|end)\b(.*)$")
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
COURSE_MODULES = ("taskflow", "skillbook")
RUN_SECONDS = 60
ALWAYS_DEFINED = set(dir(builtins)) | {"__name__", "__file__", "__doc__", "__builtins__", "__spec__"}


class ExampleTemplateError(ValueError):
    """A template in reflections/examples/ is broken (a course bug, not the learner's)."""


@dataclass
class Piece:
    """One exercise's code, ready to stand in for the course's version."""

    exercise: str
    code: str
    imports: list[str] = field(default_factory=list)
    uses: set[str] = field(default_factory=set)


@dataclass
class Built:
    files: dict[str, str]  # example file name -> text
    included: list[str]  # exercises whose code is in the example
    left_out: dict[str, str]  # exercise -> why its code is not


# ---------------------------------------------------------------- templates


@dataclass
class Segment:
    kind: str  # "plain", "exercise" or "with"
    lines: list[str]
    exercises: tuple[str, ...] = ()
    option: str = ""


def segments(text: str, where: str) -> list[Segment]:
    found: list[Segment] = []
    current = Segment("plain", [])
    for number, line in enumerate(text.splitlines(), 1):
        match = MARKER.match(line)
        if not match:
            current.lines.append(line)
            continue
        kind, rest = match.group(1), match.group(2).split()
        if kind == "end":
            if current.kind == "plain":
                raise ExampleTemplateError(f"{where}:{number}: `# skillbook:end` without a region")
            found.append(current)
            current = Segment("plain", [])
            continue
        if current.kind != "plain":
            raise ExampleTemplateError(f"{where}:{number}: regions do not nest")
        ids = tuple(word for word in rest if "=" not in word)
        options = [word for word in rest if "=" in word]
        if not ids or (kind == "exercise" and len(ids) != 1):
            raise ExampleTemplateError(f"{where}:{number}: `# skillbook:{kind}` needs exercise ids")
        found.append(current)
        current = Segment(kind, [], ids, options[0] if options else "")
    if current.kind != "plain":
        raise ExampleTemplateError(f"{where}: region {current.exercises} has no `# skillbook:end`")
    found.append(current)
    return found


def exercises_in(text: str, where: str = "template") -> list[str]:
    return [s.exercises[0] for s in segments(text, where) if s.kind == "exercise"]


def _scaffold_names(parts: list[Segment]) -> set[str]:
    """Names the template binds outside exercise regions: the learner's copies of these are scaffolding."""
    text = "\n".join(line for s in parts if s.kind != "exercise" for line in s.lines)
    return _bound_names(text)


def _bound_names(text: str) -> set[str]:
    table = symtable.symtable(text, "example", "exec")
    return {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()}


def _referenced_globals(text: str) -> set[str]:
    """Global names the code reads, anywhere in it."""
    found: set[str] = set()

    def walk(table) -> None:
        module = table.get_type() == "module"  # a str, or a StrEnum from 3.13
        for symbol in table.get_symbols():
            if symbol.is_referenced() and (module or symbol.is_global()):
                found.add(symbol.get_name())
        for child in table.get_children():
            walk(child)

    walk(symtable.symtable(text, "example", "exec"))
    return found


# ---------------------------------------------------------------- the learner's code


def _parse(source: str) -> ast.Module:
    flags = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    return compile(source, "<cell>", "exec", flags=flags, dont_inherit=True)


def _clean(source: str) -> str:
    """The cell without nbgrader's solution markers and IPython magics (kept as blank lines)."""
    lines = []
    for line in source.splitlines():
        stripped = line.strip()
        lines.append("" if stripped in SOLUTION_MARKERS or stripped.startswith(("%", "!")) else line)
    return "\n".join(lines)


def _targets(node: ast.stmt) -> list[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def _registry_base(node: ast.stmt) -> bool:
    """`class Base(SQLModel, registry=registry())`: the notebook's trick for cells that run twice."""
    return isinstance(node, ast.ClassDef) and any(k.arg == "registry" for k in node.keywords)


def _statement_text(node: ast.stmt, lines: list[str]) -> str:
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    while first > 1 and lines[first - 2].lstrip().startswith("#"):  # the comment just above it
        first -= 1
    return "\n".join(lines[first - 1: node.end_lineno])


def _on_sqlmodel(text: str, node: ast.ClassDef, bases: set[str], lines: list[str]) -> str:
    """Move a class from a private registry base onto SQLModel (only its header line changes)."""
    if not bases or not any(isinstance(b, ast.Name) and b.id in bases for b in node.bases):
        return text
    header_end = node.body[0].lineno - 1 if node.body else node.end_lineno
    header = "\n".join(lines[node.lineno - 1: header_end])
    pattern = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, sorted(bases))) + r")(?![\w])")
    fixed = pattern.sub("SQLModel", header)
    return text.replace(header, fixed, 1)


def _literal(name: str, value: str) -> str:
    quote = "'''" if "'''" not in value else '"""'
    body = value.replace("\\", "\\\\")
    if body.endswith(quote[0]):
        body = body[:-1] + "\\" + quote[0]
    return f"{name} = {quote}\\\n{body}{quote}"


def _text_piece(exercise: str, tree: ast.Module, option: str, on_disk: Path | None) -> Piece | str:
    """`text=NAME`: the longest string the cell writes (an env.py), else that file as saved beside the notebook."""
    name, _, relative = option.partition("=")[2].partition(":")
    strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    text = max(strings, key=len, default="")
    if "context.configure" not in text and on_disk is not None and relative and (on_disk / relative).is_file():
        text = (on_disk / relative).read_text(encoding="utf-8")
    if "context.configure" not in text:
        return "the example cannot find your env.py as a string in the exercise cell"
    return Piece(exercise, _literal(name, text))


def learner_piece(exercise: str, source: str, template_text: str, *, option: str = "",
                  lesson_folder: Path | None = None) -> Piece | str:
    """The learner's code for one exercise, fitted into the template; or why it cannot be."""
    try:
        tree = _parse(_clean(source))
    except SyntaxError as exc:
        return f"the cell does not parse ({exc.msg}, line {exc.lineno})"
    if option.startswith("text="):
        return _text_piece(exercise, tree, option, lesson_folder)
    lines = _clean(source).splitlines()
    scaffold = _scaffold_names(segments(template_text, "template"))
    template_bound = _bound_names("\n".join(
        line for s in segments(template_text, "template") if s.kind != "exercise" for line in s.lines))
    bases = {n.name for n in tree.body if _registry_base(n)}
    imports: dict[str, str] = {}  # bound name -> import line
    kept: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            for alias in node.names:
                origin = module or alias.name
                if origin.split(".")[0] in COURSE_MODULES or alias.name == "*":
                    continue
                bound = alias.asname or alias.name.split(".")[0]
                spelled = alias.name + (f" as {alias.asname}" if alias.asname else "")
                imports[bound] = f"from {module} import {spelled}" if module else f"import {spelled}"
            continue
        names = _targets(node)
        if not names or _registry_base(node) or all(n in scaffold for n in names):
            continue  # a statement, the registry trick, or the notebook's scaffolding
        text = _statement_text(node, lines)
        if isinstance(node, ast.ClassDef):
            text = _on_sqlmodel(text, node, bases, lines)
        for base in bases:
            text = re.sub(rf"(?<![\w.]){re.escape(base)}\.metadata\b", "SQLModel.metadata", text)
        kept.append(text)
    if not kept:
        return "the cell defines nothing the example can use"
    code = _join(kept)
    uses = _referenced_globals(code) - _bound_names(code)
    needed = sorted(line for name, line in imports.items() if name in uses and name not in template_bound)
    return Piece(exercise, code, needed, uses - set(imports))


def _join(statements: list[str]) -> str:
    out = statements[0]
    for before, text in zip(statements, statements[1:]):
        compound = any(t.lstrip().startswith(("def ", "async def ", "class ", "@")) for t in (before, text))
        out += ("\n\n\n" if compound else "\n") + text
    return out


# ---------------------------------------------------------------- assembly


def assemble(template_text: str, pieces: dict[str, Piece], where: str = "template") -> str:
    out: list[str] = []
    imports: list[str] = []
    for part in segments(template_text, where):
        if part.kind == "plain":
            out += part.lines
        elif part.kind == "exercise" and part.exercises[0] in pieces:
            piece = pieces[part.exercises[0]]
            out += ["", "", *piece.code.splitlines(), "", ""]  # two blank lines around top-level code
            imports += [line for line in piece.imports if line not in imports]
        elif part.kind == "with" and all(e in pieces for e in part.exercises):
            out += part.lines
    text = re.sub(r"\n(\s*\n){3,}", "\n\n\n", "\n".join(line.rstrip() for line in out)).rstrip() + "\n"
    return _add_imports(text, imports)


def _add_imports(text: str, imports: list[str]) -> str:
    if not imports:
        return text
    tree = ast.parse(text)
    last = 0
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            last = node.end_lineno
        elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            break
    lines = text.splitlines()
    present = {line.strip() for line in lines}
    new = [line for line in imports if line not in present]
    return "\n".join(lines[:last] + new + lines[last:]) + "\n"


def undefined_names(files: dict[str, str]) -> dict[str, set[str]]:
    """Per file, the global names it reads but nothing defines (sibling examples' imports checked too)."""
    bound = {name: _bound_names(text) for name, text in files.items()}
    found = {}
    for name, text in files.items():
        missing = _referenced_globals(text) - bound[name] - ALWAYS_DEFINED
        for node in ast.parse(text).body:
            if isinstance(node, ast.ImportFrom) and f"{node.module}.py" in files:
                missing |= {a.asname or a.name for a in node.names if a.name not in bound[f"{node.module}.py"]}
        found[name] = missing
    return found


def run_examples(files: dict[str, str]) -> str | None:
    """Run each example as `python examples/<file>` would; the first failure, or None."""
    with tempfile.TemporaryDirectory(prefix="skillbook-example-") as tmp:
        folder = Path(tmp) / "examples"
        folder.mkdir()
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        for name in files:
            try:
                done = subprocess.run([sys.executable, str(folder / name)], cwd=tmp, env=env, stdin=subprocess.DEVNULL,
                                      capture_output=True, text=True, timeout=RUN_SECONDS)
            except subprocess.TimeoutExpired:
                return f"{name} did not finish within {RUN_SECONDS} s"
            if done.returncode != 0:
                tail = [line for line in (done.stderr or done.stdout).strip().splitlines() if line.strip()][-1:]
                return f"{name} failed: {' '.join(tail) or f'exit code {done.returncode}'}"
    return None


def build(templates: dict[str, str], pieces: dict[str, Piece], left_out: dict[str, str] | None = None,
          *, run: bool = True) -> Built:
    """The lesson's example files with as much of the learner's code as stands on its own."""
    pieces, left_out = dict(pieces), dict(left_out or {})
    while True:
        files = {name: assemble(text, pieces, name) for name, text in templates.items()}
        for name, text in files.items():
            try:
                compile(text, name, "exec", dont_inherit=True)
            except SyntaxError as exc:
                raise ExampleTemplateError(f"{name} with {sorted(pieces)}: {exc.msg} (line {exc.lineno})") from None
        missing = set().union(*undefined_names(files).values())
        culprits = {e: sorted(p.uses & missing) for e, p in pieces.items() if p.uses & missing}
        if not culprits:
            break
        for exercise, names in culprits.items():
            left_out[exercise] = f"your code uses {', '.join(names)}, which the example does not define"
            del pieces[exercise]
    if missing:
        raise ExampleTemplateError(f"{', '.join(templates)}: {', '.join(sorted(missing))} undefined")
    if run and pieces and (error := run_examples(files)):
        for exercise in reversed(list(pieces)):
            fewer = {e: p for e, p in pieces.items() if e != exercise}
            trial = build(templates, fewer, left_out, run=False)
            if run_examples(trial.files) is None:
                trial.left_out[exercise] = f"the example did not run with your code ({error})"
                return trial
        for exercise in pieces:
            left_out[exercise] = f"the example did not run with your code ({error})"
        return build(templates, {}, left_out, run=False)
    return Built(files, [e for e in pieces], left_out)
