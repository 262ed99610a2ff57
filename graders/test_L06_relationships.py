"""Graders for L06: loading related rows on purpose, and counting the statements it takes.

TaskFlow's relationships never lazy-load with SQL (lazy="raise_on_sql"), and every check reads the
learner's results only after their session has closed, when no lazy load of any kind can run, while the
sql_log fixture records everything sent to the database. A relationship the learner's query did not load
therefore fails loudly, even one whose rows happened to be in the session, and the statement counts are
exact: "N+1" shows up as a number that grows with N.
"""

import pytest
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select

from skillbook.engine.graderkit import NotAnswered, call
from taskflow.models import Project, Tag, Task, TaskTagLink

projects_with_tasks = pytest.mark.exercise("L06.list_projects_with_tasks")
task_with_project = pytest.mark.exercise("L06.get_task_with_project")
task_tree = pytest.mark.exercise("L06.get_task_tree")
tag_task = pytest.mark.exercise("L06.tag_task")
tasks_by_tag = pytest.mark.exercise("L06.tasks_by_tag")

pytestmark = pytest.mark.usefixtures("taskflow_db")


# --- helpers -----------------------------------------------------------------------------------


async def run(learner, name, sessionmaker, sql_log, *args):
    """Call learner.<name> in a session of its own; return its result and the statements it sent.

    The session is closed before the result is returned, as a request handler's would be."""
    async with sessionmaker() as session:
        sql_log.clear()
        result = await call(getattr(learner, name), session, *args)
        sent = list(sql_log.queries)
    sql_log.clear()
    return result, sent


def related(obj, attribute: str, how: str):
    """Read a relationship the learner should have loaded; say how to load it if they did not."""
    try:
        return getattr(obj, attribute)
    except SQLAlchemyError:
        raise AssertionError(
            f"{type(obj).__name__}.{attribute} was not loaded by your query, so reading it after the session "
            "closed failed (with lazy loading it would have been MissingGreenlet, or a hidden extra query). "
            f"Load it in the query: {how}."
        ) from None


def no_io_after_close(sql_log, what: str) -> None:
    assert not sql_log.statements, (
        f"Reading {what} after the session closed sent {len(sql_log.statements)} statement(s) to the database: "
        "load everything the caller needs inside your function."
    )


def described(statements: list[str], limit: int = 4) -> str:
    shown = [" ".join(s.split())[:70] for s in statements[:limit]]
    return "; ".join(shown) + (" ..." if len(statements) > limit else "")


async def seed_projects(sessionmaker, sizes: list[int], prefix: str = "p") -> dict[str, dict[str, list[str]]]:
    """Projects named p0, p1, ... with sizes[i] tasks each, every other task tagged; returns
    project name -> task title -> sorted tag names."""
    expected: dict[str, dict[str, list[str]]] = {}
    async with sessionmaker() as session:
        shared = Tag(name=f"{prefix}-shared")
        for i, size in enumerate(sizes):
            name = f"{prefix}{i}"
            tasks = []
            for j in range(size):
                tags = [shared, Tag(name=f"{name}.{j}")] if j % 2 == 0 else []
                tasks.append(Task(title=f"{name} task {j}", tags=tags))
            session.add(Project(name=name, tasks=tasks))
            expected[name] = {t.title: sorted(tag.name for tag in t.tags) for t in tasks}
        await session.commit()
    return expected


# --- list_projects_with_tasks ------------------------------------------------------------------


def project_map(projects) -> dict[str, dict[str, list[str]]]:
    """project name -> task title -> tag names, read from what the learner returned."""
    assert isinstance(projects, (list, tuple)), (
        f"list_projects_with_tasks returned {type(projects).__name__}; return a list of Project objects."
    )
    found = {}
    for project in projects:
        assert isinstance(project, Project), (
            f"list_projects_with_tasks returned a {type(project).__name__} in its list; return Project objects "
            "(select(Project), not select(Project, Task))."
        )
        tasks = related(project, "tasks", "a loader option for Project.tasks on the SELECT of the projects")
        assert project.name not in found, (
            f"Project {project.name!r} appears more than once in your list: a join repeats the parent once per "
            "child. Use selectinload, or call .unique() on a joinedload result."
        )
        found[project.name] = {
            task.title: sorted(tag.name for tag in related(
                task, "tags", "chain a second option onto the first, for Task.tags: one more statement for every "
                "task's tags at once")) for task in tasks
        }
    return found


@projects_with_tasks
async def test_projects_come_with_their_tasks_and_tags(learner, sessionmaker, sql_log):
    """Does every project come back once, with exactly its own tasks and each task's tags, readable after the
    session closed?"""
    expected = await seed_projects(sessionmaker, [3, 0, 2, 4])
    projects, _ = await run(learner, "list_projects_with_tasks", sessionmaker, sql_log)
    found = project_map(projects)
    no_io_after_close(sql_log, "the projects, their tasks and the tasks' tags")
    assert found == expected, f"Your projects, tasks and tags were {found}; expected {expected}."


@pytest.mark.exercise("L06.list_projects_with_tasks", weight=2)
async def test_projects_with_tasks_take_three_statements_at_most(learner, sessionmaker, sql_log):
    """Does loading the projects, their tasks and the tasks' tags take at most 3 statements, for 3 projects and
    for 12?"""
    counts, expected = {}, {}
    for n, prefix in ((3, "a"), (12, "b")):
        expected |= await seed_projects(sessionmaker, [2] * (n - len(expected)), prefix)
        projects, sent = await run(learner, "list_projects_with_tasks", sessionmaker, sql_log)
        assert project_map(projects) == expected, "Your function did not return every project with its tasks and tags."
        counts[n] = len(sent)
    assert max(counts.values()) <= 3, (
        f"Loading 3 projects with their tasks and tags took {counts[3]} statements, and 12 took {counts[12]}; "
        "3 are enough for any number: the projects, then every project's tasks in one SELECT, then every "
        "task's tags in one more. A query per project or per task is the N+1 problem."
    )


# --- get_task_with_project ---------------------------------------------------------------------


async def seed_tasks_with_projects(sessionmaker) -> tuple[int, int, int]:
    """(a subtask in a project, its parent, a task with neither)."""
    async with sessionmaker() as session:
        project = Project(name="runtime")
        parent = Task(title="release", project=project)
        owned = Task(title="ship it", project=project, parent=parent)
        orphan = Task(title="no project yet")
        session.add_all([owned, orphan, Project(name="other", tasks=[Task(title="noise")])])
        await session.commit()
        return owned.id, parent.id, orphan.id


LOAD_BOTH = "one loader option per many-to-one relationship (Task.project, Task.parent) on the same SELECT"


@task_with_project
async def test_task_comes_with_its_project_and_parent(learner, sessionmaker, sql_log):
    """Does get_task_with_project return the task with its project and its parent task loaded, readable after
    the session closed?"""
    owned, parent_id, _ = await seed_tasks_with_projects(sessionmaker)
    task, _ = await run(learner, "get_task_with_project", sessionmaker, sql_log, owned)
    assert isinstance(task, Task), f"get_task_with_project returned {type(task).__name__}; return the Task."
    project = related(task, "project", LOAD_BOTH)
    parent = related(task, "parent", LOAD_BOTH)
    no_io_after_close(sql_log, "task.project and task.parent")
    got = (task.id, getattr(project, "name", None), getattr(parent, "id", None))
    assert got == (owned, "runtime", parent_id), (
        f"get_task_with_project({owned}) returned (task id, project name, parent id) = {got}; expected "
        f"{(owned, 'runtime', parent_id)}."
    )


@task_with_project
async def test_task_with_project_takes_one_statement(learner, sessionmaker, sql_log):
    """Do the task, its project and its parent come back in a single statement?"""
    owned, _, _ = await seed_tasks_with_projects(sessionmaker)
    task, sent = await run(learner, "get_task_with_project", sessionmaker, sql_log, owned)
    assert isinstance(task, Task), f"get_task_with_project returned {type(task).__name__}; return the Task."
    assert len(sent) == 1, (
        f"get_task_with_project sent {len(sent)} statements ({described(sent)}); one is enough. A many-to-one "
        "relationship can ride along in the same SELECT as a LEFT OUTER JOIN, and so can a second one."
    )


@task_with_project
async def test_task_without_project_and_missing_task(learner, sessionmaker, sql_log):
    """Does a task without a project or parent come back with both None, and an unknown id give None?"""
    _, _, orphan = await seed_tasks_with_projects(sessionmaker)
    task, _ = await run(learner, "get_task_with_project", sessionmaker, sql_log, orphan)
    assert isinstance(task, Task), (
        f"get_task_with_project returned {task!r} for a task that has no project; return the task "
        "(an inner join drops it: joinedload uses an outer join)."
    )
    both = (related(task, "project", LOAD_BOTH), related(task, "parent", LOAD_BOTH))
    assert both == (None, None), f"A task without a project or parent should have both None, not {both}."
    missing, _ = await run(learner, "get_task_with_project", sessionmaker, sql_log, orphan + 1000)
    assert missing is None, f"get_task_with_project returned {missing!r} for an id that does not exist; expected None."


# --- get_task_tree -----------------------------------------------------------------------------


async def seed_tree(sessionmaker, levels: int = 4) -> tuple[int, dict]:
    """A root with 2 subtasks, each with 2, ... `levels` deep; returns the root id and title -> titles."""
    children: dict[str, list[str]] = {}

    def grow(node: Task, level: int) -> None:
        if level == levels:
            return
        node.subtasks = [Task(title=f"{node.title}.{i}") for i in (1, 2)]
        children[node.title] = sorted(t.title for t in node.subtasks)
        for child in node.subtasks:
            grow(child, level + 1)

    root = Task(title="root")
    grow(root, 0)
    decoy = Task(title="other root", subtasks=[Task(title="other child")])
    async with sessionmaker() as session:
        session.add_all([root, decoy])
        await session.commit()
        return root.id, children


def walk(node: Task, depth: int, children: dict) -> None:
    """Read `depth` levels of subtasks below node and compare them with the seeded tree."""
    if depth == 0:
        return
    how = "one loader option per level, chained onto the one before, built in a loop for any depth"
    subtasks = related(node, "subtasks", how)
    titles = sorted(t.title for t in subtasks)
    assert titles == children.get(node.title, []), (
        f"The subtasks of {node.title!r} are {titles}; expected {children.get(node.title, [])}."
    )
    for child in subtasks:
        walk(child, depth - 1, children)


@pytest.mark.exercise("L06.get_task_tree", weight=2)
async def test_tree_is_loaded_to_the_requested_depth(learner, sessionmaker, sql_log):
    """Are depth levels of subtasks loaded (2 levels, and 3 by default), readable after the session closed?"""
    root_id, children = await seed_tree(sessionmaker)
    for args, depth in (((root_id, 2), 2), ((root_id,), 3)):
        root, _ = await run(learner, "get_task_tree", sessionmaker, sql_log, *args)
        assert isinstance(root, Task) and root.id == root_id, (
            f"get_task_tree(session, {root_id}) returned {root!r}; expected the root task."
        )
        walk(root, depth, children)
        no_io_after_close(sql_log, "the tree")


@task_tree
async def test_tree_takes_depth_statements_at_most(learner, sessionmaker, sql_log):
    """Does a tree of depth d take at most d statements (the root shares its SELECT with its subtasks)?"""
    root_id, _ = await seed_tree(sessionmaker)
    for depth in (1, 2, 3):
        root, sent = await run(learner, "get_task_tree", sessionmaker, sql_log, root_id, depth)
        assert isinstance(root, Task), f"get_task_tree returned {root!r}; expected the root task."
        assert len(sent) <= depth, (
            f"get_task_tree(session, root_id, depth={depth}) sent {len(sent)} statements; at most {depth} will "
            "do. One selectinload per level costs depth + 1 (the root, then a SELECT per level): load the first "
            "level in the root's own SELECT (a join, with .unique() on the result), and chain the rest onto it."
        )


@task_tree
async def test_tree_of_missing_root_is_none(learner, sessionmaker, sql_log):
    """Does get_task_tree return None for a root id that does not exist?"""
    root_id, _ = await seed_tree(sessionmaker, levels=1)
    root, _ = await run(learner, "get_task_tree", sessionmaker, sql_log, root_id + 1000)
    assert root is None, f"get_task_tree returned {root!r} for an id that does not exist; expected None."


# --- tag_task ----------------------------------------------------------------------------------


async def two_tasks(sessionmaker) -> tuple[int, int]:
    async with sessionmaker() as session:
        first, second = Task(title="summarise the run"), Task(title="file the report")
        session.add_all([first, second])
        await session.commit()
        return first.id, second.id


async def saved_tags(sessionmaker) -> tuple[dict[int, list[str]], list[str]]:
    """(task id -> tag names, all tag names) as a new session sees them."""
    async with sessionmaker() as fresh:
        links = (await fresh.exec(
            select(TaskTagLink.task_id, Tag.name).join(Tag, col(Tag.id) == col(TaskTagLink.tag_id))
        )).all()
        names = list((await fresh.exec(select(Tag.name))).all())
    by_task: dict[int, list[str]] = {}
    for task_id, name in links:
        by_task.setdefault(task_id, []).append(name)
    return {k: sorted(v) for k, v in by_task.items()}, sorted(names)


def tag_names(task, call_text: str) -> list[str]:
    assert isinstance(task, Task), f"{call_text} returned {type(task).__name__}; return the Task."
    tags = related(task, "tags", "select(Task).where(...).options(selectinload(Task.tags)) before appending")
    return sorted(tag.name for tag in tags)


@tag_task
async def test_tag_task_saves_the_tags(learner, sessionmaker, sql_log):
    """Does tag_task create the tags, link them, commit, and return the task with its tags loaded?"""
    first, _ = await two_tasks(sessionmaker)
    task, _ = await run(learner, "tag_task", sessionmaker, sql_log, first, ["urgent", "backend"])
    returned = tag_names(task, f"tag_task(session, {first}, ['urgent', 'backend'])")
    assert returned == ["backend", "urgent"], f"The task you returned has tags {returned}; expected ['backend', 'urgent']."
    links, names = await saved_tags(sessionmaker)
    assert links.get(first) == ["backend", "urgent"], (
        f"A new session sees the task tagged {links.get(first, [])}: commit after linking the tags."
    )


@tag_task
async def test_tag_task_is_idempotent(learner, sessionmaker, sql_log):
    """Can the same tags be given twice (and a name twice in one call) without duplicates or errors?"""
    first, _ = await two_tasks(sessionmaker)
    for names in (["urgent", "urgent"], ["urgent"]):
        try:
            task, _ = await run(learner, "tag_task", sessionmaker, sql_log, first, names)
        except SQLAlchemyError as exc:
            raise AssertionError(
                f"tag_task(session, {first}, {names}) failed with {type(exc).__name__} when the tag was already "
                "there or given twice: skip names the task already has, and create each missing tag once "
                "(use a set of names)."
            ) from None
        got = tag_names(task, "tag_task")
        assert got == ["urgent"], (
            f"After tagging {names}, the task has the tags {got}: append only names the task does not have yet, "
            "and each name once (work with a set of names)."
        )
    links, all_names = await saved_tags(sessionmaker)
    assert links.get(first) == ["urgent"] and all_names == ["urgent"], (
        f"After tagging the same task with 'urgent' again, the database holds tags {all_names} and links "
        f"{links.get(first)}; expected one tag, linked once."
    )


@tag_task
async def test_tag_task_reuses_existing_tags(learner, sessionmaker, sql_log):
    """Does tagging a second task reuse the existing Tag row (get-or-create), not make a new one?"""
    first, second = await two_tasks(sessionmaker)
    await run(learner, "tag_task", sessionmaker, sql_log, first, ["urgent"])
    try:
        task, _ = await run(learner, "tag_task", sessionmaker, sql_log, second, ["urgent", "ops"])
    except SQLAlchemyError as exc:
        raise AssertionError(
            f"Tagging a second task with an existing tag name failed with {type(exc).__name__}: look the tags up "
            "by name first (select(Tag).where(col(Tag.name).in_(names))) and create only the missing ones."
        ) from None
    assert tag_names(task, "tag_task") == ["ops", "urgent"]
    links, names = await saved_tags(sessionmaker)
    assert names == ["ops", "urgent"], f"The tag table holds {names}; each name should exist once."
    assert links.get(first) == ["urgent"] and links.get(second) == ["ops", "urgent"], f"Saved links: {links}."


@tag_task
async def test_tag_task_keeps_earlier_tags(learner, sessionmaker, sql_log):
    """Does tag_task add to the task's tags rather than replace them?"""
    first, _ = await two_tasks(sessionmaker)
    await run(learner, "tag_task", sessionmaker, sql_log, first, ["urgent"])
    task, _ = await run(learner, "tag_task", sessionmaker, sql_log, first, ["later"])
    returned = tag_names(task, "tag_task")
    links, _ = await saved_tags(sessionmaker)
    assert returned == ["later", "urgent"] and links.get(first) == ["later", "urgent"], (
        f"After tagging with ['urgent'] and then ['later'] the task has {links.get(first)}: add the new tags "
        "to task.tags (append) instead of assigning a new list."
    )


@tag_task
async def test_tag_task_refuses_an_unknown_task(learner, sessionmaker, sql_log):
    """Does tagging a task that does not exist raise an error, and leave no new tags behind?"""
    first, _ = await two_tasks(sessionmaker)
    await run(learner, "tag_task", sessionmaker, sql_log, first, ["urgent"])
    try:
        await run(learner, "tag_task", sessionmaker, sql_log, first + 1000, ["ghost"])
    except NotAnswered:
        raise
    except Exception:
        pass  # any error will do: the caller learns that nothing was tagged
    else:
        raise AssertionError(
            "tag_task returned normally for a task id that does not exist; raise an error (ValueError) instead."
        )
    _, names = await saved_tags(sessionmaker)
    assert names == ["urgent"], (
        f"Tagging an unknown task left tags {names} in the database: look the task up first and raise "
        "(ValueError) before creating any tag."
    )


# --- tasks_by_tag ------------------------------------------------------------------------------


async def seed_tagged(sessionmaker, n: int, name: str = "ops") -> list[int]:
    """n tasks tagged `name` (some also tagged another tag), and tasks that are not."""
    async with sessionmaker() as session:
        ops, urgent = Tag(name=name), Tag(name=f"{name}-urgent")
        tagged = [Task(title=f"{name} {i}", tags=[ops, urgent] if i % 2 else [ops]) for i in range(n)]
        session.add_all([*tagged, Task(title=f"{name} untagged"), Task(title=f"{name} other", tags=[urgent])])
        await session.commit()
        return sorted(t.id for t in tagged)


def task_ids(tasks, call_text: str) -> list[int]:
    assert isinstance(tasks, (list, tuple)), f"{call_text} returned {type(tasks).__name__}; return a list of Task."
    for task in tasks:
        assert isinstance(task, Task), f"{call_text} returned a {type(task).__name__} in its list; return Task objects."
    ids = [task.id for task in tasks]
    assert len(ids) == len(set(ids)), f"{call_text} returned some tasks more than once: {sorted(ids)}."
    return sorted(ids)


@pytest.mark.exercise("L06.tasks_by_tag", weight=2)
async def test_tasks_by_tag_finds_exactly_the_tagged_tasks(learner, sessionmaker, sql_log):
    """Does tasks_by_tag return every task with that tag, once, and no other?"""
    expected = await seed_tagged(sessionmaker, 5)
    tasks, _ = await run(learner, "tasks_by_tag", sessionmaker, sql_log, "ops")
    got = task_ids(tasks, "tasks_by_tag(session, 'ops')")
    assert got == expected, f"tasks_by_tag(session, 'ops') returned task ids {got}; expected {expected}."
    in_order = [task.id for task in tasks]
    assert in_order == got, f"tasks_by_tag returned the tasks in the order {in_order}; return them in id order."
    tasks, _ = await run(learner, "tasks_by_tag", sessionmaker, sql_log, "no such tag")
    assert task_ids(tasks, "tasks_by_tag(session, 'no such tag')") == [], "An unknown tag should give []."


@tasks_by_tag
async def test_tasks_by_tag_come_with_all_their_tags(learner, sessionmaker, sql_log):
    """Does each task come with all of its tags loaded (not only the one asked for), readable after the session
    closed?"""
    await seed_tagged(sessionmaker, 4)
    tasks, _ = await run(learner, "tasks_by_tag", sessionmaker, sql_log, "ops")
    task_ids(tasks, "tasks_by_tag(session, 'ops')")
    how = ("a loader option for Task.tags: the filter picks the tasks, the option loads each task's tags, "
           "all of them")
    got = {task.title: sorted(tag.name for tag in related(task, "tags", how)) for task in tasks}
    no_io_after_close(sql_log, "the tasks' tags")
    want = {f"ops {i}": ["ops", "ops-urgent"] if i % 2 else ["ops"] for i in range(4)}
    assert got == want, (
        f"The tasks' tags were {got}; expected {want}. Filtering on the tag's name and loading the tags are two "
        "jobs: a join used for the filter, reused to fill task.tags (contains_eager), holds only the tag that "
        "matched."
    )


@tasks_by_tag
async def test_tasks_by_tag_does_not_query_per_task(learner, sessionmaker, sql_log):
    """Is the number of statements the same for 2 tagged tasks as for 8, and at most 2?"""
    counts = {}
    for n in (2, 8):
        await seed_tagged(sessionmaker, n, name=f"ops{n}")
        tasks, sent = await run(learner, "tasks_by_tag", sessionmaker, sql_log, f"ops{n}")
        assert len(task_ids(tasks, "tasks_by_tag")) == n
        counts[n] = len(sent)
    assert counts[2] == counts[8] <= 2, (
        f"tasks_by_tag sent {counts[2]} statements for 2 tagged tasks and {counts[8]} for 8; 2 are enough for any "
        "number: one SELECT of the tasks, filtered through the relationship, and one for all their tags."
    )
