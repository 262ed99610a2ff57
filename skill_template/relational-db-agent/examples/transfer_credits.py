"""Atomic credit transfers: a CHECK constraint, rollback, row locks, a conditional UPDATE, savepoints.

Run it:
    python transfer_credits.py                        # in-memory SQLite (aiosqlite)
    DATABASE_URL=postgresql+asyncpg://USER:PASSWORD@HOST:5432/DB python transfer_credits.py

What it shows:
- the database enforcing credits >= 0 with a CHECK constraint (the last line of defence);
- transfer_credits(): both balances and a ledger row change together or not at all;
- locking both rows in a fixed order (SELECT ... FOR UPDATE on PostgreSQL) and re-reading them
  with populate_existing, so a stale copy in the session is never used;
- debit_if_enough(): one conditional UPDATE, safe under concurrency without explicit locks;
- a savepoint per item in a batch, with SQLAlchemy's SQLite savepoint recipe applied.
"""

import asyncio
import os
from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, event, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import registry
from sqlalchemy.pool import StaticPool
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession


class Base(SQLModel, registry=registry()):
    pass


class Agent(Base, table=True):
    __tablename__ = "demo_tx_agent"
    __table_args__ = (CheckConstraint("credits >= 0", name="ck_demo_tx_agent_credits"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=100)
    credits: int = Field(default=0)


class Transfer(Base, table=True):
    """Ledger: one row per successful transfer."""

    __tablename__ = "demo_tx_transfer"

    id: int | None = Field(default=None, primary_key=True)
    from_id: int = Field(foreign_key="demo_tx_agent.id")
    to_id: int = Field(foreign_key="demo_tx_agent.id")
    amount: int
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class InsufficientCredits(ValueError):
    """The paying agent does not have enough credits."""


def make_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True)
    memory = parsed.database in (None, "", ":memory:")
    engine = create_async_engine(url, poolclass=StaticPool) if memory else create_async_engine(url)

    # SQLAlchemy's recipe: the driver must not manage transactions itself, or a SAVEPOINT can
    # run without a BEGIN and a released savepoint then survives the outer ROLLBACK.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN")

    return engine


async def _move(session: AsyncSession, from_id: int, to_id: int, amount: int) -> None:
    """Move credits inside the caller's transaction; commits nothing."""
    if amount <= 0:
        raise ValueError("amount must be positive")
    if from_id == to_id:
        raise ValueError("cannot transfer to the same agent")
    statement = (
        select(Agent)
        .where(col(Agent.id).in_([from_id, to_id]))
        .order_by(col(Agent.id))  # always lock in the same order: no deadlocks between transfers
        .with_for_update()  # PostgreSQL row locks; SQLite ignores it (one writer at a time anyway)
        .execution_options(populate_existing=True)  # overwrite stale copies in the identity map
    )
    agents = {agent.id: agent for agent in (await session.exec(statement)).all()}
    if from_id not in agents or to_id not in agents:
        raise ValueError(f"unknown agent in transfer {from_id} -> {to_id}")
    source, target = agents[from_id], agents[to_id]
    if source.credits < amount:
        raise InsufficientCredits(f"{source.name} has {source.credits}, needs {amount}")
    source.credits -= amount
    target.credits += amount
    session.add(Transfer(from_id=from_id, to_id=to_id, amount=amount))
    await session.flush()  # the CHECK constraint and foreign keys are checked here


async def transfer_credits(session: AsyncSession, from_id: int, to_id: int, amount: int) -> None:
    """All or nothing: on any error both balances stay as they were."""
    try:
        await _move(session, from_id, to_id, amount)
        await session.commit()
    except BaseException:
        await session.rollback()  # also clears the session's failed state (PendingRollbackError)
        raise


async def debit_if_enough(session: AsyncSession, agent_id: int, amount: int) -> bool:
    """One statement: the check and the write happen atomically in the database."""
    result = await session.exec(
        update(Agent)
        .where(col(Agent.id) == agent_id, col(Agent.credits) >= amount)
        .values(credits=col(Agent.credits) - amount)
    )
    await session.commit()
    return result.rowcount == 1


async def apply_batch(session: AsyncSession, items: list[tuple[int, int, int]], *, commit: bool = True) -> list[str]:
    """A savepoint per transfer: bad items are skipped with a reason, good ones are kept."""
    errors = []
    for index, (from_id, to_id, amount) in enumerate(items):
        try:
            async with session.begin_nested():
                await _move(session, from_id, to_id, amount)
        except (ValueError, IntegrityError) as exc:
            errors.append(f"item {index}: {exc}")
    if commit:
        await session.commit()
    else:
        await session.rollback()
    return errors


async def balances(session_factory: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with session_factory() as session:
        agents = (await session.exec(select(Agent).order_by(col(Agent.id)))).all()
        return {agent.name: agent.credits for agent in agents}


async def main() -> None:
    engine = make_engine(os.environ.get("DATABASE_URL") or "sqlite+aiosqlite://")
    session_factory = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)

    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    try:
        async with session_factory() as session:
            planner, coder = Agent(name="planner", credits=100), Agent(name="coder", credits=20)
            session.add_all([planner, coder])
            await session.commit()
            a, b = planner.id, coder.id
            assert a is not None and b is not None

        async with session_factory() as session:
            await transfer_credits(session, a, b, 30)
        print(f"after transfer of 30: {await balances(session_factory)}")

        async with session_factory() as session:
            try:
                await transfer_credits(session, b, a, 500)
            except InsufficientCredits as exc:
                print(f"refused: {exc}; balances {await balances(session_factory)}")

        # The CHECK constraint catches what application code forgot to check.
        async with session_factory() as session:
            agent = await session.get(Agent, b)
            assert agent is not None
            agent.credits = -1
            try:
                await session.commit()
            except IntegrityError:
                await session.rollback()
                print("CHECK credits >= 0 rejected a negative balance")

        async with session_factory() as session:
            ok = await debit_if_enough(session, b, 40)
            too_much = await debit_if_enough(session, b, 1000)
        print(f"conditional UPDATE: 40 -> {ok}, 1000 -> {too_much}; {await balances(session_factory)}")

        batch = [(a, b, 10), (b, a, 9999), (a, 999, 1), (b, a, 5)]
        async with session_factory() as session:
            await apply_batch(session, batch, commit=False)
        print(f"batch rolled back as a whole: {await balances(session_factory)}")
        async with session_factory() as session:
            errors = await apply_batch(session, batch)
        print(f"batch committed with {len(errors)} skipped: {await balances(session_factory)}")

        if engine.dialect.name == "postgresql":
            # Ten concurrent debits of 30 from 65 credits: each in its own session; exactly 2 succeed.
            async def one_debit() -> bool:
                async with session_factory() as session:
                    return await debit_if_enough(session, a, 30)

            results = await asyncio.gather(*(one_debit() for _ in range(10)))
            print(f"concurrent debits succeeded: {sum(results)}; {await balances(session_factory)}")
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.drop_all)
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
