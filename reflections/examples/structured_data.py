"""An agent's tool-run history in a table whose rules the database enforces: a batch stored all or
nothing, and a question answered by one GROUP BY instead of a Python loop.

Run: python examples/structured_data.py   (in-memory SQLite; DATABASE_URL=postgresql+asyncpg://... for PostgreSQL)
"""

import asyncio
import os

from sqlalchemy import CheckConstraint, Column, Integer, String, Table, case, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlmodel import SQLModel

# On SQLModel.metadata, beside any table models, so create_all and Alembic see it.
tool_runs = Table(
    "tool_run",
    SQLModel.metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", String(64), nullable=False, unique=True),  # a retried upload cannot count twice
    Column("agent", String(100), nullable=False),
    Column("tool", String(100), nullable=False),
    Column("status", String(10), nullable=False),
    Column("duration_ms", Integer, nullable=False),
    CheckConstraint("length(tool) > 0", name="ck_tool_run_tool"),
    CheckConstraint("status IN ('ok', 'error', 'timeout')", name="ck_tool_run_status"),
    CheckConstraint("duration_ms >= 0", name="ck_tool_run_duration"),
)

# skillbook:exercise L01.load_runs
async def load_runs(conn: AsyncConnection, runs: list[dict]) -> int:
    if not runs:
        return 0
    async with conn.begin():
        await conn.execute(insert(tool_runs), runs)
    return len(runs)
# skillbook:end

# skillbook:exercise L01.failure_rate_by_tool
async def failure_rate_by_tool(conn: AsyncConnection) -> dict[str, float]:
    failed = case((tool_runs.c.status.in_(["error", "timeout"]), 1.0), else_=0.0)
    rows = await conn.execute(select(tool_runs.c.tool, func.avg(failed)).group_by(tool_runs.c.tool))
    return {tool: float(rate) for tool, rate in rows}
# skillbook:end


def run(number: int, tool: str, status: str, duration_ms: int = 120) -> dict:
    return {"run_id": f"run-{number}", "agent": "planner", "tool": tool, "status": status, "duration_ms": duration_ms}


async def main() -> None:
    engine = create_async_engine(os.environ.get("DATABASE_URL", "sqlite+aiosqlite://"))
    history = [run(1, "web_search", "ok"), run(2, "web_search", "timeout"), run(3, "send_email", "error"),
               run(4, "send_email", "ok"), run(5, "read_file", "ok")]
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
        await conn.execute(insert(tool_runs), history)  # the history so far: one statement, many rows
    async with engine.connect() as conn:
        # skillbook:with L01.load_runs
        print("stored:", await load_runs(conn, [run(6, "read_file", "ok"), run(7, "web_search", "error")]))
        try:  # one bad run (empty tool, unknown status) rejects the whole batch
            await load_runs(conn, [run(8, "web_search", "ok"), run(9, "", "finished")])
        except IntegrityError as exc:
            print("batch rejected:", str(exc.orig).splitlines()[0])
        print("rows after the rejected batch:", await conn.scalar(select(func.count()).select_from(tool_runs)))
        # skillbook:end
        # skillbook:with L01.failure_rate_by_tool
        for tool, rate in sorted((await failure_rate_by_tool(conn)).items()):
            print(f"{tool:11} {rate:.0%} of runs failed")
        # skillbook:end
        print("tools:", (await conn.execute(select(func.count(func.distinct(tool_runs.c.tool))))).scalar_one())
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.drop_all)  # gone with the connection anyway on SQLite
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
