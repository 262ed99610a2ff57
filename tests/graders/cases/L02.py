"""L02: realistic wrong answers and correct alternatives, as data (see __init__.py)."""

URL_HEADER = """import os
from sqlalchemy.engine import make_url
DEFAULT_URL = "sqlite+aiosqlite:///taskflow.db"
"""
ENGINE_HEADER = """from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool, StaticPool
"""
PING_HEADER = """import asyncio
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
"""
GOOD_URL_TAIL = """
    query = dict(url.query)
    if "sslmode" in query:
        query["ssl"] = query.pop("sslmode")
    query.pop("channel_binding", None)
    return url.set(drivername="postgresql+asyncpg", query=query).render_as_string(hide_password=False)
"""

# id -> (cell replacements, the exercise id, or ids, it breaks)
WRONG = {
    "url-str-masks-the-password": (
        {"L02-database_url": URL_HEADER + """
def database_url(env=None):
    env = os.environ if env is None else env
    raw = env.get("DATABASE_URL") or DEFAULT_URL
    url = make_url(raw)
    if url.drivername == "sqlite+aiosqlite":
        return raw
    if url.drivername not in ("postgres", "postgresql", "postgresql+asyncpg"):
        raise ValueError(url.drivername)
    query = dict(url.query)
    if "sslmode" in query:
        query["ssl"] = query.pop("sslmode")
    query.pop("channel_binding", None)
    return str(url.set(drivername="postgresql+asyncpg", query=query))
"""},
        "L02.database_url",
    ),
    "url-only-the-postgres-prefix": (
        {"L02-database_url": URL_HEADER + """
def database_url(env=None):
    env = os.environ if env is None else env
    url = env.get("DATABASE_URL") or DEFAULT_URL
    if url.startswith("postgres://"):
        url = "postgresql+asyncpg://" + url[len("postgres://"):]
    if not url.startswith(("sqlite+aiosqlite://", "postgresql")):
        raise ValueError(url.split("://")[0])
    return url
"""},
        "L02.database_url",
    ),
    "url-keeps-sslmode": (
        {"L02-database_url": URL_HEADER + """
def database_url(env=None):
    env = os.environ if env is None else env
    raw = env.get("DATABASE_URL") or DEFAULT_URL
    url = make_url(raw)
    if url.drivername == "sqlite+aiosqlite":
        return raw
    if url.drivername not in ("postgres", "postgresql", "postgresql+asyncpg"):
        raise ValueError(url.drivername)
    return url.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
"""},
        "L02.database_url",
    ),
    "url-defaults-to-memory": (
        {"L02-database_url": URL_HEADER + """
def database_url(env=None):
    env = os.environ if env is None else env
    raw = env.get("DATABASE_URL") or "sqlite+aiosqlite://"
    url = make_url(raw)
    if url.drivername == "sqlite+aiosqlite":
        return raw
    if url.drivername not in ("postgres", "postgresql", "postgresql+asyncpg"):
        raise ValueError(url.drivername)
""" + GOOD_URL_TAIL},
        "L02.database_url",
    ),
    "url-accepts-any-scheme": (
        {"L02-database_url": URL_HEADER + """
def database_url(env=None):
    env = os.environ if env is None else env
    raw = env.get("DATABASE_URL") or DEFAULT_URL
    url = make_url(raw)
    if url.drivername not in ("postgres", "postgresql", "postgresql+asyncpg"):
        return raw
""" + GOOD_URL_TAIL},
        "L02.database_url",
    ),
    "url-ignores-its-env-argument": (
        {"L02-database_url": URL_HEADER + """
def database_url(env=None):
    raw = os.environ.get("DATABASE_URL") or DEFAULT_URL
    url = make_url(raw)
    if url.drivername == "sqlite+aiosqlite":
        return raw
    if url.drivername not in ("postgres", "postgresql", "postgresql+asyncpg"):
        raise ValueError(url.drivername)
""" + GOOD_URL_TAIL},
        "L02.database_url",
    ),
    "url-replace-mangles-postgresql": (
        {"L02-database_url": URL_HEADER + """
def database_url(env=None):
    env = os.environ if env is None else env
    url = env.get("DATABASE_URL") or DEFAULT_URL
    if url.startswith("postgres"):
        url = url.replace("postgres", "postgresql+asyncpg", 1).replace("sslmode=", "ssl=")
    elif not url.startswith("sqlite+aiosqlite://"):
        raise ValueError(url)
    return url
"""},
        "L02.database_url",
    ),
    "engine-same-options-for-every-url": (
        {"L02-make_engine": ENGINE_HEADER + """
def make_engine(url, **overrides):
    options = dict(pool_pre_ping=True, pool_size=5, max_overflow=10, pool_recycle=1800)
    options.update(overrides)
    return create_async_engine(url, **options)
"""},
        "L02.make_engine",
    ),
    "engine-overrides-beside-the-defaults": (
        {"L02-make_engine": ENGINE_HEADER + """
def make_engine(url, **overrides):
    if url.startswith("sqlite"):
        if make_url(url).database in (None, "", ":memory:"):
            return create_async_engine(url, poolclass=StaticPool, **overrides)
        return create_async_engine(url, **overrides)
    return create_async_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, pool_recycle=1800, **overrides)
"""},
        "L02.make_engine",
    ),
    "engine-without-pre-ping": (
        {"L02-make_engine": ENGINE_HEADER + """
def make_engine(url, **overrides):
    parsed = make_url(url)
    options = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            options["poolclass"] = StaticPool
    else:
        options.update(pool_size=5, max_overflow=10, pool_recycle=1800)
    options.update(overrides)
    return create_async_engine(parsed, **options)
"""},
        "L02.make_engine",
    ),
    "engine-nullpool-for-sqlite": (
        {"L02-make_engine": ENGINE_HEADER + """
def make_engine(url, **overrides):
    parsed = make_url(url)
    options = {}
    if parsed.get_backend_name() == "sqlite":
        options["poolclass"] = NullPool  # "SQLite needs no pool"
    else:
        options.update(pool_pre_ping=True, pool_size=5, max_overflow=10, pool_recycle=1800)
    options.update(overrides)
    return create_async_engine(parsed, **options)
"""},
        "L02.make_engine",
    ),
    "ping-catches-only-sqlalchemy-errors": (
        {"L02-ping": PING_HEADER + """
async def ping(engine):
    try:
        async with asyncio.timeout(2):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        return True
    except (SQLAlchemyError, TimeoutError):
        return False
"""},
        "L02.ping",
    ),
    "ping-without-timeout": (
        {"L02-ping": PING_HEADER + """
async def ping(engine):
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
"""},
        "L02.ping",
    ),
    "ping-keeps-the-connection": (
        {"L02-ping": PING_HEADER + """
async def ping(engine):
    try:
        async with asyncio.timeout(2):
            conn = await engine.connect()
            await conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
"""},
        "L02.ping",
    ),
    "ping-returns-the-row-value": (
        {"L02-ping": PING_HEADER + """
async def ping(engine):
    try:
        async with asyncio.timeout(2):
            async with engine.connect() as conn:
                return (await conn.execute(text("SELECT 1"))).scalar()
    except Exception:
        return False
"""},
        "L02.ping",
    ),
    "url-error-without-the-scheme": (
        {"L02-database_url": URL_HEADER + """
def database_url(env=None):
    env = os.environ if env is None else env
    raw = env.get("DATABASE_URL") or DEFAULT_URL
    url = make_url(raw)
    if url.drivername == "sqlite+aiosqlite":
        return raw
    if url.drivername not in ("postgres", "postgresql", "postgresql+asyncpg"):
        raise ValueError("unsupported database URL")
""" + GOOD_URL_TAIL},
        "L02.database_url",
    ),
    "url-rebuilt-from-decoded-parts": (
        {"L02-database_url": URL_HEADER + """
def database_url(env=None):
    env = os.environ if env is None else env
    raw = env.get("DATABASE_URL") or DEFAULT_URL
    url = make_url(raw)
    if url.drivername == "sqlite+aiosqlite":
        return raw
    if url.drivername not in ("postgres", "postgresql", "postgresql+asyncpg"):
        raise ValueError(f"unsupported scheme {url.drivername}")
    query = {("ssl" if k == "sslmode" else k): v for k, v in url.query.items() if k != "channel_binding"}
    login = url.username + (f":{url.password}" if url.password else "")
    port = f":{url.port}" if url.port else ""
    tail = "&".join(f"{k}={v}" for k, v in query.items())
    return f"postgresql+asyncpg://{login}@{url.host}{port}/{url.database}" + (f"?{tail}" if tail else "")
"""},
        "L02.database_url",
    ),
    "engine-fails-fast-when-down": (
        {"L02-make_engine": ENGINE_HEADER + """import socket

def make_engine(url, **overrides):
    parsed = make_url(url)
    options = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            options["poolclass"] = StaticPool
    else:
        socket.create_connection((parsed.host, parsed.port or 5432), timeout=1).close()  # fail fast if it is down
        options.update(pool_pre_ping=True, pool_size=5, max_overflow=10, pool_recycle=1800)
    options.update(overrides)
    return create_async_engine(parsed, **options)
"""},
        "L02.make_engine",
    ),
    "ping-own-engine-never-disposed": (
        {"L02-ping": PING_HEADER + """from sqlalchemy.ext.asyncio import create_async_engine

async def ping(engine):
    probe = create_async_engine(engine.url, pool_pre_ping=True)  # a fresh engine, so a broken pool cannot fool us
    try:
        async with asyncio.timeout(2):
            async with probe.connect() as conn:
                await conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
"""},
        "L02.ping",
    ),
    "ping-catches-only-network-errors": (
        {"L02-ping": PING_HEADER + """
async def ping(engine):
    try:
        async with asyncio.timeout(2):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        return True
    except (OSError, TimeoutError):  # the server is down or silent
        return False
"""},
        "L02.ping",
    ),
}

ALTERNATIVES = {
    "url-with-urllib": {
        "L02-database_url": """import os
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

ASYNCPG = "postgresql+asyncpg"

def database_url(env: Mapping[str, str] | None = None) -> str:
    if env is None:
        env = os.environ
    url = env.get("DATABASE_URL", "").strip() or "sqlite+aiosqlite:///./agents.db"
    scheme, _, rest = url.partition("://")
    if scheme == "sqlite+aiosqlite":
        return url
    if scheme not in {"postgres", "postgresql", ASYNCPG}:
        raise ValueError(f"unsupported scheme: {scheme}")
    parts = urlsplit(f"{ASYNCPG}://{rest}")
    query = [("ssl" if k == "sslmode" else k, v) for k, v in parse_qsl(parts.query) if k != "channel_binding"]
    return urlunsplit(parts._replace(query=urlencode(query)))
"""
    },
    "engine-dict-merge": {
        "L02-make_engine": """from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

SERVER_POOL = {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 10, "pool_recycle": 30 * 60}

def make_engine(url: str, **overrides) -> AsyncEngine:
    if url.startswith("sqlite"):
        in_memory = url.split("://", 1)[1] in ("", "/:memory:")
        defaults = {"poolclass": StaticPool} if in_memory else {}
    else:
        defaults = SERVER_POOL
    return create_async_engine(url, **{**defaults, **overrides})
"""
    },
    "ping-wait-for": {
        "L02-ping": """import asyncio
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

async def _select_one(engine) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(text("SELECT 1"))).scalar_one()

async def ping(engine) -> bool:
    try:
        return await asyncio.wait_for(_select_one(engine), timeout=1.5) == 1
    except (SQLAlchemyError, OSError, asyncio.TimeoutError):
        return False
"""
    },
    "url-query-helpers": {
        "L02-database_url": """import os
from sqlalchemy.engine import URL, make_url

def database_url(env=None):
    value = (os.environ if env is None else env).get("DATABASE_URL")
    if not value:
        return "sqlite+aiosqlite:///taskflow.db"
    url: URL = make_url(value)
    if url.drivername == "sqlite+aiosqlite":
        return value
    if url.drivername not in {"postgres", "postgresql", "postgresql+asyncpg"}:
        raise ValueError(f"database_url: {url.drivername!r} is not sqlite+aiosqlite or postgresql(+asyncpg)")
    sslmode = url.query.get("sslmode")
    url = url.difference_update_query(["sslmode", "channel_binding"])
    if sslmode is not None:
        url = url.update_query_dict({"ssl": sslmode})
    return url.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
"""
    },
    "ping-own-engine-disposed": {
        "L02-ping": """import asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

async def ping(engine) -> bool:
    probe = create_async_engine(engine.url, poolclass=NullPool)  # its own connection, closed after use
    try:
        async with asyncio.timeout(3):
            async with probe.connect() as conn:
                await conn.scalar(text("SELECT 1"))
    except Exception:
        return False
    else:
        return True
    finally:
        await probe.dispose()
"""
    },
}
