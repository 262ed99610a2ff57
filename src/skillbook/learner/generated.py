"""`skillbook check-generated FILE --lesson L04`: does code an AI assistant wrote with your skill
follow what the lesson taught?

Each lesson's checklist is data in course.toml (`[[lesson.check]]`): a rule kind, whether the
pattern is required or forbidden, and the message to show. The kinds are read from the code's
syntax tree, never by running it:

    kind = "call"        name = "selectinload"                          a call to a function or method
    kind = "keyword"     name = "async_sessionmaker", keyword = "expire_on_commit", value = false
                         (name = "*": that keyword in any call, as in `options.update(pool_pre_ping=True)`)
    kind = "import"      module = "sqlmodel.ext.asyncio.session", name = "AsyncSession"
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


def _dotted(node) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else node.attr
    return ""


def _matches(called: str, wanted: str) -> bool:
    return any(wanted == "*" or called == name or called.endswith("." + name) for name in wanted.split("|"))


def _calls(tree, name):
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and _matches(_dotted(n.func), name)]


def _keyword_lines(tree, rule: Rule) -> list[int]:
    found = []
    for call in _calls(tree, rule.name):
        for kw in call.keywords:
            if kw.arg == rule.keyword:
                if rule.value is None or (isinstance(kw.value, ast.Constant) and kw.value.value == rule.value):
                    found.append(call.lineno)
    return found


def _import_lines(tree, rule: Rule) -> list[int]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == rule.module:
            if any(alias.name == rule.name for alias in node.names):
                found.append(node.lineno)
        elif isinstance(node, ast.Import) and not rule.name:
            if any(alias.name == rule.module for alias in node.names):
                found.append(node.lineno)
    return found


def _yield_dependency_lines(tree, rule: Rule) -> list[int]:
    return [
        node.lineno for node in ast.walk(tree)
        if isinstance(node, ast.AsyncFunctionDef)
        and any(isinstance(inner, ast.Yield) for inner in ast.walk(node))
    ]


def _unawaited_session_lines(tree, rule: Rule) -> list[int]:
    awaited = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Await)}
    # `async with session.begin():` and `async for` awaits too.
    for node in ast.walk(tree):
        if isinstance(node, ast.AsyncWith):
            awaited.update(id(item.context_expr) for item in node.items)
        elif isinstance(node, ast.AsyncFor):
            awaited.add(id(node.iter))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SESSION_COROUTINES:
            receiver = _dotted(node.func.value).lower()
            if "session" in receiver and id(node) not in awaited:
                found.append(node.lineno)
    return found


def _call_lines(tree, rule: Rule) -> list[int]:
    return [call.lineno for call in _calls(tree, rule.name)]


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
    findings = []
    for rule in rules:
        if rule.kind not in KINDS:
            raise UnknownRule(f"unknown checklist rule kind {rule.kind!r}")
        lines = KINDS[rule.kind](tree, rule)
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
