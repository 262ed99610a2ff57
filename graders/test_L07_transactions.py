"""Graders for L07: all-or-nothing changes, rollback after errors, savepoints, concurrent writers.

Atomicity is checked by fault injection: a first call records which INSERT/UPDATE/DELETE statements the
learner's function sends; a second call makes the last of them fail (an IntegrityError raised by an
engine listener, as a constraint violation would be), and the check then looks at what a new session
sees and whether the learner's own session still works.

Lost updates are forced, not hoped for: an Interloper (another agent's transaction) moves credits
just before the learner's function sends its first write, that is after it read the balances. On
PostgreSQL it is a real second session that commits; it takes its row locks with NOWAIT, and a row
the learner locked (SELECT ... FOR UPDATE) makes it wait until the learner's function returns, as it
would in production. SQLite lets one writer in at a time and ignores FOR UPDATE, so there the
Interloper writes inside the learner's own transaction (what a commit by another transaction looks
like to a READ COMMITTED reader) and honours the rows the learner's queries asked to lock. Either way
a read-modify-write (`agent.credits -= amount` on a balance read earlier) overwrites the Interloper's
change, and a conditional UPDATE or a row lock keeps it, on both databases.
"""

import contextlib

import pytest
from sqlalchemy import event, update
from sqlalchemy.exc import DBAPIError, IntegrityError, PendingRollbackError
from sqlalchemy.util import await_only
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


Move = tuple[int, int, int]  # (from agent, to agent, credits)


class Interloper:
    """Another agent's transaction that moves credits after the learner's reads, before their first write."""

    def __init__(self, engine, sessionmaker, *moves: Move):
        self.engine, self.sessionmaker, self.moves = engine, sessionmaker, moves
        self.applied: list[Move] = []  # moves that took effect, in the end
        self.fired = False
        self.inside: list[Move] = []  # SQLite: moves written inside the learner's transaction
        self.waiting: list[Move] = []  # moves that found a row the learner had locked
        self.locked: set[int] | None = set()  # SQLite: agents the learner selected FOR UPDATE (None: all)
        self.learner_committed = False

    @contextlib.contextmanager
    def racing(self, session):
        """While the block runs, interfere once: just before the first INSERT/UPDATE/DELETE through the engine."""
        sqlite = self.engine.dialect.name == "sqlite"

        def before_write(conn, cursor, statement, parameters, context, executemany):
            if not self.fired and statement.lstrip().upper().startswith(WRITES):
                self.fired = True
                self._write_inside(conn) if sqlite else self._commit_beside()

        def on_commit(conn):
            self.learner_committed |= self.fired

        def note_locks(state):  # SQLite ignores FOR UPDATE: remember which agents the learner meant to lock
            if state.is_select and getattr(state.statement, "_for_update_arg", None) is not None:
                frozen = state.invoke_statement().freeze()
                rows = frozen().all()
                ids = {value.id for row in rows for value in row if isinstance(value, Agent)}
                self.locked = None if self.locked is None or (rows and not ids) else self.locked | ids
                return frozen()

        listeners = [(self.engine.sync_engine, "before_cursor_execute", before_write),
                     (self.engine.sync_engine, "commit", on_commit)]
        if sqlite:
            listeners.append((session.sync_session, "do_orm_execute", note_locks))
        for target, name, fn in listeners:
            event.listen(target, name, fn)
        try:
            yield self
        finally:
            for target, name, fn in listeners:
                event.remove(target, name, fn)

    def _commit_beside(self) -> None:
        """PostgreSQL: a second session commits each move now, or waits for the learner if a row is locked."""
        for move in self.moves:
            done = await_only(self._commit(move, nowait=True))
            (self.waiting if done is None else self.applied if done else []).append(move)

    def _write_inside(self, conn) -> None:
        """SQLite: write each move inside the learner's transaction, unless they locked one of its rows."""
        cursor = conn.connection.cursor()
        try:
            for source, target, amount in self.moves:
                if self.locked is None or {source, target} & self.locked:
                    self.waiting.append((source, target, amount))
                    continue
                cursor.execute("UPDATE agent SET credits = credits - ? WHERE id = ? AND credits >= ?",
                               (amount, source, amount))
                if cursor.rowcount == 1:
                    cursor.execute("UPDATE agent SET credits = credits + ? WHERE id = ?", (amount, target))
                    self.inside.append((source, target, amount))
        finally:
            cursor.close()

    async def _commit(self, move: Move, nowait: bool) -> bool | None:
        """Move the credits in a session of its own: True if moved, False if short, None if a row was locked."""
        source, target, amount = move
        async with self.sessionmaker() as other:
            try:
                if nowait:
                    await other.exec(select(Agent.id).where(col(Agent.id).in_([source, target]))
                                     .with_for_update(nowait=True))
                debit = await other.exec(update(Agent).where(col(Agent.id) == source, col(Agent.credits) >= amount)
                                         .values(credits=col(Agent.credits) - amount))
                if debit.rowcount != 1:
                    await other.rollback()
                    return False
                await other.exec(update(Agent).where(col(Agent.id) == target).values(credits=col(Agent.credits) + amount))
                await other.commit()
                return True
            except DBAPIError:  # the row is locked (LockNotAvailable): the learner holds it
                await other.rollback()
                return None

    async def finish(self) -> list[Move]:
        """After the learner's function: the moves that waited go now; the moves that took effect."""
        redo = [] if self.learner_committed else self.inside  # rolled back with the learner's transaction
        self.applied += [move for move in self.inside if move not in redo]
        for move in redo + self.waiting:
            if await self._commit(move, nowait=False):
                self.applied.append(move)
        return self.applied


def moved(balances: dict[int, int], moves) -> dict[int, int]:
    """The balances after the given (from, to, amount) moves."""
    result = dict(balances)
    for source, target, amount in moves:
        result[source] -= amount
        result[target] += amount
    return result


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


async def race_transfer(learner, engine, sessionmaker, agents, moves, amount):
    """transfer_credits(first agent, second agent, amount) while an Interloper makes `moves`: (outcome, before, after)."""
    ids = await make_agents(sessionmaker, *agents)
    before = await saved_balances(sessionmaker, ids)
    interloper = Interloper(engine, sessionmaker, *[(ids[a], ids[b], n) for a, b, n in moves])
    async with sessionmaker() as session:
        with interloper.racing(session):
            try:
                await call(learner.transfer_credits, session, ids[0], ids[1], amount)
                outcome = "done"
            except NotAnswered:
                raise
            except InsufficientCredits:
                outcome = "refused"
            except Exception as exc:
                outcome = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
    assert interloper.fired, "transfer_credits sent no INSERT or UPDATE at all: change the balances and commit."
    applied = await interloper.finish()
    return outcome, ids, moved(before, applied), await saved_balances(sessionmaker, ids)


LOST_UPDATE_FIX = (
    "Let the database do the arithmetic in one statement (update(Agent)...values(credits=Agent.credits - amount) "
    "with the balance check in its WHERE, then look at rowcount), or lock the rows before you read them "
    "(select(...).with_for_update(), in id order)."
)


@pytest.mark.exercise("L07.transfer_credits", weight=2)
async def test_transfer_keeps_a_concurrent_change(learner, engine, sessionmaker):
    """When another transaction moves credits in and out of both agents between the transfer's read and its
    write, is that change kept?"""
    agents = (("payer", 100), ("payee", 10), ("bystander", 50))
    outcome, ids, others, after = await race_transfer(learner, engine, sessionmaker, agents, [(0, 2, 30), (2, 1, 5)], 40)
    assert outcome == "done", f"A transfer of 40 from an agent with 100 credits failed: {outcome}."
    expected = moved(others, [(ids[0], ids[1], 40)])
    assert after == expected, (
        "While your transfer of 40 ran, another transaction took 30 credits from the payer and gave 5 to the payee "
        f"(between your read and your write). A new session then sees payer {after[ids[0]]} and payee "
        f"{after[ids[1]]}; expected {expected[ids[0]]} and {expected[ids[1]]}. Your write put back balances "
        "computed from the values you had read, and the other transaction's change was lost (a lost update). "
        + LOST_UPDATE_FIX
    )


@transfer
async def test_transfer_never_spends_credits_twice(learner, engine, sessionmaker):
    """When another transaction spends part of the payer's credits between the transfer's read and its write,
    does the transfer refuse (or wait for it), rather than spend the same credits again?"""
    agents = (("payer", 50), ("payee", 0), ("bystander", 0))
    outcome, ids, others, after = await race_transfer(learner, engine, sessionmaker, agents, [(0, 2, 30)], 40)
    assert outcome in ("done", "refused"), (
        f"A transfer of 40 from an agent with 50 credits, while another transaction spent 30 of them, failed with "
        f"{outcome}; expected success or InsufficientCredits."
    )
    expected = moved(others, [(ids[0], ids[1], 40)] if outcome == "done" else [])
    assert after == expected and min(after.values()) >= 0, (
        f"The payer had 50 credits; another transaction spent 30 of them while your transfer of 40 ran, and your "
        f"transfer {'succeeded' if outcome == 'done' else 'raised InsufficientCredits'}. A new session sees balances "
        f"{sorted(after.values())} (total {sum(after.values())}, from 50): credits were "
        f"{'created' if sum(after.values()) > 50 else 'lost'}. Check the balance where you change it: "
        + LOST_UPDATE_FIX
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
        seen = await still_usable(session, lambda s: charge_state(s, agent, task), "after InsufficientCredits")
    assert seen == (10, [], "pending"), (
        f"After the refused charge your session still holds changes (credits {seen[0]}, ledger {seen[1]}, status "
        f"{seen[2]!r}); the caller's next commit would save them. Roll back before re-raising."
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


@pytest.mark.exercise("L07.charge_for_task", weight=2)
async def test_charge_keeps_a_concurrent_change(learner, engine, sessionmaker):
    """When another transaction spends some of the agent's credits between the charge's read and its write, is
    that spending kept?"""
    agent, task = await charge_setup(sessionmaker, credits=100)
    (other,) = await make_agents(sessionmaker, ("bystander", 0))
    interloper = Interloper(engine, sessionmaker, (agent, other, 30))
    async with sessionmaker() as session:
        with interloper.racing(session):
            try:
                await call(learner.charge_for_task, session, agent, task, 40)
            except NotAnswered:
                raise
            except Exception as exc:
                raise AssertionError(
                    f"Charging 40 to an agent with 100 credits, while another transaction spent 30 of them, raised "
                    f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}; it should succeed."
                ) from None
    assert interloper.fired, "charge_for_task sent no INSERT or UPDATE at all: debit, add the ledger row, commit."
    spent = sum(amount for *_, amount in await interloper.finish())
    credits, costs, status = await saved_charge_state(sessionmaker, agent, task)
    assert (credits, costs) == (100 - spent - 40, [40]), (
        "While your charge of 40 ran, another transaction spent 30 of the agent's 100 credits (between your read "
        f"and your write). A new session then sees {credits} credits and ledger {costs}; expected "
        f"{100 - spent - 40} and [40]. Your debit wrote back a balance computed from the value you had read, and "
        "the other spending was lost (a lost update). " + LOST_UPDATE_FIX
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


@pytest.mark.exercise("L07.import_tasks", weight=2)
async def test_import_keeps_the_good_rows(learner, sessionmaker):
    """Are the good rows saved, and only they, although other rows of the batch fail?"""
    project_id = await import_setup(sessionmaker)
    await run_import(learner, sessionmaker, project_id)
    async with sessionmaker() as fresh:
        titles = sorted((await fresh.exec(select(Task.title).where(Task.project_id == project_id))).all())
    want = sorted(["already there"] + [ROWS[i]["title"] for i in GOOD])
    assert titles == want, (
        f"After the import the project holds {titles}; expected {want}. Every good row must be kept even when "
        "other rows fail: give each row its own savepoint, so a failing row rolls back alone, and commit once "
        "at the end."
    )


@import_tasks
async def test_import_reports_every_bad_row(learner, sessionmaker):
    """Is every bad row skipped with its index and a reason, and are the counts right?"""
    project_id = await import_setup(sessionmaker)
    imported, skipped, errors = report_fields(await run_import(learner, sessionmaker, project_id))
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
