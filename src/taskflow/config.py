"""Where TaskFlow finds its database: DATABASE_URL (from the environment or a .env file), or a local SQLite file."""

import os
from collections.abc import Mapping

from dotenv import dotenv_values, find_dotenv
from sqlalchemy.engine import make_url

DEFAULT_URL = "sqlite+aiosqlite:///taskflow.db"
POSTGRES_SCHEMES = ("postgres", "postgresql", "postgresql+asyncpg")


def settings() -> dict[str, str]:
    """The environment over the nearest `.env` file: a variable set in the environment wins.

    The file is looked for in the working directory and then in each folder above it, so a `.env`
    at the top of the course is found from a notebook in lessons/L05_crud/. Nothing is written
    into os.environ: processes this one starts do not inherit the file's secrets.
    """
    found = find_dotenv(usecwd=True)
    from_file = {k: v for k, v in dotenv_values(found).items() if v is not None} if found else {}
    return {**from_file, **os.environ}


def database_url(env: Mapping[str, str] | None = None) -> str:
    """The async database URL, rewritten for its driver as L02 teaches.

    `postgres://` and `postgresql://` (what hosting providers hand out) become `postgresql+asyncpg://`;
    libpq's `sslmode=X` becomes asyncpg's `ssl=X`, and `channel_binding`, which asyncpg's connect()
    does not take (asyncpg 0.32 never uses channel binding), is dropped. `env` defaults to settings().
    """
    env = settings() if env is None else env
    raw = env.get("DATABASE_URL") or DEFAULT_URL
    url = make_url(raw)
    if url.drivername == "sqlite+aiosqlite":
        return raw
    if url.drivername not in POSTGRES_SCHEMES:
        raise ValueError(
            f"unsupported database URL scheme {url.drivername!r}: use sqlite+aiosqlite:// or postgresql+asyncpg://"
        )
    query = dict(url.query)
    if "sslmode" in query:
        query["ssl"] = query.pop("sslmode")
    query.pop("channel_binding", None)
    url = url.set(drivername="postgresql+asyncpg", query=query)
    return url.render_as_string(hide_password=False)
