"""A database of its own for each grading run: a SQLite file, or a new PostgreSQL database."""

import asyncio
import concurrent.futures
import contextlib
import os
import uuid
from pathlib import Path

from sqlalchemy.engine import make_url


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


async def _admin(base, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_asyncpg_dsn(base), timeout=10)
    try:
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
    _wait(_admin(base, f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(drivername="postgresql+asyncpg", database=name).render_as_string(hide_password=False)
    finally:
        _wait(_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
