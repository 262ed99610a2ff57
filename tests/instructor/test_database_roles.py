"""On PostgreSQL, does every grading run get a role of its own that can reach nothing but its database?

The notebooks that try (tests/instructor/hostile.py, family "postgresql") are graded in
test_hostile.py; these tests look at the role itself and at what grade-class says about the server.
"""

import asyncio
import gc
import os
import uuid
import warnings

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from skillbook.engine.databases import CONNECTION_LIMIT, isolated_database
from skillbook.instructor.grade_class import database_status

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(not POSTGRES_URL, reason="set TEST_DATABASE_URL to run on PostgreSQL")]


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _fetch(url: str, sql: str, *args):
    conn = await asyncpg.connect(_dsn(url))
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


def test_the_run_gets_a_role_without_privileges_that_owns_only_its_database(tmp_path):
    with isolated_database(POSTGRES_URL, tmp_path) as url:
        own = make_url(url)
        assert own.username != make_url(POSTGRES_URL).username and own.username == own.database
        assert own.password and len(own.password) >= 24
        [role] = asyncio.run(_fetch(POSTGRES_URL, "SELECT * FROM pg_roles WHERE rolname = $1", own.username))
        assert not (role["rolsuper"] or role["rolcreatedb"] or role["rolcreaterole"] or role["rolreplication"]
                    or role["rolbypassrls"])
        assert role["rolconnlimit"] == CONNECTION_LIMIT and role["rolvaliduntil"] is not None
        owned = asyncio.run(_fetch(POSTGRES_URL, "SELECT datname FROM pg_database WHERE datdba = $1", role["oid"]))
        assert [row["datname"] for row in owned] == [own.database]
        public = asyncio.run(_fetch(POSTGRES_URL, "SELECT has_database_privilege('public', $1, 'CONNECT') AS c", own.database))
        assert public[0]["c"] is False  # no other run's role may connect to it
        assert asyncio.run(_fetch(url, "SELECT current_user AS u"))[0]["u"] == own.username
    left = asyncio.run(_fetch(POSTGRES_URL, "SELECT count(*) AS n FROM pg_roles WHERE rolname = $1", own.username))
    assert left[0]["n"] == 0, "the run's role was not dropped"


def test_the_role_cannot_reach_the_server_or_another_database(tmp_path):
    with isolated_database(POSTGRES_URL, tmp_path) as url, isolated_database(POSTGRES_URL, tmp_path) as other:
        refused = {
            "SELECT rolpassword FROM pg_authid": "permission denied for table pg_authid",
            "COPY (SELECT 1) TO PROGRAM 'true'": "pg_execute_server_program",
            "CREATE DATABASE hostile_db": "permission denied to create database",
            "CREATE ROLE hostile_role": "permission denied to create role",
            "ALTER ROLE CURRENT_USER SUPERUSER": "superuser",
            "ALTER ROLE CURRENT_USER RESET session_preload_libraries": "permission denied to set parameter",
        }
        for sql, says in refused.items():
            with pytest.raises(asyncpg.PostgresError, match=says):
                asyncio.run(_fetch(url, sql))
        elsewhere = make_url(url)
        # asyncpg leaves the socket of a connection the server refused at start-up to the garbage collector
        # (a ResourceWarning, later, in whichever test runs then): collect it here, where it is expected.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            for database in ("postgres", make_url(POSTGRES_URL).database, make_url(other).database):
                with pytest.raises(asyncpg.PostgresError):
                    asyncio.run(_fetch(elsewhere.set(database=database).render_as_string(hide_password=False), "SELECT 1"))
            gc.collect()


def test_grade_class_refuses_a_server_role_that_cannot_create_roles():
    name = f"grader_{uuid.uuid4().hex[:8]}"
    asyncio.run(_fetch(POSTGRES_URL, f'CREATE ROLE "{name}" LOGIN CREATEDB'))
    try:
        usable, said = database_status(make_url(POSTGRES_URL).set(username=name, password=None).render_as_string(hide_password=False))
        assert not usable and "may not create roles (CREATEROLE)" in said and "never reach a notebook" in said
    finally:
        asyncio.run(_fetch(POSTGRES_URL, f'DROP ROLE "{name}"'))


def test_grade_class_warns_when_the_server_trusts_without_a_password():
    usable, said = database_status(POSTGRES_URL)
    trusts = asyncio.run(_trusts())
    assert usable and (("without a password" in (said or "")) == trusts)


async def _trusts() -> bool:
    try:
        conn = await asyncpg.connect(_dsn(make_url(POSTGRES_URL).set(password=None).render_as_string(hide_password=False)),
                                     password="", passfile="/nonexistent/pgpass")
    except Exception:  # noqa: BLE001
        return False
    await conn.close()
    return True


def test_a_createrole_server_role_also_gives_each_run_its_own(tmp_path):
    """Not a superuser but CREATEROLE and CREATEDB (a managed server's admin): a role per run all the same."""
    name = f"grader_{uuid.uuid4().hex[:8]}"
    asyncio.run(_fetch(POSTGRES_URL, f'CREATE ROLE "{name}" LOGIN CREATEDB CREATEROLE'))
    admin = make_url(POSTGRES_URL).set(username=name, password=None).render_as_string(hide_password=False)
    try:
        with isolated_database(admin, tmp_path) as url:
            own = make_url(url)
            assert own.username not in (name, make_url(POSTGRES_URL).username)
            assert asyncio.run(_fetch(url, "SELECT current_user AS u"))[0]["u"] == own.username
            with pytest.raises(asyncpg.PostgresError, match="permission denied to create database"):
                asyncio.run(_fetch(url, "CREATE DATABASE hostile_db"))
        left = asyncio.run(_fetch(POSTGRES_URL, "SELECT count(*) AS n FROM pg_roles WHERE rolname = $1", own.username))
        assert left[0]["n"] == 0
    finally:
        asyncio.run(_fetch(POSTGRES_URL, f'DROP ROLE "{name}"'))
