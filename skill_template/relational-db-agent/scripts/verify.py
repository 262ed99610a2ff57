#!/usr/bin/env python3
"""Check an agent skill folder before it is installed or shared.

Usage:
    python scripts/verify.py [SKILL_DIR] [--no-run-examples]

SKILL_DIR defaults to the skill folder that contains this script. Every problem is printed as
``path:line: message`` (all of them, not just the first), followed by a summary line. The exit
code is 1 if anything is wrong and 0 otherwise.

Checks:
- SKILL.md starts with YAML frontmatter that parses; only the keys name, description, license,
  compatibility, metadata and allowed-tools; an unquoted " #" (which silently cuts a value) or a
  second unquoted ": " (a YAML error) is reported on its line;
- name: equal to the folder name, lowercase words joined by hyphens, at most 64 characters,
  not containing "anthropic" or "claude"; description: a string of 1-1024 characters without
  angle brackets;
- every relative markdown link in every .md file points at an existing file inside the skill;
- every ```python fenced block in every .md file parses;
- every examples/*.py compiles, imports no course code (taskflow, skillbook) and, unless
  --no-run-examples, runs with this Python in under 60 seconds and exits 0, with DATABASE_URL
  removed from its environment;
- no credentials in any text file (passwords in URLs or literals, cloud/API keys, private keys);
  obvious placeholders such as user:password@, USER:PASSWORD, ${DB_PASSWORD} or **** are fine;
- no caches, databases or .env files inside the folder;
- the SKILL.md body is at most 150 lines, and no file outside scripts/ is over 300 lines;
- skillbook managed markers are balanced: every <!-- skillbook:X:begin --> is followed by its
  <!-- skillbook:X:end --> before any other block starts.

Only the standard library is required. PyYAML is used for the frontmatter when it is installed;
otherwise a strict parser for simple ``key: value`` lines is used.

Other code can import it: ``verify(skill_dir, run_examples=True) -> list[str]`` returns the
problems, ``main(argv) -> int`` is the command line.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import unquote

try:  # optional: a real YAML parser when available
    import yaml  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - exercised by the fallback tests
    yaml = None

ALLOWED_KEYS = ("name", "description", "license", "compatibility", "metadata", "allowed-tools")
NAME_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
RESERVED_WORDS = ("anthropic", "claude")
MAX_NAME = 64
MAX_DESCRIPTION = 1024
MAX_COMPATIBILITY = 500
MAX_BODY_LINES = 150
MAX_FILE_LINES = 300  # scripts/ aside: tools, not text an agent reads
COURSE_MODULES = ("taskflow", "skillbook")
EXAMPLE_TIMEOUT_S = 60
MAX_SCANNED_BYTES = 2_000_000
PYTHON_LANGUAGES = {"python", "py", "python3"}

# ----------------------------------------------------------------------------- helpers


class Problems:
    """Collects ``path:line: message`` strings, paths shown relative to the skill's parent."""

    def __init__(self, skill_dir: Path) -> None:
        self.base = skill_dir.parent
        self.items: list[str] = []

    def add(self, path: Path, line: int, message: str) -> None:
        try:
            shown = path.relative_to(self.base).as_posix()
        except ValueError:
            shown = path.as_posix()
        self.items.append(f"{shown}:{max(line, 1)}: {message}")


def _read_text(path: Path) -> str | None:
    """The file as text, or None for binary, undecodable or very large files."""
    try:
        if path.stat().st_size > MAX_SCANNED_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _walk(skill_dir: Path) -> list[Path]:
    """Every file and directory below skill_dir (not following symlinks, skipping .git)."""
    found: list[Path] = []
    for root, dirs, files in os.walk(skill_dir):
        dirs[:] = sorted(d for d in dirs if d != ".git")
        root_path = Path(root)
        found.extend(root_path / d for d in dirs)
        found.extend(root_path / f for f in sorted(files))
    return found


FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)")


def _scan_markdown(text: str) -> tuple[list[tuple[int, str, str]], list[tuple[int, str]], int | None]:
    """Split markdown into fenced blocks and prose.

    Returns (blocks, prose_lines, unclosed_fence_line): blocks as (first content line number,
    language, code); prose as (line number, text) for every line outside fences.
    """
    blocks: list[tuple[int, str, str]] = []
    prose: list[tuple[int, str]] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        match = FENCE.match(lines[index])
        if not match:
            prose.append((index + 1, lines[index]))
            index += 1
            continue
        fence, language = match.group(1), match.group(2).lower()
        start = index
        index += 1
        body: list[str] = []
        closed = False
        while index < len(lines):
            closing = re.match(r"^ {0,3}(`{3,}|~{3,})\s*$", lines[index])
            if closing and closing.group(1)[0] == fence[0] and len(closing.group(1)) >= len(fence):
                closed = True
                index += 1
                break
            body.append(lines[index])
            index += 1
        if not closed:
            return blocks, prose, start + 1
        blocks.append((start + 2, language, "\n".join(body) + "\n"))
    return blocks, prose, None


INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")

# ----------------------------------------------------------------------------- frontmatter


def _split_frontmatter(text: str) -> tuple[list[str], int] | None:
    """(frontmatter lines, index of the closing line) or None when there is no frontmatter."""
    lines = text.splitlines()
    if not lines or lines[0].rstrip() != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return lines[1:index], index
    return None


TOP_KEY = re.compile(r"^([A-Za-z0-9_][A-Za-z0-9_.-]*)\s*:(?:\s+(.*?))?\s*$")
NESTED_LINE = re.compile(r"^(\s+)(\S.*?)\s*$")


def _lint_plain_value(value: str) -> list[str]:
    """Problems with an unquoted YAML scalar that YAML would mis-read or reject."""
    found = []
    if " #" in value or "\t#" in value:
        found.append("unquoted ' #' starts a YAML comment and silently cuts the value; quote the value")
    if ": " in value or value.endswith(":"):
        found.append("unquoted ': ' inside a value is a YAML error; quote the value")
    return found


def _lint_frontmatter_lines(lines: list[str], first_line: int) -> tuple[dict[int, list[str]], dict[str, int]]:
    """Line-level checks that hold whatever parser is used; also where each top-level key is."""
    issues: dict[int, list[str]] = {}
    key_lines: dict[str, int] = {}
    for offset, line in enumerate(lines):
        number = first_line + offset
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0] in " \t":
            nested = NESTED_LINE.match(line)
            if nested:
                item = nested.group(2)
                item = item[2:] if item.startswith("- ") else item
                sub = re.match(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*\s*:\s+(.*)$", item)
                value = sub.group(1) if sub else None
                if value and value[0] not in "\"'|>":
                    issues.setdefault(number, []).extend(_lint_plain_value(value))
            continue
        match = TOP_KEY.match(line)
        if not match:
            continue
        key, value = match.group(1), match.group(2) or ""
        if key in key_lines:
            issues.setdefault(number, []).append(f"duplicate key {key!r} (first on line {key_lines[key]})")
        else:
            key_lines[key] = number
        if value and value[0] not in "\"'|>":
            issues.setdefault(number, []).extend(_lint_plain_value(value))
    return issues, key_lines


def _scalar(value: str, number: int, errors: list[tuple[int, str]]) -> object:
    """A single-line YAML scalar, strictly: quoted strings, or plain words."""
    if value.startswith('"'):
        if len(value) < 2 or not value.endswith('"'):
            errors.append((number, "unterminated double-quoted string"))
            return value
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            errors.append((number, "invalid escape or quote inside a double-quoted string"))
            return value[1:-1]
    if value.startswith("'"):
        inner = value[1:-1]
        if len(value) < 2 or not value.endswith("'") or re.search(r"(?<!')'(?!')", inner.replace("''", "")):
            errors.append((number, "unterminated or badly escaped single-quoted string"))
            return inner
        return inner.replace("''", "'")
    if value[0] in "[{&*!%@`,?":
        errors.append((number, f"a value starting with {value[0]!r} is YAML syntax; quote the value"))
        return value
    lowered = value.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("null", "~"):
        return None
    if re.fullmatch(r"[-+]?\d+", value):
        return int(value)
    return value


def _fallback_parse(lines: list[str], first_line: int) -> tuple[dict | None, list[tuple[int, str]]]:
    """A strict parser for the frontmatter subset skills use (key: value, one level of nesting)."""
    data: dict = {}
    errors: list[tuple[int, str]] = []
    index = 0
    while index < len(lines):
        line, number = lines[index], first_line + index
        if not line.strip() or line.lstrip().startswith("#"):
            index += 1
            continue
        if line[0] in " \t":
            errors.append((number, "unexpected indentation"))
            index += 1
            continue
        match = TOP_KEY.match(line)
        if not match:
            errors.append((number, "expected a 'key: value' line"))
            index += 1
            continue
        key, value = match.group(1), match.group(2) or ""
        index += 1
        nested: list[tuple[int, str]] = []
        while index < len(lines) and (not lines[index].strip() or lines[index][0] in " \t"):
            if lines[index].strip():
                nested.append((first_line + index, lines[index]))
            index += 1
        if re.fullmatch(r"[|>][-+]?", value):
            joiner = "\n" if value[0] == "|" else " "
            data[key] = joiner.join(text.strip() for _, text in nested)
        elif value:
            if nested:
                errors.append((nested[0][0], f"unexpected indented line after {key!r}"))
            data[key] = _scalar(value, number, errors)
        elif not nested:
            data[key] = None
        elif all(text.strip().startswith("- ") for _, text in nested):
            data[key] = [_scalar(text.strip()[2:].strip(), n, errors) for n, text in nested]
        else:
            mapping: dict = {}
            for n, text in nested:
                sub = re.match(r"^\s+([A-Za-z0-9_][A-Za-z0-9_.-]*)\s*:\s+(.+?)\s*$", text)
                if not sub:
                    errors.append((n, "expected an indented 'key: value' line"))
                    continue
                mapping[sub.group(1)] = _scalar(sub.group(2), n, errors)
            data[key] = mapping
    return (None if errors else data), errors


def _check_frontmatter(skill_dir: Path, skill_md: Path, text: str, problems: Problems) -> int | None:
    """Frontmatter rules; returns the index of the closing '---' line (or None)."""
    split = _split_frontmatter(text)
    if split is None:
        problems.add(skill_md, 1, "missing YAML frontmatter: the file must start with '---' and close with '---'")
        return None
    lines, closing = split
    first_line = 2
    issues, key_lines = _lint_frontmatter_lines(lines, first_line)
    for number in sorted(issues):
        for message in issues[number]:
            problems.add(skill_md, number, message)

    data: object
    if yaml is not None:
        try:
            data = yaml.safe_load("\n".join(lines)) if lines else None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            number = first_line + mark.line if mark is not None else 1
            if number not in issues:
                reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
                problems.add(skill_md, number, f"frontmatter is not valid YAML: {reason}")
            return closing
    else:
        data, errors = _fallback_parse(lines, first_line)
        for number, message in errors:
            if number not in issues:
                problems.add(skill_md, number, f"frontmatter: {message}")
        if data is None:
            return closing

    if not isinstance(data, dict):
        problems.add(skill_md, 1, "frontmatter must be a mapping of keys to values")
        return closing

    for key in data:
        if key not in ALLOWED_KEYS:
            allowed = ", ".join(ALLOWED_KEYS)
            problems.add(skill_md, key_lines.get(str(key), 1), f"unexpected frontmatter key {key!r} (allowed: {allowed})")

    name = data.get("name")
    name_line = key_lines.get("name", 1)
    if name is None:
        problems.add(skill_md, 1, "frontmatter needs a 'name'")
    elif not isinstance(name, str):
        problems.add(skill_md, name_line, "name must be a string")
    else:
        if name != skill_dir.resolve().name:
            problems.add(skill_md, name_line, f"name {name!r} must equal the folder name {skill_dir.resolve().name!r}")
        if not NAME_PATTERN.match(name):
            problems.add(skill_md, name_line, f"name {name!r} must be lowercase letters/digits joined by single hyphens")
        if len(name) > MAX_NAME:
            problems.add(skill_md, name_line, f"name is {len(name)} characters; at most {MAX_NAME}")
        for word in RESERVED_WORDS:
            if word in name.lower():
                problems.add(skill_md, name_line, f"name must not contain {word!r}")

    description = data.get("description")
    description_line = key_lines.get("description", 1)
    if description is None:
        problems.add(skill_md, 1, "frontmatter needs a 'description'")
    elif not isinstance(description, str):
        problems.add(skill_md, description_line, "description must be a string")
    else:
        if not description.strip():
            problems.add(skill_md, description_line, "description must not be empty")
        if len(description) > MAX_DESCRIPTION:
            problems.add(skill_md, description_line, f"description is {len(description)} characters; at most {MAX_DESCRIPTION}")
        if "<" in description or ">" in description:
            problems.add(skill_md, description_line, "description must not contain '<' or '>'")

    if "license" in data and not isinstance(data["license"], str):
        problems.add(skill_md, key_lines.get("license", 1), "license must be a string")
    if "compatibility" in data:
        value = data["compatibility"]
        if not isinstance(value, str) or not 1 <= len(value) <= MAX_COMPATIBILITY:
            problems.add(skill_md, key_lines.get("compatibility", 1), f"compatibility must be a string of 1-{MAX_COMPATIBILITY} characters")
    if "metadata" in data and not isinstance(data["metadata"], dict):
        problems.add(skill_md, key_lines.get("metadata", 1), "metadata must be a mapping")
    if "allowed-tools" in data and not isinstance(data["allowed-tools"], (str, list)):
        problems.add(skill_md, key_lines.get("allowed-tools", 1), "allowed-tools must be a string (or a list)")
    return closing


# ----------------------------------------------------------------------------- markdown

LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)")
LINK_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
MARKER = re.compile(r"<!--\s*skillbook:([A-Za-z0-9_.-]+):(begin|end)\s*-->")


def _check_links(skill_dir: Path, path: Path, prose: list[tuple[int, str]], problems: Problems) -> None:
    root = skill_dir.resolve()
    for number, line in prose:
        visible = INLINE_CODE.sub(lambda m: " " * len(m.group(0)), line)
        targets = [m.group(1) for m in LINK.finditer(visible)]
        definition = LINK_DEFINITION.match(visible)
        if definition:
            targets.append(definition.group(1))
        for raw in targets:
            target = raw[1:-1] if raw.startswith("<") and raw.endswith(">") else raw
            if not target or target.startswith("#") or SCHEME.match(target) or target.startswith("//"):
                continue
            file_part = unquote(target.split("#", 1)[0].split("?", 1)[0])
            if not file_part:
                continue
            resolved = (path.parent / file_part).resolve()
            if not resolved.exists():
                problems.add(path, number, f"broken link: {target} (no such file)")
            elif resolved != root and root not in resolved.parents:
                problems.add(path, number, f"link leaves the skill folder: {target}")


def _check_python_blocks(path: Path, blocks: list[tuple[int, str, str]], problems: Problems) -> None:
    for first_line, language, code in blocks:
        if language not in PYTHON_LANGUAGES:
            continue
        try:
            ast.parse(code, filename=str(path))
        except SyntaxError as exc:
            line = first_line + (exc.lineno or 1) - 1
            problems.add(path, line, f"python block does not parse: {exc.msg}")


def _check_markers(path: Path, prose: list[tuple[int, str]], problems: Problems) -> None:
    open_block: tuple[str, int] | None = None
    seen: dict[str, int] = {}
    for number, line in prose:
        visible = INLINE_CODE.sub(lambda m: " " * len(m.group(0)), line)
        for match in MARKER.finditer(visible):
            block, kind = match.group(1), match.group(2)
            if visible.strip() != match.group(0):
                problems.add(path, number, f"skillbook marker {block}:{kind} must be alone on its line")
            if kind == "begin":
                if open_block is not None:
                    problems.add(path, number, f"skillbook:{block}:begin inside unclosed block {open_block[0]!r} (opened on line {open_block[1]})")
                if block in seen:
                    problems.add(path, number, f"skillbook block {block!r} appears twice (first on line {seen[block]})")
                seen.setdefault(block, number)
                open_block = (block, number)
            else:
                if open_block is None:
                    problems.add(path, number, f"skillbook:{block}:end without a matching begin")
                elif open_block[0] != block:
                    problems.add(path, number, f"skillbook:{block}:end does not match open block {open_block[0]!r} (line {open_block[1]})")
                    open_block = None
                else:
                    open_block = None
    if open_block is not None:
        problems.add(path, open_block[1], f"skillbook:{open_block[0]}:begin has no matching end")


# ----------------------------------------------------------------------------- hygiene and secrets

PLACEHOLDER_WORDS = {
    "password", "pass", "passwd", "pwd", "pw", "yourpassword", "your-password", "your_password",
    "dbpassword", "db_password", "db-password", "mypassword", "changeme", "placeholder", "redacted",
    "secret-here", "password-here", "xxx",
}
PLACEHOLDER_PATTERNS = [
    re.compile(r"^\*+$"),
    re.compile(r"^[xX.]+$"),
    re.compile(r"^\$\{[^}]+\}$"),
    re.compile(r"^\$[A-Za-z_][A-Za-z0-9_]*$"),
    re.compile(r"^\{[^}]*\}$"),
    re.compile(r"^<[^>]*>$"),
    re.compile(r"^%\([^)]*\)s$"),
    re.compile(r"^\[[^\]]*\]$"),
]


def _is_placeholder(secret: str) -> bool:
    value = secret.strip().strip("\"'")
    if not value:
        return True
    if value.lower() in PLACEHOLDER_WORDS:
        return True
    return any(pattern.match(value) for pattern in PLACEHOLDER_PATTERNS)


URL_PASSWORD = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://([^\s:/?#@\"'`]+):([^\s@/\"'`]+)@")
QUOTED_SECRET = re.compile(
    r"(?i)\b[\w-]*(?:password|passwd|pwd|secret_key|client_secret|api_key|apikey|access_key|auth_token)[\w-]*"
    r"[\"']?\s*[:=]\s*(?:[rbuf]{0,2})([\"'])([^\"'\n]*)\1"
)
ENV_PASSWORD = re.compile(
    r"^\s*(?:export\s+)?[A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET|SECRET_KEY|API_KEY|ACCESS_KEY|_TOKEN)=(\S+)"
)
QUERY_PASSWORD = re.compile(r"(?i)[?&](?:password|passwd|pwd)=([^&#\s\"'`]+)")
KEY_PATTERNS = [
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), "an AWS access key id"),
    (re.compile(r"(?i)aws_secret_access_key\s*[:=]\s*[\"']?[A-Za-z0-9/+=]{40}"), "an AWS secret access key"),
    (re.compile(r"\bsk-(?:[A-Za-z]+-)?[A-Za-z0-9_-]{20,}"), "an OpenAI/Anthropic-style API key"),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"), "a GitHub token"),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), "a Slack token"),
    (re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----"), "a private key"),
]


def _is_lookup(value: str) -> bool:
    """A value that reads a secret from somewhere (code or shell), rather than being one."""
    return value.startswith(("os.", "$", "getenv", "env(")) or "(" in value or "[" in value


def _looks_fake_key(text: str) -> bool:
    body = re.sub(r"^(sk-(?:[A-Za-z]+-)?|AKIA|ASIA|gh[pousr]_|xox[abprs]-)", "", text)
    lowered = body.lower()
    return len(set(body.replace("-", ""))) <= 2 or "example" in lowered or "your" in lowered


def _check_secrets(path: Path, text: str, problems: Problems) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        for match in URL_PASSWORD.finditer(line):
            if not _is_placeholder(match.group(2)):
                problems.add(path, number, "credential: a URL with a real-looking password (use an environment variable or USER:PASSWORD)")
        for match in QUOTED_SECRET.finditer(line):
            if len(match.group(2)) >= 4 and not _is_placeholder(match.group(2)):
                problems.add(path, number, "credential: a password/secret literal (read it from the environment)")
        env = ENV_PASSWORD.match(line)
        if env and not (_is_placeholder(env.group(1)) or _is_lookup(env.group(1)) or _looks_fake_key(env.group(1))):
            problems.add(path, number, "credential: a secret assigned in an env-style line (keep it in an ignored .env)")
        for match in QUERY_PASSWORD.finditer(line):
            if not _is_placeholder(match.group(1)):
                problems.add(path, number, "credential: a password in a URL query string")
        for pattern, what in KEY_PATTERNS:
            for match in pattern.finditer(line):
                if what == "a private key" or not _looks_fake_key(match.group(0)):
                    problems.add(path, number, f"credential: looks like {what}")


FORBIDDEN_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".ipynb_checkpoints"}
FORBIDDEN_FILE = re.compile(r"(?i)(\.pyc|\.pyo|\.db|\.db-journal|\.db-wal|\.db-shm|\.sqlite[^/]*)$")
ENV_FILE = re.compile(r"^\.env(\..+)?$")
ENV_TEMPLATES = {".env.example", ".env.sample", ".env.template"}


def _check_hygiene(path: Path, problems: Problems) -> None:
    name = path.name
    if path.is_dir():
        if name in FORBIDDEN_DIRS:
            problems.add(path, 1, f"cache directory {name} must not be part of the skill")
        return
    if FORBIDDEN_FILE.search(name):
        problems.add(path, 1, "compiled file or database must not be part of the skill")
    elif ENV_FILE.match(name) and name not in ENV_TEMPLATES:
        problems.add(path, 1, ".env files hold secrets and must not be part of the skill")


# ----------------------------------------------------------------------------- examples


def _check_examples(skill_dir: Path, problems: Problems, run: bool) -> None:
    examples = sorted((skill_dir / "examples").glob("*.py")) if (skill_dir / "examples").is_dir() else []
    for example in examples:
        source = _read_text(example)
        if source is None:
            problems.add(example, 1, "example is not readable UTF-8 text")
            continue
        try:
            tree = ast.parse(source, str(example))
        except SyntaxError as exc:
            problems.add(example, exc.lineno or 1, f"example does not compile: {exc.msg}")
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            if any(module.split(".")[0] in COURSE_MODULES for module in modules):
                problems.add(example, node.lineno, "example imports course code (taskflow, skillbook); it must stand on its own")
        if not run:
            continue
        env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
        env["PYTHONDONTWRITEBYTECODE"] = "1"  # no __pycache__ inside the skill
        with tempfile.TemporaryDirectory(prefix="skill-example-") as workdir:
            try:
                completed = subprocess.run(
                    [sys.executable, str(example.resolve())],
                    cwd=workdir,  # files an example writes land outside the skill
                    env=env,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    text=True,
                    timeout=EXAMPLE_TIMEOUT_S,
                )
            except subprocess.TimeoutExpired:
                problems.add(example, 1, f"example did not finish within {EXAMPLE_TIMEOUT_S} s")
                continue
        if completed.returncode != 0:
            tail = " | ".join((completed.stderr or completed.stdout or "").strip().splitlines()[-3:])
            detail = f": {tail}" if tail else ""
            problems.add(example, 1, f"example exited with code {completed.returncode}{detail}")


# ----------------------------------------------------------------------------- entry points


def verify(skill_dir: Path, run_examples: bool = True) -> list[str]:
    """Every problem found in the skill folder, as ``path:line: message`` strings."""
    skill_dir = Path(skill_dir)
    problems = Problems(skill_dir.resolve())
    skill_dir = skill_dir.resolve()
    if not skill_dir.is_dir():
        problems.add(skill_dir, 1, "not a directory")
        return problems.items

    skill_md = skill_dir / "SKILL.md"
    if not skill_md.is_file():
        problems.add(skill_md, 1, "SKILL.md is missing")
    else:
        text = _read_text(skill_md) or ""
        closing = _check_frontmatter(skill_dir, skill_md, text, problems)
        if closing is not None:
            body_lines = len(text.splitlines()) - closing - 1
            if body_lines > MAX_BODY_LINES:
                problems.add(skill_md, closing + 2, f"SKILL.md body has {body_lines} lines; keep it to {MAX_BODY_LINES} and move details to references/")

    entries = _walk(skill_dir)
    for path in entries:
        _check_hygiene(path, problems)
    for path in entries:
        if path.is_dir() or path.is_symlink():
            continue
        text = _read_text(path)
        if text is None:
            continue
        _check_secrets(path, text, problems)
        lines = text.count("\n") + (not text.endswith("\n") and bool(text))
        if lines > MAX_FILE_LINES and "scripts" not in path.relative_to(skill_dir).parts:
            problems.add(path, MAX_FILE_LINES + 1, f"{lines} lines; keep a file to {MAX_FILE_LINES} (split it, or move detail out)")
        if path.suffix.lower() == ".md":
            blocks, prose, unclosed = _scan_markdown(text)
            if unclosed is not None:
                problems.add(path, unclosed, "code fence is never closed")
            _check_links(skill_dir, path, prose, problems)
            _check_python_blocks(path, blocks, problems)
            _check_markers(path, prose, problems)

    _check_examples(skill_dir, problems, run_examples)
    return problems.items


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check an agent skill folder.")
    parser.add_argument("skill_dir", nargs="?", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="the skill folder (default: the one containing this script)")
    parser.add_argument("--no-run-examples", action="store_true", help="compile examples but do not run them")
    args = parser.parse_args(argv)

    problems = verify(args.skill_dir, run_examples=not args.no_run_examples)
    for problem in problems:
        print(problem)
    where = args.skill_dir.resolve()
    if problems:
        print(f"verify: FAILED, {len(problems)} problem(s) in {where}")
        return 1
    ran = "not run" if args.no_run_examples else "run"
    print(f"verify: OK, {where} passed every check (examples {ran})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
