"""L05: realistic wrong answers and correct alternatives, as data (see __init__.py)."""


HEADER = """from sqlalchemy import and_, delete, insert, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from taskflow.models import Task, TaskCreate, TaskUpdate
"""

# id -> (cell replacements, the exercise that must lose points)
WRONG = {
    "create-flush-without-commit": ({"L05-create_task": HEADER + """
async def create_task(session, data):
    task = Task.model_validate(data)
    session.add(task)
    await session.flush()
    await session.refresh(task)
    return task
"""}, "L05.create_task"),
    "create-without-refresh": ({"L05-create_task": HEADER + """
async def create_task(session, data):
    task = Task.model_validate(data)
    session.add(task)
    await session.commit()
    return task
"""}, "L05.create_task"),
    "get-with-one-raises-when-missing": ({"L05-get_task": HEADER + """
async def get_task(session, task_id):
    return (await session.exec(select(Task).where(Task.id == task_id))).one()
"""}, "L05.get_task"),
    "list-without-order-by": ({"L05-list_tasks": HEADER + """
async def list_tasks(session, *, status=None, project_id=None, limit=20, offset=0):
    statement = select(Task)
    if status is not None:
        statement = statement.where(Task.status == status)
    if project_id is not None:
        statement = statement.where(Task.project_id == project_id)
    return list((await session.exec(statement.offset(offset).limit(limit))).all())
"""}, "L05.list_tasks"),
    "list-pages-before-filtering": ({"L05-list_tasks": HEADER + """
async def list_tasks(session, *, status=None, project_id=None, limit=20, offset=0):
    page = (await session.exec(select(Task).order_by(Task.id).offset(offset).limit(limit))).all()
    return [t for t in page
            if (status is None or t.status == status) and (project_id is None or t.project_id == project_id)]
"""}, "L05.list_tasks"),
    "update-nulls-unset-fields": ({"L05-update_task": HEADER + """
async def update_task(session, task_id, data):
    task = await session.get(Task, task_id)
    if task is None:
        return None
    for key, value in data.model_dump().items():
        setattr(task, key, value)
    await session.commit()
    await session.refresh(task)
    return task
"""}, "L05.update_task"),
    "update-exclude-none": ({"L05-update_task": HEADER + """
async def update_task(session, task_id, data):
    task = await session.get(Task, task_id)
    if task is None:
        return None
    task.sqlmodel_update(data.model_dump(exclude_none=True))
    await session.commit()
    await session.refresh(task)
    return task
"""}, "L05.update_task"),
    "update-missing-raises": ({"L05-update_task": HEADER + """
async def update_task(session, task_id, data):
    task = (await session.exec(select(Task).where(Task.id == task_id))).one()
    task.sqlmodel_update(data.model_dump(exclude_unset=True))
    await session.commit()
    await session.refresh(task)
    return task
"""}, "L05.update_task"),
    "delete-forgotten-await": ({"L05-delete_task": HEADER + """
async def delete_task(session, task_id):
    task = await session.get(Task, task_id)
    if task is None:
        return False
    session.delete(task)
    await session.commit()
    return True
"""}, "L05.delete_task"),
    "delete-without-commit": ({"L05-delete_task": HEADER + """
async def delete_task(session, task_id):
    task = await session.get(Task, task_id)
    if task is None:
        return False
    await session.delete(task)
    await session.flush()
    return True
"""}, "L05.delete_task"),
    "delete-missing-raises": ({"L05-delete_task": HEADER + """
async def delete_task(session, task_id):
    await session.delete(await session.get(Task, task_id))
    await session.commit()
    return True
"""}, "L05.delete_task"),
    "bulk-commit-per-item": ({"L05-create_tasks_bulk": HEADER + """
async def create_tasks_bulk(session, items):
    tasks = []
    for item in items:
        task = Task.model_validate(item)
        session.add(task)
        await session.commit()
        tasks.append(task)
    return tasks
"""}, "L05.create_tasks_bulk"),
    "bulk-flush-without-commit": ({"L05-create_tasks_bulk": HEADER + """
async def create_tasks_bulk(session, items):
    tasks = [Task.model_validate(item) for item in items]
    session.add_all(tasks)
    await session.flush()
    return tasks
"""}, "L05.create_tasks_bulk"),
    # --- issue 13: default order once rows were updated, batch shapes, expiry, answers for missing ids ---
    # Creation time looks like id order, until tasks are created out of step with their ids.
    "list-ordered-by-created-at": ({"L05-list_tasks": HEADER + """
async def list_tasks(session, *, status=None, project_id=None, limit=20, offset=0):
    statement = select(Task)
    if status is not None:
        statement = statement.where(Task.status == status)
    if project_id is not None:
        statement = statement.where(Task.project_id == project_id)
    statement = statement.order_by(Task.created_at).offset(offset).limit(limit)
    return list((await session.exec(statement)).all())
"""}, "L05.list_tasks"),
    # Sorted by id, but only after the database cut an unordered page: which rows land on it is chance.
    "list-sorted-in-python-after-paging": ({"L05-list_tasks": HEADER + """
async def list_tasks(session, *, status=None, project_id=None, limit=20, offset=0):
    statement = select(Task)
    if status is not None:
        statement = statement.where(Task.status == status)
    if project_id is not None:
        statement = statement.where(Task.project_id == project_id)
    page = (await session.exec(statement.offset(offset).limit(limit))).all()
    return sorted(page, key=lambda task: task.id)
"""}, "L05.list_tasks"),
    # Skips a failing item and carries on: the rollback drops the items before it, those after it are saved.
    "bulk-skips-failing-items": ({"L05-create_tasks_bulk": HEADER + """
from sqlalchemy.exc import IntegrityError

async def create_tasks_bulk(session, items):
    tasks = []
    for item in items:
        task = Task.model_validate(item)
        session.add(task)
        try:
            await session.flush()
        except IntegrityError:
            await session.rollback()
            continue
        tasks.append(task)
    await session.commit()
    for task in tasks:
        await session.refresh(task)
    return tasks
"""}, "L05.create_tasks_bulk"),
    # A savepoint per item keeps the good ones: right for an import (L07), wrong for an all-or-nothing batch.
    "bulk-savepoint-per-item": ({"L05-create_tasks_bulk": HEADER + """
from sqlalchemy.exc import IntegrityError

async def create_tasks_bulk(session, items):
    tasks = []
    for item in items:
        task = Task.model_validate(item)
        try:
            async with session.begin_nested():
                session.add(task)
        except IntegrityError:
            continue
        tasks.append(task)
    await session.commit()
    for task in tasks:
        await session.refresh(task)
    return tasks
"""}, "L05.create_tasks_bulk"),
    # One commit, but nothing reloads the tasks: a session with expire_on_commit=True hands back expired ones.
    "bulk-without-refresh": ({"L05-create_tasks_bulk": HEADER + """
async def create_tasks_bulk(session, items):
    tasks = [Task.model_validate(item) for item in items]
    session.add_all(tasks)
    await session.commit()
    return tasks
"""}, "L05.create_tasks_bulk"),
    # A DELETE statement that deletes nothing still "succeeds": True for an id that never existed.
    "delete-true-for-missing": ({"L05-delete_task": HEADER + """
async def delete_task(session, task_id):
    await session.exec(delete(Task).where(col(Task.id) == task_id))
    await session.commit()
    return True
"""}, "L05.delete_task"),
}


ALTERNATIVES = {
    # session.execute() + scalars() instead of exec(); ORDER BY id ASC written out.
    "execute-and-scalars": {
        "L05-get_task": HEADER + """
async def get_task(session, task_id):
    result = await session.execute(select(Task).where(Task.id == task_id))
    return result.scalars().one_or_none()
""",
        "L05-list_tasks": HEADER + """
async def list_tasks(session, *, status=None, project_id=None, limit=20, offset=0):
    conditions = []
    if status is not None:
        conditions.append(Task.status == status)
    if project_id is not None:
        conditions.append(Task.project_id == project_id)
    statement = select(Task).where(and_(True, *conditions)).order_by(col(Task.id).asc())
    result = await session.execute(statement.limit(limit).offset(offset))
    return list(result.scalars())
""",
    },
    # Core UPDATE / DELETE statements instead of loading and changing objects.
    "core-statements": {
        "L05-create_task": HEADER + """
async def create_task(session, data):
    task = Task(**data.model_dump())
    session.add(task)
    await session.flush()
    await session.commit()
    await session.refresh(task)
    return task
""",
        "L05-update_task": HEADER + """
async def update_task(session, task_id, data):
    changes = data.model_dump(exclude_unset=True)
    if changes:
        result = await session.exec(update(Task).where(col(Task.id) == task_id).values(**changes))
        if result.rowcount == 0:
            await session.rollback()
            return None
        await session.commit()
    task = await session.get(Task, task_id, populate_existing=True)
    return task
""",
        "L05-delete_task": HEADER + """
async def delete_task(session, task_id):
    result = await session.exec(delete(Task).where(col(Task.id) == task_id))
    await session.commit()
    return result.rowcount == 1
""",
    },
    # async with session.begin(): commits when the block ends (the graders hand over fresh sessions).
    "session-begin-blocks": {
        "L05-create_task": HEADER + """
async def create_task(session, data):
    async with session.begin():
        task = Task.model_validate(data)
        session.add(task)
    await session.refresh(task)
    return task
""",
        "L05-update_task": HEADER + """
async def update_task(session, task_id, data):
    async with session.begin():
        task = await session.get(Task, task_id)
        if task is None:
            return None
        for key, value in data.model_dump(exclude_unset=True).items():
            setattr(task, key, value)
    await session.refresh(task)
    return task
""",
        "L05-delete_task": HEADER + """
async def delete_task(session, task_id):
    async with session.begin():
        task = await session.get(Task, task_id)
        if task is None:
            return False
        await session.delete(task)
    return True
""",
        "L05-create_tasks_bulk": HEADER + """
async def create_tasks_bulk(session, items):
    tasks = [Task.model_validate(item) for item in items]
    async with session.begin():
        session.add_all(tasks)
    for task in tasks:
        await session.refresh(task)
    return tasks
""",
    },
    # One INSERT ... RETURNING for the whole batch (ORM bulk insert).
    "bulk-insert-returning": {
        "L05-create_tasks_bulk": HEADER + """
async def create_tasks_bulk(session, items):
    if not items:
        return []
    rows = [Task.model_validate(item).model_dump(exclude={"id"}) for item in items]
    statement = insert(Task).returning(Task, sort_by_parameter_order=True)
    tasks = list((await session.exec(statement, params=rows)).scalars())
    await session.commit()
    for task in tasks:
        await session.refresh(task)
    return tasks
""",
    },
    # filter_by with keyword filters, a slice for the page, scalar() for one row, an explicit
    # rollback-and-raise around the batch, and a truthiness test for the lookup.
    "filter-by-and-slice": {
        "L05-get_task": HEADER + """
async def get_task(session, task_id):
    return await session.scalar(select(Task).where(col(Task.id) == task_id))
""",
        "L05-list_tasks": HEADER + """
async def list_tasks(session, *, status=None, project_id=None, limit=20, offset=0):
    filters = {name: value for name, value in (("status", status), ("project_id", project_id)) if value is not None}
    statement = select(Task).filter_by(**filters).order_by(Task.id.asc()).slice(offset, offset + limit)
    return [task for task in (await session.exec(statement)).all()]
""",
        "L05-delete_task": HEADER + """
async def delete_task(session, task_id):
    task = await session.get(Task, task_id)
    if not task:
        return False
    await session.delete(task)
    await session.commit()
    return True
""",
        "L05-create_tasks_bulk": HEADER + """
async def create_tasks_bulk(session, items):
    tasks = [Task(**item.model_dump()) for item in items]
    try:
        session.add_all(tasks)
        await session.flush()
        ids = [task.id for task in tasks]  # read now: the commit may expire them
        await session.commit()
    except Exception:
        await session.rollback()
        raise
    return [await session.get(Task, task_id, populate_existing=True) for task_id in ids]
""",
    },
}
