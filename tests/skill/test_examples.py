"""The skill template's examples: each main() runs on SQLite, and on PostgreSQL with TEST_DATABASE_URL."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

REPO = Path(__file__).resolve().parents[2]
EXAMPLES_DIR = REPO / "skill_template" / "relational-db-agent" / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.py"))
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


def load_example(path: Path) -> ModuleType:
    """Import an example by path under a unique name, writing no __pycache__ into the template."""
    name = f"skill_example_{path.stem}_{uuid.uuid4().hex[:8]}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    previous = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = previous
    return module


def test_there_are_examples() -> None:
    assert {p.name for p in EXAMPLES} >= {
        "engine_and_session.py", "relationships_selectinload.py", "transfer_credits.py"
    }


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_shape(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert "async def main() -> None:" in source
    assert source.rstrip().endswith('if __name__ == "__main__":\n    asyncio.run(main())')
    assert "sqlite+aiosqlite://" in source and 'os.environ' in source


def test_examples_import_together_without_touching_sqlmodel_metadata() -> None:
    before = set(SQLModel.metadata.tables)
    modules = [load_example(path) for path in EXAMPLES]
    assert set(SQLModel.metadata.tables) == before
    seen: set[str] = set()
    for module in modules:
        tables = set(module.Base.metadata.tables)
        assert tables, module.__name__
        assert not tables & seen, f"{module.__name__} reuses table names {tables & seen}"
        seen |= tables
    # Importing the same file twice works too (fresh registry per import).
    load_example(EXAMPLES[0])


@pytest.mark.asyncio
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
async def test_example_runs_on_sqlite(path: Path, monkeypatch, capsys) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    module = load_example(path)
    await asyncio.wait_for(module.main(), timeout=60)
    out = capsys.readouterr().out
    assert len(out.splitlines()) >= 3, out


@pytest_asyncio.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    if not TEST_DATABASE_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    base = make_url(TEST_DATABASE_URL)
    name = f"skill_example_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(base, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.mark.postgres
@pytest.mark.asyncio
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
async def test_example_runs_on_postgresql(path: Path, postgres_url: str, monkeypatch, capsys) -> None:
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    module = load_example(path)
    await asyncio.wait_for(module.main(), timeout=60)
    out = capsys.readouterr().out
    assert "postgresql" in out or len(out.splitlines()) >= 3, out
    # The example dropped everything it created.
    engine = create_async_engine(postgres_url)
    try:
        async with engine.connect() as conn:
            left = await conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
            assert left.scalars().all() == []
    finally:
        await engine.dispose()


@pytest.mark.asyncio
async def test_transfer_example_behaviour_on_sqlite(monkeypatch, capsys) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    module = load_example(EXAMPLES_DIR / "transfer_credits.py")
    await module.main()
    out = capsys.readouterr().out
    assert "after transfer of 30: {'planner': 70, 'coder': 50}" in out
    assert "CHECK credits >= 0 rejected a negative balance" in out
    # The savepoint recipe works: a rolled-back batch leaves balances unchanged.
    assert "batch rolled back as a whole: {'planner': 70, 'coder': 10}" in out


@pytest.mark.asyncio
async def test_relationships_example_counts_statements(monkeypatch, capsys) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    module = load_example(EXAMPLES_DIR / "relationships_selectinload.py")
    await module.main()
    out = capsys.readouterr().out
    assert "N+1 loop: 6 statements for 5 projects" in out
    assert "selectinload: 2 statements" in out
    assert "joinedload: 1 statement" in out
    assert "0 orphans" in out
