"""Fixtures every lesson's graders share. Grader modules hold only checks.

- learner:   the notebook, run once without a kernel (skillbook.engine.loading); `learner.create_task`
- database_url, engine, sessionmaker, session: the run's own empty database (SQLite or PostgreSQL)
- tables:    create some of the learner's (or TaskFlow's) tables for one check, drop them after
"""

import os
from pathlib import Path

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from skillbook.engine.loading import load_notebook
from taskflow.db import make_engine, make_sessionmaker


@pytest.fixture(scope="session")
async def learner(request):
    option = request.config.getoption
    return await load_notebook(
        Path(option("notebook")), cell_seconds=option("cell_seconds"), total_seconds=option("load_seconds")
    )


@pytest.fixture(scope="session")
def database_url() -> str:
    return os.environ["DATABASE_URL"]


@pytest.fixture
async def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessionmaker(engine):
    return make_sessionmaker(engine)


@pytest.fixture
async def session(sessionmaker) -> AsyncSession:
    async with sessionmaker() as session:
        yield session


@pytest.fixture
async def tables(engine):
    """`await tables(Model.__table__, ...)` creates them now; they are dropped when the check ends."""
    created = []

    async def create(*tables):
        async with engine.begin() as conn:
            for table in tables:
                await conn.run_sync(table.create, checkfirst=True)
                created.append(table)

    yield create
    async with engine.begin() as conn:
        for table in reversed(created):
            await conn.run_sync(table.drop, checkfirst=True)


# --- Shared by L05, L06, L07 (and any lesson on TaskFlow's own models) ----------------------------


@pytest.fixture
async def taskflow_db(engine, tables):
    """TaskFlow's tables (taskflow.models), empty, for one check; dropped when the check ends.

    Tables the notebook's own cells may have left in the run's database are dropped first, so
    every check starts from empty tables whatever the notebook did.
    """
    from sqlmodel import SQLModel

    from taskflow.models import Agent, Project, Tag, Task, TaskTagLink, UsageEntry

    ours = [model.__table__ for model in (Project, Task, Tag, TaskTagLink, Agent, UsageEntry)]
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: SQLModel.metadata.drop_all(sync, tables=ours, checkfirst=True))
    await tables(*ours)


class SQLLog:
    """What went through the engine: every statement and every COMMIT."""

    CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.commits = 0

    @property
    def queries(self) -> list[str]:
        """The statements that are not transaction control (BEGIN, SAVEPOINT, ...)."""
        return [s for s in self.statements if not s.lstrip().upper().startswith(self.CONTROL)]

    @property
    def selects(self) -> list[str]:
        return [s for s in self.queries if s.lstrip().upper().startswith(("SELECT", "WITH"))]

    def clear(self) -> None:
        self.statements.clear()
        self.commits = 0


@pytest.fixture
def sql_log(engine):
    """A SQLLog of everything sent through `engine` during the check: `sql_log.clear()`, call, count.

    Listens on engine.sync_engine ("before_cursor_execute" and "commit"): a listener on the
    AsyncEngine itself raises NotImplementedError.
    """
    from sqlalchemy import event

    log = SQLLog()

    def on_statement(conn, cursor, statement, parameters, context, executemany):
        log.statements.append(statement)

    def on_commit(conn):
        log.commits += 1

    event.listen(engine.sync_engine, "before_cursor_execute", on_statement)
    event.listen(engine.sync_engine, "commit", on_commit)
    yield log
    event.remove(engine.sync_engine, "before_cursor_execute", on_statement)
    event.remove(engine.sync_engine, "commit", on_commit)
