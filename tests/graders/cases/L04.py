"""L04: realistic wrong answers and correct alternatives, as data (see __init__.py)."""

FACTORY_HEADER = """from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
"""
SESSION_HEADER = """from collections.abc import AsyncIterator

from taskflow.config import database_url
from taskflow.db import make_engine

engine = make_engine(database_url())
SessionLocal = make_sessionmaker(engine)
"""
APP_HEADER = """from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, select, text

from taskflow.models import Project, ProjectRead, Task

SessionDep = Annotated[AsyncSession, Depends(get_session)]


class NewProject(SQLModel):
    name: str = Field(min_length=1, max_length=100)
    tasks: list[str] = Field(default_factory=list)
"""
LIFESPAN = """
@asynccontextmanager
async def lifespan(app: FastAPI):
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    yield
    await engine.dispose()


app = FastAPI(lifespan=lifespan)
"""
HEALTH = """
@app.get("/health/db")
async def health_db(session: SessionDep) -> dict[str, str]:
    await session.exec(text("SELECT 1"))
    return {"database": "ok"}
"""
CREATE = """
@app.post("/projects", status_code=status.HTTP_201_CREATED, response_model=ProjectRead)
async def create_project(body: NewProject, session: SessionDep) -> Project:
    project = Project(name=body.name)
    session.add(project)
    try:
        await session.flush()
        session.add_all([Task(title=title, project_id=project.id) for title in body.tasks])
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise HTTPException(status.HTTP_409_CONFLICT, "conflict")
    await session.refresh(project)
    return project
"""


def app_cell(lifespan: str = LIFESPAN, health: str = HEALTH, create: str = CREATE) -> str:
    return APP_HEADER + lifespan + health + create


# id -> (cell replacements, the exercise id, or ids, it breaks)
WRONG = {
    "factory-expires-on-commit": (
        {"L04-make_sessionmaker": FACTORY_HEADER + """
def make_sessionmaker(engine):
    return async_sessionmaker(engine, class_=AsyncSession)
"""},
        ["L04.make_sessionmaker"],
    ),
    "factory-uses-the-global-engine": (
        {"L04-make_sessionmaker": FACTORY_HEADER + """
def make_sessionmaker(bind):
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
"""},
        ["L04.make_sessionmaker"],
    ),
    "dependency-commits-after-yield": (
        {"L04-get_session": SESSION_HEADER + """
async def get_session() -> AsyncIterator[AsyncSession]:
    async with SessionLocal() as session:
        try:
            yield session
            await session.commit()
        except Exception:
            await session.rollback()
            raise
"""},
        ["L04.get_session"],
    ),
    "dependency-never-closes": (
        {"L04-get_session": SESSION_HEADER + """
async def get_session():
    session = SessionLocal()
    try:
        yield session
    except Exception:
        await session.rollback()
        raise
"""},
        # Sessions left open also keep their connections (and on SQLite their locks): the app fails too.
        ["L04.get_session", "L04.app"],
    ),
    "dependency-swallows-errors": (
        {"L04-get_session": SESSION_HEADER + """
async def get_session():
    async with SessionLocal() as session:
        try:
            yield session
        except Exception:
            await session.rollback()
"""},
        ["L04.get_session", "L04.app"],
    ),
    "one-session-for-every-request": (
        {"L04-get_session": SESSION_HEADER + """
shared_session = SessionLocal()

async def get_session():
    try:
        yield shared_session
    except Exception:
        await shared_session.rollback()
        raise
"""},
        ["L04.get_session", "L04.app"],
    ),
    "commit-left-to-the-dependency": (
        {
            "L04-get_session": SESSION_HEADER + """
async def get_session():
    async with SessionLocal() as session:
        try:
            yield session
            await session.commit()
        except Exception:
            await session.rollback()
            raise
""",
            "L04-app": app_cell(create="""
@app.post("/projects", status_code=status.HTTP_201_CREATED, response_model=ProjectRead)
async def create_project(body: NewProject, session: SessionDep) -> Project:
    project = Project(name=body.name)
    session.add(project)
    await session.flush()
    session.add_all([Task(title=title, project_id=project.id) for title in body.tasks])
    return project
"""),
        },
        ["L04.get_session", "L04.app"],
    ),
    "app-commits-the-project-before-its-tasks": (
        {"L04-app": app_cell(create="""
@app.post("/projects", status_code=status.HTTP_201_CREATED, response_model=ProjectRead)
async def create_project(body: NewProject, session: SessionDep) -> Project:
    project = Project(name=body.name)
    session.add(project)
    try:
        await session.commit()
        for title in body.tasks:
            session.add(Task(title=title, project_id=project.id))
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise HTTPException(status.HTTP_409_CONFLICT, "conflict")
    return project
""")},
        ["L04.app"],
    ),
    "app-lets-the-integrity-error-through": (
        {"L04-app": app_cell(create="""
@app.post("/projects", status_code=status.HTTP_201_CREATED, response_model=ProjectRead)
async def create_project(body: NewProject, session: SessionDep) -> Project:
    project = Project(name=body.name)
    session.add(project)
    await session.flush()
    session.add_all([Task(title=title, project_id=project.id) for title in body.tasks])
    await session.commit()
    return project
""")},
        ["L04.app"],
    ),
    "health-never-asks-the-database": (
        {"L04-app": app_cell(health="""
@app.get("/health/db")
async def health_db(session: SessionDep) -> dict[str, str]:
    return {"database": "ok"}
""")},
        ["L04.app"],
    ),
    "health-opens-its-own-session": (
        {"L04-app": app_cell(health="""
@app.get("/health/db")
async def health_db() -> dict[str, str]:
    async with SessionLocal() as session:
        await session.exec(text("SELECT 1"))
    return {"database": "ok"}
""")},
        ["L04.app"],
    ),
    "lifespan-never-disposes": (
        {"L04-app": app_cell(lifespan="""
@asynccontextmanager
async def lifespan(app: FastAPI):
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    yield


app = FastAPI(lifespan=lifespan)
""")},
        ["L04.app"],
    ),
    "no-tables-at-startup": (
        {"L04-app": app_cell(lifespan="""
@asynccontextmanager
async def lifespan(app: FastAPI):
    yield
    await engine.dispose()


app = FastAPI(lifespan=lifespan)
""")},
        ["L04.app"],
    ),
    # --- issue 13: sessions, connections and engines left open after a dependency or the app is done ---
    # `session.close()` without await only makes a coroutine: the session keeps its connection.
    "dependency-close-not-awaited": (
        {"L04-get_session": SESSION_HEADER + """
async def get_session():
    session = SessionLocal()
    try:
        yield session
    except Exception:
        await session.rollback()
        raise
    finally:
        session.close()
"""},
        ["L04.get_session", "L04.app"],
    ),
    # Rolls back at the end of every request instead of closing: the connection goes back, the session lives on.
    "dependency-rolls-back-instead-of-closing": (
        {"L04-get_session": SESSION_HEADER + """
async def get_session():
    session = SessionLocal()
    try:
        yield session
    finally:
        await session.rollback()
"""},
        ["L04.get_session"],
    ),
    # Closes after a request that went well; a failed request is rolled back but its session is never closed.
    "dependency-closes-only-on-success": (
        {"L04-get_session": SESSION_HEADER + """
async def get_session():
    session = SessionLocal()
    try:
        yield session
    except Exception:
        await session.rollback()
        raise
    await session.close()
"""},
        ["L04.get_session"],
    ),
    # A new engine (and pool) for every request, never disposed: connections pile up outside the app's engine.
    "dependency-engine-per-request": (
        {"L04-get_session": SESSION_HEADER + """
async def get_session():
    request_engine = make_engine(database_url())
    async with make_sessionmaker(request_engine)() as session:
        try:
            yield session
        except Exception:
            await session.rollback()
            raise
"""},
        # The app's requests then run on engines the app does not know: its health check sends nothing through it.
        ["L04.get_session", "L04.app"],
    ),
    # The factory opens an engine of its own from the URL: sessions miss the engine they were given.
    "factory-builds-its-own-engine": (
        {"L04-make_sessionmaker": FACTORY_HEADER + """
from sqlalchemy.ext.asyncio import create_async_engine

def make_sessionmaker(engine):
    return async_sessionmaker(create_async_engine(engine.url), class_=AsyncSession, expire_on_commit=False)
"""},
        ["L04.make_sessionmaker", "L04.get_session", "L04.app"],
    ),
    # Disposes of the engine before serving: the requests' connections stay pooled after shutdown.
    "lifespan-disposes-before-serving": (
        {"L04-app": app_cell(lifespan="""
@asynccontextmanager
async def lifespan(app: FastAPI):
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    await engine.dispose()
    yield


app = FastAPI(lifespan=lifespan)
""")},
        ["L04.app"],
    ),
}

ALTERNATIVES = {
    "dependency-with-finally": {
        "L04-get_session": SESSION_HEADER + """
async def get_session():
    session = SessionLocal()
    try:
        yield session
    except BaseException:
        await session.rollback()
        raise
    finally:
        await session.close()
"""
    },
    "app-with-begin-block-and-scalar": {
        "L04-app": APP_HEADER + """
@asynccontextmanager
async def lifespan(app: FastAPI):
    async with engine.connect() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
        await conn.commit()
    try:
        yield
    finally:
        await engine.dispose()


app = FastAPI(lifespan=lifespan)


@app.get("/health/db")
async def health(session: SessionDep):
    value = await session.scalar(text("SELECT 1"))
    return {"database": "ok" if value == 1 else "unexpected"}


@app.post("/projects", status_code=201, response_model=ProjectRead)
async def create_project(body: NewProject, session: SessionDep):
    try:
        async with session.begin():  # commits at the end of the block, rolls back if it raises
            project = Project(name=body.name)
            session.add(project)
            await session.flush()
            for title in body.tasks:
                session.add(Task(title=title, project_id=project.id))
    except IntegrityError:
        raise HTTPException(409, detail="conflict")
    return ProjectRead.model_validate(project)
"""
    },
    "app-with-an-exception-handler": {
        "L04-app": APP_HEADER + LIFESPAN + HEALTH + """
@app.exception_handler(IntegrityError)
async def conflict(request: Request, exc: IntegrityError) -> JSONResponse:
    return JSONResponse({"detail": "conflicts with existing data"}, status_code=409)


@app.post("/projects", status_code=201, response_model=ProjectRead)
async def create_project(body: NewProject, session: SessionDep) -> Project:
    project = Project(name=body.name, tasks=[Task(title=title) for title in body.tasks])
    session.add(project)
    await session.commit()  # an IntegrityError rolls back in get_session and becomes a 409 in the handler
    await session.refresh(project)
    return project
"""
    },
    # A partial of the session class is a factory too; the dependency lets `async with` do the rollback
    # (closing a session rolls back what it did not commit) and the error passes through by itself.
    "partial-factory-and-bare-async-with": {
        "L04-make_sessionmaker": FACTORY_HEADER + """
from functools import partial

def make_sessionmaker(engine):
    return partial(AsyncSession, bind=engine, expire_on_commit=False)
""",
        "L04-get_session": SESSION_HEADER + """
async def get_session():
    async with SessionLocal() as session:
        yield session
""",
    },
}
