"""A first table model: an id the database assigns, a default, and a timezone-aware UTC timestamp.

Run: python examples/first_model.py   (in-memory SQLite; DATABASE_URL=postgresql+asyncpg://... for PostgreSQL)
"""

import asyncio
import os
from datetime import UTC, datetime

from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

# skillbook:exercise L00.task_model
class Task(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)  # None until the INSERT numbers it
    title: str
    status: str = "pending"
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))  # runs for every new row
# skillbook:end


async def main() -> None:
    engine = create_async_engine(os.environ.get("DATABASE_URL", "sqlite+aiosqlite://"))
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)  # a demo; real projects use Alembic
    # skillbook:with L00.task_model
    async with AsyncSession(engine) as session:
        session.add_all([Task(title="Draft my learning spec"), Task(title="Write the description")])
        await session.commit()
        tasks = (await session.exec(select(Task).order_by(Task.id))).all()
    for task in tasks:
        print(f"task {task.id}: {task.title!r}, status={task.status}, created_at={task.created_at.isoformat()}")
    async with AsyncSession(engine) as session:
        session.add(Task(title="naive", created_at=datetime(2026, 1, 1)))  # no tzinfo
        try:
            await session.commit()
        except StatementError as exc:  # sqlmodel refuses naive datetimes
            print("naive datetime refused:", str(exc.orig).split(".")[0])
    # skillbook:end
    print("tables:", sorted(SQLModel.metadata.tables))
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.drop_all)  # the in-memory database ends here
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
