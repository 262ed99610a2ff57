"""`skillbook check-generated FILE --lesson L04`: does code an AI assistant wrote with your skill
follow what the lesson taught?

Each lesson's checklist is data in course.toml (`[[lesson.check]]`): a rule kind, whether the
pattern is required or forbidden, and the message to show. The kinds are read from the code's
syntax tree, never by running it, with names read through the imports that bound them
(`import datetime as dt`, `from datetime import datetime as D`) and whole attribute chains:

    kind = "call"        name = "selectinload"                          a call to a function or method,
                                                                        or a reference to it (default_factory=datetime.utcnow)
    kind = "keyword"     name = "async_sessionmaker", keyword = "expire_on_commit", value = false
                         (name = "*": that keyword in any call, as in `options.update(pool_pre_ping=True)`)
    kind = "import"      module = "sqlmodel.ext.asyncio.session", name = "AsyncSession"   in any import form
    kind = "yield-dependency"                                            an async def that yields
    kind = "unawaited-session-call"                                      session.commit() etc. without await

A name may list alternatives: name = "to_thread|run_in_executor" matches either.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

from skillbook.course.manifest import Rule

# AsyncSession methods that return coroutines: calling one without await does nothing.
SESSION_COROUTINES = {"commit", "rollback", "flush", "refresh", "execute", "exec", "get", "delete", "close",
                      "scalar", "scalars", "merge", "stream", "run_sync", "begin_nested"}


@dataclass(frozen=True)
class Finding:
    rule: Rule
    ok: bool
    where: str = ""  # "line 12" for a forbidden pattern that was found


class Code:
    """A module's syntax tree, with every name read through the imports that bound it.

    `import datetime as dt` makes `dt.datetime.utcnow` read as `datetime.datetime.utcnow`;
    `from datetime import datetime as D` makes `D.utcnow` read the same.
    """

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.aliases: dict[str, str] = {}
        self.imported: list[tuple[str, int]] = []  # (full name, line) of everything imported
        self.parents: dict[int, ast.AST] = {}
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                self.parents[id(child)] = node
            if isinstance(node, ast.Import):
                for alias in node.names:
                    top = alias.name.split(".")[0]
                    self.aliases[alias.asname or top] = alias.name if alias.asname else top
                    self.imported.append((alias.name, node.lineno))
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
                    self.imported.append((f"{node.module}.{alias.name}", node.lineno))

    def dotted(self, node) -> str:
        """`a.b.c` for a name or attribute chain, its first name resolved through the imports; the
        part after a call for `f().b.c` (".b.c" reads as "b.c")."""
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            inner = self.dotted(node.value)
            return f"{inner}.{node.attr}" if inner else node.attr
        return ""

    def calls(self, wanted: str) -> list[ast.Call]:
        return [n for n in ast.walk(self.tree) if isinstance(n, ast.Call) and _matches(self.dotted(n.func), wanted)]

    def references(self, wanted: str) -> list[ast.AST]:
        """Every whole name or attribute chain that names `wanted`, called or not
        (`default_factory=datetime.utcnow` names it without calling it)."""
        found = []
        for node in ast.walk(self.tree):
            if not isinstance(node, (ast.Name, ast.Attribute)):
                continue
            parent = self.parents.get(id(node))
            if isinstance(parent, ast.Attribute) and parent.value is node:
                continue  # a part of a longer chain: the chain is judged whole
            if _matches(self.dotted(node), wanted):
                found.append(node)
        return found


def _matches(name: str, wanted: str) -> bool:
    return any(want == "*" or name == want or name.endswith("." + want) for want in wanted.split("|"))


def _keyword_lines(code: Code, rule: Rule) -> list[int]:
    found = []
    for call in code.calls(rule.name):
        for kw in call.keywords:
            if kw.arg == rule.keyword:
                if rule.value is None or (isinstance(kw.value, ast.Constant) and kw.value.value == rule.value):
                    found.append(call.lineno)
    return found


def _import_lines(code: Code, rule: Rule) -> list[int]:
    """The module (or module.name) imported, in any form: from-import, aliased, or reached through an attribute."""
    target = f"{rule.module}.{rule.name}" if rule.name else rule.module
    lines = [line for name, line in code.imported
             if name == target or (not rule.name and name.startswith(target + "."))]
    lines += [node.lineno for node in code.references(target) if code.dotted(node).startswith(rule.module + ".")
              or code.dotted(node) == rule.module]
    return lines


def _own_body(function) -> list[ast.AST]:
    """The nodes of a function's own body, not those of the functions and lambdas defined in it."""
    nodes, stack = [], list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        nodes.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return nodes


def _yield_dependency_lines(code: Code, rule: Rule) -> list[int]:
    return [
        node.lineno for node in ast.walk(code.tree)
        if isinstance(node, ast.AsyncFunctionDef) and any(isinstance(inner, ast.Yield) for inner in _own_body(node))
    ]


WAITS = ("wait_for", "shield")  # asyncio calls that await the coroutine they are given


def _unawaited_session_lines(code: Code, rule: Rule) -> list[int]:
    tree = code.tree
    awaited = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Await)}
    # `async with session.begin():` and `async for` awaits too; so does `await asyncio.wait_for(session.commit(), 5)`.
    for node in ast.walk(tree):
        if isinstance(node, ast.AsyncWith):
            awaited.update(id(item.context_expr) for item in node.items)
        elif isinstance(node, ast.AsyncFor):
            awaited.add(id(node.iter))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and id(node) in awaited and _matches(code.dotted(node.func), "|".join(WAITS)):
            awaited.update(id(arg) for arg in node.args[:1])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SESSION_COROUTINES:
            receiver = code.dotted(node.func.value).lower()
            if "session" in receiver and id(node) not in awaited:
                found.append(node.lineno)
    return found


def _call_lines(code: Code, rule: Rule) -> list[int]:
    """Calls, and references that are not calls: passing `datetime.utcnow` along calls it later."""
    return [node.lineno for node in code.references(rule.name)]


KINDS = {
    "call": _call_lines,
    "keyword": _keyword_lines,
    "import": _import_lines,
    "yield-dependency": _yield_dependency_lines,
    "unawaited-session-call": _unawaited_session_lines,
}


class UnknownRule(ValueError):
    """course.toml names a rule kind this module does not know."""


def check_source(source: str, rules: list[Rule]) -> tuple[str | None, list[Finding]]:
    """(a syntax error message or None, a finding for every rule)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return f"the code does not parse: {exc.msg} (line {exc.lineno})", []
    code = Code(tree)
    findings = []
    for rule in rules:
        if rule.kind not in KINDS:
            raise UnknownRule(f"unknown checklist rule kind {rule.kind!r}")
        lines = KINDS[rule.kind](code, rule)
        if rule.level == "require":
            findings.append(Finding(rule, ok=bool(lines)))
        else:
            findings.append(Finding(rule, ok=not lines, where=", ".join(f"line {n}" for n in sorted(set(lines)))))
    return None, findings


def report(path: Path, lesson_id: str, syntax_error: str | None, findings: list[Finding]) -> str:
    lines = [f"{path} against the {lesson_id} checklist:"]
    if syntax_error:
        lines.append(f"  ✗ {syntax_error}")
        return "\n".join(lines)
    for finding in findings:
        rule = finding.rule
        if rule.level == "require":
            lines.append(f"  ✓ {rule.message}" if finding.ok else f"  ✗ missing: {rule.message}")
        else:
            lines.append(f"  ✓ avoids {rule.message}" if finding.ok else f"  ✗ {rule.message}, at {finding.where}")
    missing = [f for f in findings if not f.ok]
    lines.append(f"  {len(findings) - len(missing)} of {len(findings)} checks pass." + ("" if not missing else
                 " Ask your assistant to fix the ✗ items, and add what it got wrong to your skill's guardrails."))
    return "\n".join(lines)
