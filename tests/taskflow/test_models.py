"""Does TaskFlow's model do what the lessons say, measured on SQLite and PostgreSQL?

Deletes go to the database's ON DELETE CASCADE (one DELETE, whatever hangs below), deleting a task
deletes its subtasks, and a status outside the four is refused before it reaches the database.
"""

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlmodel import col, func, select

from taskflow.db import make_sessionmaker
from taskflow.models import TASK_STATUSES, Agent, Project, Tag, Task, TaskCreate, TaskRead, TaskTagLink, TaskUpdate, UsageEntry


async def titles(engine) -> list[str]:
    async with make_sessionmaker(engine)() as session:
        return sorted((await session.exec(select(Task.title))).all())


async def count(engine, model) -> int:
    async with make_sessionmaker(engine)() as session:
        return (await session.exec(select(func.count()).select_from(model))).one()


async def project_with_tree(engine, name: str, n: int) -> int:
    """A project with n tasks, each with two subtasks (one in the project, one in none) and a tag."""
    async with make_sessionmaker(engine)() as session:
        tag = (await session.exec(select(Tag).where(Tag.name == "shared"))).first() or Tag(name="shared")
        project = Project(name=name)
        for i in range(n):
            subtasks = [Task(title=f"{name} {i}.a", project=project), Task(title=f"{name} {i}.b")]
            project.tasks.append(Task(title=f"{name} {i}", subtasks=subtasks, tags=[tag]))
        session.add(project)
        await session.commit()
        return project.id


@pytest.mark.parametrize("n", [1, 10])
async def test_deleting_a_project_is_one_delete_whatever_it_holds(engine, sql, n):
    """Does `session.delete(project)` send one DELETE, and does the database remove its tasks, their
    subtasks (also those in no project) and their tag links, leaving other projects and tags alone?"""
    doomed = await project_with_tree(engine, "doomed", n)
    await project_with_tree(engine, "kept", 1)
    async with make_sessionmaker(engine)() as session:
        project = await session.get(Project, doomed)
        with sql() as sent:
            await session.delete(project)
            await session.commit()
    assert sent == [sent[0]] and sent[0].startswith("DELETE FROM project"), sent
    assert await titles(engine) == ["kept 0", "kept 0.a", "kept 0.b"]
    assert await count(engine, TaskTagLink) == 1 and await count(engine, Tag) == 1


async def test_deleting_a_task_deletes_its_subtasks(engine, sql):
    """Does deleting a task through the ORM delete its subtasks and theirs, in one DELETE, instead of
    setting their parent_id to NULL?"""
    async with make_sessionmaker(engine)() as session:
        root = Task(title="release", subtasks=[
            Task(title="build", subtasks=[Task(title="compile"), Task(title="package")]),
            Task(title="test"),
        ])
        session.add_all([root, Task(title="unrelated")])
        await session.commit()
    async with make_sessionmaker(engine)() as session:
        task = await session.get(Task, root.id)
        with sql() as sent:
            await session.delete(task)
            await session.commit()
    assert len(sent) == 1 and sent[0].startswith("DELETE FROM task"), sent
    assert await titles(engine) == ["unrelated"]


async def test_deleting_a_tag_removes_its_links_not_its_tasks(engine, sql):
    """Does deleting a tag send one DELETE, the database removing its link rows and keeping the tasks?"""
    await project_with_tree(engine, "tagged", 3)
    async with make_sessionmaker(engine)() as session:
        tag = (await session.exec(select(Tag))).one()
        with sql() as sent:
            await session.delete(tag)
            await session.commit()
    assert len(sent) == 1 and sent[0].startswith("DELETE FROM tag"), sent
    assert await count(engine, TaskTagLink) == 0 and await count(engine, Task) == 9


async def cross_project(engine) -> tuple[int, int]:
    """Project "p" holds a root task and a task whose parent is in project "q"."""
    async with make_sessionmaker(engine)() as session:
        p, q = Project(name="p"), Project(name="q")
        session.add_all([p, q])
        await session.flush()
        parent = Task(title="q parent", project_id=q.id)
        session.add_all([Task(title="p root", project_id=p.id), parent])
        await session.flush()
        session.add(Task(title="p child of q", project_id=p.id, parent_id=parent.id))
        await session.commit()
        return p.id, q.id


async def test_project_delete_with_a_parent_in_another_project(engine, sql):
    """With a task whose parent is in another project, is deleting the project still one DELETE
    (before passive_deletes the ORM raised: 'Task.parent' is not available due to lazy='raise_on_sql')?"""
    p, q = await cross_project(engine)
    async with make_sessionmaker(engine)() as session:
        project = await session.get(Project, p)
        with sql() as sent:
            await session.delete(project)
            await session.commit()
    assert len(sent) == 1 and sent[0].startswith("DELETE FROM project"), sent
    assert await titles(engine) == ["q parent"]


async def test_project_delete_with_its_tasks_in_the_session(engine, sql):
    """With the project's tasks loaded (selectinload), does the ORM delete those itself, without a
    SELECT and without raising on raise_on_sql for a parent in another project?"""
    p, q = await cross_project(engine)
    async with make_sessionmaker(engine)() as session:
        project = (await session.exec(select(Project).where(Project.id == p).options(selectinload(Project.tasks)))).one()
        with sql() as sent:
            await session.delete(project)
            await session.commit()
        assert not any(s.startswith("SELECT") for s in sent), sent
        assert all(s.startswith(("DELETE FROM task", "DELETE FROM project")) for s in sent), sent
        assert await session.get(Task, project.tasks[0].id) is None, "a deleted task stayed in the session"
    assert await titles(engine) == ["q parent"]


async def test_task_delete_with_subtasks_in_the_session(engine, sql):
    """With a task's subtasks loaded, and their own subtasks not, is the whole tree deleted without a SELECT?"""
    async with make_sessionmaker(engine)() as session:
        session.add(Task(title="root", subtasks=[Task(title="a", subtasks=[Task(title="a1")]), Task(title="b")]))
        await session.commit()
    async with make_sessionmaker(engine)() as session:
        root = (await session.exec(select(Task).where(Task.title == "root").options(selectinload(Task.subtasks)))).one()
        with sql() as sent:
            await session.delete(root)
            await session.commit()
    assert sent and not any(s.startswith("SELECT") for s in sent), sent
    assert await titles(engine) == []


async def test_deleting_a_task_keeps_its_ledger_rows(engine):
    """Does the ledger keep what an agent paid for a deleted task (task_id becomes NULL, ON DELETE SET NULL)?"""
    async with make_sessionmaker(engine)() as session:
        agent, task = Agent(name="coder", credits=10), Task(title="paid for")
        session.add_all([agent, task])
        await session.flush()
        session.add(UsageEntry(agent_id=agent.id, task_id=task.id, cost=3))
        await session.commit()
        await session.delete(task)
        await session.commit()
        entry = (await session.exec(select(UsageEntry).execution_options(populate_existing=True))).one()
    assert entry.task_id is None and entry.cost == 3


@pytest.mark.parametrize("schema", [TaskCreate, TaskUpdate])
def test_an_unknown_status_is_a_validation_error(schema):
    """Do the schemas accept exactly the four statuses the CHECK constraint allows?"""
    for status in TASK_STATUSES:
        assert schema(title="t", status=status).status == status
    with pytest.raises(ValidationError, match="status"):
        schema(title="t", status="bogus")
    assert set(TASK_STATUSES) == {"pending", "in_progress", "done", "failed"}


async def test_an_api_answers_422_for_an_unknown_status():
    """Does FastAPI refuse a body with status "bogus" with 422 before any database is involved?"""
    app = FastAPI()

    @app.post("/tasks", status_code=201)
    async def create(body: TaskCreate) -> TaskCreate:
        return body

    @app.patch("/tasks/{task_id}")
    async def update(task_id: int, body: TaskUpdate) -> TaskUpdate:
        return body

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://taskflow") as client:
        assert (await client.post("/tasks", json={"title": "t", "status": "done"})).status_code == 201
        bad = await client.post("/tasks", json={"title": "t", "status": "bogus"})
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "status"], bad.text
        assert (await client.patch("/tasks/1", json={"status": "bogus"})).status_code == 422


async def test_the_database_still_refuses_an_unknown_status(engine):
    """Does the CHECK constraint refuse what bypasses the schemas (a table object, plain SQL)?"""
    async with make_sessionmaker(engine)() as session:
        session.add(Task(title="t", status="bogus"))  # table models do not validate
        with pytest.raises(IntegrityError, match="ck_task_status|CHECK"):
            await session.commit()
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO task (title, status, priority, context, created_at) "
                                "VALUES ('ok', 'in_progress', 3, '{}', CURRENT_TIMESTAMP)"))
    async with make_sessionmaker(engine)() as session:
        task = (await session.exec(select(Task).where(col(Task.title) == "ok"))).one()
    assert TaskRead.model_validate(task).status == "in_progress"
