"""Is every fact the skill states about statement counts, expiry and cascades true, measured on SQLite and PostgreSQL?

FACTS ties each measured fact to the words reflections/LXX.md uses for it; one test checks the words are
there, another that every rule in reflections/ that speaks of statements, expiry or cascades cites a
fact measured here. The measurements run on the installed versions (pyproject.toml pins them).
"""

import asyncio
import gc
import re
import socket
import threading
import time
from contextlib import contextmanager
from typing import Optional

import pytest
from sqlalchemy import event, func, inspect, text
from sqlalchemy.exc import IntegrityError, InvalidRequestError
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import joinedload, registry, selectinload
from sqlmodel import Field, Relationship, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from skillbook.course import paths
from skillbook.engine.databases import isolated_database

# (lesson, the words reflections/<lesson>.md uses, the test below that measures it)
FACTS = [
    ("L04", "a commit expires every object in the session", "test_commit_expires_every_object"),
    ("L06", "`selectinload(Project.tasks)` takes 2 statements for 3 projects and for 12", "test_selectinload_is_two_statements"),
    ("L06", "`joinedload(Task.project)` takes 1", "test_joinedload_many_to_one_is_one_statement"),
    ("L06", 'each `await session.refresh(project, ["tasks"])` takes 2, so a refresh loop over 5 projects costs 11 statements',
     "test_refresh_of_a_collection_is_two_statements"),
    ("L06", "chained `depth` times takes `depth + 1`", "test_a_tree_costs_one_statement_per_level"),
    ("L06", "`selectinload(Project.tasks)` | +1, any number of parents", "test_selectinload_is_two_statements"),
    ("L06", "`joinedload(Task.project)` | +0 (a LEFT OUTER JOIN)", "test_joinedload_many_to_one_is_one_statement"),
    ("L06", "`selectinload(Project.tasks).selectinload(Task.tags)` | +1 per level", "test_a_tree_costs_one_statement_per_level"),
    ("L06", '`await session.refresh(obj, ["tasks"])` | +2: never in a loop', "test_refresh_of_a_collection_is_two_statements"),
    ("L06", "deleting a task that has loaded subtasks fails inside the flush", "test_lazy_raise_breaks_a_self_referential_cascade"),
    ("L06", "the ORM deletes a parent by setting its children's foreign key to NULL", "test_without_cascade_the_orm_orphans_children"),
    ("L06", "deleting a project whose tasks are not loaded is 1 statement (the DELETE)", "test_passive_cascade_is_one_delete"),
    ("L07", "A rollback expires every object in the session", "test_rollback_expires_every_object"),
    ("L07", "a released savepoint survived the outer `rollback()` (1 row left where 0 were expected)", "test_sqlite_savepoint_quirk_and_recipe"),
    ("L05", "The example counts 1 COMMIT for the whole batch", "test_bulk_insert_is_one_commit"),
    ("L03", "after `DELETE FROM project` no task was left (with foreign keys on)", "test_on_delete_cascade_in_the_database"),
    ("L03", '| children go with the parent | `ondelete="CASCADE"`', "test_on_delete_cascade_in_the_database"),
    ("L03", "a task pointing at a missing project was stored", "test_sqlite_foreign_keys_are_off_by_default"),
    ("L02", "SQLAlchemy 2.1 already gives `sqlite+aiosqlite://` a `StaticPool`", "test_in_memory_sqlite_gets_a_static_pool"),
    ("L02", "a server that accepts and never answers would hang the call", "test_ping_needs_a_timeout"),
]
MENTIONS = re.compile(r"\d+ statements?\b|depth \+ 1|\| \+\d|\d+ COMMIT|(?i:expire(?!_on_commit=)|cascade)")


def _normal(text: str) -> str:
    return " ".join(text.split())


def _rules(lesson_id: str) -> list[str]:
    """reflections/<lesson>.md split into rules: bullets and table rows."""
    text = (paths.reflections_dir() / f"{lesson_id}.md").read_text(encoding="utf-8")
    return [_normal(rule) for rule in re.split(r"\n(?=- |\| )", text) if rule.startswith(("- ", "| "))]


@pytest.mark.parametrize("lesson_id, words, measured_by", FACTS, ids=[f"{f[0]}-{n}" for n, f in enumerate(FACTS)])
def test_the_skill_states_the_measured_fact(lesson_id, words, measured_by):
    """Are the words of each measured fact in the lesson's reflection, and is there a test that measures it?"""
    assert words in _normal((paths.reflections_dir() / f"{lesson_id}.md").read_text(encoding="utf-8"))
    assert callable(globals().get(measured_by)), measured_by


def test_every_count_expiry_and_cascade_rule_cites_a_measured_fact():
    """Does every rule in reflections/ that speaks of statements, expiry or cascades carry one of the measured facts?"""
    unmeasured = []
    for path in sorted(paths.reflections_dir().glob("L*.md")):
        words = [w for lesson, w, _ in FACTS if lesson == path.stem]
        for rule in _rules(path.stem):
            if MENTIONS.search(rule) and not any(w in rule for w in words):
                unmeasured.append(f"{path.name}: {rule[:100]}")
    assert not unmeasured, "\n".join(unmeasured)


# ---------------------------------------------------------------- the measurements


class Base(SQLModel, registry=registry()):
    """The measurements' own tables, apart from TaskFlow's on SQLModel.metadata."""


def make_models(lazy: str):
    """Project 1-N Task, Task's self-reference, with a choice of lazy=; a registry of their own each time."""

    class Local(SQLModel, registry=registry()):
        pass

    options = {"lazy": lazy}

    class Project(Local, table=True):
        id: int | None = Field(default=None, primary_key=True)
        tasks: list["Task"] = Relationship(back_populates="project", cascade_delete=True, passive_deletes=True,
                                           sa_relationship_kwargs=options)

    class Task(Local, table=True):
        id: int | None = Field(default=None, primary_key=True)
        project_id: int | None = Field(default=None, foreign_key="project.id", ondelete="CASCADE")
        parent_id: int | None = Field(default=None, foreign_key="task.id", ondelete="CASCADE")
        project: Optional[Project] = Relationship(back_populates="tasks", sa_relationship_kwargs=options)
        parent: Optional["Task"] = Relationship(back_populates="subtasks",
                                                sa_relationship_kwargs={"remote_side": "Task.id", **options})
        subtasks: list["Task"] = Relationship(back_populates="parent", cascade_delete=True, passive_deletes=True,
                                              sa_relationship_kwargs=options)

    return Local, Project, Task


class Parent(Base, table=True):  # no cascade on the relationship
    id: int | None = Field(default=None, primary_key=True)
    children: list["Child"] = Relationship(back_populates="parent")


class Child(Base, table=True):
    id: int | None = Field(default=None, primary_key=True)
    parent_id: int | None = Field(default=None, foreign_key="parent.id", ondelete="CASCADE")
    parent: Optional[Parent] = Relationship(back_populates="children")


@pytest.fixture
def fresh_url(database_url, tmp_path):
    with isolated_database(database_url, tmp_path) as url:
        yield url


@pytest.fixture
async def engine_for(fresh_url):
    """make(metadata): an engine on an empty database with those tables (SQLite: foreign keys on, unless
    told otherwise; `recipe`: SQLAlchemy's SQLite savepoint recipe)."""
    made = []

    async def make(metadata, *, foreign_keys=True, recipe=False):
        engine = create_async_engine(fresh_url)
        made.append(engine)
        if engine.dialect.name == "sqlite":
            @event.listens_for(engine.sync_engine, "connect")
            def connect(dbapi_connection, connection_record):
                if recipe:
                    dbapi_connection.isolation_level = None
                if foreign_keys:
                    dbapi_connection.cursor().execute("PRAGMA foreign_keys=ON")

            if recipe:
                event.listen(engine.sync_engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        return engine

    yield make
    for engine in made:
        await engine.dispose()


@contextmanager
def counted(engine):
    sent = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


def sessions(engine, **options):
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False, **options)


async def _projects(Session, Project, Task, count: int) -> None:
    async with Session() as session:
        session.add_all([Project(tasks=[Task(), Task()]) for _ in range(count)])
        await session.commit()


# aiosqlite leaves the cursor coroutine it could not run behind when MissingGreenlet stops it (the lesson hides it too).
@pytest.mark.filterwarnings("ignore:coroutine 'Connection.cursor' was never awaited:RuntimeWarning")
async def test_commit_expires_every_object(engine_for):
    Local, Project, Task = make_models("raise_on_sql")
    engine = await engine_for(Local.metadata)
    async with AsyncSession(engine) as session:  # expire_on_commit=True, the default
        untouched, changed = Project(), Project()
        session.add_all([untouched, changed])
        await session.commit()
        assert inspect(untouched).expired and inspect(changed).expired
        with pytest.raises(Exception, match="greenlet_spawn has not been called"):  # StatementError on aiosqlite
            untouched.id
        gc.collect()  # the left-behind coroutine goes while the filter above holds
    async with sessions(engine)() as session:
        kept = Project()
        session.add(kept)
        await session.commit()
        assert not inspect(kept).expired and kept.id


async def test_selectinload_is_two_statements(engine_for):
    Local, Project, Task = make_models("raise_on_sql")
    engine = await engine_for(Local.metadata)
    Session = sessions(engine)
    for added, total in ((3, 3), (9, 12)):
        await _projects(Session, Project, Task, added)
        async with Session() as session:
            with counted(engine) as sent:
                loaded = (await session.exec(select(Project).options(selectinload(Project.tasks)))).all()
            assert len(loaded) == total and all(len(p.tasks) == 2 for p in loaded)
            assert len(sent) == 2


async def test_joinedload_many_to_one_is_one_statement(engine_for):
    Local, Project, Task = make_models("raise_on_sql")
    engine = await engine_for(Local.metadata)
    Session = sessions(engine)
    await _projects(Session, Project, Task, 1)
    async with Session() as session:
        with counted(engine) as sent:
            task = (await session.exec(select(Task).options(joinedload(Task.project)))).first()
        assert task.project is not None and len(sent) == 1


async def test_refresh_of_a_collection_is_two_statements(engine_for):
    Local, Project, Task = make_models("raise_on_sql")
    engine = await engine_for(Local.metadata)
    Session = sessions(engine)
    await _projects(Session, Project, Task, 5)
    async with Session() as session:
        project = (await session.exec(select(Project))).first()
        with counted(engine) as sent:
            await session.refresh(project, ["tasks"])
        assert len(sent) == 2
    async with Session() as session:
        with counted(engine) as sent:
            projects = (await session.exec(select(Project))).all()
            for project in projects:
                await session.refresh(project, ["tasks"])
        assert len(sent) == 11 and all(len(p.tasks) == 2 for p in projects)


async def test_a_tree_costs_one_statement_per_level(engine_for):
    Local, Project, Task = make_models("raise_on_sql")
    engine = await engine_for(Local.metadata)
    Session = sessions(engine)
    async with Session() as session:
        root = Task(subtasks=[Task(subtasks=[Task(subtasks=[Task(subtasks=[])])])])
        session.add(root)
        await session.commit()
    for depth in (1, 2, 3):
        option = selectinload(Task.subtasks)
        for _ in range(depth - 1):
            option = option.selectinload(Task.subtasks)
        async with Session() as session:
            with counted(engine) as sent:
                await session.exec(select(Task).where(Task.id == root.id).options(option))
            assert len(sent) == depth + 1


@pytest.mark.parametrize("lazy", ["raise", "raise_on_sql"])
async def test_lazy_raise_breaks_a_self_referential_cascade(engine_for, lazy):
    Local, Project, Task = make_models(lazy)
    engine = await engine_for(Local.metadata)
    Session = sessions(engine)
    async with Session() as session:
        root = Task(subtasks=[Task(subtasks=[]), Task(subtasks=[])])
        session.add(root)
        await session.commit()
    async with Session() as session:
        loaded = (await session.exec(select(Task).where(Task.id == root.id).options(selectinload(Task.subtasks)))).one()
        await session.delete(loaded)
        if lazy == "raise":
            with pytest.raises(InvalidRequestError, match=r"'Task\.(parent|project)' is not available due to lazy='raise'"):
                await session.commit()
            await session.rollback()
        else:
            await session.commit()
            assert (await session.exec(select(func.count()).select_from(Task))).one() == 0


async def test_without_cascade_the_orm_orphans_children(engine_for):
    engine = await engine_for(Base.metadata)
    async with sessions(engine)() as session:
        parent = Parent(children=[Child(), Child()])
        session.add(parent)
        await session.commit()
        await session.delete(parent)
        await session.commit()
        assert (await session.exec(select(Child.parent_id))).all() == [None, None]  # kept, orphaned


async def test_passive_cascade_is_one_delete(engine_for):
    Local, Project, Task = make_models("raise_on_sql")
    engine = await engine_for(Local.metadata)
    Session = sessions(engine)
    await _projects(Session, Project, Task, 1)
    async with Session() as session:
        project = (await session.exec(select(Project))).first()  # its tasks are not loaded
        with counted(engine) as sent:
            await session.delete(project)
            await session.commit()
        assert [s.split()[0] for s in sent] == ["DELETE"]
        assert (await session.exec(select(func.count()).select_from(Task))).one() == 0


async def test_rollback_expires_every_object(engine_for):
    Local, Project, Task = make_models("raise_on_sql")
    engine = await engine_for(Local.metadata)
    async with sessions(engine)() as session:
        untouched, changed = Project(), Project()
        session.add_all([untouched, changed])
        await session.commit()
        assert not inspect(untouched).expired
        changed.id = changed.id  # a change the flush sends
        session.add(Task(project_id=changed.id))
        await session.flush()
        await session.rollback()
        assert inspect(untouched).expired and inspect(changed).expired


@pytest.mark.parametrize("recipe", [False, True])
async def test_sqlite_savepoint_quirk_and_recipe(engine_for, recipe):
    engine = await engine_for(Base.metadata, recipe=recipe)
    async with sessions(engine)() as session:
        async with session.begin_nested():  # the transaction's first statement is the SAVEPOINT
            session.add(Parent())
        await session.rollback()
    async with sessions(engine)() as session:
        left = (await session.exec(select(func.count()).select_from(Parent))).one()
    assert left == (1 if engine.dialect.name == "sqlite" and not recipe else 0)


async def test_bulk_insert_is_one_commit(engine_for):
    Local, Project, Task = make_models("raise_on_sql")
    engine = await engine_for(Local.metadata)
    commits = []
    event.listen(engine.sync_engine, "commit", lambda conn: commits.append(1))
    async with sessions(engine)() as session:
        session.add_all([Project() for _ in range(20)])
        await session.commit()
    assert len(commits) == 1


async def test_on_delete_cascade_in_the_database(engine_for):
    Local, Project, Task = make_models("raise_on_sql")
    engine = await engine_for(Local.metadata)
    await _projects(sessions(engine), Project, Task, 2)
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM project"))
        assert (await conn.execute(text("SELECT count(*) FROM task"))).scalar_one() == 0


async def test_sqlite_foreign_keys_are_off_by_default(engine_for):
    engine = await engine_for(Base.metadata, foreign_keys=False)
    async with sessions(engine)() as session:
        session.add(Child(parent_id=42))  # there is no parent 42
        if engine.dialect.name != "sqlite":
            with pytest.raises(IntegrityError, match="foreign key"):
                await session.commit()
            return
        await session.commit()
        assert len((await session.exec(select(Child))).all()) == 1


def test_in_memory_sqlite_gets_a_static_pool():
    engine = create_async_engine("sqlite+aiosqlite://")
    assert type(engine.pool).__name__ == "StaticPool"
    with pytest.raises(TypeError, match="Invalid argument\\(s\\) 'pool_size'"):
        create_async_engine("sqlite+aiosqlite://", pool_size=5)


def test_ping_needs_a_timeout():
    """A server that accepts connections and never answers: without a timeout the connect waits
    (asyncpg's own limit is 60 s); `asyncio.timeout(2)` gives up after 2."""
    silent = socket.create_server(("127.0.0.1", 0))
    accepted = []
    threading.Thread(target=lambda: accepted.append(silent.accept()), daemon=True).start()
    port = silent.getsockname()[1]
    engine = create_async_engine(f"postgresql+asyncpg://USER:PASSWORD@127.0.0.1:{port}/db")

    async def connect(limit):
        started = time.perf_counter()
        try:
            async with asyncio.timeout(limit):
                async with engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
        except TimeoutError:
            return time.perf_counter() - started
        return None

    try:
        assert asyncio.run(connect(3)) == pytest.approx(3, abs=1)  # still waiting when we gave up
        asyncio.run(engine.dispose())
    finally:
        for connection, _ in accepted:
            connection.close()
        silent.close()
