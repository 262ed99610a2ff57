"""Graders for L04: the session factory, the FastAPI session dependency, and an app that commits in the right place.

The app is driven through httpx inside its own lifespan (ASGITransport does not run it). The notebook's
module-level `engine` was built from DATABASE_URL, which points at this run's own database.
"""

import asyncio
import contextlib
import gc
import inspect
import uuid
import warnings
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, func, inspect as sa_inspect, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from taskflow.db import make_engine
from taskflow.models import Project, Task

sessionmaker_check = pytest.mark.exercise("L04.make_sessionmaker", weight=1)
session_check = pytest.mark.exercise("L04.get_session", weight=1)
app_check = pytest.mark.exercise("L04.app", weight=1)


MARKER = "only in the engine you were given"


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [""])[0][:160]


# ---------------------------------------------------------------- make_sessionmaker


@pytest.fixture
async def memory_engine():
    """An engine of the grader's own, with one table the run's database does not have."""
    engine = create_async_engine("sqlite+aiosqlite://", poolclass=StaticPool)
    async with engine.begin() as conn:
        await conn.run_sync(Project.__table__.create)
        await conn.execute(Project.__table__.insert().values(name=MARKER, created_at=datetime.now(UTC)))
    yield engine
    await engine.dispose()


def _factory(learner, engine: AsyncEngine):
    factory = learner.make_sessionmaker(engine)
    assert callable(factory), (
        f"make_sessionmaker returned {type(factory).__name__}, which cannot be called: return "
        "async_sessionmaker(engine, ...), a factory that makes a new session for each call."
    )
    return factory


@sessionmaker_check
async def test_factory_makes_sqlmodel_sessions_on_the_given_engine(learner, memory_engine):
    """Does each call of the factory give a new SQLModel AsyncSession bound to the engine passed in?"""
    factory = _factory(learner, memory_engine)
    first, second = factory(), factory()
    try:
        assert isinstance(first, AsyncSession), (
            f"The factory made a {type(first).__module__}.{type(first).__name__}; pass class_=AsyncSession "
            "from sqlmodel.ext.asyncio.session, whose exec() returns model objects."
        )
        assert first is not second, "Two calls of the factory returned the same session; each call needs its own."
        try:
            found = (await first.exec(select(Project.name))).all()
        except SQLAlchemyError:
            found = None
        assert found == [MARKER], (
            "A session from make_sessionmaker(engine) does not use that engine (it did not see the one row only that "
            "engine's database holds): pass the engine argument to async_sessionmaker."
        )
    finally:
        await first.close()
        await second.close()


@pytest.mark.exercise("L04.make_sessionmaker", weight=1.5)
async def test_values_survive_commit(learner, memory_engine):
    """After commit, can attributes still be read without a query (no MissingGreenlet)?"""
    factory = _factory(learner, memory_engine)
    async with factory() as session:
        project = Project(name="kept after commit")
        session.add(project)
        await session.commit()
        try:
            name, project_id = project.name, project.id
        except Exception as exc:  # MissingGreenlet, bare or wrapped in StatementError
            raise AssertionError(
                f"Reading project.name after commit raised {type(exc).__name__}: the commit expired the object, and "
                "reloading it needs a query that cannot run there. Pass expire_on_commit=False."
            ) from None
    assert name == "kept after commit" and project_id is not None


# ---------------------------------------------------------------- get_session


def _dependency(learner):
    get_session = learner.get_session
    assert inspect.isasyncgenfunction(get_session), (
        "get_session must be an async generator: `async def get_session():` with `yield session` inside "
        "`async with SessionLocal() as session:`."
    )
    return contextlib.asynccontextmanager(get_session)  # exactly how FastAPI drives a dependency with yield


def _learner_engine(learner) -> AsyncEngine:
    engine = learner.engine
    assert isinstance(engine, AsyncEngine), "The notebook's module-level `engine` is not an AsyncEngine."
    return engine


async def _release_leaked_connections(engine) -> None:
    """End what a leaking submission left open, so dropping tables cannot wait on its locks forever.

    Sessions that were never closed are unreachable garbage by now: collecting them hands their connections
    back. On PostgreSQL, any other connection to this run's own database is ended as well.
    """
    gc.collect()
    await asyncio.sleep(0)
    async with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ))
            await conn.commit()


async def _reset_schema(engine, create: bool) -> None:
    await _release_leaked_connections(engine)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(SQLModel.metadata.drop_all)
            if create:
                await conn.run_sync(SQLModel.metadata.create_all)
    except OperationalError as exc:
        if "locked" not in str(exc):
            raise
        raise AssertionError(
            "The database is locked: a session from an earlier request is still open and holds its transaction. "
            "get_session must close every session it opens (`async with SessionLocal() as session:`)."
        ) from None


@pytest.fixture
async def engine(database_url):
    """The run's database, as in conftest, but with a one-second SQLite busy timeout: a lock left behind by a
    leaking submission fails a check in a second instead of five."""
    options = {"connect_args": {"check_same_thread": False, "timeout": 1}} if database_url.startswith("sqlite") else {}
    engine = make_engine(database_url, **options)
    yield engine
    await engine.dispose()


@pytest.fixture
async def project_table(engine):
    """TaskFlow's tables, empty, for one check (the notebook's own run may have left some behind)."""
    await _reset_schema(engine, create=True)
    yield
    await _reset_schema(engine, create=False)


async def _stored(sessionmaker, name: str) -> bool:
    async with sessionmaker() as fresh:
        return (await fresh.exec(select(func.count()).select_from(Project).where(Project.name == name))).one() > 0


@session_check
async def test_get_session_yields_a_new_session_per_request(learner):
    """Does get_session yield a SQLModel AsyncSession on the notebook's engine, a new one for every request?"""
    dependency = _dependency(learner)
    async with dependency() as first, dependency() as second:
        assert isinstance(first, AsyncSession), f"get_session yielded {type(first).__name__}; yield an AsyncSession from SessionLocal()."
        assert first is not second, (
            "Two requests got the same session. A session is not safe to share between concurrent requests: "
            "open a new one inside get_session (`async with SessionLocal() as session: yield session`)."
        )
        assert first.bind is _learner_engine(learner), "get_session's sessions do not use the module-level engine: SessionLocal = make_sessionmaker(engine)."


async def _add_project(sessionmaker, name: str) -> None:
    async with sessionmaker() as session:
        session.add(Project(name=name))
        await session.commit()


def _assert_closed(session, loaded: Project, how: str) -> None:
    """A closed session has let go of every object it loaded; one that was only rolled back still holds them."""
    assert sa_inspect(loaded).detached, (
        f"After {how}, get_session's session still holds the objects the request loaded: it was rolled back or "
        "left alone, but never closed. Close it however the request ends (`async with SessionLocal() as session:` "
        "around the yield, or `await session.close()` in a `finally`)."
    )


@session_check
async def test_get_session_closes_the_session(learner, project_table, sessionmaker):
    """When the request is over, is the session closed and its connection back in the pool?"""
    dependency = _dependency(learner)
    engine = _learner_engine(learner)
    name = _name("loaded")
    await _add_project(sessionmaker, name)
    before = engine.pool.checkedout()
    async with dependency() as session:
        loaded = (await session.exec(select(Project).where(Project.name == name))).one()
        during = engine.pool.checkedout()
    try:
        assert during == before + 1, (
            f"During a request that ran a query, the pool of the notebook's engine lent {during - before} connection(s); "
            "expected 1: get_session's sessions must come from SessionLocal, on the module-level engine."
        )
        assert not session.in_transaction() and engine.pool.checkedout() <= before, (
            "After the request, get_session's session still holds its connection: it was never closed. "
            "Use `async with SessionLocal() as session:` around the yield so it closes however the request ends."
        )
        _assert_closed(session, loaded, "a request that succeeded")
    finally:
        await session.close()


@pytest.mark.exercise("L04.get_session", weight=1.5)
async def test_get_session_rolls_back_and_reraises(learner, project_table, sessionmaker):
    """When the endpoint fails, is its unfinished work rolled back, the session closed, and the error passed on?"""
    dependency = _dependency(learner)
    engine = _learner_engine(learner)
    name = _name("failed-request")
    existing = _name("loaded")
    await _add_project(sessionmaker, existing)
    session = None
    try:
        async with dependency() as session:
            loaded = (await session.exec(select(Project).where(Project.name == existing))).one()
            session.add(Project(name=name))
            await session.flush()  # the INSERT is sent, inside the request's transaction
            raise RuntimeError("the endpoint failed")
    except RuntimeError:
        pass
    else:
        if session is not None:
            await session.close()
        raise AssertionError(
            "get_session swallowed the endpoint's exception: after rolling back, re-raise it (`raise`), or FastAPI "
            "cannot turn it into an error response."
        )
    try:
        assert not await _stored(sessionmaker, name), (
            "After the endpoint failed, its half-done work was committed: get_session must roll back on error, never commit."
        )
        assert not session.in_transaction() and engine.pool.checkedout() == 0, (
            "After a failed request the session still holds its connection: close it (async with) in every case."
        )
        _assert_closed(session, loaded, "a request that failed")
    finally:
        await session.close()


@session_check
async def test_get_session_leaves_the_commit_to_the_endpoint(learner, project_table, sessionmaker):
    """Does get_session leave committing to the endpoint (work the endpoint did not commit is not saved)?"""
    dependency = _dependency(learner)
    name = _name("not-committed")
    async with dependency() as session:
        session.add(Project(name=name))
        await session.flush()
    await session.close()
    assert not await _stored(sessionmaker, name), (
        "get_session committed the request's work after the endpoint returned. Since FastAPI 0.118 the code after "
        "`yield` runs after the response is sent, so a failing commit there cannot reach the client: commit in the endpoint."
    )


# ---------------------------------------------------------------- app


@pytest.fixture
async def fresh_schema(engine):
    """No TaskFlow tables before the app starts (its lifespan must create them), and none after the check."""
    await _reset_schema(engine, create=False)
    yield
    await _reset_schema(engine, create=False)


def _app(learner) -> FastAPI:
    app = learner.app
    assert isinstance(app, FastAPI), f"`app` is a {type(app).__name__}, not a FastAPI application."
    return app


@contextlib.asynccontextmanager
async def running(learner):
    """The learner's app inside its lifespan, with an httpx client; errors after the response do not hide the status."""
    app = _app(learner)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://taskflow.test") as client:
            yield client


async def _project_titles(sessionmaker, name: str) -> list[str] | None:
    async with sessionmaker() as fresh:
        project = (await fresh.exec(select(Project).where(Project.name == name))).first()
        if project is None:
            return None
        return sorted((await fresh.exec(select(Task.title).where(Task.project_id == project.id))).all())


@app_check
async def test_health_check_uses_the_database(learner, fresh_schema, sessionmaker):
    """Does GET /health/db answer {"database": "ok"} after a query, with a session from get_session?"""
    engine = _learner_engine(learner)
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    async with running(learner) as client:
        event.listen(engine.sync_engine, "before_cursor_execute", count)
        try:
            response = await client.get("/health/db")
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", count)
        assert response.status_code == 200, f"GET /health/db answered {response.status_code}: {response.text[:200]}"
        assert response.json() == {"database": "ok"}, f'GET /health/db answered {response.json()}; expected {{"database": "ok"}}.'
        assert any("SELECT" in s.upper() for s in statements), (
            "GET /health/db answered without asking the database: run SELECT 1 through the session, so the check "
            "fails when the database is down."
        )
        used = []

        async def replacement():
            async with sessionmaker() as session:
                used.append(session)
                yield session

        app = _app(learner)
        app.dependency_overrides[learner.get_session] = replacement
        try:
            again = await client.get("/health/db")
        finally:
            app.dependency_overrides.pop(learner.get_session, None)
        assert again.status_code == 200 and used, (
            "GET /health/db does not get its session from get_session, so a test cannot swap it: declare the "
            "parameter as `session: Annotated[AsyncSession, Depends(get_session)]`."
        )


@app_check
async def test_lifespan_creates_tables_and_disposes_the_engine(learner, fresh_schema, engine):
    """Does the app's lifespan create the tables at startup and dispose the engine at shutdown?"""
    learner_engine = _learner_engine(learner)
    async with running(learner) as client:
        async with engine.connect() as conn:
            names = set(await conn.run_sync(lambda sync: sa_inspect(sync).get_table_names()))
        assert {"project", "task"} <= names, (
            f"When the app started, the database had tables {sorted(names)}: create them in the lifespan "
            "(`await conn.run_sync(SQLModel.metadata.create_all)` before `yield`)."
        )
        await client.get("/health/db")
    assert learner_engine.pool.checkedin() == 0, (
        "After the app shut down, its engine still keeps pooled connections: `await engine.dispose()` after the "
        "lifespan's `yield`."
    )


@app_check
async def test_create_project_with_its_tasks(learner, fresh_schema, sessionmaker):
    """Does POST /projects store the project and its tasks, and answer 201 with the project?"""
    name = _name("launch")
    async with running(learner) as client:
        response = await client.post("/projects", json={"name": name, "tasks": ["plan", "build", "ship"]})
        assert response.status_code == 201, f"POST /projects answered {response.status_code} ({response.text[:200]}); expected 201."
        body = response.json()
        assert body.get("name") == name and isinstance(body.get("id"), int), f"POST /projects answered {body}; return the project (ProjectRead: id, name, created_at)."
        bare = await client.post("/projects", json={"name": _name("bare")})
        assert bare.status_code == 201, f"POST /projects without tasks answered {bare.status_code}; tasks are optional."
    titles = await _project_titles(sessionmaker, name)
    assert titles is not None, "After a 201, a new session does not find the project: commit in the endpoint before returning."
    assert titles == ["build", "plan", "ship"], f"The project was stored with tasks {titles}; expected one task per title sent."


@pytest.mark.exercise("L04.app", weight=2)
async def test_a_failing_request_leaves_nothing_behind(learner, fresh_schema, sessionmaker):
    """When the database refuses part of a request, does the client get 409 and does nothing of the request remain?"""
    taken = _name("taken")
    doomed = _name("doomed")
    async with running(learner) as client:
        first = await client.post("/projects", json={"name": taken, "tasks": ["one"]})
        assert first.status_code == 201, f"POST /projects answered {first.status_code} for a valid project."
        duplicate_tasks = await client.post("/projects", json={"name": doomed, "tasks": ["same", "same"]})
        saved = await _project_titles(sessionmaker, doomed)
        if duplicate_tasks.status_code < 300:
            raise AssertionError(
                f"A project with two tasks of the same title got {duplicate_tasks.status_code}"
                + (" although nothing was saved: the commit ran after the response was sent (after `yield` in the "
                   "dependency). Commit in the endpoint, and answer 409 when it fails." if saved is None else
                   f" and was stored with tasks {saved}: the unique (project_id, title) rule must reject it.")
            )
        assert duplicate_tasks.status_code == 409, (
            f"A project with two tasks of the same title got {duplicate_tasks.status_code}; catch IntegrityError, roll back "
            "and raise HTTPException(409)."
        )
        assert saved is None, (
            f"The failed request left its project behind (with tasks {saved}): the project was committed before its tasks. "
            "Add the project and its tasks, then commit once."
        )
        same_name = await client.post("/projects", json={"name": taken, "tasks": ["two"]})
        assert same_name.status_code == 409, f"A second project named like an existing one got {same_name.status_code}; expected 409."
        retry = await client.post("/projects", json={"name": doomed, "tasks": ["same"]})
        assert retry.status_code == 201, (
            f"After the failed requests, a valid one got {retry.status_code} ({retry.text[:150]}): roll the session back "
            "after the error, so the next request starts clean."
        )
    assert await _project_titles(sessionmaker, taken) == ["one"], "The existing project's tasks changed after a conflicting request."
    assert await _project_titles(sessionmaker, doomed) == ["same"]


@app_check
async def test_concurrent_requests_get_their_own_sessions(learner, fresh_schema, sessionmaker):
    """Do concurrent requests all succeed, each with its own session?"""
    names = [_name("parallel") for _ in range(4)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with running(learner) as client:
            responses = await asyncio.gather(
                *(client.get("/health/db") for _ in range(6)),
                *(client.post("/projects", json={"name": n, "tasks": ["a", "b"]}) for n in names),
            )
            borrowed = _learner_engine(learner).pool.checkedout()
            gc.collect()  # sessions nobody closed are garbage now; SQLAlchemy warns as it reclaims their connections
    abandoned = sum("non-checked-in connection" in str(w.message) for w in caught)
    codes = [r.status_code for r in responses]
    assert codes == [200] * 6 + [201] * 4, (
        f"Concurrent requests answered {codes}: requests are sharing a session. Every request needs its own, "
        "opened inside get_session."
    )
    assert borrowed == 0 and abandoned == 0, (
        f"After every request had its answer, {max(borrowed, abandoned)} connection(s) had not been given back to the "
        "pool: sessions are never closed, and under load the pool runs dry. Close each session when its request ends."
    )
    for name in names:
        assert await _project_titles(sessionmaker, name) == ["a", "b"], f"Project {name} from a concurrent request was not stored whole."
