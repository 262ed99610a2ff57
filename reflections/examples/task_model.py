"""A first SQLModel table model, saved and read back with an async session.

Run: python examples/task_model.py   (DATABASE_URL selects the database; default in-memory SQLite)
"""

import asyncio
import os
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import registry
from sqlalchemy.pool import StaticPool
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession


class Base(SQLModel, registry=registry()):
    """A registry of this example's own, so it can be imported beside other examples."""


class Task(Base, table=True):
    __tablename__ = "example_task"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(min_length=1, max_length=200)
    status: str = "pending"
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


async def main() -> None:
    url = os.environ.get("DATABASE_URL", "sqlite+aiosqlite://")
    # In-memory SQLite needs one shared connection; a server database gets a normal pool.
    options = {"poolclass": StaticPool} if url == "sqlite+aiosqlite://" else {"pool_pre_ping": True}
    engine = create_async_engine(url, **options)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            task = Task(title="Write the skill description")
            session.add(task)
            await session.commit()
            print(f"saved task {task.id}: {task.title!r}, status={task.status}")
        async with AsyncSession(engine) as session:
            saved = (await session.exec(select(Task).where(Task.id == task.id))).one()
            print(f"read back: created_at={saved.created_at.isoformat()} (timezone: {saved.created_at.tzinfo})")
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.drop_all)
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
