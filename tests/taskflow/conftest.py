"""Fixtures for TaskFlow's tests: an empty TaskFlow database of the test's own, and a statement log.

- taskflow_url: a database only this test uses (a SQLite file, or a new PostgreSQL database)
- engine:       taskflow's make_engine on it, with TaskFlow's tables created
- sql:          `with sql() as sent:` collects the statements sent through `engine` (not BEGIN/COMMIT...)
"""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from skillbook.engine.databases import isolated_database
from taskflow.db import create_tables, make_engine

CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@pytest.fixture
def taskflow_url(database_url, tmp_path) -> Iterator[str]:
    with isolated_database(database_url, tmp_path) as url:
        yield url


@pytest.fixture
async def engine(taskflow_url):
    engine = make_engine(taskflow_url)
    await create_tables(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def sql(engine):
    @contextmanager
    def record() -> Iterator[list[str]]:
        sent: list[str] = []

        def on_statement(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(CONTROL):
                sent.append(" ".join(statement.split()))

        event.listen(engine.sync_engine, "before_cursor_execute", on_statement)
        try:
            yield sent
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", on_statement)

    return record
