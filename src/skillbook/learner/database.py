"""Which database a learner's check grades on: the one their lesson cells use.

With DATABASE_URL on PostgreSQL, each check runs in a scratch database created and dropped for it
on that server (skillbook.engine.databases), so the learner sees PostgreSQL's behaviour and wording.
When their role may not create databases, or the server cannot be reached, the check says so and
grades on SQLite. Without DATABASE_URL (or with a SQLite one) it grades on a fresh SQLite file.
"""

from dataclasses import dataclass

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from skillbook.engine.databases import _asyncpg_dsn, _wait

SQLITE = "sqlite+aiosqlite://"  # "a fresh SQLite file" to the engine: every check gets its own

_may_create: dict[str, bool] = {}  # server URL -> whether its role may create databases (asked once)


@dataclass(frozen=True)
class Target:
    url: str  # what the engine grades on: a PostgreSQL server, or SQLITE
    name: str  # "PostgreSQL" or "SQLite", for every result line
    note: str | None = None  # why this is not the database the lessons use


def learner_url() -> str:
    """The URL the lesson cells connect to: taskflow's (DATABASE_URL, else its SQLite file)."""
    from taskflow.config import database_url

    return database_url()


async def _role_may_create(url) -> bool:
    import asyncpg

    conn = await asyncpg.connect(_asyncpg_dsn(url), timeout=5)
    try:
        return bool(await conn.fetchval(
            "SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user"))
    finally:
        await conn.close()


def target(explicit: str | None = None) -> Target:
    """Where to grade: `explicit` (--database-url), else the learner's DATABASE_URL, else SQLite."""
    try:
        wanted = explicit or learner_url()
    except ValueError as exc:  # taskflow refuses the URL (a scheme it does not support): so do we
        return Target(SQLITE, "SQLite", f"{exc}; checked on SQLite")
    try:
        url = make_url(wanted)
    except ArgumentError:
        return Target(SQLITE, "SQLite", f"DATABASE_URL is not a database URL ({wanted!r}); checked on SQLite")
    kind = url.get_backend_name()
    if kind == "sqlite":
        return Target(SQLITE, "SQLite")
    where = url.render_as_string(hide_password=True)
    if kind != "postgresql":
        return Target(SQLITE, "SQLite", f"checks run on PostgreSQL or SQLite, not {kind}; checked on SQLite")
    key = url.render_as_string(hide_password=False)
    if key not in _may_create:
        try:
            _may_create[key] = _wait(_role_may_create(url))
        except Exception as exc:  # noqa: BLE001 - any failure to connect: say it and grade on SQLite
            first = (str(exc).splitlines() or [type(exc).__name__])[0]
            return Target(SQLITE, "SQLite", f"could not reach {where} ({first}); checked on SQLite")
    if not _may_create[key]:
        return Target(SQLITE, "SQLite", (
            f"your role {url.username or ''} on {where} may not create databases, which a check needs for its "
            "scratch database (ALTER ROLE ... CREATEDB); checked on SQLite"))
    return Target(url.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False), "PostgreSQL")
