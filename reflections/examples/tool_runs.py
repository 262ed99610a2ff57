"""An agent's tool-run history in a table with constraints: load a batch all or nothing, ask SQL.

Run: python examples/tool_runs.py   (DATABASE_URL selects the database; default in-memory SQLite)
"""

import asyncio
import os

from sqlalchemy import CheckConstraint, Column, Integer, MetaData, String, Table, case, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

metadata = MetaData()

tool_runs = Table(
    "example_tool_run",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", String(64), nullable=False, unique=True),
    Column("agent", String(100), nullable=False),
    Column("tool", String(100), nullable=False),
    Column("status", String(10), nullable=False),
    Column("duration_ms", Integer, nullable=False),
    CheckConstraint("length(tool) > 0", name="ck_example_tool_run_tool"),
    CheckConstraint("status IN ('ok', 'error', 'timeout')", name="ck_example_tool_run_status"),
    CheckConstraint("duration_ms >= 0", name="ck_example_tool_run_duration"),
)


async def load_runs(conn: AsyncConnection, runs: list[dict]) -> int:
    """Store a batch in one transaction: all of it, or (on any rejected run) none of it."""
    if not runs:
        return 0
    async with conn.begin():
        await conn.execute(insert(tool_runs), runs)
    return len(runs)


async def failure_rate_by_tool(conn: AsyncConnection) -> dict[str, float]:
    failed = case((tool_runs.c.status.in_(["error", "timeout"]), 1.0), else_=0.0)
    rows = (await conn.execute(select(tool_runs.c.tool, func.avg(failed)).group_by(tool_runs.c.tool))).all()
    return {tool: float(rate) for tool, rate in rows}


def run(i: int, tool: str, status: str) -> dict:
    return {"run_id": f"example-{i}", "agent": "planner", "tool": tool, "status": status, "duration_ms": 100 * i}


async def main() -> None:
    engine = create_async_engine(os.environ.get("DATABASE_URL", "sqlite+aiosqlite://"))
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    try:
        async with engine.connect() as conn:
            good = [run(1, "web_search", "ok"), run(2, "web_search", "timeout"), run(3, "send_email", "ok")]
            print("stored:", await load_runs(conn, good))
            try:
                await load_runs(conn, [run(4, "web_search", "ok"), run(5, "", "finished")])
            except IntegrityError as exc:
                print("rejected the whole batch:", str(exc.orig).splitlines()[0])
            print("failure rates:", await failure_rate_by_tool(conn))
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
