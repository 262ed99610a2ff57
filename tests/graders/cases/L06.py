"""L06: realistic wrong answers and correct alternatives, as data (see __init__.py)."""


HEADER = """from sqlalchemy.orm import contains_eager, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from taskflow.models import Project, Tag, Task, TaskTagLink
"""

# id -> (cell replacements, the exercise that must lose points)
WRONG = {
    "projects-refresh-per-project": ({"L06-list_projects_with_tasks": HEADER + """
async def list_projects_with_tasks(session):
    projects = (await session.exec(select(Project))).all()
    for project in projects:
        await session.refresh(project, ["tasks"])
    return list(projects)
"""}, "L06.list_projects_with_tasks"),
    "projects-query-per-project": ({"L06-list_projects_with_tasks": HEADER + """
async def list_projects_with_tasks(session):
    projects = (await session.exec(select(Project))).all()
    for project in projects:
        tasks = (await session.exec(select(Task).where(Task.project_id == project.id))).all()
        set_committed_value(project, "tasks", list(tasks))
    return list(projects)
"""}, "L06.list_projects_with_tasks"),
    "projects-awaitable-attrs": ({"L06-list_projects_with_tasks": HEADER + """
async def list_projects_with_tasks(session):
    projects = (await session.exec(select(Project))).all()
    for project in projects:
        await project.awaitable_attrs.tasks
    return list(projects)
"""}, "L06.list_projects_with_tasks"),
    "projects-joinedload-without-unique": ({"L06-list_projects_with_tasks": HEADER + """
async def list_projects_with_tasks(session):
    return list((await session.exec(select(Project).options(joinedload(Project.tasks)))).all())
"""}, "L06.list_projects_with_tasks"),
    "task-project-selectinload": ({"L06-get_task_with_project": HEADER + """
async def get_task_with_project(session, task_id):
    statement = select(Task).where(Task.id == task_id).options(selectinload(Task.project))
    return (await session.exec(statement)).first()
"""}, "L06.get_task_with_project"),
    "task-project-second-get": ({"L06-get_task_with_project": HEADER + """
async def get_task_with_project(session, task_id):
    task = await session.get(Task, task_id)
    if task is not None and task.project_id is not None:
        await session.get(Project, task.project_id)  # in the identity map now: but task.project is not loaded
    return task
"""}, "L06.get_task_with_project"),
    "task-project-inner-join": ({"L06-get_task_with_project": HEADER + """
async def get_task_with_project(session, task_id):
    statement = select(Task).join(Task.project).where(Task.id == task_id).options(contains_eager(Task.project))
    return (await session.exec(statement)).first()
"""}, "L06.get_task_with_project"),
    "tree-query-per-task": ({"L06-get_task_tree": HEADER + """
async def get_task_tree(session, root_id, depth=3):
    async def load(task, levels):
        if levels == 0:
            return
        children = (await session.exec(select(Task).where(Task.parent_id == task.id))).all()
        set_committed_value(task, "subtasks", list(children))
        for child in children:
            await load(child, levels - 1)
    root = await session.get(Task, root_id)
    if root is not None:
        await load(root, depth)
    return root
"""}, "L06.get_task_tree"),
    "tree-one-level-only": ({"L06-get_task_tree": HEADER + """
async def get_task_tree(session, root_id, depth=3):
    statement = select(Task).where(Task.id == root_id).options(selectinload(Task.subtasks))
    return (await session.exec(statement)).first()
"""}, "L06.get_task_tree"),
    "tree-recursion-depth-off-by-one": ({"L06-get_task_tree": HEADER + """
async def get_task_tree(session, root_id, depth=3):
    statement = select(Task).where(Task.id == root_id).options(selectinload(Task.subtasks, recursion_depth=depth))
    return (await session.exec(statement)).first()
"""}, "L06.get_task_tree"),
    "tag-always-creates": ({"L06-tag_task": HEADER + """
async def tag_task(session, task_id, names):
    task = (await session.exec(select(Task).where(Task.id == task_id).options(selectinload(Task.tags)))).first()
    if task is None:
        raise ValueError(task_id)
    for name in set(names):
        if name not in {t.name for t in task.tags}:
            task.tags.append(Tag(name=name))
    await session.commit()
    return task
"""}, "L06.tag_task"),
    "tag-appends-duplicates": ({"L06-tag_task": HEADER + """
async def tag_task(session, task_id, names):
    task = (await session.exec(select(Task).where(Task.id == task_id).options(selectinload(Task.tags)))).first()
    if task is None:
        raise ValueError(task_id)
    for name in names:
        tag = (await session.exec(select(Tag).where(Tag.name == name))).first() or Tag(name=name)
        task.tags.append(tag)
    await session.commit()
    return task
"""}, "L06.tag_task"),
    "tag-replaces-the-tags": ({"L06-tag_task": HEADER + """
async def tag_task(session, task_id, names):
    task = (await session.exec(select(Task).where(Task.id == task_id).options(selectinload(Task.tags)))).first()
    if task is None:
        raise ValueError(task_id)
    wanted = sorted(set(names))
    existing = {t.name: t for t in (await session.exec(select(Tag).where(col(Tag.name).in_(wanted)))).all()}
    task.tags = [existing.get(name) or Tag(name=name) for name in wanted]
    await session.commit()
    return task
"""}, "L06.tag_task"),
    "tasks-by-tag-query-per-task": ({"L06-tasks_by_tag": HEADER + """
async def tasks_by_tag(session, name):
    tag = (await session.exec(select(Tag).where(Tag.name == name))).first()
    if tag is None:
        return []
    links = (await session.exec(select(TaskTagLink).where(TaskTagLink.tag_id == tag.id))).all()
    return [await session.get(Task, link.task_id) for link in links]
"""}, "L06.tasks_by_tag"),
    "tasks-by-tag-substring": ({"L06-tasks_by_tag": HEADER + """
async def tasks_by_tag(session, name):
    statement = select(Task).join(Task.tags).where(col(Tag.name).contains(name)).distinct()
    return list((await session.exec(statement)).all())
"""}, "L06.tasks_by_tag"),
}


ALTERNATIVES = {
    # joinedload where one statement can do it (.unique() for collections), and the tag's own collection.
    "joinedload-and-tag-side": {
        "L06-list_projects_with_tasks": HEADER + """
async def list_projects_with_tasks(session):
    result = await session.exec(select(Project).options(joinedload(Project.tasks)).order_by(Project.id))
    return list(result.unique().all())
""",
        "L06-get_task_tree": HEADER + """
async def get_task_tree(session, root_id, depth=3):
    option = joinedload(Task.subtasks)
    for _ in range(depth - 1):
        option = option.joinedload(Task.subtasks)
    result = await session.exec(select(Task).where(Task.id == root_id).options(option))
    return result.unique().first()
""",
        "L06-tasks_by_tag": HEADER + """
async def tasks_by_tag(session, name):
    tag = (await session.exec(select(Tag).where(Tag.name == name).options(selectinload(Tag.tasks)))).first()
    return sorted(tag.tasks, key=lambda task: task.id) if tag else []
""",
    },
    # session.get with options, SQLAlchemy's recursion_depth, EXISTS instead of a join.
    "get-options-and-recursion-depth": {
        "L06-get_task_with_project": HEADER + """
async def get_task_with_project(session, task_id):
    return await session.get(Task, task_id, options=[joinedload(Task.project)])
""",
        "L06-get_task_tree": HEADER + """
async def get_task_tree(session, root_id, depth=3):
    option = selectinload(Task.subtasks, recursion_depth=depth - 1)
    return (await session.exec(select(Task).where(Task.id == root_id).options(option))).first()
""",
        "L06-tasks_by_tag": HEADER + """
async def tasks_by_tag(session, name):
    statement = select(Task).where(Task.tags.any(Tag.name == name)).order_by(Task.id)
    return list((await session.exec(statement)).all())
""",
    },
    # An explicit outer join with contains_eager; get-or-create one name at a time with refresh.
    "outer-join-and-one-tag-at-a-time": {
        "L06-list_projects_with_tasks": HEADER + """
async def list_projects_with_tasks(session):
    result = await session.execute(select(Project).options(selectinload(Project.tasks)))
    return list(result.scalars().all())
""",
        "L06-get_task_with_project": HEADER + """
async def get_task_with_project(session, task_id):
    statement = (
        select(Task).outerjoin(Task.project).where(Task.id == task_id).options(contains_eager(Task.project))
    )
    return (await session.exec(statement)).first()
""",
        "L06-tag_task": HEADER + """
async def tag_task(session, task_id, names):
    task = await session.get(Task, task_id)
    if task is None:
        raise LookupError(f"task {task_id} not found")
    await session.refresh(task, ["tags"])
    for name in dict.fromkeys(names):
        if any(tag.name == name for tag in task.tags):
            continue
        tag = (await session.exec(select(Tag).where(Tag.name == name))).first()
        if tag is None:
            tag = Tag(name=name)
            session.add(tag)
            await session.flush()
        task.tags.append(tag)
    await session.commit()
    return task
""",
    },
}
