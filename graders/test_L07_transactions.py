"""Graders for L07: all-or-nothing changes, rollback after errors, savepoints, concurrent transfers.

Atomicity is checked by fault injection: a first call records which INSERT/UPDATE/DELETE statements the
learner's function sends; a second call makes the last of them fail (an IntegrityError raised by an
engine listener, as a constraint violation would be), and the check then looks at what a new session
sees and whether the learner's own session still works. Concurrency is checked on PostgreSQL only, with
many transfers at once, each in its own session: SQLite lets one writer in at a time, so it has no lost
updates to find.
"""

import asyncio
import contextlib

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError, PendingRollbackError
from sqlmodel import col, select

from skillbook.engine.graderkit import NotAnswered, call
from taskflow.errors import InsufficientCredits
from taskflow.models import Agent, Project, Task, UsageEntry

transfer = pytest.mark.exercise("L07.transfer_credits")
charge = pytest.mark.exercise("L07.charge_for_task")
import_tasks = pytest.mark.exercise("L07.import_tasks")

pytestmark = pytest.mark.usefixtures("taskflow_db")

WRITES = ("INSERT", "UPDATE", "DELETE")


# --- helpers -----------------------------------------------------------------------------------


class InjectedFault(Exception):
    """What the grader raises inside a write, standing in for the database refusing it."""


def writes(sql_log) -> list[str]:
    return [s for s in sql_log.statements if s.lstrip().upper().startswith(WRITES)]


@contextlib.contextmanager
def failing_write(engine, number: int):
    """The `number`-th INSERT/UPDATE/DELETE sent through `engine` fails with an IntegrityError."""
    seen = 0

    def before(conn, cursor, statement, parameters, context, executemany):
        nonlocal seen
        if statement.lstrip().upper().startswith(WRITES):
            seen += 1
            if seen == number:
                fault = InjectedFault("the grader made this write fail, as a constraint or a lost connection would")
                raise IntegrityError(statement, parameters, fault)

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    try:
        yield
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before)


async def make_agents(sessionmaker, *agents: tuple[str, int]) -> list[int]:
    async with sessionmaker() as session:
        rows = [Agent(name=name, credits=credits) for name, credits in agents]
        session.add_all(rows)
        await session.commit()
        return [row.id for row in rows]


async def balances(session, ids) -> dict[int, int]:
    rows = (await session.exec(select(Agent.id, Agent.credits).where(col(Agent.id).in_(ids)))).all()
    return dict(rows)


async def saved_balances(sessionmaker, ids) -> dict[int, int]:
    async with sessionmaker() as fresh:
        return await balances(fresh, ids)


async def still_usable(session, read, what: str):
    """Read through the learner's session after their function failed: it must work and show no partial change."""
    try:
        return await read(session)
    except PendingRollbackError:
        raise AssertionError(
            f"After the failed write your function left the session unusable: the caller's next query raised "
            f"PendingRollbackError. Wrap the work in try/except, `await session.rollback()` in the except "
            f"block, then re-raise (or use `async with session.begin():`). ({what})"
        ) from None


async def expect_error(kind, awaitable, message: str):
    """Await the learner's call; it must raise `kind` (our own NotAnswered passes through)."""
    try:
        await awaitable
    except NotAnswered:
        raise
    except kind as exc:
        return exc
    except Exception as exc:
        raise AssertionError(f"{message} It raised {type(exc).__name__} instead: {str(exc).splitlines()[0][:160]}") from None
    raise AssertionError(f"{message} It returned without raising.")


@pytest.fixture
def postgres_only(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent transfers are checked on PostgreSQL; SQLite lets one writer in at a time")


# --- transfer_credits --------------------------------------------------------------------------


@transfer
async def test_transfer_moves_the_credits(learner, sessionmaker):
    """Does a transfer take the amount from one agent and give it to the other, for good?"""
    a, b, c = await make_agents(sessionmaker, ("planner", 100), ("coder", 20), ("bystander", 5))
    async with sessionmaker() as session:
        await call(learner.transfer_credits, session, a, b, 30)
    after = await saved_balances(sessionmaker, [a, b, c])
    assert after == {a: 70, b: 50, c: 5}, (
        f"After transferring 30 from an agent with 100 to one with 20, a new session sees {after[a]} and "
        f"{after[b]} (expected 70 and 50). Change both balances, then `await session.commit()`."
    )


@transfer
async def test_transfer_refuses_when_credits_are_short(learner, sessionmaker):
    """Does a transfer of more than the payer has raise InsufficientCredits and change nothing?"""
    a, b = await make_agents(sessionmaker, ("planner", 10), ("coder", 20))
    async with sessionmaker() as session:
        await expect_error(
            InsufficientCredits, call(learner.transfer_credits, session, a, b, 30),
            "Transferring 30 from an agent with 10 credits should raise InsufficientCredits (from taskflow.errors): "
            "check the balance before you change anything.",
        )
        seen = await still_usable(session, lambda s: balances(s, [a, b]), "after InsufficientCredits")
    assert seen == {a: 10, b: 20}, f"After the refused transfer your session still holds changed balances {seen}: roll back."
    after = await saved_balances(sessionmaker, [a, b])
    assert after == {a: 10, b: 20}, f"A refused transfer changed the saved balances to {after}; both must stay as they were."


@transfer
async def test_transfer_rejects_bad_arguments(learner, sessionmaker):
    """Do a non-positive amount and an unknown agent raise ValueError and change nothing?"""
    a, b = await make_agents(sessionmaker, ("planner", 100), ("coder", 20))
    cases = [((a, b, 0), "an amount of 0"), ((a, b, -25), "a negative amount"),
             ((a, b + 1000, 10), "an unknown payee"), ((a + 1000, b, 10), "an unknown payer")]
    for args, what in cases:
        async with sessionmaker() as session:
            await expect_error(
                ValueError, call(learner.transfer_credits, session, *args),
                f"A transfer with {what} should raise ValueError.",
            )
        after = await saved_balances(sessionmaker, [a, b])
        assert after == {a: 100, b: 20}, (
            f"A transfer with {what} changed the saved balances to {after[a]} and {after[b]} (from 100 and 20): "
            "check the arguments, and that both agents exist, before (or by) changing anything, and roll back."
        )


@pytest.mark.exercise("L07.transfer_credits", weight=2)
async def test_transfer_is_all_or_nothing_when_a_write_fails(learner, engine, sessionmaker, sql_log):
    """When the transfer's last write fails, is nothing saved, is the error raised, and does the session still work?"""
    a, b, c, d = await make_agents(sessionmaker, ("p1", 100), ("c1", 20), ("p2", 100), ("c2", 20))
    sql_log.clear()
    async with sessionmaker() as session:
        await call(learner.transfer_credits, session, a, b, 30)
    sent = writes(sql_log)
    assert sent, "transfer_credits sent no INSERT or UPDATE at all: change the balances and commit."
    async with sessionmaker() as session:
        with failing_write(engine, len(sent)):
            await expect_error(
                Exception, call(learner.transfer_credits, session, c, d, 30),
                "When a write of the transfer fails, transfer_credits must let the error reach the caller.",
            )
        seen = await still_usable(session, lambda s: balances(s, [c, d]), "the transfer's last write failed")
        saved = await saved_balances(sessionmaker, [c, d])
        assert saved == {c: 100, d: 20}, (
            f"The transfer's last write failed, yet a new session sees balances {saved[c]} and {saved[d]} (from 100 "
            "and 20): part of the transfer was committed. Commit once, after every change, and roll back on error."
        )
        assert seen == {c: 100, d: 20}, (
            f"After the failed write your session still holds the transfer's first change ({seen[c]} and {seen[d]}); "
            "the caller's next commit would save half a transfer. `await session.rollback()` before re-raising."
        )


@pytest.mark.exercise("L07.transfer_credits", weight=2)
async def test_concurrent_transfers_lose_nothing(learner, sessionmaker, postgres_only):
    """With 12 transfers at once (each in its own session), is every credit accounted for, in every round?"""
    a, b = await make_agents(sessionmaker, ("payer", 100), ("payee", 0))

    async def one(source: int, target: int) -> str:
        async with sessionmaker() as session:
            try:
                await call(learner.transfer_credits, session, source, target, 10)
            except NotAnswered:
                raise
            except InsufficientCredits:
                return "refused"
            except Exception as exc:
                return f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
        return "done"

    for source, target in ((a, b), (b, a), (a, b)):
        before = await saved_balances(sessionmaker, [a, b])
        outcomes = await asyncio.gather(*(one(source, target) for _ in range(12)))
        after = await saved_balances(sessionmaker, [a, b])
        failures = sorted({o for o in outcomes if o not in ("done", "refused")})
        assert not failures, (
            f"Some of 12 concurrent transfers failed with errors other than InsufficientCredits: {failures}. "
            "Lock both rows in a fixed order (by id) with .with_for_update(), or debit with one conditional UPDATE."
        )
        done = outcomes.count("done")
        assert sum(after.values()) == sum(before.values()) and min(after.values()) >= 0, (
            f"12 concurrent transfers turned balances {before} into {after}: credits were created or destroyed."
        )
        moved = before[source] - after[source]
        assert moved == 10 * done, (
            f"{done} concurrent transfers of 10 reported success, but only {moved} credits moved: updates were lost. "
            "Reading a balance, then writing `credits = old - amount`, overwrites what another transfer wrote "
            "meanwhile. Lock the rows first (select(...).with_for_update(), in id order) or let the database "
            "compute: update(Agent).where(Agent.credits >= amount).values(credits=Agent.credits - amount)."
        )
        assert done == min(12, before[source] // 10), (
            f"Only {done} of 12 concurrent transfers of 10 went through while the payer had {before[source]} "
            "credits: transfers were refused that should have waited for the row lock and succeeded."
        )


# --- charge_for_task ---------------------------------------------------------------------------


async def charge_setup(sessionmaker, credits: int = 50) -> tuple[int, int]:
    (agent,) = await make_agents(sessionmaker, ("worker", credits))
    async with sessionmaker() as session:
        task = Task(title="index the repository", project=Project(name="billing"))
        session.add(task)
        await session.commit()
        return agent, task.id


async def charge_state(session, agent_id: int, task_id: int) -> tuple[int, list[int], str]:
    """(credits, ledger costs, task status)."""
    credits = (await session.exec(select(Agent.credits).where(Agent.id == agent_id))).one()
    costs = list((await session.exec(select(UsageEntry.cost).where(UsageEntry.agent_id == agent_id))).all())
    status = (await session.exec(select(Task.status).where(Task.id == task_id))).one()
    return credits, sorted(costs), status


async def saved_charge_state(sessionmaker, agent_id: int, task_id: int):
    async with sessionmaker() as fresh:
        return await charge_state(fresh, agent_id, task_id)


@pytest.mark.exercise("L07.charge_for_task", weight=2)
async def test_charge_debits_records_and_starts_the_task(learner, sessionmaker):
    """Does a charge debit the agent, add a ledger row, mark the task in_progress, and return the entry?"""
    agent, task = await charge_setup(sessionmaker)
    async with sessionmaker() as session:
        entry = await call(learner.charge_for_task, session, agent, task, 15)
        assert isinstance(entry, UsageEntry), f"charge_for_task returned {type(entry).__name__}; return the UsageEntry."
        got = (entry.id, entry.agent_id, entry.task_id, entry.cost)
    assert isinstance(got[0], int) and got[1:] == (agent, task, 15), (
        f"charge_for_task returned an entry with (id, agent_id, task_id, cost) = {got}; expected a saved entry "
        f"for agent {agent}, task {task}, cost 15."
    )
    state = await saved_charge_state(sessionmaker, agent, task)
    assert state == (35, [15], "in_progress"), (
        f"After charging 15 to an agent with 50, a new session sees credits {state[0]}, ledger costs {state[1]} "
        f"and task status {state[2]!r}; expected 35, [15] and 'in_progress', all committed together."
    )


@charge
async def test_charge_refuses_when_credits_are_short(learner, sessionmaker):
    """Does charging more than the agent has raise InsufficientCredits and leave all three things unchanged?"""
    agent, task = await charge_setup(sessionmaker, credits=10)
    async with sessionmaker() as session:
        await expect_error(
            InsufficientCredits, call(learner.charge_for_task, session, agent, task, 15),
            "Charging 15 to an agent with 10 credits should raise InsufficientCredits (from taskflow.errors).",
        )
    state = await saved_charge_state(sessionmaker, agent, task)
    assert state == (10, [], "pending"), (
        f"A refused charge left credits {state[0]}, ledger costs {state[1]}, task status {state[2]!r}; "
        "nothing may change: check the balance first, and roll back on any error."
    )


@charge
async def test_charge_rejects_bad_arguments(learner, sessionmaker):
    """Do an unknown agent, an unknown task and a non-positive cost raise ValueError and change nothing?"""
    agent, task = await charge_setup(sessionmaker)
    for args, what in (((agent + 1000, task, 5), "an unknown agent"), ((agent, task + 1000, 5), "an unknown task"),
                       ((agent, task, 0), "a cost of 0")):
        async with sessionmaker() as session:
            await expect_error(ValueError, call(learner.charge_for_task, session, *args), f"A charge with {what} should raise ValueError.")
        state = await saved_charge_state(sessionmaker, agent, task)
        assert state == (50, [], "pending"), (
            f"A charge with {what} changed what is saved (credits {state[0]}, ledger {state[1]}, status {state[2]!r})."
        )


@pytest.mark.exercise("L07.charge_for_task", weight=2)
async def test_charge_is_all_or_nothing_when_a_write_fails(learner, engine, sessionmaker, sql_log):
    """When the charge's last write fails, is nothing saved, is the error raised, and does the session still work?"""
    agent, task = await charge_setup(sessionmaker)
    (other,) = await make_agents(sessionmaker, ("second", 50))
    sql_log.clear()
    async with sessionmaker() as session:
        await call(learner.charge_for_task, session, other, task, 5)
    sent = writes(sql_log)
    assert len(sent) >= 2, f"charge_for_task sent {len(sent)} writes; it must debit, add a ledger row and update the task."
    async with sessionmaker() as fresh:
        task_row = await fresh.get(Task, task)
        task_row.status = "pending"
        await fresh.commit()
    async with sessionmaker() as session:
        with failing_write(engine, len(sent)):
            await expect_error(
                Exception, call(learner.charge_for_task, session, agent, task, 15),
                "When a write of the charge fails, charge_for_task must let the error reach the caller.",
            )
        seen = await still_usable(session, lambda s: charge_state(s, agent, task), "the charge's last write failed")
        saved = await saved_charge_state(sessionmaker, agent, task)
        assert saved == (50, [], "pending"), (
            f"The charge's last write failed, yet a new session sees credits {saved[0]}, ledger {saved[1]} and "
            f"status {saved[2]!r}: part of the charge was committed. Make every change, then commit once."
        )
        assert seen == (50, [], "pending"), (
            f"After the failed write your session still holds part of the charge ({seen}); roll back before re-raising."
        )


# --- import_tasks ------------------------------------------------------------------------------

ROWS = [
    {"title": "fetch the data", "priority": 2},  # 0 good
    {"title": "", "priority": 3},  # 1 empty title
    {"title": "clean the data", "priority": 9},  # 2 priority out of range
    {"title": "fetch the data"},  # 3 same title as row 0, in the same project
    {"title": "train the model", "status": "archived"},  # 4 a status the database refuses
    {"title": "already there"},  # 5 same title as a task saved before the import
    {"title": "deploy", "priority": 5, "context": {"env": "prod"}},  # 6 good
    {"priority": 1},  # 7 no title
    {"title": "write the report"},  # 8 good
]
GOOD = [0, 6, 8]
BAD = [1, 2, 3, 4, 5, 7]


async def import_setup(sessionmaker) -> int:
    async with sessionmaker() as session:
        project = Project(name="pipeline", tasks=[Task(title="already there")])
        session.add_all([project, Project(name="elsewhere", tasks=[Task(title="deploy")])])
        await session.commit()
        return project.id


async def run_import(learner, sessionmaker, project_id: int):
    try:
        async with sessionmaker() as session:
            return await call(learner.import_tasks, session, project_id, [dict(row) for row in ROWS])
    except IntegrityError as exc:
        raise AssertionError(
            f"import_tasks stopped with IntegrityError ({str(exc.orig).splitlines()[0]}): a row the database "
            "refuses must be skipped and reported, not end the import. Add each row inside its own savepoint "
            "(`async with session.begin_nested():`) and catch the IntegrityError outside it."
        ) from None


def report_fields(report) -> tuple[int, int, list]:
    missing = [name for name in ("imported", "skipped", "errors") if not hasattr(report, name)]
    assert not missing, (
        f"import_tasks returned {type(report).__name__}, which has no {', '.join(missing)}: return an "
        "ImportReport(imported=..., skipped=..., errors=[(row index, reason), ...])."
    )
    errors = list(report.errors)
    for item in errors:
        ok = isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[0], int)
        assert ok and isinstance(item[1], str) and item[1].strip(), (
            f"ImportReport.errors holds {item!r}; each entry should be (row index, a non-empty reason)."
        )
    return report.imported, report.skipped, errors


@pytest.mark.exercise("L07.import_tasks", weight=3)
async def test_import_keeps_good_rows_and_reports_bad_ones(learner, sessionmaker):
    """Are the good rows saved, every bad row skipped with its index and a reason, and the report right?"""
    project_id = await import_setup(sessionmaker)
    report = await run_import(learner, sessionmaker, project_id)
    imported, skipped, errors = report_fields(report)
    async with sessionmaker() as fresh:
        titles = sorted((await fresh.exec(select(Task.title).where(Task.project_id == project_id))).all())
    want = sorted(["already there"] + [ROWS[i]["title"] for i in GOOD])
    assert titles == want, (
        f"After the import the project holds {titles}; expected {want}. Every good row must be kept even when "
        "other rows fail: give each row its own savepoint (`async with session.begin_nested():`), so a failing "
        "row rolls back alone, and commit once at the end."
    )
    indexes = sorted(index for index, _ in errors)
    assert indexes == BAD, (
        f"ImportReport.errors names rows {indexes}; the bad rows are {BAD} (counting from 0): an empty title, "
        "priority 9, a title repeated in the project, a status the database refuses, a title that already "
        "existed, and a missing title."
    )
    assert (imported, skipped) == (len(GOOD), len(BAD)), (
        f"ImportReport says imported={imported}, skipped={skipped}; expected {len(GOOD)} and {len(BAD)}."
    )


@import_tasks
async def test_import_is_one_transaction(learner, sessionmaker, sql_log):
    """Is the whole import one transaction, with a single COMMIT at the end?"""
    project_id = await import_setup(sessionmaker)
    sql_log.clear()
    await run_import(learner, sessionmaker, project_id)
    assert sql_log.commits == 1, (
        f"import_tasks committed {sql_log.commits} times. Keep the batch in one transaction, with a savepoint "
        "per row for the rows that fail, and commit once at the end: a crash halfway then leaves nothing "
        "half-imported."
    )
