"""Graders for L05: create, read, list, update, delete and bulk-insert TaskFlow tasks.

Every check starts from empty TaskFlow tables (the taskflow_db fixture), hands the learner's
function a session of its own, and then looks through a *new* session: what a new session sees
is what was committed.
"""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from skillbook.engine.graderkit import call
from taskflow.models import Project, Task, TaskCreate, TaskUpdate

create_task = pytest.mark.exercise("L05.create_task")
get_task = pytest.mark.exercise("L05.get_task")
list_tasks = pytest.mark.exercise("L05.list_tasks")
update_task = pytest.mark.exercise("L05.update_task")
delete_task = pytest.mark.exercise("L05.delete_task")
create_tasks_bulk = pytest.mark.exercise("L05.create_tasks_bulk")

pytestmark = pytest.mark.usefixtures("taskflow_db")

STATUSES = ("pending", "done", "in_progress", "pending", "failed")


# --- helpers -----------------------------------------------------------------------------------


async def make_project(sessionmaker, name: str) -> int:
    async with sessionmaker() as session:
        project = Project(name=name)
        session.add(project)
        await session.commit()
        return project.id


async def make_tasks(sessionmaker, *specs: dict) -> list[int]:
    """Insert tasks one flush at a time, so ids follow the order of `specs`."""
    ids = []
    async with sessionmaker() as session:
        for spec in specs:
            task = Task(**spec)
            session.add(task)
            await session.flush()
            ids.append(task.id)
        await session.commit()
    return ids


async def saved(sessionmaker, task_id) -> Task | None:
    """The task as a new session sees it: only what was committed."""
    async with sessionmaker() as fresh:
        return (await fresh.exec(select(Task).where(col(Task.id) == task_id))).first()


async def saved_ids(sessionmaker) -> list[int]:
    async with sessionmaker() as fresh:
        return list((await fresh.exec(select(Task.id).order_by(col(Task.id)))).all())


def expired_fields(obj) -> list[str]:
    """Column attributes that reading would have to load from the database (implicit IO)."""
    state = inspect(obj)
    columns = set(inspect(type(obj)).column_attrs.keys())
    return sorted((state.expired_attributes | state.unloaded) & columns)


def assert_task(value, function: str) -> Task:
    assert isinstance(value, Task), (
        f"{function} returned {type(value).__name__}, not a Task: return the table object "
        "(for example Task.model_validate(data)), not a schema, a dict or a row."
    )
    return value


def ids_of(result, function: str) -> list[int]:
    assert isinstance(result, (list, tuple)), (
        f"{function} returned {type(result).__name__}; return a list of Task objects "
        "(`list((await session.exec(statement)).all())`)."
    )
    for item in result:
        assert_task(item, function)
    return [task.id for task in result]


def sent_order_by(sql_log) -> bool:
    """Did the learner's query ask for an order? Without ORDER BY a database returns rows in whatever
    order is cheapest for it: SQLite often happens to use id order, PostgreSQL after an UPDATE does not."""
    return any("ORDER BY" in statement.upper() for statement in sql_log.selects)


def assert_same_ids(got: list[int], want: list[int], call_text: str, ordered: bool = True) -> None:
    if got == want:
        return
    assert ordered, (
        f"{call_text} returned task ids {got}; expected {want}. Its query has no ORDER BY, so the database "
        "returns rows in any order it likes and pages overlap or skip rows: add .order_by(Task.id)."
    )
    assert sorted(got) != sorted(want), (
        f"{call_text} returned the right tasks in the wrong order (ids {got}). Pages are only stable "
        "with an explicit order: add .order_by(Task.id)."
    )
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    raise AssertionError(
        f"{call_text} returned task ids {got}; expected {want}"
        + (f" (missing {missing})" if missing else "")
        + (f" (not expected: {extra})" if extra else "")
        + ". Check the filters (.where(Task.status == status) only when status is not None) and .limit()/.offset()."
    )


# --- create_task -------------------------------------------------------------------------------


@create_task
async def test_create_task_returns_the_new_task(learner, sessionmaker):
    """Does create_task return a Task with the id the database gave it and the values it was given?"""
    project_id = await make_project(sessionmaker, "release")
    data = TaskCreate(title="Write the release notes", priority=4, context={"source": "grader"}, project_id=project_id)
    async with sessionmaker() as session:
        task = assert_task(await call(learner.create_task, session, data), "create_task")
        assert isinstance(task.id, int), (
            "The task create_task returned has no id: the INSERT never ran. Add the task, then "
            "`await session.commit()` (the id is assigned when the row is written)."
        )
        values = (task.title, task.priority, task.context, task.project_id, task.status)
    assert values == ("Write the release notes", 4, {"source": "grader"}, project_id, "pending"), (
        f"create_task returned a task with (title, priority, context, project_id, status) = {values}; "
        "it should carry the values of `data`, with status left at its default \"pending\"."
    )


@pytest.mark.exercise("L05.create_task", weight=2)
async def test_create_task_commits(learner, sessionmaker):
    """Is the new task committed, so that another session can read it?"""
    data = TaskCreate(title="Index the agent's logs", priority=2)
    async with sessionmaker() as session:
        task = assert_task(await call(learner.create_task, session, data), "create_task")
        assert task.id is not None, "create_task returned a task without an id: commit before returning it."
        row = await saved(sessionmaker, task.id)
    assert row is not None, (
        "A new session cannot see the task create_task made: it was added (maybe flushed) but never "
        "committed, so it vanishes when the session closes. Finish with `await session.commit()`."
    )
    assert (row.title, row.priority) == ("Index the agent's logs", 2), (
        f"The saved row has title {row.title!r} and priority {row.priority}; expected the values of `data`."
    )


@create_task
async def test_create_task_result_is_loaded_after_commit(learner, engine):
    """Can the caller read the returned task even when the session expires everything on commit?"""
    data = TaskCreate(title="Rotate the API keys", priority=5)
    async with AsyncSession(engine) as session:  # expire_on_commit=True: SQLAlchemy's default
        task = assert_task(await call(learner.create_task, session, data), "create_task")
        stale = expired_fields(task)
    assert not stale, (
        f"After your commit the task's {', '.join(stale)} were expired (this session has "
        "expire_on_commit=True, the default), so reading task.title would query the database: "
        "MissingGreenlet in async code. Call `await session.refresh(task)` after the commit."
    )


# --- get_task ----------------------------------------------------------------------------------


@get_task
async def test_get_task_finds_the_task(learner, sessionmaker):
    """Does get_task return the task with the id it was given?"""
    ids = await make_tasks(sessionmaker, {"title": "first"}, {"title": "second", "priority": 1}, {"title": "third"})
    async with sessionmaker() as session:
        task = await call(learner.get_task, session, ids[1])
        assert task is not None, f"get_task(session, {ids[1]}) returned None, but that task exists."
        task = assert_task(task, "get_task")
        found = (task.id, task.title, task.priority)
    assert found == (ids[1], "second", 1), (
        f"get_task(session, {ids[1]}) returned the task {found[:2]}; expected id {ids[1]}, title 'second'. "
        "Look it up by primary key: `await session.get(Task, task_id)`."
    )


@get_task
async def test_get_task_returns_none_when_missing(learner, sessionmaker):
    """Does get_task return None, without raising, for an id that does not exist?"""
    ids = await make_tasks(sessionmaker, {"title": "only one"}, {"title": "and another"})
    async with sessionmaker() as session:
        found = await call(learner.get_task, session, ids[1])
    assert isinstance(found, Task) and found.id == ids[1], (
        f"get_task(session, {ids[1]}) returned {found!r} for a task that exists: return the task first "
        "(a function that always returns None is not done); then None for ids that do not exist."
    )
    try:
        async with sessionmaker() as session:
            task = await call(learner.get_task, session, ids[1] + 1000)
    except Exception as exc:
        raise AssertionError(
            f"get_task raised {type(exc).__name__} for an id that does not exist; it should return None. "
            "`session.get(Task, task_id)` or `.first()` return None where `.one()` raises."
        ) from None
    assert task is None, f"get_task returned {task!r} for an id that does not exist; expected None."


# --- list_tasks --------------------------------------------------------------------------------


async def seed_for_listing(sessionmaker) -> tuple[int, int, list[dict]]:
    """25 tasks in two projects. Titles sort the other way round from ids, and some rows are
    updated after they were written, so no table or index order happens to match id order."""
    first = await make_project(sessionmaker, "first")
    second = await make_project(sessionmaker, "second")
    specs = [
        {"title": f"task {chr(ord('z') - i)}", "project_id": second if i % 3 == 0 else first, "status": STATUSES[i % 5]}
        for i in range(25)
    ]
    ids = await make_tasks(sessionmaker, *specs)
    async with sessionmaker() as session:
        await session.exec(update(Task).where(col(Task.id).in_(ids[::4])).values(priority=5))
        await session.commit()
    rows = [dict(spec, id=task_id) for spec, task_id in zip(specs, ids, strict=True)]
    return first, second, rows


def matching(rows, **filters) -> list[int]:
    return [r["id"] for r in rows if all(r[k] == v for k, v in filters.items())]


@list_tasks
async def test_list_tasks_defaults(learner, sessionmaker, sql_log):
    """Without arguments, does list_tasks return the first 20 tasks, ordered by id?"""
    _, _, rows = await seed_for_listing(sessionmaker)
    sql_log.clear()
    async with sessionmaker() as session:
        got = ids_of(await call(learner.list_tasks, session), "list_tasks")
    assert len(got) <= 20, f"list_tasks(session) returned {len(got)} tasks; the default limit is 20."
    assert_same_ids(got, [r["id"] for r in rows][:20], "list_tasks(session)", sent_order_by(sql_log))


@list_tasks
async def test_list_tasks_filters_by_status(learner, sessionmaker, sql_log):
    """Does status=... keep only the tasks with that status?"""
    _, _, rows = await seed_for_listing(sessionmaker)
    for status in ("done", "pending"):
        sql_log.clear()
        async with sessionmaker() as session:
            got = ids_of(await call(learner.list_tasks, session, status=status, limit=100), "list_tasks")
        assert_same_ids(got, matching(rows, status=status), f"list_tasks(session, status={status!r}, limit=100)",
                        sent_order_by(sql_log))


@list_tasks
async def test_list_tasks_filters_by_project_and_status(learner, sessionmaker, sql_log):
    """Does project_id=... filter, alone and together with status=..., in id order?"""
    first, second, rows = await seed_for_listing(sessionmaker)
    sql_log.clear()
    async with sessionmaker() as session:
        got = ids_of(await call(learner.list_tasks, session, project_id=first, limit=100), "list_tasks")
    assert_same_ids(got, matching(rows, project_id=first), f"list_tasks(session, project_id={first}, limit=100)",
                    sent_order_by(sql_log))
    sql_log.clear()
    async with sessionmaker() as session:
        got = ids_of(await call(learner.list_tasks, session, status="pending", project_id=second, limit=100), "list_tasks")
    assert_same_ids(
        got, matching(rows, status="pending", project_id=second),
        f"list_tasks(session, status='pending', project_id={second}, limit=100)", sent_order_by(sql_log),
    )


@list_tasks
async def test_list_tasks_pages_do_not_overlap(learner, sessionmaker, sql_log):
    """Do limit and offset cut the filtered, ordered list into pages that neither overlap nor skip?"""
    first, _, rows = await seed_for_listing(sessionmaker)
    want = matching(rows, project_id=first)
    for offset in range(0, len(want) + 4, 4):
        sql_log.clear()
        async with sessionmaker() as session:
            got = ids_of(await call(learner.list_tasks, session, project_id=first, limit=4, offset=offset), "list_tasks")
        assert_same_ids(got, want[offset:offset + 4], f"list_tasks(session, project_id={first}, limit=4, offset={offset})",
                        sent_order_by(sql_log))


# Insertion times that follow no order of the ids (a fixed shuffle), so ORDER BY created_at is not id order.
SHUFFLED_MINUTES = (7, 2, 11, 0, 9, 4, 1, 10, 5, 8, 3, 6)


@list_tasks
async def test_list_tasks_keeps_id_order_after_updates(learner, sessionmaker, sql_log):
    """After rows were updated (PostgreSQL then stores them elsewhere) and with created_at out of step
    with the ids, are the tasks still listed, and paged, in id order?"""
    project_id = await make_project(sessionmaker, "reordered")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    ids = await make_tasks(sessionmaker, *(
        {"title": f"job {minute:02}", "project_id": project_id, "created_at": start + timedelta(minutes=minute)}
        for minute in SHUFFLED_MINUTES
    ))
    for task_id in ids[:6]:  # one UPDATE per row, oldest ids first: on PostgreSQL each row moves to the heap's end
        async with sessionmaker() as session:
            await session.exec(update(Task).where(col(Task.id) == task_id).values(status="in_progress"))
            await session.commit()
    sql_log.clear()
    async with sessionmaker() as session:
        got = ids_of(await call(learner.list_tasks, session, limit=100), "list_tasks")
    assert_same_ids(got, ids, "list_tasks(session, limit=100) after some tasks were updated", sent_order_by(sql_log))
    for offset in (0, 5, 10):
        sql_log.clear()
        async with sessionmaker() as session:
            got = ids_of(await call(learner.list_tasks, session, project_id=project_id, limit=5, offset=offset), "list_tasks")
        assert_same_ids(got, ids[offset:offset + 5], f"list_tasks(session, project_id={project_id}, limit=5, offset={offset}) "
                        "after some tasks were updated", sent_order_by(sql_log))


# --- update_task -------------------------------------------------------------------------------


async def seed_for_update(sessionmaker) -> tuple[int, int]:
    project_id = await make_project(sessionmaker, "updates")
    ids = await make_tasks(
        sessionmaker,
        {"title": "Draft the plan", "status": "in_progress", "priority": 2, "context": {"owner": "planner"}, "project_id": project_id},
        {"title": "Bystander", "priority": 1, "project_id": project_id},
    )
    return project_id, ids[0]


async def call_update(learner, session, task_id, data: TaskUpdate):
    sent = data.model_dump(exclude_unset=True)
    try:
        return await call(learner.update_task, session, task_id, data)
    except IntegrityError as exc:
        first = str(exc.orig).splitlines()[0] if exc.orig else str(exc).splitlines()[0]
        raise AssertionError(
            f"update_task(session, id, TaskUpdate(**{sent})) failed in the database ({first}): it wrote "
            "fields the caller never set, as None. Apply only `data.model_dump(exclude_unset=True)`."
        ) from None


@pytest.mark.exercise("L05.update_task", weight=2)
async def test_update_task_changes_only_the_fields_that_were_set(learner, sessionmaker):
    """Does TaskUpdate(priority=5) change the priority and leave every other field as it was?"""
    project_id, task_id = await seed_for_update(sessionmaker)
    async with sessionmaker() as session:
        task = await call_update(learner, session, task_id, TaskUpdate(priority=5))
        assert task is not None, "update_task returned None for a task that exists; return the updated task."
        task = assert_task(task, "update_task")
        assert task.priority == 5, f"update_task returned a task with priority {task.priority}; expected 5."
    row = await saved(sessionmaker, task_id)
    assert row.priority == 5, (
        f"A new session still sees priority {row.priority}: update_task changed the object but never "
        "committed. Finish with `await session.commit()`."
    )
    kept = {"title": row.title, "status": row.status, "context": row.context, "project_id": row.project_id}
    want = {"title": "Draft the plan", "status": "in_progress", "context": {"owner": "planner"}, "project_id": project_id}
    changed = {k: v for k, v in kept.items() if v != want[k]}
    assert not changed, (
        f"TaskUpdate(priority=5) also changed {changed}; fields the caller did not set must stay as they were. "
        "Use `data.model_dump(exclude_unset=True)`, not model_dump() or defaults."
    )


@update_task
async def test_update_task_applies_explicit_values_including_none(learner, sessionmaker):
    """Are several set fields applied together, and does an explicitly set None clear a field?"""
    _, task_id = await seed_for_update(sessionmaker)
    async with sessionmaker() as session:
        await call_update(learner, session, task_id, TaskUpdate(status="done", context={"result": "ok"}))
    row = await saved(sessionmaker, task_id)
    assert (row.status, row.context) == ("done", {"result": "ok"}), (
        f"After TaskUpdate(status='done', context={{'result': 'ok'}}) the saved task has status {row.status!r} "
        f"and context {row.context!r}: apply every field that was set, then commit."
    )
    async with sessionmaker() as session:
        await call_update(learner, session, task_id, TaskUpdate(project_id=None))
    row = await saved(sessionmaker, task_id)
    assert row.project_id is None, (
        "TaskUpdate(project_id=None) sets project_id on purpose (to detach the task), but the saved task "
        f"still has project_id {row.project_id}. exclude_none=True drops such values; exclude_unset=True keeps them."
    )
    assert (row.title, row.status) == ("Draft the plan", "done"), "Clearing project_id changed other fields too."


@update_task
async def test_update_task_returns_none_when_missing(learner, sessionmaker):
    """Does update_task return None for an unknown id, and change nothing?"""
    _, task_id = await seed_for_update(sessionmaker)
    async with sessionmaker() as session:
        updated = await call_update(learner, session, task_id, TaskUpdate(title="Draft the plan, again"))
    assert isinstance(updated, Task) and (await saved(sessionmaker, task_id)).title == "Draft the plan, again", (
        "update_task did not update a task that exists (it returned "
        f"{type(updated).__name__}): make that work first, then return None for ids that do not exist."
    )
    try:
        async with sessionmaker() as session:
            result = await call(learner.update_task, session, task_id + 1000, TaskUpdate(priority=1))
    except Exception as exc:
        raise AssertionError(
            f"update_task raised {type(exc).__name__} for an id that does not exist; return None instead "
            "(`task = await session.get(Task, task_id)`; `if task is None: return None`)."
        ) from None
    assert result is None, f"update_task returned {result!r} for an id that does not exist; expected None."
    row = await saved(sessionmaker, task_id)
    assert row.priority == 2, "Updating a missing id changed another task."


@update_task
async def test_update_task_result_is_loaded_after_commit(learner, engine, sessionmaker):
    """Can the caller read the returned task even when the session expires everything on commit?"""
    _, task_id = await seed_for_update(sessionmaker)
    async with AsyncSession(engine) as session:  # expire_on_commit=True: SQLAlchemy's default
        task = await call_update(learner, session, task_id, TaskUpdate(title="Final plan"))
        assert task is not None, "update_task returned None for a task that exists."
        stale = expired_fields(assert_task(task, "update_task"))
    assert not stale, (
        f"After your commit the task's {', '.join(stale)} were expired (expire_on_commit=True, the default), "
        "so the caller cannot read them without implicit IO. Call `await session.refresh(task)` after the commit."
    )


# --- delete_task -------------------------------------------------------------------------------


@pytest.mark.exercise("L05.delete_task", weight=2)
async def test_delete_task_removes_the_row(learner, sessionmaker):
    """Does delete_task return True and is the task gone for everyone, while the others stay?"""
    ids = await make_tasks(sessionmaker, {"title": "keep me"}, {"title": "delete me"}, {"title": "keep me too"})
    async with sessionmaker() as session:
        result = await call(learner.delete_task, session, ids[1])
    assert result is True, f"delete_task returned {result!r} for a task that exists; return True."
    left = await saved_ids(sessionmaker)
    assert ids[1] not in left, (
        "delete_task returned True, but a new session still finds the task. Two usual causes: "
        "`session.delete(task)` without `await` (it only makes a coroutine, so nothing is deleted), "
        "or no `await session.commit()` after it."
    )
    assert left == [ids[0], ids[2]], f"delete_task deleted more than one task: {left} are left of {ids}."


@delete_task
async def test_delete_task_returns_false_when_missing(learner, sessionmaker):
    """Does delete_task return False, without raising, for an id that does not exist?"""
    ids = await make_tasks(sessionmaker, {"title": "stay"}, {"title": "go"})
    async with sessionmaker() as session:
        removed = await call(learner.delete_task, session, ids[1])
    assert removed is True and await saved_ids(sessionmaker) == ids[:1], (
        f"delete_task(session, {ids[1]}) returned {removed!r} and did not delete a task that exists: make that "
        "work first (a function that always returns False is not done), then return False for unknown ids."
    )
    ids = ids[:1]
    try:
        async with sessionmaker() as session:
            result = await call(learner.delete_task, session, ids[0] + 1000)
    except Exception as exc:
        raise AssertionError(
            f"delete_task raised {type(exc).__name__} for an id that does not exist; return False "
            "(look the task up first: `if task is None: return False`)."
        ) from None
    assert result is False, f"delete_task returned {result!r} for an id that does not exist; expected False."
    assert await saved_ids(sessionmaker) == ids, "Deleting a missing id removed another task."


# --- create_tasks_bulk -------------------------------------------------------------------------


def batch(project_id: int, n: int) -> list[TaskCreate]:
    return [TaskCreate(title=f"step {i}", priority=1 + i % 5, project_id=project_id) for i in range(n)]


@create_tasks_bulk
async def test_bulk_returns_tasks_in_order(learner, sessionmaker):
    """Does create_tasks_bulk return one Task per item, in the same order, each with its own id?"""
    project_id = await make_project(sessionmaker, "bulk")
    items = batch(project_id, 6)
    async with sessionmaker() as session:
        result = await call(learner.create_tasks_bulk, session, items)
        ids = ids_of(result, "create_tasks_bulk")
        titles = [t.title for t in result]
    assert titles == [i.title for i in items], (
        f"create_tasks_bulk returned tasks titled {titles}; expected one per item, in the order given."
    )
    assert all(isinstance(i, int) for i in ids) and len(set(ids)) == len(ids), (
        f"The returned tasks have ids {ids}; each should have its own id from the database (commit before returning)."
    )


@create_tasks_bulk
async def test_bulk_saves_everything_with_one_commit(learner, sessionmaker, sql_log):
    """Are all the tasks saved, with a single COMMIT for the whole batch?"""
    project_id = await make_project(sessionmaker, "bulk")
    items = batch(project_id, 5)
    sql_log.clear()
    async with sessionmaker() as session:
        await call(learner.create_tasks_bulk, session, items)
    commits = sql_log.commits
    async with sessionmaker() as fresh:
        titles = sorted((await fresh.exec(select(Task.title).where(col(Task.project_id) == project_id))).all())
    assert titles == sorted(i.title for i in items), (
        f"A new session sees {len(titles)} of the 5 tasks: add them all, then `await session.commit()`."
    )
    assert commits == 1, (
        f"create_tasks_bulk committed {commits} times for 5 tasks. Add them all (session.add_all) and commit "
        "once: one transaction is faster, and the batch is saved completely or not at all."
    )


@create_tasks_bulk
async def test_bulk_result_is_loaded_after_commit(learner, engine, sessionmaker):
    """Can the caller read every returned task even when the session expires everything on commit?"""
    project_id = await make_project(sessionmaker, "bulk")
    async with AsyncSession(engine) as session:  # expire_on_commit=True: SQLAlchemy's default
        result = await call(learner.create_tasks_bulk, session, batch(project_id, 3))
        assert isinstance(result, (list, tuple)) and len(result) == 3, (
            f"create_tasks_bulk returned {result!r} for a batch of 3; return the list of the 3 new tasks."
        )
        stale = sorted({name for task in result for name in expired_fields(assert_task(task, "create_tasks_bulk"))})
    assert not stale, (
        f"After your commit the tasks' {', '.join(stale)} were expired (expire_on_commit=True, the default), so the "
        "caller cannot read them without implicit IO. Refresh each task after the commit, as in create_task."
    )


# Where the bad item sits, and what makes it bad: a title its project already has, or a title that an
# earlier item of the same batch uses. A batch saved item by item, or one that goes on after an error,
# keeps part of the batch in at least one of these shapes.
BAD_ITEMS = {
    "first": (0, "existing"),
    "middle": (2, "earlier in the batch"),
    "last": (4, "existing"),
}


@create_tasks_bulk
@pytest.mark.parametrize("where", list(BAD_ITEMS))
async def test_bulk_is_all_or_nothing(learner, sessionmaker, where):
    """When one item (first, in the middle, or last) breaks a constraint, is none of the batch saved?"""
    project_id = await make_project(sessionmaker, "bulk")
    async with sessionmaker() as session:
        await call(learner.create_tasks_bulk, session, [TaskCreate(title="taken", project_id=project_id)])
    before = await saved_ids(sessionmaker)
    assert len(before) == 1, "create_tasks_bulk did not save a batch of one valid task; make that work first."
    position, clash = BAD_ITEMS[where]
    items = batch(project_id, 5)
    items[position] = TaskCreate(title="taken" if clash == "existing" else items[0].title, project_id=project_id)
    try:
        async with sessionmaker() as session:
            await call(learner.create_tasks_bulk, session, items)
    except Exception:
        pass  # raising is fine; what matters is what was saved
    after = await saved_ids(sessionmaker)
    assert after == before, (
        f"Item {position + 1} of 5 repeats a title that {'its project already has' if clash == 'existing' else 'item 1 uses'}, "
        f"yet {len(after) - len(before)} of the batch's tasks were saved. Add the whole batch and commit once, and "
        "let the error end the call: a commit per item, or carrying on after a failed item, keeps part of a batch."
    )
