"""Does every course function that returns a TaskFlow object after a commit return it loaded, even from
a session that expires everything on commit (SQLAlchemy's default, which L05 warns a function cannot rule out)?

The functions are the solution notebooks' own, loaded as the graders load a learner's notebook.
"""

import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from skillbook.engine.loading import load_notebook
from taskflow.db import make_sessionmaker
from taskflow.models import Agent, Project, Task, TaskCreate, TaskUpdate
from tests.builders import solution_path


def unreadable(obj, relationships=()) -> list[str]:
    """The columns (and the named relationships) that reading would have to load: MissingGreenlet in async code."""
    state = inspect(obj)
    columns = set(state.mapper.column_attrs.keys())
    return sorted((state.unloaded & columns) | (state.unloaded & set(relationships)))


@pytest.fixture
async def solutions(taskflow_url, engine, tmp_path, monkeypatch):
    """`await solutions("L05")`: that lesson's solution notebook, run without a kernel on this test's database."""
    monkeypatch.setenv("DATABASE_URL", taskflow_url)
    monkeypatch.chdir(tmp_path)  # files the notebooks write land here
    loaded = []

    async def load(lesson_id: str):
        learner = await load_notebook(solution_path(lesson_id))
        assert not learner.fatal and not learner.errors, (learner.fatal, learner.errors)
        loaded.append(learner)
        return learner

    yield load
    for learner in loaded:
        for value in list(learner.namespace.values()):
            if isinstance(value, AsyncEngine):
                await value.dispose()


async def seed(engine) -> dict[str, int]:
    async with make_sessionmaker(engine)() as session:
        project, agent, task = Project(name="p"), Agent(name="coder", credits=50), Task(title="seeded")
        session.add_all([project, agent, task])
        await session.commit()
        return {"project": project.id, "agent": agent.id, "task": task.id}


async def test_l05_functions_return_loaded_tasks(solutions, engine):
    l05 = await solutions("L05")
    ids = await seed(engine)
    calls = {  # each in a session of its own: the next commit would expire what the last one returned
        "create_task": lambda session: l05.create_task(session, TaskCreate(title="new", project_id=ids["project"])),
        "update_task": lambda session: l05.update_task(session, ids["task"], TaskUpdate(status="done")),
        "create_tasks_bulk": lambda session: l05.create_tasks_bulk(session, [TaskCreate(title=f"bulk {i}") for i in range(3)]),
    }
    for name, call in calls.items():
        async with AsyncSession(engine) as session:  # expire_on_commit=True
            result = await call(session)
            tasks = result if isinstance(result, list) else [result]
            assert tasks and not any(unreadable(t) for t in tasks), (name, [unreadable(t) for t in tasks])
        assert all(isinstance(t.id, int) for t in tasks), name


async def test_l06_tag_task_returns_the_task_with_its_tags(solutions, engine):
    l06 = await solutions("L06")
    ids = await seed(engine)
    async with AsyncSession(engine) as session:
        task = await l06.tag_task(session, ids["task"], ["urgent", "infra"])
        assert not unreadable(task, ["tags"]), unreadable(task, ["tags"])
    assert sorted(tag.name for tag in task.tags) == ["infra", "urgent"]


async def test_l07_charge_returns_a_loaded_entry(solutions, engine):
    l07 = await solutions("L07")
    ids = await seed(engine)
    async with AsyncSession(engine) as session:
        entry = await l07.charge_for_task(session, ids["agent"], ids["task"], 7)
        assert not unreadable(entry), unreadable(entry)
    assert (entry.agent_id, entry.task_id, entry.cost) == (ids["agent"], ids["task"], 7)


async def test_l09_service_returns_loaded_rows(solutions, engine):
    l09 = await solutions("L09")
    ids = await seed(engine)
    async with AsyncSession(engine) as session:
        created = await l09.TaskService(session).create(TaskCreate(title="via service", project_id=ids["project"]))
        assert not unreadable(created), unreadable(created)
    async with AsyncSession(engine) as session:
        updated = await l09.TaskService(session).update(ids["task"], TaskUpdate(priority=5))
        assert not unreadable(updated), unreadable(updated)
    assert updated.priority == 5 and created.title == "via service"
