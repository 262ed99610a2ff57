"""One engine, one session factory, the FastAPI session dependency, and the SQLite fixes they need."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import StaticPool
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from taskflow.config import database_url


def _is_memory_sqlite(url) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def enable_sqlite_savepoints(engine: AsyncEngine) -> None:
    """SQLAlchemy's recipe: let SQLAlchemy, not the driver, emit BEGIN, so SAVEPOINTs nest correctly.

    Without it the driver sends no BEGIN before a SAVEPOINT, and a released savepoint survives
    the outer ROLLBACK. It also turns on foreign keys, which SQLite leaves off by default.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN")


def make_engine(url: str | None = None, **overrides) -> AsyncEngine:
    """An AsyncEngine with the settings each backend needs."""
    url = make_url(url or database_url())
    options: dict = {}
    if url.get_backend_name() == "sqlite":
        if _is_memory_sqlite(url):
            # One shared connection, or every connection would see its own empty database.
            options["poolclass"] = StaticPool
        options["connect_args"] = {"check_same_thread": False}
    else:
        options.update(pool_pre_ping=True, pool_size=5, max_overflow=10, pool_recycle=1800)
    options.update(overrides)
    engine = create_async_engine(url, **options)
    if url.get_backend_name() == "sqlite":
        enable_sqlite_savepoints(engine)
    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep their attributes after commit (no implicit IO, no MissingGreenlet)."""
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def create_tables(engine: AsyncEngine, metadata=SQLModel.metadata) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)


async def drop_tables(engine: AsyncEngine, metadata=SQLModel.metadata) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)


engine = make_engine()
SessionLocal = make_sessionmaker(engine)


async def get_session() -> AsyncIterator[AsyncSession]:
    """FastAPI dependency: one session per request; endpoints commit, errors roll back."""
    async with SessionLocal() as session:
        try:
            yield session
        except Exception:
            await session.rollback()
            raise


SessionDep = Annotated[AsyncSession, Depends(get_session)]
