"""One-to-many with explicit loading: N+1 measured, selectinload fixing it, lazy="raise" as a guard.

Run it:
    python relationships_selectinload.py              # in-memory SQLite (aiosqlite)
    DATABASE_URL=postgresql+asyncpg://USER:PASSWORD@HOST:5432/DB python relationships_selectinload.py

What it shows:
- Project 1-N Task with back_populates, a foreign key with ON DELETE CASCADE, and
  lazy="raise" so an unloaded relationship fails loudly instead of doing hidden IO;
- counting SQL statements with a listener on engine.sync_engine;
- the N+1 pattern (one query per project) against selectinload (2 statements in total);
- joinedload for the many-to-one side (1 statement);
- cascade delete: deleting a project deletes its tasks.
"""

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Optional

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import joinedload, registry, selectinload
from sqlalchemy.pool import StaticPool
from sqlmodel import Field, Relationship, SQLModel, col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession


class Base(SQLModel, registry=registry()):
    pass


class Project(Base, table=True):
    __tablename__ = "demo_rel_project"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=100)
    tasks: list["Task"] = Relationship(
        back_populates="project",
        cascade_delete=True,  # ORM side: deleting a project deletes its loaded tasks
        sa_relationship_kwargs={"lazy": "raise", "order_by": "Task.id"},
    )


class Task(Base, table=True):
    __tablename__ = "demo_rel_task"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    # Database side: ON DELETE CASCADE also covers deletes that bypass the ORM.
    project_id: int = Field(foreign_key="demo_rel_project.id", ondelete="CASCADE", index=True)
    project: Optional[Project] = Relationship(back_populates="tasks", sa_relationship_kwargs={"lazy": "raise"})


def make_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True)
    memory = parsed.database in (None, "", ":memory:")
    engine = create_async_engine(url, poolclass=StaticPool) if memory else create_async_engine(url)

    @event.listens_for(engine.sync_engine, "connect")
    def _foreign_keys_on(dbapi_connection, connection_record):
        # SQLite ignores foreign keys (and ON DELETE CASCADE) unless each connection asks.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


class StatementCounter:
    """Counts the SQL statements an engine sends while `counting()` is active."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.count = 0
        self._active = False
        # Listeners go on the sync engine; the AsyncEngine itself does not accept them.
        event.listen(engine.sync_engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, conn, cursor, statement, parameters, context, executemany):
        if self._active:
            self.count += 1

    @contextmanager
    def counting(self) -> Iterator["StatementCounter"]:
        self.count, self._active = 0, True
        try:
            yield self
        finally:
            self._active = False


async def seed(session: AsyncSession, projects: int = 5, tasks_each: int = 3) -> None:
    for p in range(projects):
        # Build the collection in the constructor, so it is set (not lazy) on the new object.
        tasks = [Task(title=f"task {p}.{t}") for t in range(tasks_each)]
        session.add(Project(name=f"project {p}", tasks=tasks))
    await session.commit()


async def main() -> None:
    engine = make_engine(os.environ.get("DATABASE_URL") or "sqlite+aiosqlite://")
    session_factory = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
    counter = StatementCounter(engine)

    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    try:
        async with session_factory() as session:
            await seed(session)

        # lazy="raise": touching an unloaded relationship is an immediate, clear error.
        async with session_factory() as session:
            project = (await session.exec(select(Project).order_by(Project.id))).first()
            assert project is not None
            try:
                _ = project.tasks
            except InvalidRequestError as exc:
                print(f"lazy='raise' stopped implicit IO: {type(exc).__name__}")

        # N+1: one query for the projects, then one per project.
        async with session_factory() as session:
            with counter.counting():
                projects = (await session.exec(select(Project).order_by(Project.id))).all()
                sizes = {}
                for project in projects:
                    rows = await session.exec(select(Task).where(Task.project_id == project.id))
                    sizes[project.name] = len(rows.all())
            print(f"N+1 loop: {counter.count} statements for {len(projects)} projects")

        # selectinload: one query for the projects, one for all their tasks.
        async with session_factory() as session:
            with counter.counting():
                statement = select(Project).options(selectinload(Project.tasks)).order_by(Project.id)
                projects = (await session.exec(statement)).all()
                sizes = {project.name: len(project.tasks) for project in projects}
            print(f"selectinload: {counter.count} statements, tasks per project {sorted(set(sizes.values()))}")

        # joinedload suits many-to-one: the project comes in the same row as the task.
        async with session_factory() as session:
            with counter.counting():
                statement = select(Task).options(joinedload(Task.project)).where(Task.title == "task 2.1")
                task = (await session.exec(statement)).one()
            print(f"joinedload: {counter.count} statement, {task.title!r} belongs to {task.project.name!r}")

        # Cascade delete. The unit of work loads the tasks itself to delete them (lazy="raise"
        # only guards attribute access); passive_deletes=True would leave it to ON DELETE CASCADE.
        async with session_factory() as session:
            project = (await session.exec(select(Project).where(Project.name == "project 0"))).one()
            await session.delete(project)
            await session.commit()
            left = (await session.exec(select(func.count()).select_from(Task))).one()
            orphans = (await session.exec(select(Task).where(col(Task.project_id) == project.id))).all()
            print(f"after deleting {project.name!r}: {left} tasks left, {len(orphans)} orphans")
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.drop_all)
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
