"""Graders for L00: the skill description and the first table model."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from sqlalchemy import Integer, String, insert
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel, select

DOMAIN_WORDS = ("sqlmodel", "sqlalchemy", "async", "database", "postgres", "sqlite", "fastapi",
                "alembic", "session", "migration", "orm", "sql")

description = pytest.mark.exercise("L00.skill_description")
task_model = pytest.mark.exercise("L00.task_model")


def _description(learner) -> str:
    value = learner.skill_description
    assert isinstance(value, str), f"skill_description must be a str, not {type(value).__name__}."
    return value


@description
def test_description_starts_with_use_when(learner):
    """Does the description start with "Use when", so an agent knows when to load the skill?"""
    text = _description(learner)
    assert text.strip().startswith("Use when"), f'Your description starts with {text.strip()[:20]!r}; start it with "Use when".'


@description
def test_description_fits_the_frontmatter_rules(learner):
    """Is it 1–1024 characters with no angle brackets, and does it survive a YAML round trip?"""
    text = _description(learner)
    assert text.strip(), "Your description is empty."
    assert len(text) <= 1024, f"Your description is {len(text)} characters; the limit is 1024."
    bad = sorted({c for c in text if c in "<>"})
    assert not bad, f"Your description contains {' and '.join(bad)}; skill descriptions may not contain < or >."
    assert yaml.safe_load(yaml.safe_dump({"description": text}))["description"] == text


@description
def test_description_says_what_the_skill_does(learner):
    """Does it name the work the skill is for, in more than a few words?"""
    text = _description(learner)
    words = text.split()
    found = [w for w in DOMAIN_WORDS if w in text.lower()]
    assert len(words) >= 8, f"Your description has {len(words)} words; say what the skill does and when (8 words or more)."
    assert len(found) >= 2, "Your description does not say what the skill is about: name the stack (async, SQLModel, database, FastAPI, ...)."


def _sql_type_is(sql_type, kind) -> bool:
    """True for `kind` itself and for type decorators built on it (sqlmodel's AutoString)."""
    return isinstance(sql_type, kind) or isinstance(getattr(sql_type, "impl", None), kind)


def _task_table(learner):
    Task = learner.Task
    assert isinstance(Task, type) and issubclass(Task, SQLModel), "Task must be a class that inherits from SQLModel."
    assert hasattr(Task, "__table__"), "Task is not a table model: declare it with `class Task(..., table=True)`."
    return Task, Task.__table__


@task_model
def test_task_has_integer_primary_key(learner):
    """Is `id` an integer primary key that is None until the database assigns it?"""
    Task, table = _task_table(learner)
    assert "id" in table.c, "Task has no `id` column."
    assert [c.name for c in table.primary_key.columns] == ["id"], "`id` must be Task's (only) primary key: Field(default=None, primary_key=True)."
    assert _sql_type_is(table.c.id.type, Integer), f"`id` should be an int column, not {table.c.id.type}."
    assert Task(title="x").id is None, "A new Task's id should be None until it is saved: give `id` default=None."


@task_model
def test_task_title_is_a_required_string(learner):
    """Is `title` a required string (no default) whose column cannot be NULL?"""
    Task, table = _task_table(learner)
    assert "title" in table.c, "Task has no `title` column."
    assert _sql_type_is(table.c.title.type, String), f"`title` should be a str column, not {table.c.title.type}."
    assert not table.c.title.nullable, "`title` may be NULL in the database: annotate it `str`, not `str | None`."
    field = Task.model_fields.get("title")
    assert field is not None and field.is_required(), (
        f"`title` has a default ({field.default!r}), so a task without a title is possible: declare it `title: str` with no default."
    )


@task_model
async def test_database_refuses_a_missing_title_or_status(learner, tables, engine):
    """Does the database itself refuse a task row whose title or status is NULL?"""
    Task, table = _task_table(learner)
    for column in ("title", "status"):
        assert column in table.c, f"Task has no `{column}` column."
    await tables(table)
    for column in ("title", "status"):
        row = {"title": "a title", "status": "pending", "created_at": datetime.now(UTC)} | {column: None}
        try:
            async with engine.begin() as conn:
                await conn.execute(insert(table).values(**row))
        except DBAPIError:
            continue
        hint = "annotate it `str`, not `str | None`" + (" (a default of \"pending\" is fine)" if column == "status" else "")
        raise AssertionError(f"The database stored a task whose {column} is NULL: {hint}, so the column is NOT NULL.")


@task_model
async def test_task_status_defaults_to_pending(learner, tables, sessionmaker):
    """Does a task saved without a status come back from the database as "pending"?"""
    Task, table = _task_table(learner)
    assert "status" in table.c, "Task has no `status` column."
    await tables(table)
    async with sessionmaker() as session:
        task = Task(title="write the first lesson")
        session.add(task)
        await session.commit()
        task_id = task.id
    assert isinstance(task_id, int) and not isinstance(task_id, bool), (
        f"After the commit the task's id is {task_id!r}; the database should have numbered it (an int primary key)."
    )
    async with sessionmaker() as fresh:
        saved = (await fresh.exec(select(Task).where(Task.id == task_id))).one()
    assert saved.status == "pending", f'A new task has status {saved.status!r}; its default should be "pending".'


@task_model
async def test_task_created_at_is_aware_and_per_row(learner, tables, sessionmaker):
    """Is `created_at` set for each new row, in UTC, and still timezone-aware when read back?"""
    Task, table = _task_table(learner)
    assert "created_at" in table.c, "Task has no `created_at` column."
    await tables(table)
    before = datetime.now(UTC)
    first = Task(title="one")
    await asyncio.sleep(0.02)
    second = Task(title="two")
    for task in (first, second):
        assert task.created_at is not None, "created_at is not set automatically: use default_factory=lambda: datetime.now(UTC)."
        assert task.created_at.tzinfo is not None, "created_at is naive (no timezone): use datetime.now(UTC), not datetime.utcnow()."
        assert task.created_at.utcoffset() == timedelta(0), "created_at should be in UTC: datetime.now(UTC)."
        assert abs(task.created_at - before) < timedelta(minutes=5), "created_at is not the time the task was created."
    assert first.created_at != second.created_at, (
        "Two tasks got the same created_at: the default was computed once, when the class was defined. "
        "Use default_factory=lambda: datetime.now(UTC)."
    )
    async with sessionmaker() as session:
        session.add(first)
        await session.commit()
        first_id = first.id
    async with sessionmaker() as fresh:
        saved = (await fresh.exec(select(Task).where(Task.id == first_id))).one()
    assert saved.created_at.tzinfo is not None, "created_at comes back from the database without a timezone."
    assert abs(saved.created_at - first.created_at) < timedelta(seconds=1), "created_at changed on its way through the database."
