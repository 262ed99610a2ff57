"""L07: realistic wrong answers and correct alternatives, as data (see __init__.py)."""


HEADER = """from pydantic import ValidationError
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from taskflow.errors import InsufficientCredits
from taskflow.models import Agent, Task, TaskCreate, UsageEntry
"""

IMPORT_HEADER = HEADER + """
def reason(exc):
    return str(getattr(exc, "orig", exc)).splitlines()[0] or type(exc).__name__
"""

# id -> (cell replacements, the exercise that must lose points)
WRONG = {
    "transfer-without-rollback": ({"L07-transfer_credits": HEADER + """
async def transfer_credits(session, from_id, to_id, amount):
    if amount <= 0:
        raise ValueError("amount must be positive")
    payer = await session.get(Agent, from_id, with_for_update=True)
    payee = await session.get(Agent, to_id, with_for_update=True)
    if payer is None or payee is None:
        raise ValueError("unknown agent")
    if payer.credits < amount:
        raise InsufficientCredits(from_id, amount, payer.credits)
    payer.credits -= amount
    payee.credits += amount
    await session.commit()
"""}, "L07.transfer_credits"),
    "transfer-commit-between-writes": ({"L07-transfer_credits": HEADER + """
async def transfer_credits(session, from_id, to_id, amount):
    if amount <= 0:
        raise ValueError("amount must be positive")
    try:
        agents = {a.id: a for a in (await session.exec(
            select(Agent).where(col(Agent.id).in_([from_id, to_id])).order_by(Agent.id).with_for_update())).all()}
        if len(agents) != 2:
            raise ValueError("unknown agent")
        if agents[from_id].credits < amount:
            raise InsufficientCredits(from_id, amount, agents[from_id].credits)
        agents[from_id].credits -= amount
        await session.commit()  # the debit is saved on its own
        agents[to_id].credits += amount
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
"""}, "L07.transfer_credits"),
    "transfer-no-balance-check": ({"L07-transfer_credits": HEADER + """
async def transfer_credits(session, from_id, to_id, amount):
    if amount <= 0:
        raise ValueError("amount must be positive")
    try:
        payer = await session.get(Agent, from_id, with_for_update=True)
        payee = await session.get(Agent, to_id, with_for_update=True)
        if payer is None or payee is None:
            raise ValueError("unknown agent")
        payer.credits -= amount  # the CHECK constraint will stop it... with an IntegrityError
        payee.credits += amount
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
"""}, "L07.transfer_credits"),
    "transfer-negative-amount-allowed": ({"L07-transfer_credits": HEADER + """
async def transfer_credits(session, from_id, to_id, amount):
    try:
        payer = await session.get(Agent, from_id, with_for_update=True)
        payee = await session.get(Agent, to_id, with_for_update=True)
        if payer is None or payee is None:
            raise ValueError("unknown agent")
        if payer.credits < amount:
            raise InsufficientCredits(from_id, amount, payer.credits)
        payer.credits -= amount
        payee.credits += amount
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
"""}, "L07.transfer_credits"),
    "transfer-unknown-payee-burns-credits": ({"L07-transfer_credits": HEADER + """
async def transfer_credits(session, from_id, to_id, amount):
    if amount <= 0:
        raise ValueError("amount must be positive")
    try:
        debit = await session.exec(update(Agent).where(Agent.id == from_id, Agent.credits >= amount)
                                   .values(credits=Agent.credits - amount))
        if debit.rowcount != 1:
            payer = await session.get(Agent, from_id)
            if payer is None:
                raise ValueError("unknown payer")
            raise InsufficientCredits(from_id, amount, payer.credits)
        await session.exec(update(Agent).where(Agent.id == to_id).values(credits=Agent.credits + amount))
        await session.commit()  # rowcount of the credit never checked
    except BaseException:
        await session.rollback()
        raise
"""}, "L07.transfer_credits"),
    "charge-two-commits": ({"L07-charge_for_task": HEADER + """
async def charge_for_task(session, agent_id, task_id, cost):
    if cost <= 0:
        raise ValueError("cost must be positive")
    try:
        agent = await session.get(Agent, agent_id, with_for_update=True)
        task = await session.get(Task, task_id)
        if agent is None or task is None:
            raise ValueError("unknown agent or task")
        if agent.credits < cost:
            raise InsufficientCredits(agent_id, cost, agent.credits)
        agent.credits -= cost
        task.status = "in_progress"
        await session.commit()  # the debit and status first ...
        entry = UsageEntry(agent_id=agent_id, task_id=task_id, cost=cost)
        session.add(entry)
        await session.commit()  # ... then the ledger row
        return entry
    except BaseException:
        await session.rollback()
        raise
"""}, "L07.charge_for_task"),
    "charge-swallows-errors": ({"L07-charge_for_task": HEADER + """
async def charge_for_task(session, agent_id, task_id, cost):
    try:
        if cost <= 0:
            raise ValueError("cost must be positive")
        agent = await session.get(Agent, agent_id, with_for_update=True)
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
    except Exception:
        await session.rollback()
        return None  # the caller never hears about it
"""}, "L07.charge_for_task"),
    "charge-forgets-the-status": ({"L07-charge_for_task": HEADER + """
async def charge_for_task(session, agent_id, task_id, cost):
    if cost <= 0:
        raise ValueError("cost must be positive")
    try:
        agent = await session.get(Agent, agent_id, with_for_update=True)
        task = await session.get(Task, task_id)
        if agent is None or task is None:
            raise ValueError("unknown agent or task")
        if agent.credits < cost:
            raise InsufficientCredits(agent_id, cost, agent.credits)
        agent.credits -= cost
        entry = UsageEntry(agent_id=agent_id, task_id=task_id, cost=cost)
        session.add(entry)
        await session.commit()
        return entry
    except BaseException:
        await session.rollback()
        raise
"""}, "L07.charge_for_task"),
    "import-rollback-without-savepoints": ({"L07-import_tasks": IMPORT_HEADER + """
async def import_tasks(session, project_id, rows):
    report = ImportReport()
    for index, row in enumerate(rows):
        try:
            session.add(Task.model_validate({**row, "project_id": project_id}))
            await session.flush()
            report.imported += 1
        except (ValidationError, IntegrityError) as exc:
            await session.rollback()  # also throws away every good row before this one
            report.skipped += 1
            report.errors.append((index, reason(exc)))
    await session.commit()
    return report
"""}, "L07.import_tasks"),
    "import-validate-then-one-commit": ({"L07-import_tasks": IMPORT_HEADER + """
async def import_tasks(session, project_id, rows):
    report = ImportReport()
    for index, row in enumerate(rows):
        try:
            session.add(Task.model_validate({**row, "project_id": project_id}))
            report.imported += 1
        except ValidationError as exc:
            report.skipped += 1
            report.errors.append((index, reason(exc)))
    await session.commit()  # a duplicate title fails here, and takes every row with it
    return report
"""}, "L07.import_tasks"),
    "import-commit-per-row": ({"L07-import_tasks": IMPORT_HEADER + """
async def import_tasks(session, project_id, rows):
    report = ImportReport()
    for index, row in enumerate(rows):
        try:
            session.add(Task.model_validate({**row, "project_id": project_id}))
            await session.commit()
            report.imported += 1
        except (ValidationError, IntegrityError) as exc:
            await session.rollback()
            report.skipped += 1
            report.errors.append((index, reason(exc)))
    return report
"""}, "L07.import_tasks"),
    # Lost update: reads both balances, then writes back values computed from them.
    "transfer-read-modify-write-without-lock": ({"L07-transfer_credits": HEADER + """
async def transfer_credits(session, from_id, to_id, amount):
    if amount <= 0:
        raise ValueError("amount must be positive")
    try:
        payer = await session.get(Agent, from_id)
        payee = await session.get(Agent, to_id)
        if payer is None or payee is None:
            raise ValueError("unknown agent")
        if payer.credits < amount:
            raise InsufficientCredits(from_id, amount, payer.credits)
        payer.credits -= amount
        payee.credits += amount
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
"""}, "L07.transfer_credits"),
    # Lost update: the debit reads the balance, then writes back a value computed from it.
    "charge-read-modify-write-without-lock": ({"L07-charge_for_task": HEADER + """
async def charge_for_task(session, agent_id, task_id, cost):
    if cost <= 0:
        raise ValueError("cost must be positive")
    try:
        agent = await session.get(Agent, agent_id)
        task = await session.get(Task, task_id)
        if agent is None or task is None:
            raise ValueError("unknown agent or task")
        if agent.credits < cost:
            raise InsufficientCredits(agent_id, cost, agent.credits)
        agent.credits = agent.credits - cost
        task.status = "in_progress"
        entry = UsageEntry(agent_id=agent_id, task_id=task_id, cost=cost)
        session.add(entry)
        await session.commit()
        return entry
    except BaseException:
        await session.rollback()
        raise
"""}, "L07.charge_for_task"),
    # The debit is a conditional UPDATE, but the payee is credited from the value read before it.
    "transfer-stale-payee-credit": ({"L07-transfer_credits": HEADER + """
async def transfer_credits(session, from_id, to_id, amount):
    if amount <= 0:
        raise ValueError("amount must be positive")
    try:
        payee = await session.get(Agent, to_id)
        if payee is None:
            raise ValueError("unknown payee")
        debit = await session.exec(update(Agent).where(Agent.id == from_id, Agent.credits >= amount)
                                   .values(credits=Agent.credits - amount))
        if debit.rowcount != 1:
            payer = await session.get(Agent, from_id)
            if payer is None:
                raise ValueError("unknown payer")
            raise InsufficientCredits(from_id, amount, payer.credits)
        payee.credits += amount
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
"""}, "L07.transfer_credits"),
    # The balance is checked on a read, then debited without the check in the UPDATE: under a race the
    # database's CHECK constraint refuses the write, and the caller gets an IntegrityError.
    "transfer-check-apart-from-the-debit": ({"L07-transfer_credits": HEADER + """
async def transfer_credits(session, from_id, to_id, amount):
    if amount <= 0:
        raise ValueError("amount must be positive")
    try:
        payer = await session.get(Agent, from_id)
        payee = await session.get(Agent, to_id)
        if payer is None or payee is None:
            raise ValueError("unknown agent")
        if payer.credits < amount:
            raise InsufficientCredits(from_id, amount, payer.credits)
        await session.exec(update(Agent).where(Agent.id == from_id).values(credits=Agent.credits - amount))
        await session.exec(update(Agent).where(Agent.id == to_id).values(credits=Agent.credits + amount))
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
"""}, "L07.transfer_credits"),
    # Forgot the commit: flushed, so the entry has an id, and rolled back when the session closes.
    "charge-flush-without-commit": ({"L07-charge_for_task": HEADER + """
async def charge_for_task(session, agent_id, task_id, cost):
    if cost <= 0:
        raise ValueError("cost must be positive")
    try:
        agent = await session.get(Agent, agent_id, with_for_update=True)
        task = await session.get(Task, task_id)
        if agent is None or task is None:
            raise ValueError("unknown agent or task")
        if agent.credits < cost:
            raise InsufficientCredits(agent_id, cost, agent.credits)
        agent.credits -= cost
        task.status = "in_progress"
        entry = UsageEntry(agent_id=agent_id, task_id=task_id, cost=cost)
        session.add(entry)
        await session.flush()
        return entry
    except BaseException:
        await session.rollback()
        raise
"""}, "L07.charge_for_task"),
    # Debits before checking, and raises InsufficientCredits without rolling back: the caller's session
    # still holds the debit, and its next commit would save it.
    "charge-debit-first-no-rollback": ({"L07-charge_for_task": HEADER + """
async def charge_for_task(session, agent_id, task_id, cost):
    if cost <= 0:
        raise ValueError("cost must be positive")
    agent = await session.get(Agent, agent_id, with_for_update=True)
    task = await session.get(Task, task_id)
    if agent is None or task is None:
        raise ValueError("unknown agent or task")
    agent.credits -= cost
    if agent.credits < 0:
        raise InsufficientCredits(agent_id, cost, agent.credits + cost)
    task.status = "in_progress"
    entry = UsageEntry(agent_id=agent_id, task_id=task_id, cost=cost)
    session.add(entry)
    await session.commit()
    return entry
"""}, "L07.charge_for_task"),
    # A savepoint per row, but a failed row is not rolled back to it: the session refuses every later row.
    "import-savepoint-never-rolled-back": ({"L07-import_tasks": IMPORT_HEADER + """
async def import_tasks(session, project_id, rows):
    report = ImportReport()
    for index, row in enumerate(rows):
        try:
            task = Task.model_validate({**row, "project_id": project_id})
        except ValidationError as exc:
            report.skipped += 1
            report.errors.append((index, reason(exc)))
            continue
        savepoint = await session.begin_nested()
        session.add(task)
        try:
            await session.flush()
            await savepoint.commit()
            report.imported += 1
        except IntegrityError as exc:
            report.skipped += 1
            report.errors.append((index, reason(exc)))
    await session.commit()
    return report
"""}, "L07.import_tasks"),
}


ALTERNATIVES = {
    # Conditional UPDATEs instead of row locks; the rowcount says whether the money was there.
    "conditional-updates": {
        "L07-transfer_credits": HEADER + """
async def transfer_credits(session, from_id, to_id, amount):
    if amount <= 0:
        raise ValueError("amount must be positive")
    try:
        debit = await session.exec(update(Agent).where(Agent.id == from_id, Agent.credits >= amount)
                                   .values(credits=Agent.credits - amount))
        if debit.rowcount != 1:
            payer = await session.get(Agent, from_id)
            if payer is None:
                raise ValueError(f"no agent {from_id}")
            raise InsufficientCredits(from_id, amount, payer.credits)
        credit = await session.exec(update(Agent).where(Agent.id == to_id).values(credits=Agent.credits + amount))
        if credit.rowcount != 1:
            raise ValueError(f"no agent {to_id}")
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
""",
        "L07-charge_for_task": HEADER + """
async def charge_for_task(session, agent_id, task_id, cost):
    if cost <= 0:
        raise ValueError("cost must be positive")
    try:
        task = await session.get(Task, task_id)
        if task is None:
            raise ValueError(f"no task {task_id}")
        debit = await session.exec(update(Agent).where(Agent.id == agent_id, Agent.credits >= cost)
                                   .values(credits=Agent.credits - cost))
        if debit.rowcount != 1:
            agent = await session.get(Agent, agent_id)
            if agent is None:
                raise ValueError(f"no agent {agent_id}")
            raise InsufficientCredits(agent_id, cost, agent.credits)
        entry = UsageEntry(agent_id=agent_id, task_id=task_id, cost=cost)
        session.add(entry)
        task.status = "in_progress"
        await session.commit()
        return entry
    except BaseException:
        await session.rollback()
        raise
""",
    },
    # async with session.begin(): commit or rollback by the block; locks taken one row at a time, in id
    # order; rows built without pydantic validation, so the database's constraints reject the bad ones.
    "begin-blocks": {
        "L07-transfer_credits": HEADER + """
async def transfer_credits(session, from_id, to_id, amount):
    if amount <= 0:
        raise ValueError("amount must be positive")
    async with session.begin():
        locked = {}
        for agent_id in sorted({from_id, to_id}):
            locked[agent_id] = await session.get(Agent, agent_id, with_for_update=True, populate_existing=True)
        if locked.get(from_id) is None or locked.get(to_id) is None:
            raise ValueError("unknown agent")
        if locked[from_id].credits < amount:
            raise InsufficientCredits(from_id, amount, locked[from_id].credits)
        locked[from_id].credits -= amount
        locked[to_id].credits += amount
""",
        "L07-charge_for_task": HEADER + """
async def charge_for_task(session, agent_id, task_id, cost):
    if cost <= 0:
        raise ValueError("cost must be positive")
    async with session.begin():
        agent = await session.get(Agent, agent_id, with_for_update=True)
        task = await session.get(Task, task_id)
        if agent is None or task is None:
            raise ValueError("unknown agent or task")
        if agent.credits < cost:
            raise InsufficientCredits(agent_id, cost, agent.credits)
        agent.credits -= cost
        task.status = "in_progress"
        entry = UsageEntry(agent_id=agent_id, task_id=task_id, cost=cost)
        session.add(entry)
    return entry
""",
        "L07-import_tasks": IMPORT_HEADER + """
async def import_tasks(session, project_id, rows):
    report = ImportReport()
    async with session.begin():
        for index, row in enumerate(rows):
            try:
                async with session.begin_nested():
                    session.add(Task(**row, project_id=project_id))  # no validation: the CHECKs decide
                report.imported += 1
            except IntegrityError as exc:
                report.skipped += 1
                report.errors.append((index, reason(exc)))
    return report
""",
    },
    # Validate with the Create schema first; an explicit savepoint object, flushed and committed by hand.
    "explicit-savepoints": {
        "L07-import_tasks": IMPORT_HEADER + """
async def import_tasks(session, project_id, rows):
    imported, errors = 0, []
    for index, row in enumerate(rows):
        try:
            data = TaskCreate.model_validate({**row, "project_id": project_id})
        except ValidationError as exc:
            errors.append((index, f"invalid: {exc.error_count()} problem(s)"))
            continue
        savepoint = await session.begin_nested()
        try:
            session.add(Task.model_validate(data))
            await session.flush()
        except IntegrityError as exc:
            await savepoint.rollback()
            errors.append((index, reason(exc)))
        else:
            await savepoint.commit()
            imported += 1
    await session.commit()
    return ImportReport(imported=imported, skipped=len(errors), errors=errors)
""",
    },
    # UPDATE ... RETURNING reads the new balance in the same statement; the charge locks with a refresh.
    "update-returning-and-locked-refresh": {
        "L07-transfer_credits": HEADER + """
async def transfer_credits(session, from_id, to_id, amount):
    if amount <= 0:
        raise ValueError("amount must be positive")
    try:
        payee_exists = (await session.exec(select(Agent.id).where(Agent.id == to_id))).first()
        left = (await session.exec(
            update(Agent).where(Agent.id == from_id, Agent.credits >= amount)
            .values(credits=Agent.credits - amount).returning(Agent.credits)
        )).first()
        if left is None:
            balance = (await session.exec(select(Agent.credits).where(Agent.id == from_id))).first()
            if balance is None:
                raise ValueError(f"no agent {from_id}")
            raise InsufficientCredits(from_id, amount, balance)
        if payee_exists is None:
            raise ValueError(f"no agent {to_id}")
        await session.exec(update(Agent).where(Agent.id == to_id).values(credits=Agent.credits + amount))
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
""",
        "L07-charge_for_task": HEADER + """
async def charge_for_task(session, agent_id, task_id, cost):
    if cost <= 0:
        raise ValueError("cost must be positive")
    try:
        agent = await session.get(Agent, agent_id)
        task = await session.get(Task, task_id)
        if agent is None or task is None:
            raise ValueError("unknown agent or task")
        await session.refresh(agent, with_for_update=True)  # lock it, and read it again
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
""",
    },
}
