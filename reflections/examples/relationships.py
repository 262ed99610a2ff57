"""Relationships loaded on purpose: selectinload for collections, joinedload for one related row,
statement counts measured instead of guessed, many-to-many get-or-create, cascade delete.

Run: python examples/relationships.py   (in-memory SQLite; DATABASE_URL=postgresql+asyncpg://... for PostgreSQL)
"""

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Optional

from sqlalchemy import event
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import joinedload, selectinload
from sqlmodel import Field, Relationship, SQLModel, col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

# Unloaded relationships raise instead of querying behind your back. "raise_on_sql", not "raise":
# deleting a task whose subtasks cascade needs what is already in the session.
NO_LAZY = {"lazy": "raise_on_sql"}


class TaskTagLink(SQLModel, table=True):
    task_id: int | None = Field(default=None, foreign_key="task.id", primary_key=True, ondelete="CASCADE")
    tag_id: int | None = Field(default=None, foreign_key="tag.id", primary_key=True, ondelete="CASCADE")


class Project(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    # Both halves of cascade delete: the ORM leaves the children to ON DELETE CASCADE in the database.
    tasks: list["Task"] = Relationship(back_populates="project", cascade_delete=True, passive_deletes=True,
                                       sa_relationship_kwargs=NO_LAZY)


class Task(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str
    project_id: int | None = Field(default=None, foreign_key="project.id", ondelete="CASCADE")
    parent_id: int | None = Field(default=None, foreign_key="task.id", ondelete="CASCADE")
    project: Optional[Project] = Relationship(back_populates="tasks", sa_relationship_kwargs=NO_LAZY)
    parent: Optional["Task"] = Relationship(back_populates="subtasks",  # Optional["Task"]: "Task | None" fails
                                            sa_relationship_kwargs={"remote_side": "Task.id", **NO_LAZY})
    subtasks: list["Task"] = Relationship(back_populates="parent", cascade_delete=True, passive_deletes=True,
                                          sa_relationship_kwargs=NO_LAZY)
    tags: list["Tag"] = Relationship(back_populates="tasks", link_model=TaskTagLink, sa_relationship_kwargs=NO_LAZY)


class Tag(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    tasks: list[Task] = Relationship(back_populates="tags", link_model=TaskTagLink, sa_relationship_kwargs=NO_LAZY)

# skillbook:exercise L06.list_projects_with_tasks
async def list_projects_with_tasks(session: AsyncSession) -> list[Project]:
    tasks_and_their_tags = selectinload(Project.tasks).selectinload(Task.tags)
    statement = select(Project).options(tasks_and_their_tags).order_by(col(Project.id))
    return list((await session.exec(statement)).all())
# skillbook:end

# skillbook:exercise L06.get_task_with_project
async def get_task_with_project(session: AsyncSession, task_id: int) -> Task | None:
    statement = select(Task).where(Task.id == task_id).options(joinedload(Task.project), joinedload(Task.parent))
    return (await session.exec(statement)).first()
# skillbook:end

# skillbook:exercise L06.get_task_tree
async def get_task_tree(session: AsyncSession, root_id: int, depth: int = 3) -> Task | None:
    option = joinedload(Task.subtasks)  # the first level joins into the root's SELECT
    for _ in range(depth - 1):
        option = option.selectinload(Task.subtasks)
    return (await session.exec(select(Task).where(Task.id == root_id).options(option))).unique().first()
# skillbook:end

# skillbook:exercise L06.tag_task
async def tag_task(session: AsyncSession, task_id: int, names: list[str]) -> Task:
    task = (await session.exec(select(Task).where(Task.id == task_id).options(selectinload(Task.tags)))).first()
    if task is None:
        raise ValueError(f"no task {task_id}")
    missing = set(names) - {tag.name for tag in task.tags}
    found = {t.name: t for t in (await session.exec(select(Tag).where(col(Tag.name).in_(missing)))).all()}
    task.tags.extend(found.get(name) or Tag(name=name, tasks=[]) for name in sorted(missing))
    await session.commit()
    return task
# skillbook:end

# skillbook:exercise L06.tasks_by_tag
async def tasks_by_tag(session: AsyncSession, name: str) -> list[Task]:
    statement = select(Task).where(Task.tags.any(Tag.name == name)).options(selectinload(Task.tags))
    return list((await session.exec(statement.order_by(col(Task.id)))).all())
# skillbook:end


@contextmanager
def counted(engine: AsyncEngine) -> Iterator[list[str]]:
    """The SQL statements sent inside the block (listen on the sync engine: the async one refuses)."""
    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        sent.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


def sqlite_foreign_keys(dbapi_connection, connection_record) -> None:
    dbapi_connection.cursor().execute("PRAGMA foreign_keys=ON")  # or ON DELETE CASCADE does nothing


async def main() -> None:
    engine = create_async_engine(os.environ.get("DATABASE_URL", "sqlite+aiosqlite://"))
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", sqlite_foreign_keys)
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    Session = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
    async with Session() as session:
        session.add_all([Project(name=f"project {n}", tasks=[Task(title="plan"), Task(title="ship")]) for n in range(3)])
        tree = Task(title="root", subtasks=[Task(title=f"child {n}", subtasks=[Task(title=f"grandchild {n}")]) for n in range(2)])
        session.add(tree)
        await session.commit()
    async with Session() as session:
        projects = (await session.exec(select(Project))).all()
        try:
            projects[0].tasks
        except InvalidRequestError as exc:
            print("an unloaded relationship:", exc)
        with counted(engine) as sent:
            for project in projects:
                await session.refresh(project, ["tasks"])  # 2 statements each: N+1 (and worse)
        print(f"refresh(project, ['tasks']) for {len(projects)} projects: {len(sent)} statements")
    # skillbook:with L06.list_projects_with_tasks
    for more in (0, 9):
        async with Session() as session:
            session.add_all([Project(name=f"more {n}", tasks=[Task(title="t")]) for n in range(more)])
            await session.commit()
            with counted(engine) as sent:
                loaded = await list_projects_with_tasks(session)
        print(f"list_projects_with_tasks, {len(loaded)} projects with tasks and tags: {len(sent)} statements")
    # skillbook:end
    async with Session() as session:
        # skillbook:with L06.get_task_with_project
        with counted(engine) as sent:
            task = await get_task_with_project(session, 1)
        print(f"get_task_with_project: {task.title} of {task.project.name}, parent {task.parent}, {len(sent)} statement")
        # skillbook:end
        # skillbook:with L06.get_task_tree
        with counted(engine) as sent:
            root = await get_task_tree(session, tree.id, depth=2)
        print("tree:", [(c.title, [g.title for g in c.subtasks]) for c in root.subtasks], f"{len(sent)} statements")
        # skillbook:end
        # skillbook:with L06.tag_task
        await tag_task(session, 1, ["urgent", "docs"])
        print("tags after tagging twice:", sorted(t.name for t in (await tag_task(session, 1, ["urgent"])).tags))
        # skillbook:end
        # skillbook:with L06.tasks_by_tag L06.tag_task
        print("tagged urgent:", [(t.title, sorted(tag.name for tag in t.tags)) for t in await tasks_by_tag(session, "urgent")])
        # skillbook:end
        doomed = await session.get(Project, 1)  # its tasks are not loaded, and need not be
        with counted(engine) as sent:
            await session.delete(doomed)
            await session.commit()
        left = (await session.exec(select(func.count()).select_from(Task).where(Task.project_id == 1))).one()
        print(f"deleting a project: {len(sent)} statement ({sent[0].split()[0]}), its tasks left: {left}")
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.drop_all)
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
