"""Project and Task with their rules in the database, and the schemas an API uses around them.

Run: python examples/project_task_models.py   (DATABASE_URL selects the database; default in-memory SQLite)
"""

import asyncio
import os
from datetime import UTC, datetime

from sqlalchemy import JSON, CheckConstraint, UniqueConstraint, event, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import registry
from sqlalchemy.pool import StaticPool
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession


class Base(SQLModel, registry=registry()):
    """A registry of this example's own, so it can be imported beside other examples."""


PortableJSON = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Project(Base, table=True):
    __tablename__ = "example_project"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    created_at: datetime = Field(default_factory=utcnow)


class TaskBase(Base):
    title: str = Field(min_length=1, max_length=200)
    status: str = Field(default="pending", index=True)
    priority: int = Field(default=3, ge=1, le=5)
    context: dict = Field(default_factory=dict, sa_type=PortableJSON)
    project_id: int | None = Field(default=None, foreign_key="example_project.id", ondelete="CASCADE")
    parent_id: int | None = Field(default=None, foreign_key="example_task.id", ondelete="CASCADE")


class Task(TaskBase, table=True):
    __tablename__ = "example_task"
    __table_args__ = (
        UniqueConstraint("project_id", "title", name="uq_example_task_project_title"),
        CheckConstraint("length(title) BETWEEN 1 AND 200", name="ck_example_task_title"),
        CheckConstraint("status IN ('pending', 'in_progress', 'done', 'failed')", name="ck_example_task_status"),
        CheckConstraint("priority BETWEEN 1 AND 5", name="ck_example_task_priority"),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)


class TaskCreate(TaskBase):
    pass


class TaskUpdate(SQLModel):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    status: str | None = None
    priority: int | None = Field(default=None, ge=1, le=5)
    context: dict | None = None


class TaskRead(TaskBase):
    id: int
    created_at: datetime


async def main() -> None:
    url = os.environ.get("DATABASE_URL", "sqlite+aiosqlite://")
    engine = create_async_engine(url, **({"poolclass": StaticPool} if url == "sqlite+aiosqlite://" else {}))
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine.sync_engine, "connect")
        def _foreign_keys(dbapi_connection, record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            project = Project(name="Launch")
            session.add(project)
            await session.commit()
            task = Task.model_validate(TaskCreate(title="Write the announcement", project_id=project.id))
            session.add(task)
            await session.commit()
            print("saved:", TaskRead.model_validate(task).model_dump_json())
            task.sqlmodel_update(TaskUpdate(status="done").model_dump(exclude_unset=True))
            await session.commit()
            print("updated status:", task.status)
            session.add(Task(title="bad", priority=9))  # a table model does not validate ...
            try:
                await session.commit()
            except DBAPIError as exc:  # ... the database does
                await session.rollback()
                print("rejected by the database:", str(exc.orig).splitlines()[0])
        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM example_project"))
            left = (await conn.execute(text("SELECT count(*) FROM example_task"))).scalar_one()
            print("tasks left after deleting the project:", left)
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.drop_all)
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
