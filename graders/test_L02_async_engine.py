"""Graders for L02: the database URL from the environment, an engine per kind of URL, and a ping that never hangs."""

import asyncio
import inspect
import socket
import struct
import time

import asyncpg
import pytest
from sqlalchemy import event, text
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool, Pool, StaticPool

url_check = pytest.mark.exercise("L02.database_url", weight=1)
engine_check = pytest.mark.exercise("L02.make_engine", weight=1)
ping_check = pytest.mark.exercise("L02.ping", weight=1)

# Placeholders only: these URLs never reach a server.
HOSTED = "ep-example-123456.eu-central-1.aws.neon.tech"
PG_URL = "postgresql+asyncpg://agent:pw@db.example.com:5432/agents"
# What asyncpg.connect() accepts, plus the options SQLAlchemy's asyncpg adapter consumes itself.
ASYNCPG_OPTIONS = set(inspect.signature(asyncpg.connect).parameters) | {
    "prepared_statement_cache_size", "prepared_statement_name_func",
}


def _url(learner, env):
    """The learner's database_url(env), with failures in their terms."""
    function = learner.database_url
    try:
        result = function(env)
    except ValueError as exc:
        raise AssertionError(f"database_url raised ValueError ({exc}) for DATABASE_URL={env.get('DATABASE_URL')!r}, a URL it should accept.") from None
    assert isinstance(result, str), f"database_url returned {type(result).__name__}; return the URL as a str."
    return result


def _same_target(got: str, expected: str, given: str) -> None:
    a, b = make_url(got), make_url(expected)
    assert a.password != "***", (
        f"For {given!r} you returned {got!r}: the password became ***. str(url) masks it; "
        "use url.render_as_string(hide_password=False)."
    )
    for part in ("username", "password", "host", "port", "database"):
        assert getattr(a, part) == getattr(b, part), (
            f"For {given!r} the {part} changed: {getattr(a, part)!r} instead of {getattr(b, part)!r}. "
            "Change only the scheme and the SSL options."
        )


# ---------------------------------------------------------------- database_url


@url_check
def test_url_comes_from_the_given_env_or_the_environment(learner, monkeypatch):
    """Does database_url read DATABASE_URL from the mapping it is given, and from os.environ when given none?"""
    given = "sqlite+aiosqlite:///given.db"
    monkeypatch.setenv("DATABASE_URL", "sqlite+aiosqlite:///from-environ.db")
    assert _url(learner, {"DATABASE_URL": given}) == given, (
        "database_url(env) ignored the env it was given; read env['DATABASE_URL'] and fall back to os.environ only when env is None."
    )
    function = learner.database_url
    try:
        from_environ = function()
    except TypeError:
        raise AssertionError("database_url() without arguments failed: give env a default of None (then use os.environ).") from None
    assert from_environ == "sqlite+aiosqlite:///from-environ.db", (
        f"With DATABASE_URL set in os.environ, database_url() returned {from_environ!r}. Read os.environ when env is None "
        "(at call time, not once when the function is defined)."
    )
    monkeypatch.setenv("DATABASE_URL", "postgres://agent@db.example.com/agents")
    assert learner.database_url() == "postgresql+asyncpg://agent@db.example.com/agents", (
        "database_url() did not rewrite a postgres:// URL read from os.environ."
    )


@pytest.mark.exercise("L02.database_url", weight=0.5)
def test_url_defaults_to_a_sqlite_file(learner):
    """Without DATABASE_URL (or with an empty one), is the answer a local SQLite file through aiosqlite?"""
    for env in ({}, {"DATABASE_URL": ""}):
        got = _url(learner, env)
        url = make_url(got)
        assert url.drivername == "sqlite+aiosqlite", f"database_url({env}) returned {got!r}; the default is a sqlite+aiosqlite:/// file URL."
        assert url.database not in (None, "", ":memory:"), (
            f"database_url({env}) returned {got!r}, an in-memory database that vanishes with the process; default to a file "
            "such as sqlite+aiosqlite:///taskflow.db."
        )


@pytest.mark.exercise("L02.database_url", weight=0.5)
def test_url_keeps_aiosqlite_urls(learner):
    """Are sqlite+aiosqlite URLs returned unchanged?"""
    for given in ("sqlite+aiosqlite:///data/agents.db", "sqlite+aiosqlite://", "sqlite+aiosqlite:////var/lib/agents.db"):
        got = _url(learner, {"DATABASE_URL": given})
        assert got == given, f"For {given!r} you returned {got!r}; return sqlite+aiosqlite URLs as they are."


@pytest.mark.exercise("L02.database_url", weight=1.5)
def test_url_gets_the_asyncpg_driver(learner):
    """Do postgres://, postgresql:// and postgresql+asyncpg:// all become postgresql+asyncpg:// with the same target?"""
    expected = "postgresql+asyncpg://agent:pw@db.example.com:5433/agents"
    for scheme in ("postgres", "postgresql", "postgresql+asyncpg"):
        given = f"{scheme}://agent:pw@db.example.com:5433/agents"
        got = _url(learner, {"DATABASE_URL": given})
        assert got.startswith("postgresql+asyncpg://"), f"For {given!r} you returned {got!r}; it should start with postgresql+asyncpg://."
        _same_target(got, expected, given)


@url_check
def test_url_keeps_a_password_with_special_characters(learner):
    """Does a percent-encoded password (p@ss/w:rd%) survive the rewrite, not masked and not decoded?"""
    given = "postgresql://agent:p%40ss%2Fw%3Ard%25@db.example.com/agents"
    got = _url(learner, {"DATABASE_URL": given})
    try:
        password = make_url(got).password
    except Exception as exc:
        raise AssertionError(f"You returned {got!r}, which is not a valid URL any more ({exc}): keep the password percent-encoded.") from None
    assert password != "***", f"You returned {got!r}: the password became ***. str(url) masks it; use url.render_as_string(hide_password=False)."
    assert password == "p@ss/w:rd%", (
        f"The password came out as {password!r} instead of 'p@ss/w:rd%': keep it percent-encoded in the URL "
        "(render_as_string(hide_password=False) does)."
    )


@pytest.mark.exercise("L02.database_url", weight=1.5)
def test_url_ssl_options_for_asyncpg(learner):
    """Does a hosted URL with sslmode and channel_binding become one asyncpg accepts, with ssl and the other options kept?"""
    given = f"postgresql://agent:pw@{HOSTED}/agents?sslmode=require&channel_binding=require&command_timeout=30"
    got = _url(learner, {"DATABASE_URL": given})
    query = dict(make_url(got).query)
    assert "sslmode" not in query, f"You returned {got!r}: asyncpg does not know sslmode (TypeError at connect); rename it to ssl."
    assert query.get("ssl") == "require", f"You returned {got!r}: sslmode=require should become ssl=require, or the connection is not encrypted."
    assert "channel_binding" not in query, f"You returned {got!r}: asyncpg.connect() has no channel_binding option; drop it."
    assert query.get("command_timeout") == "30", f"You returned {got!r}: keep the other query parameters (command_timeout=30 was lost)."
    _same_target(got, f"postgresql+asyncpg://agent:pw@{HOSTED}/agents", given)
    _, options = asyncpg_dialect().create_connect_args(make_url(got))
    unknown = sorted(set(options) - ASYNCPG_OPTIONS)
    assert not unknown, f"asyncpg.connect() would reject {unknown} from {got!r}."
    strict = _url(learner, {"DATABASE_URL": f"postgresql+asyncpg://agent:pw@{HOSTED}/agents?sslmode=verify-full"})
    assert dict(make_url(strict).query) == {"ssl": "verify-full"}, (
        f"For sslmode=verify-full you returned {strict!r}; map every sslmode value to ssl (ssl=verify-full), "
        "also when the URL already names asyncpg."
    )


@url_check
def test_url_rejects_unsupported_schemes(learner):
    """Do URLs for other databases or drivers raise ValueError instead of failing later?"""
    for given in ("mysql://agent@db.example.com/agents", "sqlite:///agents.db", "postgresql+psycopg://agent@db.example.com/agents",
                  "postgress://agent@db.example.com/agents"):
        function = learner.database_url
        scheme = given.split("://")[0]
        try:
            got = function({"DATABASE_URL": given})
        except ValueError as exc:
            named = scheme in str(exc) or ("+" in scheme and scheme.split("+")[1] in str(exc))
            assert named, (
                f"For {given!r} database_url raised ValueError({str(exc)!r}), which does not say which scheme it refused: "
                f"put {scheme!r} in the message, so whoever set DATABASE_URL sees what to fix."
            )
            continue
        except Exception as exc:
            raise AssertionError(f"For {given!r} database_url raised {type(exc).__name__}; raise ValueError naming the scheme.") from None
        raise AssertionError(
            f"For {given!r} database_url returned {got!r}; this course supports only sqlite+aiosqlite and PostgreSQL "
            "through asyncpg, so raise ValueError naming the scheme."
        )


# ---------------------------------------------------------------- make_engine


async def _engine(learner, url: str, **overrides) -> AsyncEngine:
    function = learner.make_engine
    try:
        engine = function(url, **overrides)
    except TypeError as exc:
        call = f"make_engine({str(make_url(url))!r}" + "".join(f", {k}={v!r}" for k, v in overrides.items()) + ")"
        if "multiple values" in str(exc):
            why = "Overrides must replace your defaults: merge them into one dict (options.update(overrides)) and pass it once."
        else:
            why = "Pool sizes do not apply to in-memory SQLite (StaticPool): look at the URL before choosing options."
        raise AssertionError(f"{call} raised TypeError ({str(exc).rstrip('.')}). {why}") from None
    except Exception as exc:
        raise AssertionError(
            f"make_engine({str(make_url(url))!r}) raised {type(exc).__name__} ({str(exc)[:120]}). Building an engine "
            "does not connect and cannot fail because a server is down: check the database on first use (ping), not here."
        ) from None
    assert isinstance(engine, AsyncEngine), f"make_engine returned {type(engine).__name__}; return create_async_engine(...)."
    return engine


@pytest.mark.exercise("L02.make_engine", weight=2)
async def test_postgres_engine_pool_settings(learner):
    """Does a PostgreSQL engine get pre-ping, a pool of 5 with overflow 10, and 30-minute recycling?"""
    engine = await _engine(learner, PG_URL)
    try:
        pool = engine.pool
        assert engine.url.render_as_string(hide_password=False) == PG_URL, f"The engine's URL is {engine.url!r}, not the one you were given."
        assert isinstance(pool, AsyncAdaptedQueuePool), f"A PostgreSQL engine should keep a normal pool (AsyncAdaptedQueuePool), not {type(pool).__name__}."
        assert pool._pre_ping, "pool_pre_ping is off: a connection the server dropped would fail the next request. Set pool_pre_ping=True."
        assert pool.size() == 5, f"pool_size is {pool.size()}; the exercise asks for 5."
        assert pool._max_overflow == 10, f"max_overflow is {pool._max_overflow}; the exercise asks for 10."
        assert pool._recycle == 1800, f"pool_recycle is {pool._recycle}; the exercise asks for 1800 seconds."
    finally:
        await engine.dispose()


@engine_check
async def test_overrides_win(learner):
    """Do keyword overrides replace the defaults and reach create_async_engine (pool_size=2, echo=True)?"""
    engine = await _engine(learner, PG_URL, pool_size=2, pool_recycle=300, echo=True)
    try:
        assert engine.pool.size() == 2, f"make_engine(url, pool_size=2) gave a pool of {engine.pool.size()}: apply the overrides after your defaults."
        assert engine.pool._recycle == 300, "make_engine(url, pool_recycle=300) kept another recycle time: overrides must win."
        assert engine.echo, "make_engine(url, echo=True) did not pass echo on: hand every override to create_async_engine."
    finally:
        await engine.dispose()
    quiet = await _engine(learner, "sqlite+aiosqlite://", echo=False)
    await quiet.dispose()


@pytest.mark.exercise("L02.make_engine", weight=1.5)
async def test_in_memory_sqlite_is_one_shared_database(learner):
    """Does an in-memory SQLite engine keep one shared connection, so a table survives between connections?"""
    for url in ("sqlite+aiosqlite://", "sqlite+aiosqlite:///:memory:"):
        engine = await _engine(learner, url)
        try:
            async with engine.begin() as conn:
                await conn.execute(text("CREATE TABLE probe (n INTEGER)"))
                await conn.execute(text("INSERT INTO probe VALUES (42)"))
            async with engine.connect() as conn:
                try:
                    value = (await conn.execute(text("SELECT n FROM probe"))).scalar_one()
                except Exception:
                    raise AssertionError(
                        f"On {url!r} a table created on one connection was gone on the next (pool: {type(engine.pool).__name__}): "
                        "each new connection got its own empty database. Use poolclass=StaticPool for in-memory SQLite."
                    ) from None
            assert value == 42
            assert isinstance(engine.pool, StaticPool), f"On {url!r} the pool is {type(engine.pool).__name__}; use StaticPool."
        finally:
            await engine.dispose()


@engine_check
async def test_sqlite_file_engine_works(learner, tmp_path):
    """Does a SQLite file engine store data that a later connection (even after dispose) reads back?"""
    url = f"sqlite+aiosqlite:///{tmp_path / 'agents.db'}"
    engine = await _engine(learner, url)
    try:
        assert not isinstance(engine.pool, StaticPool), "A SQLite file does not need StaticPool (one connection for every task); keep the default pool."
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE probe (n INTEGER)"))
            await conn.execute(text("INSERT INTO probe VALUES (7)"))
        await engine.dispose()
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT n FROM probe"))).scalar_one() == 7
    finally:
        await engine.dispose()
    assert (tmp_path / "agents.db").exists(), "The SQLite file was not created where the URL says."


@engine_check
async def test_engine_on_the_run_database(learner, database_url):
    """Does make_engine connect to this run's own database (a SQLite file, or PostgreSQL when grading there)?"""
    engine = await _engine(learner, database_url)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await engine.dispose()


@pytest.mark.exercise("L02.make_engine", weight=0.5)
async def test_make_engine_does_not_connect(learner, database_url):
    """Is building an engine free: no connection opened, and no error for a server that is down?"""
    engine = await _engine(learner, database_url)
    try:
        assert engine.pool.checkedin() == 0 and engine.pool.checkedout() == 0, (
            "make_engine opened a connection: building an engine should not connect; the first use does."
        )
    finally:
        await engine.dispose()
    started = time.monotonic()
    down = await _engine(learner, f"postgresql+asyncpg://agent@127.0.0.1:{_closed_port()}/agents")
    await down.dispose()
    assert time.monotonic() - started < 2, "make_engine took seconds for a server that is down: it should not connect at all."


# ---------------------------------------------------------------- ping


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _ping(learner, engine, what: str, limit: float = 6.0):
    function = learner.ping  # a notebook without ping fails here, with the loader's message
    started = time.monotonic()
    try:
        async with asyncio.timeout(limit):
            result = await function(engine)
    except TimeoutError:
        raise AssertionError(
            f"ping did not return within {limit:g} s on {what}. Wrap the work in `async with asyncio.timeout(2):` "
            "and return False when it expires."
        ) from None
    except Exception as exc:
        raise AssertionError(
            f"ping raised {type(exc).__name__} ({str(exc).splitlines()[0][:120]}) on {what}; catch it and return False. "
            "Connection failures are not all SQLAlchemy errors (a refused port is an OSError)."
        ) from None
    return result, time.monotonic() - started


@pytest.mark.exercise("L02.ping", weight=1.5)
async def test_ping_live_database(learner, database_url):
    """Does ping return True for the run's live database, and give its connection back?"""
    engine = create_async_engine(database_url)
    try:
        result, _ = await _ping(learner, engine, "the live database")
        assert result is True, f"ping returned {result!r} for a live database; return True (a bool)."
    finally:
        await engine.dispose()


@ping_check
async def test_ping_leaves_nothing_open(learner, database_url):
    """After ping returns, is the engine's connection back in its pool, and every other connection ping opened closed?"""
    engine = create_async_engine(database_url)
    ours, everywhere = set(), {}

    def on_our_connect(dbapi_connection, record):
        ours.add(id(dbapi_connection))

    def on_any_connect(dbapi_connection, record):
        everywhere[id(dbapi_connection)] = dbapi_connection

    def on_close(dbapi_connection, *rest):
        everywhere.pop(id(dbapi_connection), None)

    event.listen(engine.sync_engine.pool, "connect", on_our_connect)
    listeners = [(Pool, "connect", on_any_connect), (Pool, "close", on_close), (Pool, "close_detached", on_close)]
    for target, name, fn in listeners:
        event.listen(target, name, fn)
    try:
        result, _ = await _ping(learner, engine, "the live database")
        assert result is True, f"ping returned {result!r} for a live database; return True (a bool)."
        assert engine.pool.checkedout() == 0, (
            "After ping, a connection is still borrowed from the engine's pool: borrow it with "
            "`async with engine.connect() as conn:` so it goes back when the block ends."
        )
        left = [c for key, c in everywhere.items() if key not in ours]
        assert not left, (
            f"After ping returned, {len(left)} connection(s) it opened outside the engine it was given are still open: "
            "ping built an engine of its own and never disposed it. Use the engine you are given "
            "(or `await probe.dispose()` in a finally)."
        )
    finally:
        for target, name, fn in listeners:
            event.remove(target, name, fn)
        await engine.dispose()


@ping_check
async def test_ping_closed_port(learner):
    """Does ping return False (not raise) when nothing listens on the port?"""
    engine = create_async_engine(f"postgresql+asyncpg://agent@127.0.0.1:{_closed_port()}/agents")
    try:
        result, _ = await _ping(learner, engine, "a closed port")
        assert result is False, f"ping returned {result!r} for a closed port; return False."
    finally:
        await engine.dispose()


@ping_check
async def test_ping_sqlite_file_that_cannot_be_opened(learner, tmp_path):
    """Does ping return False for a SQLite file in a folder that does not exist?"""
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'folder' / 'agents.db'}")
    try:
        result, _ = await _ping(learner, engine, "a SQLite file that cannot be opened")
        assert result is False, f"ping returned {result!r} for a SQLite file that cannot be opened; return False."
    finally:
        await engine.dispose()


async def _refuse_login(reader, writer) -> None:
    """Speak just enough of PostgreSQL's protocol to refuse the login, as a server does for a wrong password."""
    try:
        while True:
            length, code = struct.unpack("!ii", await reader.readexactly(8))
            if code == 80877103:  # SSLRequest: answer "no TLS here", then read the startup message
                writer.write(b"N")
                await writer.drain()
                continue
            await reader.readexactly(length - 8)
            break
        fields = b'SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user "agent"\0\0'
        writer.write(b"E" + struct.pack("!i", len(fields) + 4) + fields)
        await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


@ping_check
async def test_ping_refused_login(learner):
    """Does ping return False (not raise) when the server refuses the password?"""
    server = await asyncio.start_server(_refuse_login, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    engine = create_async_engine(f"postgresql+asyncpg://agent:wrong@127.0.0.1:{port}/agents")
    try:
        result, _ = await _ping(learner, engine, "a server that refuses the password")
        assert result is False, f"ping returned {result!r} when the server refused the password; return False."
    finally:
        await engine.dispose()
        server.close()
        await server.wait_closed()


@ping_check
async def test_ping_unknown_host(learner):
    """Does ping return False (not raise) for a host name that does not exist?"""
    engine = create_async_engine("postgresql+asyncpg://agent@no-such-host.invalid/agents")
    try:
        result, _ = await _ping(learner, engine, "an unknown host")
        assert result is False, f"ping returned {result!r} for an unknown host; return False."
    finally:
        await engine.dispose()


@pytest.mark.exercise("L02.ping", weight=1.5)
async def test_ping_silent_server(learner):
    """Does ping give up within 5 seconds on a server that accepts the connection and never answers?"""
    async def silent(reader, writer):
        await reader.read()  # say nothing until the client goes away
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    engine = create_async_engine(f"postgresql+asyncpg://agent@127.0.0.1:{port}/agents")
    try:
        result, seconds = await _ping(learner, engine, "a server that never answers")
        assert result is False, f"ping returned {result!r} for a server that never answered; return False."
        assert seconds <= 5.5, f"ping took {seconds:.1f} s to give up; stay within 5 s (asyncio.timeout)."
    finally:
        await engine.dispose()
        server.close()
        await server.wait_closed()
