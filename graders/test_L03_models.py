"""Graders for L03: the learner's own Project and Task tables, and the TaskCreate/TaskUpdate/TaskRead schemas.

The tables are checked by introspection and, above all, by the database itself: rows are inserted with
plain SQL (no Python validation on the way), so only the database's own rules can reject them.
"""

import asyncio
import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from pydantic import ValidationError
from sqlalchemy import delete, func, insert, inspect, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError
from sqlalchemy.schema import CreateTable
from sqlmodel import SQLModel

models = pytest.mark.exercise("L03.models", weight=1)
schemas = pytest.mark.exercise("L03.schemas", weight=1)

STATUSES = ("pending", "in_progress", "done", "failed")
NOW = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


# ---------------------------------------------------------------- helpers


def _table_model(learner, name: str):
    model = learner[name]
    assert isinstance(model, type) and issubclass(model, SQLModel), f"{name} must be a class that inherits from SQLModel."
    assert getattr(model, "__table__", None) is not None, f"{name} is not a table: declare it with `class {name}(..., table=True)`."
    return model


def _models(learner):
    Project, Task = _table_model(learner, "Project"), _table_model(learner, "Task")
    assert Project.__table__.name == "project", f"Project's table is called {Project.__table__.name!r}; keep the default name 'project'."
    assert Task.__table__.name == "task", f"Task's table is called {Task.__table__.name!r}; keep the default name 'task'."
    assert Task.__table__.metadata is Project.__table__.metadata, (
        "Project and Task are on different registries, so the foreign key from task to project cannot be resolved: "
        "derive both from the same Base."
    )
    for column in ("id", "title", "status", "priority", "context", "created_at", "project_id", "parent_id"):
        assert column in Task.__table__.c, f"Task has no `{column}` column."
    for column in ("id", "name", "created_at"):
        assert column in Project.__table__.c, f"Project has no `{column}` column."
    return Project, Task


@pytest.fixture
async def learner_tables(learner, engine):
    """The learner's project and task tables, created empty for one check and dropped after it."""
    Project, Task = _models(learner)
    tables = [Project.__table__, Task.__table__]

    async def drop(conn):
        await conn.execute(text("DROP TABLE IF EXISTS task" + (" CASCADE" if conn.dialect.name == "postgresql" else "")))
        await conn.execute(text("DROP TABLE IF EXISTS project" + (" CASCADE" if conn.dialect.name == "postgresql" else "")))

    async with engine.begin() as conn:
        await drop(conn)
        for table in tables:
            await conn.run_sync(table.create)
    yield Project, Task
    async with engine.begin() as conn:
        await drop(conn)


def _task_row(**values) -> dict:
    row = {"title": "write the report", "status": "pending", "priority": 3, "context": {}, "created_at": NOW,
           "project_id": None, "parent_id": None}
    row.update(values)
    return row


async def _insert(engine, table, row: dict) -> int:
    async with engine.begin() as conn:
        result = await conn.execute(insert(table).values(**row).returning(table.c.id))
        return result.scalar_one()


async def _count(engine, table, *where) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(table).where(*where))).scalar_one()


async def _project(engine, Project, name: str) -> int:
    return await _insert(engine, Project.__table__, {"name": name, "created_at": NOW})


def _first_line(exc: BaseException) -> str:
    return (str(getattr(exc, "orig", None) or exc).splitlines() or [""])[0][:160]


# ---------------------------------------------------------------- models: the database says no


REJECTED_TASKS = {
    "an empty title": ({"title": ""}, "CheckConstraint(\"length(title) BETWEEN 1 AND 200\")"),
    "a 201-character title": ({"title": "x" * 201}, "CheckConstraint(\"length(title) BETWEEN 1 AND 200\") (SQLite ignores VARCHAR(200))"),
    "no title (NULL)": ({"title": None}, "a `title: str` field (not `str | None`): a CHECK lets NULL through"),
    "status 'finished'": ({"status": "finished"}, "CheckConstraint(\"status IN ('pending', 'in_progress', 'done', 'failed')\")"),
    "no status (NULL)": ({"status": None}, "a `status: str` field (not `str | None`): a CHECK lets NULL through"),
    "priority 0": ({"priority": 0}, "CheckConstraint(\"priority BETWEEN 1 AND 5\")"),
    "priority 6": ({"priority": 6}, "CheckConstraint(\"priority BETWEEN 1 AND 5\")"),
    "no priority (NULL)": ({"priority": None}, "a `priority: int` field (not `int | None`): a CHECK lets NULL through"),
    "a title already used in the project": ({"title": "taken"}, "UniqueConstraint(\"project_id\", \"title\") in __table_args__"),
    "a project that does not exist": ({"project_id": 987654}, "foreign_key=\"project.id\" on project_id"),
    "a parent task that does not exist": ({"parent_id": 987654}, "foreign_key=\"task.id\" on parent_id"),
}


@pytest.mark.parametrize("kind", REJECTED_TASKS)
@pytest.mark.exercise("L03.models", weight=0.4)
async def test_database_rejects_bad_tasks(learner_tables, engine, kind):
    """Does the database itself refuse a task row that breaks the rules, whoever writes it?"""
    Project, Task = learner_tables
    project_id = await _project(engine, Project, "rules")
    await _insert(engine, Task.__table__, _task_row(title="taken", project_id=project_id))
    values, fix = REJECTED_TASKS[kind]
    row = _task_row(project_id=project_id, title=f"bad row: {kind}")
    row.update(values)
    try:
        await _insert(engine, Task.__table__, row)
    except DBAPIError:
        pass
    else:
        raise AssertionError(
            f"The database accepted a task with {kind}. Rules in Field(...) (min_length, ge, le) are checked only by "
            f"schemas, never by a table model or the database: declare {fix}."
        )
    assert await _count(engine, Task.__table__) == 1


@pytest.mark.exercise("L03.models", weight=0.6)
async def test_database_accepts_good_tasks(learner_tables, engine):
    """Are valid edge cases accepted: 200-character titles, priorities 1 and 5, every status, one title in two projects?"""
    Project, Task = learner_tables
    first, second = await _project(engine, Project, "first"), await _project(engine, Project, "second")
    good = {
        "a 200-character title": _task_row(title="t" * 200, project_id=first),
        "priority 1": _task_row(title="low", priority=1, project_id=first),
        "priority 5": _task_row(title="high", priority=5, project_id=first),
        "the same title in another project": _task_row(title="low", project_id=second),
        "no project": _task_row(title="inbox item"),
        **{f"status {s!r}": _task_row(title=f"status {s}", status=s, project_id=first) for s in STATUSES},
    }
    ids = {}
    for what, row in good.items():
        try:
            ids[what] = await _insert(engine, Task.__table__, row)
        except DBAPIError as exc:
            raise AssertionError(f"The database rejected a valid task with {what}: {_first_line(exc)}. A rule is too strict.") from None
    try:
        await _insert(engine, Task.__table__, _task_row(title="subtask", parent_id=ids["priority 1"], project_id=first))
    except DBAPIError as exc:
        raise AssertionError(f"The database rejected a subtask of an existing task: {_first_line(exc)}.") from None


@pytest.mark.exercise("L03.models", weight=0.8)
async def test_project_names_are_required_and_unique(learner_tables, engine):
    """Does the database refuse a second project with the same name, and a project without a name?"""
    Project, _ = learner_tables
    await _project(engine, Project, "agents")
    for what, name in (("a name that is already taken", "agents"), ("no name", None)):
        try:
            await _insert(engine, Project.__table__, {"name": name, "created_at": NOW})
        except DBAPIError:
            continue
        raise AssertionError(f"The database accepted a project with {what}: declare `name: str = Field(unique=True)`.")


@pytest.mark.exercise("L03.models", weight=0.5)
async def test_project_name_is_at_most_100_characters(learner_tables, engine):
    """Is a project's name limited to 100 characters (VARCHAR(100) or a CHECK), with 100 still accepted?"""
    Project, _ = learner_tables
    try:
        await _project(engine, Project, "n" * 100)
    except DBAPIError as exc:
        raise AssertionError(f"The database rejected a 100-character project name: {_first_line(exc)}. The limit is 100.") from None
    try:
        await _project(engine, Project, "n" * 101)
    except DBAPIError:
        return  # the database itself refuses it (PostgreSQL's VARCHAR(100), or a CHECK)
    length = getattr(Project.__table__.c.name.type, "length", None)
    assert length == 100, (
        f"A 101-character project name was stored, and the name column is {Project.__table__.c.name.type}: "
        "declare `name: str = Field(max_length=100, unique=True)` (VARCHAR(100), which PostgreSQL enforces)."
    )


@models
async def test_defaults_for_a_new_task(learner_tables, sessionmaker):
    """Does a task saved with only a title come back as pending, priority 3, with an empty context of its own?"""
    Project, Task = learner_tables
    first, second = Task(title="first"), Task(title="second")
    assert first.context is not second.context, "Two new tasks share one context dict: use Field(default_factory=dict)."
    async with sessionmaker() as session:
        session.add_all([first, second])
        await session.commit()
        task_id = first.id
    async with sessionmaker() as fresh:
        saved = await fresh.get(Task, task_id)
    assert saved.status == "pending", f'A new task has status {saved.status!r}; the default is "pending".'
    assert saved.priority == 3, f"A new task has priority {saved.priority!r}; the default is 3."
    assert saved.context == {}, f"A new task has context {saved.context!r}; the default is an empty dict."


@models
async def test_created_at_is_aware_utc_per_row(learner_tables, sessionmaker, engine):
    """Are created_at values set per row, timezone-aware in UTC, and still aware when read back?"""
    Project, Task = learner_tables
    for model, kwargs in ((Project, {"name": "clock"}), (Task, {"title": "clock"})):
        one = model(**kwargs)
        await asyncio.sleep(0.01)
        two = model(**{k: v + " 2" for k, v in kwargs.items()})
        name = model.__name__
        assert one.created_at is not None and one.created_at.tzinfo is not None, (
            f"{name}.created_at is missing or naive: Field(default_factory=lambda: datetime.now(UTC))."
        )
        assert one.created_at.utcoffset() == timedelta(0), f"{name}.created_at is not in UTC: use datetime.now(UTC)."
        assert one.created_at != two.created_at, f"Two {name}s got the same created_at: the default was computed once. Use default_factory."
        async with sessionmaker() as session:
            session.add(one)
            await session.commit()
            row_id = one.id
        async with sessionmaker() as fresh:
            saved = await fresh.get(model, row_id)
        assert saved.created_at.tzinfo is not None, f"{name}.created_at comes back from the database without a timezone: declare it as a plain `datetime` field."
        assert abs(saved.created_at - one.created_at) < timedelta(seconds=1)
    ddl = str(CreateTable(Task.__table__).compile(dialect=postgresql.dialect()))
    assert re.search(r"created_at TIMESTAMP WITH TIME ZONE", ddl), "On PostgreSQL, task.created_at would not be TIMESTAMP WITH TIME ZONE."


@models
async def test_context_is_portable_json_and_jsonb_on_postgres(learner_tables, sessionmaker, engine):
    """Does context store nested JSON, and is it JSONB on PostgreSQL (JSON elsewhere)?"""
    Project, Task = learner_tables
    ddl = str(CreateTable(Task.__table__).compile(dialect=postgresql.dialect()))
    line = next((ln.strip() for ln in ddl.splitlines() if ln.strip().startswith("context ")), "")
    assert "JSONB" in line, (
        f"On PostgreSQL, context would be `{line.rstrip(',')}`, not JSONB: use sa_type=JSON().with_variant(JSONB(), \"postgresql\")."
    )
    async with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            kind = (await conn.execute(text(
                "SELECT data_type FROM information_schema.columns WHERE table_name = 'task' AND column_name = 'context'"
            ))).scalar_one()
            assert kind == "jsonb", f"In PostgreSQL the context column is {kind}, not jsonb."
    value = {"steps": ["search", {"tool": "web", "tries": 2}], "note": "café ☕", "done": False, "score": 0.5}
    async with sessionmaker() as session:
        task = Task(title="json", context=value)
        session.add(task)
        await session.commit()
        task_id = task.id
    async with sessionmaker() as fresh:
        saved = await fresh.get(Task, task_id)
    assert saved.context == value, f"context came back as {saved.context!r} instead of {value!r}."


@pytest.mark.exercise("L03.models", weight=0.5)
async def test_status_is_indexed(learner_tables, engine):
    """Is there an index the database can use to find tasks by status?"""
    async with engine.connect() as conn:
        indexes = await conn.run_sync(lambda sync: inspect(sync).get_indexes("task"))
    assert any(ix["column_names"][:1] == ["status"] for ix in indexes), (
        f"The task table has no index on status (indexes: {[ix['column_names'] for ix in indexes]}): "
        "declare status with Field(default=\"pending\", index=True)."
    )


@pytest.mark.exercise("L03.models", weight=1.5)
async def test_deleting_a_project_deletes_its_tasks(learner_tables, engine, sessionmaker):
    """When a project (or a task) is deleted, does the database delete its tasks (and subtasks) too?"""
    Project, Task = learner_tables
    doomed, kept = await _project(engine, Project, "doomed"), await _project(engine, Project, "kept")
    parent = await _insert(engine, Task.__table__, _task_row(title="parent", project_id=doomed))
    await _insert(engine, Task.__table__, _task_row(title="child", project_id=doomed, parent_id=parent))
    await _insert(engine, Task.__table__, _task_row(title="sibling", project_id=doomed))
    survivor = await _insert(engine, Task.__table__, _task_row(title="survivor", project_id=kept))
    try:
        async with engine.begin() as conn:
            await conn.execute(delete(Project.__table__).where(Project.__table__.c.id == doomed))
    except DBAPIError as exc:
        raise AssertionError(
            f"Deleting a project that has tasks failed ({_first_line(exc)}): add ondelete=\"CASCADE\" to "
            "task.project_id's foreign key, so the database deletes the tasks with their project."
        ) from None
    left = await _count(engine, Task.__table__, Task.__table__.c.project_id == doomed)
    assert left == 0, f"After deleting a project, {left} of its tasks are still there: ondelete=\"CASCADE\" on project_id."
    assert await _count(engine, Task.__table__, Task.__table__.c.id == survivor) == 1, "Deleting one project deleted another project's task."

    top = await _insert(engine, Task.__table__, _task_row(title="top", project_id=kept))
    await _insert(engine, Task.__table__, _task_row(title="under top", project_id=kept, parent_id=top))
    try:
        async with engine.begin() as conn:
            await conn.execute(delete(Task.__table__).where(Task.__table__.c.id == top))
    except DBAPIError as exc:
        raise AssertionError(
            f"Deleting a task that has subtasks failed ({_first_line(exc)}): add ondelete=\"CASCADE\" to parent_id's foreign key."
        ) from None
    assert await _count(engine, Task.__table__, Task.__table__.c.title == "under top") == 0, (
        "A subtask outlived its parent: ondelete=\"CASCADE\" on parent_id."
    )

    async with sessionmaker() as session:  # the same through the ORM, as an app would do it
        project = await session.get(Project, kept)
        await session.delete(project)
        await session.commit()
    left = await _count(engine, Task.__table__, Task.__table__.c.title == "survivor")
    assert left == 0, (
        "Deleting a project through a session (await session.delete(project)) left its tasks behind: a relationship "
        "without cascade_delete=True sets their project_id to NULL instead. Use cascade_delete=True, or no relationship."
    )


# ---------------------------------------------------------------- schemas


def _schema(learner, name: str):
    model = learner[name]
    assert isinstance(model, type) and issubclass(model, SQLModel), f"{name} must be a class that inherits from SQLModel."
    assert getattr(model, "__table__", None) is None and not model.model_config.get("table"), (
        f"{name} is a table model; schemas describe request and response bodies: declare it without table=True "
        "(and do not derive it from the Task table)."
    )
    return model


def _rejects(model, what: str, **values) -> None:
    try:
        model(**values)
    except ValidationError:
        return
    raise AssertionError(f"{model.__name__}({', '.join(f'{k}={v!r}' for k, v in values.items())}) was accepted; it should fail validation ({what}).")


@pytest.mark.exercise("L03.schemas", weight=1.5)
def test_task_create_validates_input(learner):
    """Does TaskCreate validate what a client sends (title 1-200 characters, priority 1-5) and fill in the defaults?"""
    TaskCreate = _schema(learner, "TaskCreate")
    for field in ("id", "created_at"):
        assert field not in TaskCreate.model_fields, f"TaskCreate has `{field}`; the database sets it, a client must not."
    data = TaskCreate(title="Write tests")
    assert (data.status, data.priority, data.context) == ("pending", 3, {}), (
        f"TaskCreate(title=...) gave status={data.status!r}, priority={data.priority!r}, context={data.context!r}; "
        'the defaults are "pending", 3 and {}.'
    )
    sent = TaskCreate(title="Plan", priority=5, status="in_progress", context={"k": 1}, project_id=2, parent_id=3)
    assert sent.model_dump(include={"title", "priority", "status", "context", "project_id", "parent_id"}) == {
        "title": "Plan", "priority": 5, "status": "in_progress", "context": {"k": 1}, "project_id": 2, "parent_id": 3,
    }, "TaskCreate lost or changed some of the fields it was given."
    _rejects(TaskCreate, "title is required")
    _rejects(TaskCreate, "title may not be None", title=None)
    _rejects(TaskCreate, "status may not be None: the database refuses NULL", title="ok", status=None)
    _rejects(TaskCreate, "priority may not be None: the database refuses NULL", title="ok", priority=None)
    _rejects(TaskCreate, "min_length=1", title="")
    _rejects(TaskCreate, "max_length=200", title="x" * 201)
    _rejects(TaskCreate, "ge=1", title="ok", priority=0)
    _rejects(TaskCreate, "le=5", title="ok", priority=6)


@schemas
def test_task_update_is_partial(learner):
    """Is every TaskUpdate field optional, does exclude_unset give only what was sent, and are sent values validated?"""
    TaskUpdate = _schema(learner, "TaskUpdate")
    try:
        empty = TaskUpdate()
    except ValidationError as exc:
        missing = [e["loc"][0] for e in exc.errors()]
        raise AssertionError(f"TaskUpdate() failed: {missing} are required. In an update every field is optional (default None).") from None
    assert empty.model_dump(exclude_unset=True) == {}
    for sent in ({"priority": 4}, {"status": "done", "context": {"k": 1}}, {"title": "renamed"}):
        got = TaskUpdate(**sent).model_dump(exclude_unset=True)
        assert got == sent, f"TaskUpdate(**{sent}).model_dump(exclude_unset=True) gave {got}; it should be exactly what was sent."
    _rejects(TaskUpdate, "priority must stay 1-5 in an update too", priority=9)
    _rejects(TaskUpdate, "a title that is sent must still be 1-200 characters", title="")


@schemas
def test_task_read_from_a_row(learner):
    """Does TaskRead build from a saved task's attributes, with a required id and an aware created_at in its JSON?"""
    TaskRead = _schema(learner, "TaskRead")
    assert "id" in TaskRead.model_fields and TaskRead.model_fields["id"].is_required(), (
        "TaskRead needs `id: int` (required): every task a client reads has one."
    )
    row = SimpleNamespace(id=7, title="Read me", status="done", priority=2, context={"k": [1]}, project_id=3, parent_id=None,
                          created_at=NOW, secret_internal_field="not for clients")
    read = TaskRead.model_validate(row)
    out = read.model_dump(mode="json")
    for field, value in (("id", 7), ("title", "Read me"), ("status", "done"), ("priority", 2), ("context", {"k": [1]}), ("project_id", 3)):
        assert out.get(field) == value, f"TaskRead.model_validate(task) gave {field}={out.get(field)!r}, expected {value!r}."
    created = str(out.get("created_at", ""))
    assert created.startswith("2026-01-15T09:30:00") and (created.endswith("Z") or created.endswith("+00:00")), (
        f"TaskRead's created_at serialises as {created!r}; it should be the aware UTC time (…Z or …+00:00)."
    )
