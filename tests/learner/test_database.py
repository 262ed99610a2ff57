"""Does a learner's check grade on the database their lessons use, and say so when it cannot?"""

import asyncio
import os
import uuid

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from skillbook.learner import database
from skillbook.learner.database import SQLITE, target

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
needs_postgres = pytest.mark.skipif(not POSTGRES_URL, reason="set TEST_DATABASE_URL to run on PostgreSQL")


@pytest.fixture(autouse=True)
def fresh_answers(monkeypatch):
    monkeypatch.setattr(database, "_may_create", {})


def test_without_database_url_checks_run_on_sqlite(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert target() == database.Target(SQLITE, "SQLite")
    monkeypatch.setenv("DATABASE_URL", "sqlite+aiosqlite:///mine.db")
    assert target().name == "SQLite" and target().note is None


def test_an_unreachable_server_is_said_and_sqlite_used(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://nobody@127.0.0.1:1/nothing")
    where = target()
    assert where.url == SQLITE and "could not reach" in where.note and "127.0.0.1:1" in where.note


def test_a_database_other_than_postgresql_or_sqlite_is_said(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "mysql+aiomysql://u@h/db")
    where = target()
    assert where.url == SQLITE and "mysql" in where.note and "checked on SQLite" in where.note
    assert "not mysql" in target("mysql+aiomysql://u@h/db").note  # --database-url, not read by taskflow


@needs_postgres
@pytest.mark.postgres
def test_postgresql_is_used_when_the_role_may_create_databases(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", POSTGRES_URL)
    where = target()
    assert where.name == "PostgreSQL" and where.note is None
    assert make_url(where.url).database == make_url(POSTGRES_URL).database  # the scratch database is made from it


@needs_postgres
@pytest.mark.postgres
def test_a_hosted_style_url_with_tls_is_used(monkeypatch):
    """A provider's URL (sslmode=require&channel_binding=require), which taskflow rewrites as L02 teaches:
    does the check reach the server with it (over TLS when the server offers it)?"""
    base = make_url(POSTGRES_URL).set(drivername="postgresql")
    monkeypatch.setenv("DATABASE_URL", base.render_as_string(hide_password=False) + "?sslmode=prefer&channel_binding=prefer")
    where = target()
    assert where.name == "PostgreSQL" and where.note is None, where.note


@pytest.fixture
def role_without_createdb():
    name = f"learner_{uuid.uuid4().hex[:8]}"
    admin = make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(hide_password=False)

    async def run(sql):
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE ROLE "{name}" LOGIN NOCREATEDB'))
    yield make_url(POSTGRES_URL).set(username=name, password=None).render_as_string(hide_password=False)
    asyncio.run(run(f'DROP ROLE "{name}"'))


@needs_postgres
@pytest.mark.postgres
def test_a_role_that_may_not_create_databases_is_said_and_sqlite_used(monkeypatch, role_without_createdb):
    monkeypatch.setenv("DATABASE_URL", role_without_createdb)
    where = target()
    assert where.url == SQLITE and where.name == "SQLite"
    assert "may not create databases" in where.note and "CREATEDB" in where.note
