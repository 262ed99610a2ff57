"""scripts/verify.py of the skill template: the template passes, and each rule catches its problem."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "skill_template" / "relational-db-agent"
VERIFY_SCRIPT = TEMPLATE / "scripts" / "verify.py"


def load_verify() -> ModuleType:
    """Import scripts/verify.py by path, without writing __pycache__ into the template."""
    spec = importlib.util.spec_from_file_location("skill_template_verify", VERIFY_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    previous = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = previous
    return module


@pytest.fixture
def verify_mod() -> ModuleType:
    return load_verify()


@pytest.fixture(params=["pyyaml", "fallback"])
def yaml_mode(request, verify_mod, monkeypatch) -> str:
    """Run frontmatter tests with PyYAML and with the stdlib fallback parser."""
    if request.param == "fallback":
        monkeypatch.setattr(verify_mod, "yaml", None)
    elif verify_mod.yaml is None:
        pytest.skip("PyYAML is not installed")
    return request.param


def copy_skill(tmp_path: Path, folder: str = "relational-db-agent") -> Path:
    target = tmp_path / folder
    shutil.copytree(TEMPLATE, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (target / "examples").mkdir()  # what create_skill adds, for each lesson's example
    (target / "references").mkdir()
    for name, lesson in (("models.md", "L03"), ("sessions.md", "L04"), ("transactions.md", "L07")):  # as Reflect writes them
        (target / "references" / name).write_text(
            f"# {name}\n\n<!-- skillbook:{lesson}:begin -->\nRules.\n<!-- skillbook:{lesson}:end -->\n", encoding="utf-8")
    return target


@pytest.fixture
def skill(tmp_path) -> Path:
    return copy_skill(tmp_path)


def set_frontmatter_line(skill_dir: Path, key: str, new_line: str) -> int:
    """Replace the frontmatter line of `key`; returns its 1-based line number."""
    skill_md = skill_dir / "SKILL.md"
    lines = skill_md.read_text(encoding="utf-8").splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.startswith(f"{key}:"):
            lines[index] = new_line + "\n"
            skill_md.write_text("".join(lines), encoding="utf-8")
            return index + 1
    raise AssertionError(f"no {key} line in the frontmatter")


def insert_frontmatter_line(skill_dir: Path, new_line: str) -> int:
    """Add a line just before the closing '---'; returns its line number."""
    skill_md = skill_dir / "SKILL.md"
    lines = skill_md.read_text(encoding="utf-8").splitlines(keepends=True)
    closing = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    lines.insert(closing, new_line + "\n")
    skill_md.write_text("".join(lines), encoding="utf-8")
    return closing + 1


def run_main(verify_mod, skill_dir: Path, capsys, run_examples: bool = False) -> tuple[int, list[str]]:
    argv = [str(skill_dir)] + ([] if run_examples else ["--no-run-examples"])
    code = verify_mod.main(argv)
    lines = capsys.readouterr().out.splitlines()
    return code, lines


def assert_single_problem(code: int, lines: list[str], where: str, fragment: str) -> None:
    """Exit 1, exactly one problem line (plus the summary), at `where`, mentioning `fragment`."""
    assert code == 1, lines
    problems, summary = lines[:-1], lines[-1]
    assert "FAILED, 1 problem(s)" in summary, lines
    assert len(problems) == 1, problems
    assert problems[0].startswith(where), problems
    assert fragment in problems[0], problems


# ------------------------------------------------------------------------------- the template


def test_template_passes_with_examples_run(skill, verify_mod, capsys) -> None:
    # `skill` is the template as learners receive it: git-ignored caches (__pycache__ that an
    # importing tool may leave beside scripts/verify.py) are not part of it.
    assert verify_mod.verify(skill, run_examples=True) == []
    code, lines = run_main(verify_mod, skill, capsys, run_examples=True)
    assert code == 0
    assert lines == [f"verify: OK, {skill} passed every check (examples run)"]


def test_runs_standalone_from_the_command_line(skill) -> None:
    ok = subprocess.run(
        [sys.executable, "-B", str(skill / "scripts" / "verify.py"), "--no-run-examples"],
        capture_output=True, text=True, timeout=120,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "passed every check" in ok.stdout

    set_frontmatter_line(skill, "name", "name: some-other-name")
    bad = subprocess.run(
        [sys.executable, "-B", str(skill / "scripts" / "verify.py"), str(skill), "--no-run-examples"],
        capture_output=True, text=True, timeout=120,
    )
    assert bad.returncode == 1
    assert "relational-db-agent/SKILL.md:2: name 'some-other-name' must equal the folder name" in bad.stdout


# ------------------------------------------------------------------------------- frontmatter


def test_missing_frontmatter(skill, verify_mod, capsys) -> None:
    skill_md = skill / "SKILL.md"
    text = skill_md.read_text(encoding="utf-8")
    skill_md.write_text(text.split("---\n", 2)[2], encoding="utf-8")
    code, lines = run_main(verify_mod, skill, capsys)
    assert_single_problem(code, lines, "relational-db-agent/SKILL.md:1:", "missing YAML frontmatter")


@pytest.mark.parametrize(
    ("folder", "name", "fragment"),
    [
        ("Relational_DB", "Relational_DB", "lowercase letters/digits joined by single hyphens"),
        ("db--agent", "db--agent", "lowercase letters/digits joined by single hyphens"),
        ("claude-db-helper", "claude-db-helper", "must not contain 'claude'"),
        ("x" * 65, "x" * 65, "at most 64"),
    ],
)
def test_bad_name(tmp_path, verify_mod, capsys, yaml_mode, folder, name, fragment) -> None:
    skill = copy_skill(tmp_path, folder)
    line = set_frontmatter_line(skill, "name", f"name: {name}")
    code, lines = run_main(verify_mod, skill, capsys)
    assert_single_problem(code, lines, f"{folder}/SKILL.md:{line}:", fragment)


def test_name_differs_from_folder(skill, verify_mod, capsys, yaml_mode) -> None:
    line = set_frontmatter_line(skill, "name", "name: database-agent")
    code, lines = run_main(verify_mod, skill, capsys)
    assert_single_problem(code, lines, f"relational-db-agent/SKILL.md:{line}:", "must equal the folder name 'relational-db-agent'")


def test_extra_key(skill, verify_mod, capsys, yaml_mode) -> None:
    line = insert_frontmatter_line(skill, "version: 1.0.0")
    code, lines = run_main(verify_mod, skill, capsys)
    assert_single_problem(code, lines, f"relational-db-agent/SKILL.md:{line}:", "unexpected frontmatter key 'version'")


def test_allowed_optional_keys(skill, verify_mod, capsys, yaml_mode) -> None:
    insert_frontmatter_line(skill, 'compatibility: "Python 3.11+, network access for PostgreSQL"')
    insert_frontmatter_line(skill, "allowed-tools: Bash Read")
    insert_frontmatter_line(skill, 'metadata:\n  author: course-team\n  version: "1.0"')
    code, lines = run_main(verify_mod, skill, capsys)
    assert code == 0, lines


def test_description_with_angle_bracket(skill, verify_mod, capsys, yaml_mode) -> None:
    line = set_frontmatter_line(skill, "description", 'description: "Use when writing <async> database code"')
    code, lines = run_main(verify_mod, skill, capsys)
    assert_single_problem(code, lines, f"relational-db-agent/SKILL.md:{line}:", "must not contain '<' or '>'")


def test_description_too_long(skill, verify_mod, capsys, yaml_mode) -> None:
    text = "Use when " + "x" * 1020
    line = set_frontmatter_line(skill, "description", f'description: "{text}"')
    code, lines = run_main(verify_mod, skill, capsys)
    assert_single_problem(code, lines, f"relational-db-agent/SKILL.md:{line}:", "description is 1029 characters; at most 1024")


def test_description_missing_or_empty(skill, verify_mod, capsys, yaml_mode) -> None:
    line = set_frontmatter_line(skill, "description", 'description: ""')
    code, lines = run_main(verify_mod, skill, capsys)
    assert_single_problem(code, lines, f"relational-db-agent/SKILL.md:{line}:", "must not be empty")


def test_unquoted_hash_cuts_the_value(skill, verify_mod, capsys, yaml_mode) -> None:
    line = set_frontmatter_line(skill, "description", "description: Use when writing async code #1 for FastAPI")
    code, lines = run_main(verify_mod, skill, capsys)
    assert_single_problem(code, lines, f"relational-db-agent/SKILL.md:{line}:", "unquoted ' #' starts a YAML comment")


def test_unquoted_colon_is_a_yaml_error(skill, verify_mod, capsys, yaml_mode) -> None:
    line = set_frontmatter_line(skill, "description", "description: Use when writing code: engines, sessions and models")
    code, lines = run_main(verify_mod, skill, capsys)
    assert_single_problem(code, lines, f"relational-db-agent/SKILL.md:{line}:", "unquoted ': ' inside a value")


def test_quoted_hash_and_colon_are_fine(skill, verify_mod, capsys, yaml_mode) -> None:
    set_frontmatter_line(skill, "description", 'description: "Use when writing code: engines #1, sessions"')
    code, lines = run_main(verify_mod, skill, capsys)
    assert code == 0, lines


# ------------------------------------------------------------------------------- markdown


def test_broken_relative_link(skill, verify_mod, capsys) -> None:
    path = skill / "references" / "models.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "\nSee [the guide](guide.md#setup), [ok](sessions.md#lifecycle), [web](https://example.com/x.md).\n",
                    encoding="utf-8")
    line = len(path.read_text(encoding="utf-8").splitlines())
    code, lines = run_main(verify_mod, skill, capsys)
    assert_single_problem(code, lines, f"relational-db-agent/references/models.md:{line}:", "broken link: guide.md#setup")


def test_links_in_code_are_not_links(skill, verify_mod, capsys) -> None:
    path = skill / "references" / "models.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n`[x](missing.md)`\n\n```text\n[y](missing.md)\n```\n",
                    encoding="utf-8")
    code, lines = run_main(verify_mod, skill, capsys)
    assert code == 0, lines


def test_python_block_that_does_not_parse(skill, verify_mod, capsys) -> None:
    path = skill / "references" / "sessions.md"
    before = len(path.read_text(encoding="utf-8").splitlines())
    path.write_text(path.read_text(encoding="utf-8") + "\n```python\nimport os\n\nasync def broken(:\n    pass\n```\n",
                    encoding="utf-8")
    code, lines = run_main(verify_mod, skill, capsys)
    # after the file's last line: blank, fence, "import os", blank, "async def broken(:" -> before + 5
    assert_single_problem(code, lines, f"relational-db-agent/references/sessions.md:{before + 5}:", "python block does not parse")


def test_unbalanced_marker(skill, verify_mod, capsys) -> None:
    path = skill / "references" / "transactions.md"
    text = path.read_text(encoding="utf-8").replace("<!-- skillbook:L07:end -->\n", "")
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index("<!-- skillbook:L07:begin -->") + 1
    code, lines = run_main(verify_mod, skill, capsys)
    assert_single_problem(code, lines, f"relational-db-agent/references/transactions.md:{line}:", "skillbook:L07:begin has no matching end")


def test_marker_end_before_begin_and_mismatch(skill, verify_mod, capsys) -> None:
    path = skill / "references" / "transactions.md"
    text = path.read_text(encoding="utf-8")
    text = text.replace("<!-- skillbook:L07:begin -->\nRules.\n<!-- skillbook:L07:end -->",
                        "<!-- skillbook:L07:end -->\n<!-- skillbook:L07:begin -->\n<!-- skillbook:L08:end -->")
    path.write_text(text, encoding="utf-8")
    code, lines = run_main(verify_mod, skill, capsys)
    assert code == 1
    assert any("skillbook:L07:end without a matching begin" in line for line in lines), lines
    assert any("skillbook:L08:end does not match open block 'L07'" in line for line in lines), lines


def test_body_of_151_lines(skill, verify_mod, capsys) -> None:
    path = skill / "SKILL.md"
    text = path.read_text(encoding="utf-8")
    body_lines = len(text.split("\n---\n", 1)[1].splitlines())
    path.write_text(text + "filler line\n" * (151 - body_lines), encoding="utf-8")
    code, lines = run_main(verify_mod, skill, capsys)
    assert_single_problem(code, lines, "relational-db-agent/SKILL.md:", "body has 151 lines; keep it to 150")


def test_body_of_150_lines_passes(skill, verify_mod, capsys) -> None:
    path = skill / "SKILL.md"
    text = path.read_text(encoding="utf-8")
    body_lines = len(text.split("\n---\n", 1)[1].splitlines())
    path.write_text(text + "filler line\n" * (150 - body_lines), encoding="utf-8")
    assert run_main(verify_mod, skill, capsys)[0] == 0


def test_file_over_300_lines(skill, verify_mod, capsys) -> None:
    (skill / "references" / "long.md").write_text("# Long\n" + "a line\n" * 300, encoding="utf-8")
    (skill / "scripts" / "tool.py").write_text("x = 1\n" * 400, encoding="utf-8")  # scripts/ are tools: not counted
    code, lines = run_main(verify_mod, skill, capsys)
    assert_single_problem(code, lines, "relational-db-agent/references/long.md:301:", "301 lines; keep a file to 300")


def test_example_that_imports_course_code(skill, verify_mod, capsys) -> None:
    (skill / "examples" / "leaning.py").write_text("from taskflow.models import Task\n", encoding="utf-8")
    code, lines = run_main(verify_mod, skill, capsys)
    assert_single_problem(code, lines, "relational-db-agent/examples/leaning.py:1:", "imports course code")


# ------------------------------------------------------------------------------- examples


def test_example_that_exits_1(skill, verify_mod, capsys) -> None:
    (skill / "examples" / "failing.py").write_text(
        "import sys\n\nprint('about to fail', file=sys.stderr)\nsys.exit(1)\n", encoding="utf-8"
    )
    code, lines = run_main(verify_mod, skill, capsys, run_examples=True)
    assert_single_problem(code, lines, "relational-db-agent/examples/failing.py:1:", "exited with code 1: about to fail")


def test_examples_run_without_database_url(skill, verify_mod, capsys, monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://USER:PASSWORD@unreachable.invalid:5432/none")
    (skill / "examples" / "check_env.py").write_text(
        "import os, sys\n\nsys.exit(3 if 'DATABASE_URL' in os.environ else 0)\n", encoding="utf-8"
    )
    code, lines = run_main(verify_mod, skill, capsys, run_examples=True)
    assert code == 0, lines


def test_example_that_does_not_compile_is_caught_without_running(skill, verify_mod, capsys) -> None:
    (skill / "examples" / "broken.py").write_text("def main(:\n    pass\n", encoding="utf-8")
    code, lines = run_main(verify_mod, skill, capsys, run_examples=False)
    assert_single_problem(code, lines, "relational-db-agent/examples/broken.py:1:", "example does not compile")


# ------------------------------------------------------------------------------- credentials and hygiene


@pytest.mark.parametrize(
    ("snippet", "fragment"),
    [
        ("DATABASE_URL = 'postgresql+asyncpg://admin:s3cret-Pw@db.example.com:5432/app'", "URL with a real-looking password"),
        ('engine = connect(password="hunter2hunter2")', "password/secret literal"),
        ("DB_PASSWORD=Tr0ub4dor", "env-style line"),
        ("url = 'postgresql://app@db.example.com/app?password=Tr0ub4dor'", "password in a URL query string"),
        ("OPENAI_KEY = 'sk-proj-Ab3dEf5hIj7lMn9pQr1tUv3x'", "OpenAI/Anthropic-style API key"),
        ("aws = 'AKIAIOSFODNN7REALKEY'", "AWS access key id"),
    ],
)
def test_credential_in_a_text_file(skill, verify_mod, capsys, snippet, fragment) -> None:
    path = skill / "examples" / "notes.txt"
    path.write_text("first line\n" + snippet + "\n", encoding="utf-8")
    code, lines = run_main(verify_mod, skill, capsys)
    assert_single_problem(code, lines, "relational-db-agent/examples/notes.txt:2:", fragment)


def test_placeholders_are_not_credentials(skill, verify_mod, capsys) -> None:
    (skill / "references" / "placeholders.md").write_text(
        "# Placeholders\n\n"
        "- postgresql+asyncpg://user:password@localhost/db\n"
        "- postgresql+asyncpg://USER:PASSWORD@HOST:5432/DBNAME?ssl=require\n"
        "- postgresql+asyncpg://app:${DB_PASSWORD}@db/app\n"
        "- postgresql+asyncpg://app:****@db/app and postgresql+asyncpg://app:***@db/app\n"
        "- DB_PASSWORD=${DB_PASSWORD}\n"
        "- sqlite+aiosqlite:///app.db, https://example.com/a:b\n"
        "\nMAX_TOKENS=1000\nAPI_KEY=os.environ['API_KEY']\nmin_password_length = '8'\n"
        "OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxx\nexport DB_PASSWORD=$DB_PASSWORD\n",
        encoding="utf-8",
    )
    code, lines = run_main(verify_mod, skill, capsys)
    assert code == 0, lines


@pytest.mark.parametrize(
    ("relative", "is_dir", "fragment"),
    [
        (".env", False, ".env files hold secrets"),
        ("examples/__pycache__", True, "cache directory __pycache__"),
        ("examples/engine_and_session.cpython-311.pyc", False, "compiled file or database"),
        ("references/app.db", False, "compiled file or database"),
        ("data.sqlite3", False, "compiled file or database"),
    ],
)
def test_caches_databases_and_env_files(skill, verify_mod, capsys, relative, is_dir, fragment) -> None:
    target = skill / relative
    if is_dir:
        target.mkdir()
    else:
        target.write_bytes(b"")
    code, lines = run_main(verify_mod, skill, capsys)
    assert_single_problem(code, lines, f"relational-db-agent/{relative}:1:", fragment)


def test_env_example_is_allowed(skill, verify_mod, capsys) -> None:
    (skill / ".env.example").write_text("DATABASE_URL=postgresql+asyncpg://USER:PASSWORD@HOST:5432/DB\n", encoding="utf-8")
    code, lines = run_main(verify_mod, skill, capsys)
    assert code == 0, lines


# ------------------------------------------------------------------------------- all at once


def test_several_problems_are_reported_together(skill, verify_mod, capsys) -> None:
    name_line = set_frontmatter_line(skill, "name", "name: another-agent")
    (skill / ".env").write_text("DATABASE_URL=sqlite+aiosqlite://\n", encoding="utf-8")
    models = skill / "references" / "models.md"
    models.write_text(models.read_text(encoding="utf-8") + "\n[gone](gone.md)\n", encoding="utf-8")
    sessions = skill / "references" / "sessions.md"
    sessions.write_text(sessions.read_text(encoding="utf-8") + "\n```python\nx = (\n```\n", encoding="utf-8")
    (skill / "examples" / "failing.py").write_text("raise SystemExit(1)\n", encoding="utf-8")

    problems = verify_mod.verify(skill, run_examples=True)
    assert len(problems) == 5, problems
    expected = [
        f"relational-db-agent/SKILL.md:{name_line}: name 'another-agent' must equal the folder name",
        "relational-db-agent/.env:1: .env files hold secrets",
        "relational-db-agent/references/models.md:",
        "relational-db-agent/references/sessions.md:",
        "relational-db-agent/examples/failing.py:1: example exited with code 1",
    ]
    for prefix in expected:
        assert any(problem.startswith(prefix) for problem in problems), (prefix, problems)

    code, lines = run_main(verify_mod, skill, capsys, run_examples=True)
    assert code == 1
    assert lines[-1] == f"verify: FAILED, 5 problem(s) in {skill}"
    for line in lines[:-1]:
        path, number, message = line.split(":", 2)
        assert path.startswith("relational-db-agent/") and number.isdigit() and message.startswith(" ")
