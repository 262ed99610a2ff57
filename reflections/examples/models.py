"""Tables whose rules the database enforces, and the API schemas around them.

Run: python examples/models.py   (in-memory SQLite; DATABASE_URL=postgresql+asyncpg://... for PostgreSQL)
"""

import asyncio
import os
from datetime import UTC, datetime

from pydantic import ValidationError
from sqlalchemy import JSON, CheckConstraint, UniqueConstraint, delete, event, func, insert
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

# skillbook:exercise L03.models
class Project(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class TaskBase(SQLModel):
    title: str = Field(min_length=1, max_length=200)
    status: str = Field(default="pending", index=True)
    priority: int = Field(default=3, ge=1, le=5)
    context: dict = Field(default_factory=dict, sa_type=JSON().with_variant(JSONB(), "postgresql"))
    project_id: int | None = Field(default=None, foreign_key="project.id", ondelete="CASCADE")
    parent_id: int | None = Field(default=None, foreign_key="task.id", ondelete="CASCADE")


class Task(TaskBase, table=True):
    __table_args__ = (
        UniqueConstraint("project_id", "title", name="uq_task_project_title"),
        CheckConstraint("status IN ('pending', 'in_progress', 'done', 'failed')", name="ck_task_status"),
        CheckConstraint("priority BETWEEN 1 AND 5", name="ck_task_priority"),
        CheckConstraint("length(title) BETWEEN 1 AND 200", name="ck_task_title_length"),
    )
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
# skillbook:end

# skillbook:exercise L03.schemas
class TaskCreate(TaskBase):
    pass


class TaskUpdate(SQLModel):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    status: str | None = None
    priority: int | None = Field(default=None, ge=1, le=5)
    context: dict | None = None
    project_id: int | None = None
    parent_id: int | None = None


class TaskRead(TaskBase):
    id: int
    created_at: datetime
# skillbook:end


def foreign_keys_on(dbapi_connection, connection_record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")  # SQLite leaves them off on every new connection
    cursor.close()


async def main() -> None:
    engine = create_async_engine(os.environ.get("DATABASE_URL", "sqlite+aiosqlite://"))
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", foreign_keys_on)
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    # skillbook:with L03.models
    async with AsyncSession(engine, expire_on_commit=False) as session:
        project = Project(name="launch")
        session.add(project)
        await session.commit()
    good = {"title": "write the post", "status": "pending", "priority": 3, "context": {"draft": 1},
            "created_at": datetime.now(UTC), "project_id": project.id}
    async with engine.begin() as conn:
        await conn.execute(insert(Task).values(**good))
    for change in ({"status": "finished"}, {"priority": 9}, {}):  # plain SQL: no Python validation on the way
        try:
            async with engine.begin() as conn:
                await conn.execute(insert(Task).values(**{**good, **change}))
        except DBAPIError as exc:  # IntegrityError (or DataError on PostgreSQL for a too-long VARCHAR)
            print(f"rejected {change or 'a second task with the same title'}:", str(exc.orig).splitlines()[0])
    async with AsyncSession(engine) as session:
        task = (await session.exec(select(Task))).one()
        print("stored:", task.title, task.context, "created_at tz:", task.created_at.tzinfo)
        await session.exec(delete(Project).where(Project.id == project.id))
        await session.commit()
        print("tasks left after deleting the project:", (await session.exec(select(func.count()).select_from(Task))).one())
    # skillbook:end
    # skillbook:with L03.schemas
    try:
        TaskCreate(title="", priority=9)
    except ValidationError as exc:
        print("TaskCreate refused:", ", ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors()))
    print("TaskUpdate sends only what was set:", TaskUpdate(priority=5).model_dump(exclude_unset=True))
    # skillbook:end
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.drop_all)  # leave a server database as it was
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
