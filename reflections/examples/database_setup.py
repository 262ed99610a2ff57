"""From a DATABASE_URL to one configured AsyncEngine: normalise the URL, pick pool settings per
backend, ping with a time limit, dispose at the end.

Run: python examples/database_setup.py   (no database server needed)
"""

import asyncio
import os
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

DEFAULT_URL = "sqlite+aiosqlite:///app.db"
# What hosting providers hand out (placeholders, never a real password in code):
PROVIDER_URL = "postgresql://USER:PASSWORD@ep-example-123456.eu-central-1.aws.neon.tech/neondb?sslmode=require&channel_binding=require"

# skillbook:exercise L02.database_url
def database_url(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    raw = env.get("DATABASE_URL") or DEFAULT_URL
    url = make_url(raw)
    if url.drivername == "sqlite+aiosqlite":
        return raw
    if url.drivername not in ("postgres", "postgresql", "postgresql+asyncpg"):
        raise ValueError(f"unsupported database URL scheme {url.drivername!r}")
    query = {k: v for k, v in url.query.items() if k != "channel_binding"}
    if "sslmode" in query:
        query["ssl"] = query.pop("sslmode")
    return url.set(drivername="postgresql+asyncpg", query=query).render_as_string(hide_password=False)
# skillbook:end

# skillbook:exercise L02.make_engine
def make_engine(url: str, **overrides) -> AsyncEngine:
    parsed = make_url(url)
    options: dict = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            options["poolclass"] = StaticPool
    else:
        options.update(pool_pre_ping=True, pool_size=5, max_overflow=10, pool_recycle=1800)
    options.update(overrides)
    return create_async_engine(parsed, **options)
# skillbook:end

# skillbook:exercise L02.ping
async def ping(engine: AsyncEngine) -> bool:
    try:
        async with asyncio.timeout(2):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
# skillbook:end


async def main() -> None:
    # skillbook:with L02.database_url
    print("provider URL, rewritten:", make_url(database_url({"DATABASE_URL": PROVIDER_URL})))  # password masked
    print("nothing set:            ", database_url({}))
    try:
        database_url({"DATABASE_URL": "mysql://USER:PASSWORD@HOST/app"})
    except ValueError as exc:
        print("unknown scheme:         ", exc)
    # skillbook:end
    with tempfile.TemporaryDirectory() as folder:
        plain = create_async_engine("sqlite+aiosqlite://")
        print("default pool for in-memory SQLite:", type(plain.pool).__name__)  # SQLAlchemy 2.1 picks it itself
        # skillbook:with L02.make_engine
        for url in ("sqlite+aiosqlite://", f"sqlite+aiosqlite:///{Path(folder) / 'app.db'}"):
            engine = make_engine(url)
            print(f"make_engine for SQLite {'in memory' if url.endswith('//') else 'in a file'}:", type(engine.pool).__name__)
            await engine.dispose()
        try:
            make_engine("sqlite+aiosqlite://", pool_size=5)
        except TypeError as exc:
            print("pool_size on in-memory SQLite:", str(exc).split(" sent ")[0])
        # skillbook:end
        # skillbook:with L02.ping
        missing = create_async_engine(f"sqlite+aiosqlite:///{Path(folder) / 'no-such-dir' / 'app.db'}")
        started = time.perf_counter()
        print("ping:", await ping(plain), "| ping of an unreachable database:", await ping(missing),
              f"(answered in {time.perf_counter() - started:.2f} s)")
        await missing.dispose()
        # skillbook:end
        await plain.dispose()  # once, when the program ends


if __name__ == "__main__":
    asyncio.run(main())
