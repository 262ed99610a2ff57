"""All or nothing: one commit per unit of work, a rollback on every error, row locks for balances,
a savepoint per row for an import that keeps the good rows.

Run: python examples/transactions.py   (in-memory SQLite; DATABASE_URL=postgresql+asyncpg://... for PostgreSQL)
"""

import asyncio
import os
from dataclasses import dataclass, field

from pydantic import ValidationError
from sqlalchemy import CheckConstraint, UniqueConstraint, event, inspect
from sqlalchemy.exc import IntegrityError, PendingRollbackError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession


class Agent(SQLModel, table=True):
    __table_args__ = (CheckConstraint("credits >= 0", name="ck_agent_credits"),)  # the last line of defence
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    credits: int = 0


class Project(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str


class Task(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("project_id", "title"), CheckConstraint("priority BETWEEN 1 AND 5"))
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(min_length=1, max_length=200)
    priority: int = Field(default=3, ge=1, le=5)
    status: str = "pending"
    project_id: int | None = Field(default=None, foreign_key="project.id")


class UsageEntry(SQLModel, table=True):
    """The ledger: one row per charge."""

    id: int | None = Field(default=None, primary_key=True)
    agent_id: int = Field(foreign_key="agent.id")
    task_id: int | None = Field(default=None, foreign_key="task.id", ondelete="SET NULL")
    cost: int


class InsufficientCredits(ValueError):
    def __init__(self, agent_id: int, needed: int, available: int) -> None:
        super().__init__(f"agent {agent_id} needs {needed} credits but has {available}")


@dataclass
class ImportReport:
    imported: int = 0
    skipped: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (row index, reason)

# skillbook:exercise L07.transfer_credits
async def transfer_credits(session: AsyncSession, from_id: int, to_id: int, amount: int) -> None:
    if amount <= 0:
        raise ValueError("amount must be positive")
    try:
        statement = select(Agent).where(col(Agent.id).in_([from_id, to_id])).order_by(col(Agent.id)).with_for_update()
        agents = {a.id: a for a in (await session.exec(statement.execution_options(populate_existing=True))).all()}
        if len(agents) != len({from_id, to_id}):
            raise ValueError("unknown agent")
        if agents[from_id].credits < amount:
            raise InsufficientCredits(from_id, amount, agents[from_id].credits)
        agents[from_id].credits -= amount
        agents[to_id].credits += amount
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
# skillbook:end

# skillbook:exercise L07.charge_for_task
async def charge_for_task(session: AsyncSession, agent_id: int, task_id: int, cost: int) -> UsageEntry:
    if cost <= 0:
        raise ValueError("cost must be positive")
    try:
        agent = (await session.exec(select(Agent).where(Agent.id == agent_id).with_for_update())).first()
        task = await session.get(Task, task_id)
        if agent is None or task is None:
            raise ValueError("unknown agent or task")
        if agent.credits < cost:
            raise InsufficientCredits(agent_id, cost, agent.credits)
        agent.credits -= cost
        task.status = "in_progress"
        entry = UsageEntry(agent_id=agent_id, task_id=task_id, cost=cost)
        session.add(entry)
        await session.commit()
        return entry
    except BaseException:
        await session.rollback()
        raise
# skillbook:end

# skillbook:exercise L07.import_tasks
async def import_tasks(session: AsyncSession, project_id: int, rows: list[dict]) -> ImportReport:
    report = ImportReport()
    for index, row in enumerate(rows):
        try:
            async with session.begin_nested():
                session.add(Task.model_validate({**row, "project_id": project_id}))
        except (ValidationError, IntegrityError) as exc:
            report.errors.append((index, str(exc).splitlines()[0]))
        else:
            report.imported += 1
    report.skipped = len(report.errors)
    await session.commit()
    return report
# skillbook:end


def sqlite_transactions(engine: AsyncEngine) -> None:
    """SQLAlchemy's recipe: SQLite's driver sends no BEGIN before a SAVEPOINT, so a released savepoint
    would survive the outer ROLLBACK. Let SQLAlchemy emit BEGIN itself (and turn foreign keys on)."""

    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection, connection_record) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.cursor().execute("PRAGMA foreign_keys=ON")

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(conn) -> None:
        conn.exec_driver_sql("BEGIN")


async def balances(Session) -> dict[str, int]:
    async with Session() as session:
        return {a.name: a.credits for a in (await session.exec(select(Agent).order_by(col(Agent.id)))).all()}


async def main() -> None:
    engine = create_async_engine(os.environ.get("DATABASE_URL", "sqlite+aiosqlite://"))
    if engine.dialect.name == "sqlite":
        sqlite_transactions(engine)
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    Session = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
    async with Session() as session:
        planner, coder, project = Agent(name="planner", credits=100), Agent(name="coder", credits=20), Project(name="p")
        session.add_all([planner, coder, project])
        await session.commit()
        planner_id, coder_id, project_id = planner.id, coder.id, project.id
        task = Task(title="index the docs", project_id=project_id)
        session.add_all([task, Agent(name="planner")])  # a second "planner": UNIQUE says no
        try:
            await session.commit()
        except IntegrityError:
            try:
                await session.get(Agent, planner.id)
            except PendingRollbackError as exc:
                print("after a failed commit, before rollback():", str(exc).split(".")[0])
            await session.rollback()
            print("rollback() expired every object in the session, even untouched ones:", inspect(coder).expired)
            await session.refresh(coder)  # read it again explicitly: coder.credits would need implicit IO
        session.add(task)
        await session.commit()
    # skillbook:with L07.transfer_credits
    async with Session() as session:
        await transfer_credits(session, planner_id, coder_id, 30)
        print("after a transfer of 30:", await balances(Session))
        try:
            await transfer_credits(session, coder_id, planner_id, 500)
        except InsufficientCredits as exc:
            print("refused:", exc, "| balances:", await balances(Session))
    # skillbook:end
    # skillbook:with L07.charge_for_task
    async with Session() as session:
        entry = await charge_for_task(session, planner_id, task.id, 15)
        print(f"charged: ledger row {entry.id} of {entry.cost}; task is now", (await session.get(Task, task.id)).status)
    # skillbook:end
    # skillbook:with L07.import_tasks
    rows = [{"title": "write tests"}, {"title": ""}, {"title": "write tests"}, {"title": "deploy", "priority": 9},
            {"title": "deploy"}]
    async with Session() as session:
        report = await import_tasks(session, project_id, rows)
    print(f"import: {report.imported} imported, {report.skipped} skipped at rows", [index for index, _ in report.errors])
    # skillbook:end
    print("balances at the end:", await balances(Session))
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.drop_all)
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
