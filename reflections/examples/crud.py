"""Async CRUD with SQLModel's AsyncSession: create, get, list with filters and stable pages, partial
update, delete, and a bulk insert in one commit.

Run: python examples/crud.py   (in-memory SQLite; DATABASE_URL=postgresql+asyncpg://... for PostgreSQL)
"""

import asyncio
import os

from sqlalchemy import event
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlmodel import Field, SQLModel, col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession


class TaskCreate(SQLModel):
    title: str = Field(min_length=1, max_length=200)
    priority: int = Field(default=3, ge=1, le=5)
    status: str = "pending"
    project_id: int | None = None


class Task(TaskCreate, table=True):
    id: int | None = Field(default=None, primary_key=True)


class TaskUpdate(SQLModel):
    """Every field optional: a client sends only what changes."""

    priority: int | None = Field(default=None, ge=1, le=5)
    title: str | None = Field(default=None, min_length=1, max_length=200)
    status: str | None = None

# skillbook:exercise L05.create_task
async def create_task(session: AsyncSession, data: TaskCreate) -> Task:
    task = Task.model_validate(data)
    session.add(task)
    await session.commit()
    await session.refresh(task)
    return task
# skillbook:end

# skillbook:exercise L05.get_task
async def get_task(session: AsyncSession, task_id: int) -> Task | None:
    return await session.get(Task, task_id)
# skillbook:end

# skillbook:exercise L05.list_tasks
async def list_tasks(session: AsyncSession, *, status: str | None = None, project_id: int | None = None,
                     limit: int = 20, offset: int = 0) -> list[Task]:
    statement = select(Task)
    if status is not None:
        statement = statement.where(Task.status == status)
    if project_id is not None:
        statement = statement.where(Task.project_id == project_id)
    return list((await session.exec(statement.order_by(col(Task.id)).offset(offset).limit(limit))).all())
# skillbook:end

# skillbook:exercise L05.update_task
async def update_task(session: AsyncSession, task_id: int, data: TaskUpdate) -> Task | None:
    task = await session.get(Task, task_id)
    if task is None:
        return None
    task.sqlmodel_update(data.model_dump(exclude_unset=True))
    await session.commit()
    await session.refresh(task)
    return task
# skillbook:end

# skillbook:exercise L05.delete_task
async def delete_task(session: AsyncSession, task_id: int) -> bool:
    task = await session.get(Task, task_id)
    if task is None:
        return False
    await session.delete(task)
    await session.commit()
    return True
# skillbook:end

# skillbook:exercise L05.create_tasks_bulk
async def create_tasks_bulk(session: AsyncSession, items: list[TaskCreate]) -> list[Task]:
    tasks = [Task.model_validate(item) for item in items]
    session.add_all(tasks)
    await session.commit()
    return tasks
# skillbook:end


async def main() -> None:
    engine = create_async_engine(os.environ.get("DATABASE_URL", "sqlite+aiosqlite://"))
    commits: list[int] = []
    event.listen(engine.sync_engine, "commit", lambda conn: commits.append(1))
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    Session = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
    async with Session() as session:
        seeded = [Task(title=f"seed {n}", priority=n, status="done" if n % 2 else "pending") for n in range(1, 6)]
        session.add_all(seeded)  # add is plain: it only records the objects
        await session.commit()
        # skillbook:with L05.create_task
        task = await create_task(session, TaskCreate(title="write the report", priority=2))
        print("created:", task.id, task.title, task.status)
        # skillbook:end
        # skillbook:with L05.get_task
        print("get:", (await get_task(session, seeded[0].id)).title, "| a missing id:", await get_task(session, 10_000))
        # skillbook:end
        # skillbook:with L05.list_tasks
        print("pages of two:", [[t.id for t in await list_tasks(session, limit=2, offset=o)] for o in (0, 2, 4)])
        print("pending:", [t.title for t in await list_tasks(session, status="pending")])
        # skillbook:end
        # skillbook:with L05.update_task
        updated = await update_task(session, seeded[1].id, TaskUpdate(priority=5))
        print("after a partial update:", updated.title, updated.priority, updated.status)
        # skillbook:end
        # skillbook:with L05.delete_task
        print("deleted:", await delete_task(session, seeded[2].id), "| again:", await delete_task(session, seeded[2].id))
        # skillbook:end
        # skillbook:with L05.create_tasks_bulk
        before = len(commits)
        bulk = await create_tasks_bulk(session, [TaskCreate(title=f"bulk {n}") for n in range(3)])
        print("bulk ids:", [t.id for t in bulk], "| commits it took:", len(commits) - before)
        # skillbook:end
    async with Session() as fresh:  # what was committed, seen from a new session
        print("tasks stored:", (await fresh.exec(select(func.count()).select_from(Task))).one())
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.drop_all)
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
