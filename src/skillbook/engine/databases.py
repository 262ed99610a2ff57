"""A database of its own for each grading run: a SQLite file, or a new PostgreSQL database and role.

On PostgreSQL, when the server URL's role may create roles (a superuser, or CREATEROLE), every run
gets a role of its own and the notebook sees only that role's URL, never the server's:

- LOGIN with a random password that expires in a day; NOSUPERUSER NOCREATEDB NOCREATEROLE
  NOREPLICATION NOBYPASSRLS, and a connection limit (CONNECTION_LIMIT);
- the owner of its database and of nothing else; CONNECT and TEMPORARY on that database are
  revoked from PUBLIC, so no other run's role can connect to it;
- with a superuser server role, it cannot connect to any other database of the server either: its
  role-wide session_preload_libraries names a library that does not exist (the connection fails
  with "could not access file"), and only in its own database is that setting replaced by plpgsql,
  a library every server has. Only a superuser can change either setting;
- both are dropped afterwards (the database WITH (FORCE), then the role).

So a notebook cannot read pg_authid, run COPY ... TO PROGRAM, create or drop databases or roles, or
reach another database. What the server's authentication allows stays the server's: with `trust` in
pg_hba.conf anyone on the machine may connect as any role without a password (see
`trusts_without_password`). A role that may only create databases (a learner's own, with CREATEDB)
gets the scratch database under its own name, as before: the URL is the learner's own anyway.
"""

import asyncio
import concurrent.futures
import contextlib
import os
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import make_url

CONNECTION_LIMIT = 20  # a run's connections at once: a pool of 5 + 10 overflow, the graders' own and a spare few
# Named in the role-wide session_preload_libraries: it does not exist, so any connection outside the
# role's own database fails, and the error names why.
NOWHERE_ELSE = "skillbook-role-may-connect-only-to-its-own-database"


def grading_base_url(explicit: str | None = None) -> str | None:
    """The server to grade on: --database-url, else TEST_DATABASE_URL, else None (SQLite)."""
    return explicit or os.environ.get("TEST_DATABASE_URL") or None


def backend(url: str | None) -> str:
    return make_url(url).get_backend_name() if url else "sqlite"


def _asyncpg_dsn(url) -> str:
    query = dict(url.query)
    if "ssl" in query:  # SQLAlchemy's asyncpg URL says ssl=require (taskflow writes it so); a DSN says sslmode=
        query["sslmode"] = query.pop("ssl")
    return url.set(drivername="postgresql", query=query).render_as_string(hide_password=False)


async def _admin(base, *statements: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_asyncpg_dsn(base), timeout=10)
    try:
        for sql in statements:
            await conn.execute(sql)
    finally:
        await conn.close()


def _wait(coroutine):
    """Run `coroutine` to its end, also from a thread whose event loop is running (a Jupyter kernel's:
    reflect() grades from there), where asyncio.run() refuses."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _create(base, name: str) -> tuple[str | None, str]:
    """Create database `name`, with a role of the same name when the server role may create roles.

    Returns (the role's password, or None when the database belongs to the server role; the role
    that must be dropped afterwards, or "")."""
    import asyncpg

    conn = await asyncpg.connect(_asyncpg_dsn(base), timeout=10)
    try:
        me = await conn.fetchrow("SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user")
        if not (me["rolsuper"] or me["rolcreaterole"]):
            await conn.execute(f'CREATE DATABASE "{name}"')
            await conn.execute(f'REVOKE CONNECT, TEMPORARY ON DATABASE "{name}" FROM PUBLIC')
            return None, ""
        password, expires = secrets.token_urlsafe(24), datetime.now(UTC) + timedelta(days=1)
        await conn.execute(
            f'CREATE ROLE "{name}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS '
            f"CONNECTION LIMIT {CONNECTION_LIMIT} PASSWORD '{password}' VALID UNTIL '{expires.isoformat()}'")
        if not me["rolsuper"]:
            # CREATE DATABASE ... OWNER needs membership in the owner (PostgreSQL 15); CREATEROLE may grant it.
            await conn.execute(f'GRANT "{name}" TO CURRENT_USER')
        await conn.execute(f'CREATE DATABASE "{name}" OWNER "{name}"')
        await conn.execute(f'REVOKE CONNECT, TEMPORARY ON DATABASE "{name}" FROM PUBLIC')
        if me["rolsuper"]:
            await conn.execute(f"ALTER ROLE \"{name}\" SET session_preload_libraries = '{NOWHERE_ELSE}'")
            await conn.execute(f'ALTER ROLE "{name}" IN DATABASE "{name}" SET session_preload_libraries = \'plpgsql\'')
        return password, name
    except BaseException:
        await _drop(conn, name, name)
        raise
    finally:
        await conn.close()


async def _drop(conn, database: str, role: str) -> None:
    await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    if role:
        await conn.execute(f'DROP ROLE IF EXISTS "{role}"')


async def _remove(base, database: str, role: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_asyncpg_dsn(base), timeout=10)
    try:
        await _drop(conn, database, role)
    finally:
        await conn.close()


async def _connects_without_password(url) -> bool:
    import asyncpg

    try:
        # No password from the URL, PGPASSWORD or a password file: what a stranger on the machine has.
        conn = await asyncpg.connect(_asyncpg_dsn(url.set(password=None)), timeout=5, password="",
                                     passfile=os.path.join(os.sep, "nonexistent", "pgpass"))
    except Exception:  # noqa: BLE001 - refused for any reason: it asks for something
        return False
    await conn.close()
    return True


async def _may_create_roles(url) -> bool:
    import asyncpg

    conn = await asyncpg.connect(_asyncpg_dsn(url), timeout=10)
    try:
        return bool(await conn.fetchval(
            "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"))
    finally:
        await conn.close()


def may_create_roles(base_url: str) -> bool:
    """Does the server URL's role give every run a role of its own (superuser or CREATEROLE)?"""
    return _wait(_may_create_roles(make_url(base_url)))


def trusts_without_password(base_url: str) -> bool:
    """Does the server let anyone connect as the URL's role with no password (`trust` in pg_hba.conf)?
    Then a notebook can, too, whatever role it is given: grade-class says so."""
    return _wait(_connects_without_password(make_url(base_url)))


@contextlib.contextmanager
def isolated_database(base_url: str | None, workdir: Path):
    """Yield the URL of an empty database that only this run uses, and remove it afterwards."""
    if backend(base_url) == "sqlite":
        yield f"sqlite+aiosqlite:///{workdir / 'grading.db'}"
        return
    base = make_url(base_url)
    if base.get_backend_name() != "postgresql":
        raise ValueError(f"grading supports SQLite and PostgreSQL, not {base.get_backend_name()}")
    name = f"skillbook_{uuid.uuid4().hex[:12]}"
    password, role = _wait(_create(base, name))
    own = base.set(drivername="postgresql+asyncpg", database=name)
    if role:
        own = own.set(username=role, password=password)
    try:
        yield own.render_as_string(hide_password=False)
    finally:
        _wait(_remove(base, name, role))
