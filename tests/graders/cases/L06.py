"""L06: realistic wrong answers and correct alternatives, as data (see __init__.py)."""


HEADER = """from sqlalchemy import literal
from sqlalchemy.orm import aliased, contains_eager, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from taskflow.models import Project, Tag, Task, TaskTagLink
"""

# id -> (cell replacements, the exercise that must lose points)
WRONG = {
    # N+1: a refresh per project, then one per task for its tags.
    "projects-refresh-per-project": ({"L06-list_projects_with_tasks": HEADER + """
async def list_projects_with_tasks(session):
    projects = (await session.exec(select(Project))).all()
    for project in projects:
        await session.refresh(project, ["tasks"])
        for task in project.tasks:
            await session.refresh(task, ["tags"])
    return list(projects)
"""}, "L06.list_projects_with_tasks"),
    "projects-query-per-project": ({"L06-list_projects_with_tasks": HEADER + """
async def list_projects_with_tasks(session):
    projects = (await session.exec(select(Project))).all()
    for project in projects:
        statement = select(Task).where(Task.project_id == project.id).options(selectinload(Task.tags))
        set_committed_value(project, "tasks", list((await session.exec(statement)).all()))
    return list(projects)
"""}, "L06.list_projects_with_tasks"),
    "projects-awaitable-attrs": ({"L06-list_projects_with_tasks": HEADER + """
async def list_projects_with_tasks(session):
    projects = (await session.exec(select(Project).options(selectinload(Project.tasks)))).all()
    for project in projects:
        for task in project.tasks:
            await task.awaitable_attrs.tags
    return list(projects)
"""}, "L06.list_projects_with_tasks"),
    # The demo's statement, copied: the tags are not loaded, and reading them after the session closed fails.
    "projects-tags-not-loaded": ({"L06-list_projects_with_tasks": HEADER + """
async def list_projects_with_tasks(session):
    statement = select(Project).options(selectinload(Project.tasks)).order_by(col(Project.id))
    return list((await session.exec(statement)).all())
"""}, "L06.list_projects_with_tasks"),
    # Two options side by side instead of chained: the second one does not start from the tasks.
    "projects-options-not-chained": ({"L06-list_projects_with_tasks": HEADER + """
async def list_projects_with_tasks(session):
    statement = select(Project).options(selectinload(Project.tasks), selectinload(Task.tags))
    return list((await session.exec(statement)).all())
"""}, "L06.list_projects_with_tasks"),
    "projects-joinedload-without-unique": ({"L06-list_projects_with_tasks": HEADER + """
async def list_projects_with_tasks(session):
    statement = select(Project).options(joinedload(Project.tasks).selectinload(Task.tags))
    return list((await session.exec(statement)).all())
"""}, "L06.list_projects_with_tasks"),
    # The demo's statement, copied: the parent is not loaded.
    "task-project-only": ({"L06-get_task_with_project": HEADER + """
async def get_task_with_project(session, task_id):
    statement = select(Task).where(Task.id == task_id).options(joinedload(Task.project))
    return (await session.exec(statement)).first()
"""}, "L06.get_task_with_project"),
    "task-parent-selectinload": ({"L06-get_task_with_project": HEADER + """
async def get_task_with_project(session, task_id):
    statement = select(Task).where(Task.id == task_id).options(joinedload(Task.project), selectinload(Task.parent))
    return (await session.exec(statement)).first()
"""}, "L06.get_task_with_project"),
    "task-project-second-get": ({"L06-get_task_with_project": HEADER + """
async def get_task_with_project(session, task_id):
    task = await session.get(Task, task_id, options=[joinedload(Task.project)])
    if task is not None and task.parent_id is not None:
        await session.get(Task, task.parent_id)  # in the identity map now: but task.parent is not loaded
    return task
"""}, "L06.get_task_with_project"),
    "task-project-inner-join": ({"L06-get_task_with_project": HEADER + """
async def get_task_with_project(session, task_id):
    statement = (select(Task).join(Task.project).where(Task.id == task_id)
                 .options(contains_eager(Task.project), joinedload(Task.parent)))
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
    # The demo's way, one selectinload per level: depth + 1 statements.
    "tree-selectinload-per-level": ({"L06-get_task_tree": HEADER + """
async def get_task_tree(session, root_id, depth=3):
    option = selectinload(Task.subtasks)
    for _ in range(depth - 1):
        option = option.selectinload(Task.subtasks)
    return (await session.exec(select(Task).where(Task.id == root_id).options(option))).first()
"""}, "L06.get_task_tree"),
    "tree-one-level-only": ({"L06-get_task_tree": HEADER + """
async def get_task_tree(session, root_id, depth=3):
    statement = select(Task).where(Task.id == root_id).options(joinedload(Task.subtasks))
    return (await session.exec(statement)).unique().first()
"""}, "L06.get_task_tree"),
    "tree-recursion-depth": ({"L06-get_task_tree": HEADER + """
async def get_task_tree(session, root_id, depth=3):
    statement = select(Task).where(Task.id == root_id).options(selectinload(Task.subtasks, recursion_depth=depth - 1))
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
    return [await session.get(Task, link.task_id, options=[selectinload(Task.tags)]) for link in links]
"""}, "L06.tasks_by_tag"),
    "tasks-by-tag-substring": ({"L06-tasks_by_tag": HEADER + """
async def tasks_by_tag(session, name):
    statement = (select(Task).join(Task.tags).where(col(Tag.name).contains(name)).distinct()
                 .options(selectinload(Task.tags)))
    return list((await session.exec(statement)).all())
"""}, "L06.tasks_by_tag"),
    # The join that filters also fills task.tags: only the tag that matched.
    "tasks-by-tag-contains-eager": ({"L06-tasks_by_tag": HEADER + """
async def tasks_by_tag(session, name):
    statement = (select(Task).join(Task.tags).where(Tag.name == name)
                 .options(contains_eager(Task.tags)).order_by(col(Task.id)))
    return list((await session.exec(statement)).unique().all())
"""}, "L06.tasks_by_tag"),
    # Filters, but loads no tags: reading task.tags after the session closed fails.
    "tasks-by-tag-tags-not-loaded": ({"L06-tasks_by_tag": HEADER + """
async def tasks_by_tag(session, name):
    statement = select(Task).join(Task.tags).where(Tag.name == name).order_by(col(Task.id))
    return list((await session.exec(statement)).all())
"""}, "L06.tasks_by_tag"),
}


ALTERNATIVES = {
    # joinedload where one statement can do it (.unique() for collections), and the tag's own collection.
    "joinedload-and-tag-side": {
        "L06-list_projects_with_tasks": HEADER + """
async def list_projects_with_tasks(session):
    option = joinedload(Project.tasks).selectinload(Task.tags)
    result = await session.exec(select(Project).options(option).order_by(Project.id))
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
    statement = select(Tag).where(Tag.name == name).options(joinedload(Tag.tasks).selectinload(Task.tags))
    tag = (await session.exec(statement)).unique().first()
    return sorted(tag.tasks, key=lambda task: task.id) if tag else []
""",
    },
    # session.get with options; a recursive CTE that fetches the whole tree in one statement; a join filter.
    "get-options-and-recursive-cte": {
        "L06-get_task_with_project": HEADER + """
async def get_task_with_project(session, task_id):
    return await session.get(Task, task_id, options=[joinedload(Task.project), joinedload(Task.parent)])
""",
        "L06-get_task_tree": HEADER + """
async def get_task_tree(session, root_id, depth=3):
    tree = select(Task.id, literal(0).label("level")).where(Task.id == root_id).cte("tree", recursive=True)
    below = select(Task.id, (tree.c.level + 1).label("level")).join(tree, col(Task.parent_id) == tree.c.id)
    tree = tree.union_all(below.where(tree.c.level < depth))
    rows = (await session.exec(select(Task, tree.c.level).join(tree, col(Task.id) == tree.c.id))).all()
    children = {task.id: [] for task, level in rows if level < depth}
    for task, level in sorted(rows, key=lambda row: row[0].id):
        if task.parent_id in children and level > 0:
            children[task.parent_id].append(task)
    for task, level in rows:
        if level < depth:
            set_committed_value(task, "subtasks", children[task.id])
    return next((task for task, level in rows if level == 0), None)
""",
        "L06-tasks_by_tag": HEADER + """
async def tasks_by_tag(session, name):
    statement = (select(Task).join(Task.tags).where(Tag.name == name)
                 .options(selectinload(Task.tags)).order_by(Task.id))
    return list((await session.exec(statement)).all())
""",
    },
    # Explicit outer joins with contains_eager (the parent through an alias); get-or-create one name at a time.
    "outer-joins-and-one-tag-at-a-time": {
        "L06-list_projects_with_tasks": HEADER + """
async def list_projects_with_tasks(session):
    option = selectinload(Project.tasks).joinedload(Task.tags)
    result = await session.execute(select(Project).options(option))
    return list(result.scalars().unique().all())
""",
        "L06-get_task_with_project": HEADER + """
async def get_task_with_project(session, task_id):
    parent = aliased(Task)
    statement = (
        select(Task).outerjoin(Task.project).outerjoin(parent, Task.parent).where(Task.id == task_id)
        .options(contains_eager(Task.project), contains_eager(Task.parent.of_type(parent)))
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
