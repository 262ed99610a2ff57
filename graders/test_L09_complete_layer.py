"""Graders for L09: ServiceBase (filters, pages, options, writes), TaskService, and the FastAPI app.

The service checks subclass the learner's ServiceBase for TaskFlow's Task and Project and call it
with a session of the run's own database. The app checks build `create_app(DATABASE_URL)`, run its
lifespan, and talk to it through httpx, as a client would. Data is seeded with TaskFlow's models;
every check starts from empty tables (the `taskflow_db` fixture).
"""

import inspect as pyinspect
import types
from contextlib import asynccontextmanager, contextmanager

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import selectinload
from sqlmodel import select

from taskflow.models import Project, ProjectCreate, ProjectUpdate, Task, TaskCreate, TaskUpdate

service_base = pytest.mark.exercise("L09.service_base", weight=1)
service_base_2 = pytest.mark.exercise("L09.service_base", weight=2)
task_service = pytest.mark.exercise("L09.task_service")
create_app = pytest.mark.exercise("L09.create_app", weight=1)
create_app_2 = pytest.mark.exercise("L09.create_app", weight=2)

CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")

# title, status, priority, project ("a" or "b"), parent (a title, or None)
TASKS = [
    ("Write the weekly report", "done", 2, "a", None),
    ("Review REPORT template", "pending", 4, "a", None),
    ("Retry failed tool calls", "in_progress", 5, "b", None),
    ("Cache embeddings", "pending", 3, "b", None),
    ("Log token usage", "failed", 1, "b", None),
    ("Rotate API keys", "pending", 4, "b", "Retry failed tool calls"),
    ("write docs", "pending", 3, "a", "Write the weekly report"),
    ("Reportage", "done", 5, "a", None),
]
# Titles that look like SQL or like patterns: a filter must treat them as plain text.
TRICKY = ["' OR 1=1 --", "%", "_", "a%b", "plain"]


# --------------------------------------------------------------------------------------- helpers


@contextmanager
def counting(target):
    """The data statements (no BEGIN/COMMIT/PRAGMA...) sent through `target` while the block runs."""
    seen: list[str] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(CONTROL):
            seen.append(statement)

    event.listen(target, "before_cursor_execute", remember)
    try:
        yield seen
    finally:
        event.remove(target, "before_cursor_execute", remember)


def _service(learner, model, create, update, session):
    """A subclass of the learner's ServiceBase for `model`, as their own model services are built."""
    base = learner.ServiceBase
    try:
        parent = base[model, create, update]
    except TypeError:
        raise AssertionError(
            "ServiceBase[Task, TaskCreate, TaskUpdate] failed: declare it `class ServiceBase(Generic[ModelT, CreateT, UpdateT])`."
        ) from None
    service_class = types.new_class(f"Graded{model.__name__}Service", (parent,), {}, lambda ns: ns.update(model=model))
    return service_class(session)


def _tasks(learner, session):
    return _service(learner, Task, TaskCreate, TaskUpdate, session)


def _projects(learner, session):
    return _service(learner, Project, ProjectCreate, ProjectUpdate, session)


async def _call(coroutine_or_value, what: str):
    assert pyinspect.isawaitable(coroutine_or_value), f"{what} must be an async method (async def)."
    try:
        return await coroutine_or_value
    except AssertionError:
        raise
    except Exception as exc:
        if type(exc).__name__ == "FilterError":
            raise AssertionError(f"{what} raised FilterError: {exc}") from None
        first = (str(exc).splitlines() or [""])[0][:250]
        raise AssertionError(f"{what} raised {type(exc).__name__}: {first}") from None


def _page_parts(page, what: str):
    missing = [name for name in ("items", "total", "limit", "offset") if not hasattr(page, name)]
    assert not missing, f"{what} returned {type(page).__name__}, which has no {', '.join(missing)}: return a Page(items, total, limit, offset)."
    return list(page.items), page.total, page.limit, page.offset


async def _seed(sessionmaker) -> dict:
    """Two projects and the TASKS; returns {"a": id, "b": id, title: id, ...}."""
    ids: dict = {}
    async with sessionmaker() as session:
        projects = {"a": Project(name="alpha"), "b": Project(name="beta")}
        session.add_all(projects.values())
        await session.flush()
        ids.update({key: project.id for key, project in projects.items()})
        for title, status, priority, project, parent in TASKS:
            task = Task(title=title, status=status, priority=priority, project_id=ids[project],
                        parent_id=ids[parent] if parent else None)
            session.add(task)
            await session.flush()
            ids[title] = task.id
        await session.commit()
    return ids


async def _seed_many(sessionmaker, count: int) -> int:
    """One project with `count` tasks; returns the project's id."""
    async with sessionmaker() as session:
        project = Project(name="bulk")
        session.add(project)
        await session.flush()
        session.add_all(Task(title=f"task {n:03}", priority=n % 5 + 1, project_id=project.id) for n in range(count))
        await session.commit()
        return project.id


def _expected(ids: dict, keep) -> set[str]:
    rows = [dict(title=t, status=s, priority=p, project_id=ids[pr], parent_id=ids[pa] if pa else None)
            for t, s, p, pr, pa in TASKS]
    return {row["title"] for row in rows if keep(row)}


def _filter_cases(ids: dict, *, strings: bool):
    """(filters, expected titles) pairs; with strings=True the values are what a query string carries."""
    s = (lambda v: v) if not strings else (lambda v: ",".join(map(str, v)) if isinstance(v, list) else str(v).lower() if isinstance(v, bool) else str(v))
    a = ids["a"]
    cases = [
        ({"status": "pending"}, lambda r: r["status"] == "pending"),
        ({"status__eq": "done"}, lambda r: r["status"] == "done"),
        ({"status__ne": "done"}, lambda r: r["status"] != "done"),
        ({"priority__gt": s(3)}, lambda r: r["priority"] > 3),
        ({"priority__gte": s(4)}, lambda r: r["priority"] >= 4),
        ({"priority__lt": s(2)}, lambda r: r["priority"] < 2),
        ({"priority__lte": s(2)}, lambda r: r["priority"] <= 2),
        ({"title__like": "Re%"}, lambda r: r["title"].startswith("Re")),
        ({"title__ilike": "%REPORT%"}, lambda r: "report" in r["title"].lower()),
        ({"status__in": s(["pending", "failed"])}, lambda r: r["status"] in ("pending", "failed")),
        ({"status__not_in": s(["pending", "done"])}, lambda r: r["status"] not in ("pending", "done")),
        ({"priority__between": s([2, 4])}, lambda r: 2 <= r["priority"] <= 4),
        ({"parent_id__isnull": s(True)}, lambda r: r["parent_id"] is None),
        ({"parent_id__isnull": s(False)}, lambda r: r["parent_id"] is not None),
        ({"project_id": s(a), "status": "done"}, lambda r: r["project_id"] == a and r["status"] == "done"),
        ({"status": "pending", "priority__lte": s(3), "title__ilike": "%e%"},
         lambda r: r["status"] == "pending" and r["priority"] <= 3 and "e" in r["title"].lower()),
    ]
    return [(filters, _expected(ids, keep)) for filters, keep in cases]


# ----------------------------------------------------------------------------- L09.service_base


@service_base_2
async def test_filters_select_the_right_rows(learner, taskflow_db, sessionmaker):
    """Does each filter operator (eq, ne, gt, gte, lt, lte, like, ilike, in, not_in, between, isnull) select exactly the matching tasks?"""
    ids = await _seed(sessionmaker)
    async with sessionmaker() as session:
        service = _tasks(learner, session)
        for filters, expected in _filter_cases(ids, strings=False):
            page = await _call(service.list(filters=filters, limit=100), f"list(filters={filters!r})")
            items, total, _, _ = _page_parts(page, "list()")
            got = {task.title for task in items}
            assert got == expected, (
                f"list(filters={filters!r}) returned {sorted(got)}; expected {sorted(expected)}. "
                "Check that operator (between includes both ends; ilike ignores case)."
            )
            assert total == len(expected), f"list(filters={filters!r}) says total={total}, but {len(expected)} tasks match."


@service_base
async def test_unknown_fields_and_operators_raise_filter_error(learner, taskflow_db, sessionmaker):
    """Do an unknown field, a relationship, a non-column attribute, an unknown operator and a bad value raise FilterError?"""
    await _seed(sessionmaker)
    error = learner.FilterError
    assert isinstance(error, type) and issubclass(error, ValueError), "FilterError must be a class that inherits from ValueError."
    bad = [{"owner": "me"}, {"project": 1}, {"tags__in": [1]}, {"model_config": "x"}, {"__class__": "x"},
           {"title__regex": "x"}, {"title = title OR 1=1 --": "x"}, {"priority__between": "1"}, {"priority": "abc"}]
    async with sessionmaker() as session:
        service = _tasks(learner, session)
        for filters in bad:
            try:
                result = service.list(filters=filters)
                assert pyinspect.isawaitable(result), "list() must be an async method (async def)."
                page = await result
            except error:
                continue
            except Exception as exc:
                raise AssertionError(
                    f"list(filters={filters!r}) raised {type(exc).__name__} instead of FilterError. Check the field against "
                    "self.model.__table__.columns and the operator against your table of operators, and turn bad values "
                    "into FilterError, before any SQL runs."
                ) from None
            raise AssertionError(
                f"list(filters={filters!r}) returned {len(page.items)} rows instead of raising FilterError: only the model's "
                "columns, your operators and values that fit the column are allowed."
            )


@service_base
async def test_pages_have_totals_stable_order_and_a_capped_limit(learner, taskflow_db, sessionmaker):
    """Do pages come in id order without overlaps, with the total of all matches, and is limit capped at 100?"""
    await _seed_many(sessionmaker, 120)
    async with sessionmaker() as session:
        service = _tasks(learner, session)
        seen: list[int] = []
        for offset in range(0, 120, 50):
            items, total, limit, got_offset = _page_parts(await _call(service.list(limit=50, offset=offset), "list()"), "list()")
            assert total == 120, f"list(limit=50, offset={offset}) says total={total}; 120 tasks match. Count all matches, not the page."
            assert (limit, got_offset) == (50, offset), f"list(limit=50, offset={offset}) reports limit={limit}, offset={got_offset}."
            seen += [task.id for task in items]
        assert seen == sorted(seen) and len(set(seen)) == 120, (
            "Pages of 50 did not return all 120 tasks once each in id order: order by id (unless asked otherwise) before limit/offset."
        )
        items, total, limit, _ = _page_parts(await _call(service.list(filters={"priority": 1}, limit=10, offset=20), "list()"), "list()")
        assert total == 24 and len(items) == 4, f"list(filters={{'priority': 1}}, limit=10, offset=20) gave {len(items)} items, total {total}; expected 4 of 24."
        items, total, limit, _ = _page_parts(await _call(service.list(limit=1000), "list(limit=1000)"), "list()")
        assert len(items) <= 100 and limit <= 100, f"list(limit=1000) returned {len(items)} rows (limit {limit}): cap limit at 100."


@service_base
async def test_writes_commit_and_failed_writes_roll_back(learner, taskflow_db, sessionmaker):
    """Do create/update/delete persist, update only what was set, and does a constraint violation leave the session usable?"""
    ids = await _seed(sessionmaker)
    async with sessionmaker() as session:
        service = _tasks(learner, session)
        task = await _call(service.create(TaskCreate(title="New task", project_id=ids["a"], priority=2)), "create()")
        assert getattr(task, "id", None) is not None, "create() should return the saved task, with its id."
        new_id = task.id
        updated = await _call(service.update(new_id, TaskUpdate(status="done")), "update()")
        assert updated is not None and updated.status == "done" and updated.priority == 2, (
            "update(id, TaskUpdate(status='done')) should change only status: use data.model_dump(exclude_unset=True)."
        )
        assert await _call(service.update(999_999, TaskUpdate(status="done")), "update()") is None, "update() of a missing id should return None."

        for attempt, write in (("create() of a duplicate (project, title)", lambda: service.create(TaskCreate(title="New task", project_id=ids["a"]))),
                               ("update() to a title the project already has", lambda: service.update(new_id, TaskUpdate(title="Reportage")))):
            try:
                await write()
            except Exception:
                pass
            else:
                raise AssertionError(f"{attempt} did not fail: the unique constraint should reject it, and the service should re-raise.")
            try:
                still = await service.get(new_id)
            except Exception as exc:
                raise AssertionError(
                    f"After {attempt} failed, the session is unusable ({type(exc).__name__}): catch IntegrityError around the "
                    "commit, `await self.session.rollback()`, then re-raise."
                ) from None
            assert still is not None, f"After {attempt} failed, get() no longer finds the task."
        deleted = await _call(service.delete(ids["Cache embeddings"]), "delete()")
        assert deleted is True, f"delete() of an existing task returned {deleted!r}, not True."
        again = await _call(service.delete(ids["Cache embeddings"]), "delete()")
        assert again is False, f"delete() of a missing task returned {again!r}, not False."
    async with sessionmaker() as fresh:
        saved = (await fresh.exec(select(Task).where(Task.id == new_id))).first()
        assert saved is not None and saved.status == "done", "A new session does not see the created and updated task: commit in the service."
        gone = (await fresh.exec(select(Task).where(Task.id == ids["Cache embeddings"]))).first()
        assert gone is None, "A new session still sees the deleted task: commit after delete."
        count = len((await fresh.exec(select(Task).where(Task.title == "New task"))).all())
        assert count == 1, f"{count} tasks titled 'New task' were saved; the duplicate should not be."


@service_base
async def test_eager_load_options(learner, taskflow_db, sessionmaker, engine):
    """Do get() and list() apply loader options, so a project's tasks come loaded in a fixed number of statements?"""
    ids = await _seed(sessionmaker)
    async with sessionmaker() as session:
        service = _projects(learner, session)
        with counting(engine.sync_engine) as statements:
            project = await _call(service.get(ids["a"], options=[selectinload(Project.tasks)]), "get(id, options=[...])")
        assert project is not None, "get() did not find the project."
        try:
            titles = sorted(t.title for t in project.tasks)
        except Exception as exc:
            raise AssertionError(
                f"get(id, options=[selectinload(Project.tasks)]) did not load the tasks ({type(exc).__name__}): "
                "pass the options on: select(...).options(*options)."
            ) from None
        assert titles == sorted(row[0] for row in TASKS if row[3] == "a"), f"The project's tasks came back as {titles}."
        assert len(statements) <= 2, f"get() with selectinload used {len(statements)} statements; 2 are enough."
        with counting(engine.sync_engine) as statements:
            page = await _call(service.list(options=[selectinload(Project.tasks)]), "list(options=[...])")
            counts = sorted(len(p.tasks) for p in page.items)
        assert counts == [4, 4], f"list(options=[selectinload(Project.tasks)]) gave projects with {counts} tasks."
        assert len(statements) <= 3, f"list() with selectinload used {len(statements)} statements; count + rows + tasks is 3."


@service_base
async def test_filter_values_are_data_not_sql(learner, taskflow_db, sessionmaker):
    """Are filter values that look like SQL or like patterns (' OR 1=1 --, %, _) compared as plain text?"""
    async with sessionmaker() as session:
        project = Project(name="tricky")
        session.add(project)
        await session.flush()
        session.add_all(Task(title=title, project_id=project.id) for title in TRICKY)
        await session.commit()
    async with sessionmaker() as session:
        service = _tasks(learner, session)
        for filters, expected in [
            ({"title": "' OR 1=1 --"}, {"' OR 1=1 --"}),
            ({"title": "%"}, {"%"}),
            ({"title": "_"}, {"_"}),
            ({"title__ne": "%"}, set(TRICKY) - {"%"}),
            ({"title__in": ["' OR 1=1 --", "x') OR ('1'='1"]}, {"' OR 1=1 --"}),
            ({"status": "pending' OR '1'='1"}, set()),
        ]:
            page = await _call(service.list(filters=filters, limit=100), f"list(filters={filters!r})")
            got = {task.title for task in page.items}
            assert got == expected, (
                f"list(filters={filters!r}) returned {sorted(got)}; expected {sorted(expected)}. Values must be bound "
                "parameters (column == value), never pasted into SQL text, and `=` must not treat % or _ as wildcards."
            )


# ----------------------------------------------------------------------------- L09.task_service


@task_service
async def test_task_service_is_a_service_for_tasks(learner, taskflow_db, sessionmaker):
    """Is TaskService(session) a ServiceBase whose model is Task, so create/get/list work on tasks?"""
    ids = await _seed(sessionmaker)
    TaskService = learner.TaskService
    assert isinstance(TaskService, type) and issubclass(TaskService, learner.ServiceBase), (
        "TaskService must subclass ServiceBase: class TaskService(ServiceBase[Task, TaskCreate, TaskUpdate])."
    )
    assert getattr(TaskService, "model", None) is Task, "TaskService.model must be Task (taskflow's table model)."
    async with sessionmaker() as session:
        service = TaskService(session)
        task = await _call(service.create(TaskCreate(title="from TaskService", project_id=ids["b"])), "TaskService.create()")
        got = await _call(service.get(task.id), "TaskService.get()")
        assert got is not None and got.title == "from TaskService", "TaskService.get() did not return the task TaskService.create() made."


@task_service
async def test_pending_for_orders_open_tasks_by_priority(learner, taskflow_db, sessionmaker):
    """Does pending_for(project_id) return only that project's pending/in-progress tasks, highest priority first, then oldest, with a total?"""
    async with sessionmaker() as session:
        mine, other = Project(name="mine"), Project(name="other")
        session.add_all([mine, other])
        await session.flush()
        rows = [("low", "pending", 1, mine), ("high old", "pending", 5, mine), ("running", "in_progress", 3, mine),
                ("high new", "pending", 5, mine), ("finished", "done", 5, mine), ("broken", "failed", 4, mine),
                ("not mine", "pending", 5, other)]
        for title, status, priority, project in rows:
            session.add(Task(title=title, status=status, priority=priority, project_id=project.id))
            await session.flush()
        await session.commit()
        mine_id = mine.id
    async with sessionmaker() as session:
        service = learner.TaskService(session)
        assert hasattr(service, "pending_for"), "TaskService has no method pending_for(project_id, *, limit=20, offset=0)."
        page = await _call(service.pending_for(mine_id), "pending_for(project_id)")
        items, total, _, _ = _page_parts(page, "pending_for()")
        got = [task.title for task in items]
        expected = ["high old", "high new", "running", "low"]
        assert got == expected, (
            f"pending_for returned {got}; expected {expected}: statuses pending or in_progress of this project only, "
            "ordered by priority descending, then id ascending."
        )
        assert total == 4, f"pending_for says total={total}; 4 tasks are open."
        page = await _call(service.pending_for(mine_id, limit=2, offset=1), "pending_for(project_id, limit=2, offset=1)")
        assert [t.title for t in page.items] == expected[1:3] and page.total == 4, (
            f"pending_for(limit=2, offset=1) returned {[t.title for t in page.items]} (total {page.total}); expected {expected[1:3]} of 4."
        )


# ------------------------------------------------------------------------------- L09.create_app


@pytest.fixture
async def client(learner, database_url, taskflow_db):
    """httpx talking to create_app(DATABASE_URL) with its lifespan running."""
    factory = learner.create_app
    try:
        app = factory(database_url)
    except Exception as exc:
        raise AssertionError(f"create_app(database_url) raised {type(exc).__name__}: {exc}") from None
    assert hasattr(app, "router"), f"create_app returned {type(app).__name__}, not a FastAPI app."
    async with _lifespan(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://grader") as http:
            yield http


@asynccontextmanager
async def _lifespan(app):
    try:
        context = app.router.lifespan_context(app)
        await context.__aenter__()
    except Exception as exc:
        raise AssertionError(f"Your app's lifespan failed at startup: {type(exc).__name__}: {exc}") from None
    try:
        yield
    finally:
        await context.__aexit__(None, None, None)


def _said(response) -> str:
    return f"{response.request.method} {response.request.url.path}{'?' + response.request.url.query.decode() if response.request.url.query else ''} answered {response.status_code} {response.text[:160]}"


def _expect(response, status: int | tuple, why: str):
    wanted = status if isinstance(status, tuple) else (status,)
    assert response.status_code in wanted, f"{_said(response)}; expected {' or '.join(map(str, wanted))}: {why}"
    return response


def _page_json(response) -> tuple[list[dict], int]:
    body = response.json()
    assert isinstance(body, dict) and {"items", "total", "limit", "offset"} <= set(body), (
        f"{_said(response)}: a list endpoint answers {{\"items\": [...], \"total\": n, \"limit\": n, \"offset\": n}}."
    )
    return body["items"], body["total"]


@create_app
async def test_project_routes_and_their_status_codes(client):
    """Do the project routes answer 201, 200, 404, 409 (and keep working after it), 422 and 204 where a client expects them?"""
    created = _expect(await client.post("/projects", json={"name": "alpha"}), 201, "a created project answers 201 Created.").json()
    assert isinstance(created.get("id"), int) and created.get("name") == "alpha", f"POST /projects answered {created}; it should return the project with its id."
    pid = created["id"]
    _expect(await client.post("/projects", json={"name": "alpha"}), 409, "a name that is taken violates the unique constraint: catch IntegrityError, answer 409.")
    _expect(await client.post("/projects", json={"name": "beta"}), 201, "after a 409 the app must keep working (roll back the failed session).")
    _expect(await client.post("/projects", json={"name": ""}), 422, "an invalid body is rejected by the ProjectCreate schema.")
    _expect(await client.post("/projects", json={}), 422, "a body without name is invalid.")
    got = _expect(await client.get(f"/projects/{pid}"), 200, "an existing project can be read.").json()
    assert got.get("name") == "alpha", f"GET /projects/{pid} answered {got}."
    _expect(await client.get("/projects/999999"), 404, "a missing project is 404 Not Found.")
    renamed = _expect(await client.patch(f"/projects/{pid}", json={"name": "gamma"}), 200, "PATCH updates the project.").json()
    assert renamed.get("name") == "gamma", f"PATCH /projects/{pid} answered {renamed}."
    _expect(await client.patch(f"/projects/{pid}", json={"name": "beta"}), 409, "renaming to a taken name is a conflict.")
    _expect(await client.patch("/projects/999999", json={"name": "delta"}), 404, "PATCH of a missing project is 404.")
    deleted = _expect(await client.delete(f"/projects/{pid}"), 204, "a delete answers 204 No Content.")
    assert not deleted.content, "A 204 response has no body."
    _expect(await client.get(f"/projects/{pid}"), 404, "a deleted project is gone.")
    _expect(await client.delete(f"/projects/{pid}"), 404, "deleting it again is 404.")


@create_app
async def test_task_routes_and_their_status_codes(client):
    """Do the task routes create (201), read, update only what was sent, reject bad input (409, 422) and delete (204, 404)?"""
    pid = _expect(await client.post("/projects", json={"name": "tasks"}), 201, "a created project answers 201.").json()["id"]
    task = _expect(await client.post("/tasks", json={"title": "first", "project_id": pid, "priority": 4}), 201,
                   "a created task answers 201.").json()
    assert isinstance(task.get("id"), int) and task.get("status") == "pending", f"POST /tasks answered {task}; expected the task, status pending."
    tid = task["id"]
    _expect(await client.post("/tasks", json={"title": "first", "project_id": pid}), 409, "the same title twice in one project violates a unique constraint.")
    _expect(await client.post("/tasks", json={"title": "", "project_id": pid}), 422, "an empty title is invalid.")
    _expect(await client.post("/tasks", json={"title": "x", "project_id": pid, "priority": 9}), 422, "priority must be 1-5.")
    changed = _expect(await client.patch(f"/tasks/{tid}", json={"status": "done"}), 200, "PATCH updates the task.").json()
    assert changed.get("status") == "done" and changed.get("priority") == 4 and changed.get("title") == "first", (
        f"PATCH /tasks/{tid} with only a status answered {changed}: the other fields must stay as they were (exclude_unset)."
    )
    _expect(await client.patch(f"/tasks/{tid}", json={"priority": 0}), 422, "priority must be 1-5.")
    _expect(await client.patch("/tasks/999999", json={"status": "done"}), 404, "PATCH of a missing task is 404.")
    read = _expect(await client.get(f"/tasks/{tid}"), 200, "an existing task can be read.").json()
    assert read.get("status") == "done", f"GET /tasks/{tid} answered {read} after the PATCH: was it committed?"
    _expect(await client.get("/tasks/999999"), 404, "a missing task is 404.")
    _expect(await client.delete(f"/tasks/{tid}"), 204, "a delete answers 204.")
    _expect(await client.get(f"/tasks/{tid}"), 404, "a deleted task is gone.")
    _expect(await client.delete(f"/tasks/{tid}"), 404, "deleting it again is 404.")


@create_app_2
async def test_list_filters_come_from_query_parameters(client, sessionmaker):
    """Does GET /tasks turn query parameters into filters (ilike, between, in, not_in, isnull, ...) with the right total?"""
    ids = await _seed(sessionmaker)
    for filters, expected in _filter_cases(ids, strings=True):
        response = _expect(await client.get("/tasks", params={**filters, "limit": 100}), 200, "every query parameter other than limit/offset is a filter.")
        items, total = _page_json(response)
        got = {item.get("title") for item in items}
        assert got == expected, f"{_said(response)[:120]}: got titles {sorted(got)}; expected {sorted(expected)}."
        assert total == len(expected), f"{_said(response)[:120]}: total is {total}; {len(expected)} tasks match."


@create_app
async def test_bad_filters_answer_400(client, sessionmaker):
    """Does an unknown field, a relationship name or an unknown operator answer 400, and a bad value 400 or 422, never 500?"""
    await _seed(sessionmaker)
    for query in ({"owner": "me"}, {"project": "1"}, {"title__regex": "x"}, {"__class__": "x"}):
        _expect(await client.get("/tasks", params=query), 400, "map FilterError to 400 Bad Request with an exception handler.")
    _expect(await client.get("/tasks", params={"priority__gte": "abc"}), (400, 422), "a value that does not fit the column is the client's mistake.")


@create_app
async def test_pages_have_totals_and_limit_is_capped(client, sessionmaker):
    """Do pages report the total of all matches, come in id order, and is a limit above 100 refused or capped?"""
    await _seed_many(sessionmaker, 120)
    response = _expect(await client.get("/tasks", params={"limit": 10, "offset": 20}), 200, "limit and offset are query parameters.")
    items, total = _page_json(response)
    assert total == 120 and len(items) == 10, f"{_said(response)[:100]}: {len(items)} items, total {total}; expected 10 of 120."
    assert [i["title"] for i in items] == [f"task {n:03}" for n in range(20, 30)], "The page is not tasks 20-29 in id order: order by id."
    response = _expect(await client.get("/tasks", params={"priority": "1", "limit": 10, "offset": 20}), 200, "filters and paging combine.")
    items, total = _page_json(response)
    assert total == 24 and len(items) == 4, f"?priority=1&limit=10&offset=20 gave {len(items)} items, total {total}; expected 4 of 24."
    response = await client.get("/tasks", params={"limit": 1000})
    if response.status_code != 422:
        _expect(response, 200, "limit above 100 is refused (422) or capped at 100.")
        items, _ = _page_json(response)
        assert len(items) <= 100, f"GET /tasks?limit=1000 returned {len(items)} tasks: cap limit at 100 (Query(le=100))."
    _expect(await client.get("/tasks", params={"offset": -1}), 422, "a negative offset is invalid (Query(ge=0)).")


@create_app
async def test_project_with_tasks_in_a_few_statements(client, sessionmaker):
    """Does GET /projects/{id} return the project's tasks, loaded in at most 3 statements whatever their number?"""
    pid = await _seed_many(sessionmaker, 6)
    _expect(await client.get(f"/projects/{pid}"), 200, "an existing project can be read.")  # warms up the app's engine
    with counting(Engine) as statements:
        response = await client.get(f"/projects/{pid}")
    body = _expect(response, 200, "an existing project can be read.").json()
    tasks = body.get("tasks")
    assert isinstance(tasks, list), f"GET /projects/{pid} answered {str(body)[:150]}: include the project's tasks as \"tasks\"."
    assert sorted(t.get("title") for t in tasks) == [f"task {n:03}" for n in range(6)], "\"tasks\" does not hold the project's 6 tasks."
    assert len(statements) <= 3, (
        f"GET /projects/{pid} with 6 tasks sent {len(statements)} statements: load the tasks with the project "
        "(get(id, options=[selectinload(Project.tasks)])), not one query per task."
    )


@create_app
async def test_query_values_carrying_sql_are_data(client, sessionmaker):
    """Are query values such as ' OR 1=1 --, % and _ matched as plain text?"""
    pid = _expect(await client.post("/projects", json={"name": "tricky"}), 201, "a created project answers 201.").json()["id"]
    for title in TRICKY:
        _expect(await client.post("/tasks", json={"title": title, "project_id": pid}), 201, "a created task answers 201.")
    for params, expected in [({"title": "' OR 1=1 --"}, {"' OR 1=1 --"}), ({"title": "%"}, {"%"}), ({"title": "_"}, {"_"}),
                             ({"title__in": "plain,' OR '1'='1"}, {"plain"}), ({"status": "x' OR 'a'='a"}, set())]:
        response = _expect(await client.get("/tasks", params=params), 200, "a filter on an existing column is fine.")
        items, _ = _page_json(response)
        got = {i.get("title") for i in items}
        assert got == expected, f"{_said(response)[:120]}: got {sorted(got)}; expected {sorted(expected)}. Bind values, never build SQL text."


@create_app
async def test_deleting_a_project_deletes_its_tasks(client, sessionmaker):
    """When a project is deleted, are its tasks gone too?"""
    ids = await _seed(sessionmaker)
    _expect(await client.delete(f"/projects/{ids['a']}"), 204, "a delete answers 204.")
    _expect(await client.get(f"/tasks/{ids['Reportage']}"), 404, "the tasks of a deleted project go with it (use taskflow.db.make_engine: it enables foreign keys on SQLite).")
    response = _expect(await client.get("/tasks", params={"limit": 100}), 200, "listing works.")
    items, total = _page_json(response)
    assert total == 4, f"After deleting project alpha, GET /tasks reports {total} tasks; beta's 4 should remain."
