"""The lessons' example programs in reflections/examples/: complete and standalone, still whole with any of
their exercises left out (what a learner whose code did not pass gets), and, filled with the solutions' code,
runnable on PostgreSQL too."""

import ast
import os
import subprocess
import sys

import pytest

from skillbook.course import manifest, paths
from skillbook.engine.databases import isolated_database
from skillbook.skill import example
from tests.conftest import POSTGRES_URL

TEMPLATES = sorted((paths.reflections_dir() / "examples").glob("*.py"))


def _run(path, cwd, database_url=None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if database_url:
        env["DATABASE_URL"] = database_url
    return subprocess.run([sys.executable, "-W", "error", str(path)], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def test_every_lesson_has_its_examples():
    named = {name for lesson in manifest.lessons().values() for name in lesson.examples}
    assert named == {p.name for p in TEMPLATES}


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.stem)
def test_example_is_a_complete_standalone_program(path):
    """A docstring saying how to run it, `async def main()`, a __main__ guard, no course imports, no private registry."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    assert f"Run: python examples/{path.name}" in ast.get_docstring(tree)
    assert any(isinstance(n, ast.AsyncFunctionDef) and n.name == "main" for n in tree.body)
    assert source.rstrip().endswith('if __name__ == "__main__":\n    asyncio.run(main())')
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {m for m in imported if m and m.split(".")[0] in ("taskflow", "skillbook")}
    assert "registry(" not in source
    assert example.exercises_in(source, path.name), "an example shows at least one exercise"


@pytest.mark.xdist_group("grown_skill")
@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="set TEST_DATABASE_URL to run on PostgreSQL")
@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.stem)
def test_grown_example_runs_on_postgresql(path, grown_skill, tmp_path):
    """The examples a learner who solved every lesson gets (verify ran them on SQLite): do they run on PostgreSQL,
    warnings as errors?"""
    with isolated_database(POSTGRES_URL, tmp_path) as url:
        done = _run(grown_skill["L09"] / "examples" / path.name, tmp_path, url)
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(done.stdout.splitlines()) >= 3, done.stdout


@pytest.mark.parametrize("lesson", list(manifest.lessons().values()), ids=lambda lesson: lesson.id)
def test_example_stands_without_any_exercise(lesson):
    """With every exercise left out, and with each one alone, do the programs still hang together?"""
    templates = {name: (paths.reflections_dir() / "examples" / name).read_text(encoding="utf-8") for name in lesson.examples}
    regions = [e for text in templates.values() for e in example.exercises_in(text)]
    assert sorted(regions) == sorted(e.id for e in lesson.exercises if not e.frontmatter)
    for exercise_id in regions:  # alone: in the example, or left out for a reason (L03.schemas needs L03.models)
        name = next(n for n, text in templates.items() if exercise_id in example.exercises_in(text))
        piece = example.learner_piece(exercise_id, _course_code(templates, exercise_id), templates[name])
        built = example.build(templates, {exercise_id: piece}, run=False)
        assert built.included == [exercise_id] or list(built.left_out) == [exercise_id]
    assert example.build(templates, {}, run=False).included == []


def _course_code(templates, exercise_id) -> str:
    for name, text in templates.items():
        for part in example.segments(text, name):
            if part.kind == "exercise" and part.exercises[0] == exercise_id:
                return "\n".join(part.lines)
    raise KeyError(exercise_id)


@pytest.mark.xdist_group("grown_skill")
def test_the_grown_migrate_goes_down_and_up(grown_skill, tmp_path):
    """The skill says migrate() moves a database either way: does the grown example show it (head, 0001, base, head)?"""
    done = _run(grown_skill["L09"] / "examples" / "migrations.py", tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    for target, revision in (("head", "0002"), ("0001", "0001"), ("base", "None"), ("head", "0002")):
        assert f"migrate to {target}: the database is at {revision}" in done.stdout
