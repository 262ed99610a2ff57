"""L09: realistic wrong answers and correct alternatives, as data (see __init__.py)."""

import nbformat
from skillbook.course import cells
from tests.builders import solution_path

FILTERS, PAGINATE, SAVE = "L09.filter_conditions", "L09.paginate", "L09.save"
SERVICE, TASKS, APP, TESTS = "L09.service_base", "L09.task_service", "L09.create_app", "L09.app_tests"


def _solution_source(grade_id: str) -> str:
    nb = nbformat.read(solution_path("L09"), as_version=4)
    return next(c.source for c in nb.cells if cells.grade_id(c) == grade_id)


def _edited(grade_id: str, *changes: tuple[str, str]) -> str:
    source = _solution_source(grade_id)
    for old, new in changes:
        assert old in source, f"{old!r} is not in the solution's {grade_id} cell"
        source = source.replace(old, new)
    return source


COLUMN_CHECK = """    columns = model.__table__.columns
    if name not in columns:
        raise FilterError(f"{model.__name__} has no field {name!r}")
    return columns[name]"""

SAVE_BODY = """    session.add_all(objects)
    try:
        await session.commit()
    except Exception:
        await session.rollback()
        raise"""

# The app checks a name before it writes, and has no handler for IntegrityError: right one request at
# a time, a 500 when another request writes the same name between the check and the INSERT.
CHECK_THEN_INSERT = (
    ("""    @app.exception_handler(IntegrityError)
    async def conflict(request: Request, exc: IntegrityError) -> JSONResponse:
        # Never echo exc: it holds SQL and values. The service has rolled back already.
        return JSONResponse({"detail": "conflicts with existing data"}, status_code=status.HTTP_409_CONFLICT)
""", ""),
    ("""    async def create_project(data: ProjectCreate, projects: Projects) -> Project:
        return await projects.create(data)""",
     """    async def create_project(data: ProjectCreate, projects: Projects) -> Project:
        if (await projects.list(filters={"name": data.name})).total:
            raise HTTPException(status.HTTP_409_CONFLICT, "name taken")
        return await projects.create(data)"""),
    ("""    async def update_project(project_id: int, data: ProjectUpdate, projects: Projects) -> Project:
        return""",
     """    async def update_project(project_id: int, data: ProjectUpdate, projects: Projects) -> Project:
        if data.name and (await projects.list(filters={"name": data.name})).total:
            raise HTTPException(status.HTTP_409_CONFLICT, "name taken")
        return"""),
    ("""    async def create_task(data: TaskCreate, tasks: Tasks) -> Task:
        return await tasks.create(data)""",
     """    async def create_task(data: TaskCreate, tasks: Tasks) -> Task:
        if (await tasks.list(filters={"project_id": data.project_id, "title": data.title})).total:
            raise HTTPException(status.HTTP_409_CONFLICT, "title taken")
        return await tasks.create(data)"""),
)

# One session for the whole app, opened in the lifespan: fine one request at a time.
ONE_SESSION = (
    ("""        app.state.session_factory = make_sessionmaker(engine)
        yield  # the app serves requests here""",
     """        app.state.session_factory = make_sessionmaker(engine)
        app.state.session = app.state.session_factory()
        yield  # the app serves requests here
        await app.state.session.close()"""),
    ("""    async with request.app.state.session_factory() as session:
        try:
            yield session
        except Exception:
            await session.rollback()
            raise""",
     """    session = request.app.state.session
    try:
        yield session
    except Exception:
        await session.rollback()
        raise"""),
)

# Tests that send requests and assert nothing: they pass on every app.
TESTS_ASSERT_NOTHING = _edited("L09-app_tests", *(
    (old, new) for old, new in [
        ('    assert response.status_code == 201, response.text\n', ''),
        ('    assert response.status_code == 201\n    assert response.json()["title"] == "write tests" and response.json()["status"] == "pending"\n', '    print(response.json())\n'),
        ('    assert (await api.get("/tasks/999")).status_code == 404\n    assert (await api.patch("/projects/999", json={"name": "x"})).status_code == 404\n    assert (await api.delete("/tasks/999")).status_code == 404\n',
         '    await api.get("/tasks/999")\n    await api.delete("/tasks/999")\n'),
        ('    assert (await api.post("/projects", json={"name": "taken"})).status_code == 409\n    assert (await api.post("/projects", json={"name": "free"})).status_code == 201\n',
         '    await api.post("/projects", json={"name": "taken"})\n'),
        ('    assert sorted(task["title"] for task in page["items"]) == ["high", "mid"] and page["total"] == 2\n', '    print(page)\n'),
        ('    assert [task["title"] for task in first["items"]] == ["task 0", "task 1"] and first["total"] == 5\n', ''),
        ('    assert [task["title"] for task in last["items"]] == ["task 4"]\n', '    print(first, last)\n'),
        ('    assert response.status_code == 200\n    assert response.json() == task | {"status": "done"}\n', '    print(response.json())\n'),
    ]
))

# id -> (cell replacements, the exercises that must lose points; every other one must pass)
WRONG = {
    # --- filter_conditions
    # getattr on the class: relationships, attributes and typos get through to SQLAlchemy (or match nothing).
    "filter-field-from-getattr": (
        {"L09-filter_conditions": _edited("L09-filter_conditions", (COLUMN_CHECK, "    return getattr(model, name)"))},
        FILTERS,
    ),
    # The value is formatted into the SQL text: ' OR 1=1 -- matches every row.
    "filter-value-formatted-into-sql": (
        {"L09-filter_conditions": _edited("L09-filter_conditions",
                                          ("from sqlalchemy import Boolean,", "from sqlalchemy import text\nfrom sqlalchemy import Boolean,"),
                                          ('    "eq": lambda c, v: c == _convert(c, v),', '    "eq": lambda c, v: text(f"{c.name} = \'{v}\'"),'))},
        FILTERS,
    ),
    "between-leaves-out-the-ends": (
        {"L09-filter_conditions": _edited("L09-filter_conditions", ("    return column.between(*bounds)", "    return (column > bounds[0]) & (column < bounds[1])"))},
        FILTERS,
    ),
    # Text from a query string goes to the database as text: SQLite copes, PostgreSQL refuses '4' for an integer.
    "text-values-not-converted": (
        {"L09-filter_conditions": _edited("L09-filter_conditions", ("    if not isinstance(value, str):\n        return value\n", "    return value\n"))},
        FILTERS,
    ),
    # --- paginate
    # The count is taken after limit/offset: total is never more than the page.
    "count-after-limit": (
        {"L09-paginate": _edited("L09-paginate", ("    every_match = statement.order_by(None).subquery()", "    every_match = statement.limit(limit).offset(offset).subquery()"))},
        PAGINATE,
    ),
    # Every matching row is fetched to count it: right total, whole table in memory.
    "count-by-loading-every-row": (
        {"L09-paginate": _edited("L09-paginate", ("    total = (await session.exec(select(func.count()).select_from(every_match))).one()",
                                                 "    total = len((await session.exec(statement)).all())"))},
        PAGINATE,
    ),
    "limit-not-capped": (
        {"L09-paginate": _edited("L09-paginate", ("max(1, min(limit, MAX_LIMIT))", "max(1, limit)"))},
        PAGINATE,
    ),
    # --- save
    # IntegrityError goes up without a rollback: the session is left unusable.
    "save-without-rollback": (
        {"L09-save": _edited("L09-save", (SAVE_BODY, "    session.add_all(objects)\n    await session.commit()"))},
        SAVE,
    ),
    # The conflict is rolled back and swallowed: the caller thinks it saved, the app answers 201.
    "save-swallows-the-conflict": (
        {"L09-save": _edited("L09-save", ("    except Exception:\n        await session.rollback()\n        raise",
                                          "    except IntegrityError:\n        await session.rollback()"))},
        SAVE,
    ),
    # Only constraint errors are rolled back: another failed commit stays pending and the next save writes it.
    "save-rolls-back-only-integrity-errors": (
        {"L09-save": _edited("L09-save", ("    except Exception:", "    except IntegrityError:"))},
        SAVE,
    ),
    # --- service_base
    # model_dump() without exclude_unset: the fields not sent are written as None.
    "update-overwrites-unset-fields": (
        {"L09-service_base": _edited("L09-service_base", ("data.model_dump(exclude_unset=True)", "data.model_dump()"))},
        SERVICE,
    ),
    # Commits straight on the session: no rollback after a conflict.
    "service-commits-without-save": (
        {"L09-service_base": _edited("L09-service_base", ("        obj = self.model.model_validate(data)\n        await save(self.session, obj)",
                                                          "        obj = self.model.model_validate(data)\n        self.session.add(obj)\n        await self.session.commit()"),
                                     ("        obj.sqlmodel_update(data.model_dump(exclude_unset=True))\n        await save(self.session, obj)",
                                      "        obj.sqlmodel_update(data.model_dump(exclude_unset=True))\n        await self.session.commit()"))},
        SERVICE,
    ),
    "order-by-ignored": (
        {"L09-service_base": _edited("L09-service_base", (".order_by(*order)", ".order_by(self.column(\"id\"))"))},
        SERVICE,
    ),
    # --- task_service
    "pending-for-lowest-priority-first": (
        {"L09-task_service": _edited("L09-task_service", ('order_by=("-priority", "id")', 'order_by=("priority", "id")'))},
        TASKS,
    ),
    # --- create_app
    # No handler for IntegrityError: a duplicate is a 500 instead of a 409.
    "conflict-not-mapped-to-409": (
        {"L09-create_app": _edited("L09-create_app", ("    @app.exception_handler(IntegrityError)\n", ""))},
        APP,
    ),
    "conflict-checked-before-insert": ({"L09-create_app": _edited("L09-create_app", *CHECK_THEN_INSERT)}, APP),
    "one-session-for-the-app": ({"L09-create_app": _edited("L09-create_app", *ONE_SESSION)}, APP),
    "engine-never-disposed": (
        {"L09-create_app": _edited("L09-create_app", ("        yield  # the app serves requests here\n        await engine.dispose()",
                                                      "        yield  # the app serves requests here"))},
        APP,
    ),
    # The response needs the tasks, the query did not load them: the lazy load raises (500).
    "project-tasks-not-loaded": (
        {"L09-create_app": _edited("L09-create_app", ("await projects.get(project_id, options=[selectinload(Project.tasks)])", "await projects.get(project_id)"))},
        APP,
    ),
    # limit and offset end up among the filters: every paged request is a 400.
    "paging-parameters-as-filters": (
        {"L09-create_app": _edited("L09-create_app", ("PAGING = {\"limit\", \"offset\"}", "PAGING = set()"))},
        APP,
    ),
    # --- app_tests
    "tests-assert-nothing": ({"L09-app_tests": TESTS_ASSERT_NOTHING}, TESTS),
    # A session of its own, committed for real: data stays, and tests that reuse a name collide.
    "tests-without-rollback": (
        {"L09-app_tests": _edited("L09-app_tests", (
            """    async with db_engine.connect() as connection:
        transaction = await connection.begin()
        session = AsyncSession(bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
        try:
            yield session
        finally:
            await session.close()
            await transaction.rollback()""",
            """    async with AsyncSession(db_engine, expire_on_commit=False) as session:
        yield session"""))},
        TESTS,
    ),
    # Only the happy paths: nothing about missing rows, conflicts or PATCH.
    "tests-only-happy-paths": (
        {"L09-app_tests": _edited("L09-app_tests",
                                  ("async def test_missing_rows_answer_404(api):", "async def missing_rows_answer_404(api):"),
                                  ("async def test_conflict_answers_409_and_the_app_keeps_working(api):", "async def conflict_answers_409(api):"),
                                  ("async def test_patch_changes_only_what_was_sent(api):", "async def patch_changes_only_what_was_sent(api):"))},
        TESTS,
    ),
}

# Written differently: operators looked up as column methods, fields through the mapper, values
# converted with python_type, Page a Pydantic model, the count with with_only_columns, a save that
# rolls back in a finally, ServiceBase with its own column lookup.
FILTERS_ALTERNATIVE = """from datetime import UTC, datetime

from sqlalchemy import and_, inspect as sa_inspect


class FilterError(ValueError):
    pass


METHODS = {"eq": "__eq__", "ne": "__ne__", "gt": "__gt__", "gte": "__ge__", "lt": "__lt__", "lte": "__le__",
           "like": "like", "ilike": "ilike", "in": "in_", "not_in": "not_in"}
LISTS = {"in", "not_in", "between"}


def typed(column, raw):
    if not isinstance(raw, str):
        return raw
    kind = getattr(column.type, "impl_instance", column.type).python_type  # sqlmodel's types wrap plain ones
    if kind is str:
        return raw
    try:
        if kind is bool:
            if raw.lower() not in ("1", "true", "0", "false"):
                raise ValueError(raw)
            return raw.lower() in ("1", "true")
        if kind is datetime:
            return datetime.fromisoformat(raw).replace(tzinfo=UTC)
        return kind(raw)
    except ValueError as exc:
        raise FilterError(str(exc)) from exc


def filter_conditions(model, filters):
    columns = {c.key: c for c in sa_inspect(model).columns}
    found = []
    for key, value in (filters or {}).items():
        name, op = key.rsplit("__", 1) if "__" in key else (key, "eq")
        if name not in columns:
            raise FilterError(f"no such field: {name}")
        column = columns[name]
        if op == "isnull":
            if str(value).lower() not in ("1", "true", "0", "false"):
                raise FilterError("isnull takes true or false")
            found.append(column.is_(None) if str(value).lower() in ("1", "true") else column.is_not(None))
        elif op in LISTS:
            values = [typed(column, v) for v in (value.split(",") if isinstance(value, str) else value)]
            if op == "between":
                if len(values) != 2:
                    raise FilterError("between takes two values")
                found.append(and_(column >= values[0], column <= values[1]))
            else:
                found.append(getattr(column, METHODS[op])(values))
        elif op in METHODS:
            found.append(getattr(column, METHODS[op])(typed(column, value)))
        else:
            raise FilterError(f"no such operator: {op}")
    return found
"""

PAGINATE_ALTERNATIVE = """from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func
from sqlmodel import SQLModel

ModelT = TypeVar("ModelT", bound=SQLModel)


class Page(BaseModel, Generic[ModelT]):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    items: list[Any]
    total: int
    limit: int
    offset: int


async def paginate(session, statement, *, limit=20, offset=0):
    limit = min(max(limit, 1), 100)
    count = statement.order_by(None).with_only_columns(func.count(), maintain_column_froms=True)
    total = (await session.exec(count)).one()
    rows = (await session.exec(statement.offset(offset).limit(limit))).all()
    return Page(items=rows, total=total, limit=limit, offset=offset)
"""

SAVE_ALTERNATIVE = """async def save(session, *objects):
    for obj in objects:
        session.add(obj)
    committed = False
    try:
        await session.commit()
        committed = True
    finally:
        if not committed:
            await session.rollback()
"""

SERVICE_ALTERNATIVE = """from typing import Generic, TypeVar

from sqlalchemy import inspect as sa_inspect
from sqlmodel import SQLModel, select

ModelT = TypeVar("ModelT", bound=SQLModel)
CreateT = TypeVar("CreateT", bound=SQLModel)
UpdateT = TypeVar("UpdateT", bound=SQLModel)


class ServiceBase(Generic[ModelT, CreateT, UpdateT]):
    model: type[ModelT]

    def __init__(self, session):
        self.session = session

    def _column(self, name):
        columns = {c.key: c for c in sa_inspect(self.model).columns}
        if name not in columns:
            raise FilterError(f"no such field: {name}")
        return columns[name]

    async def get(self, id, *, options=()):
        primary_key = sa_inspect(self.model).primary_key[0]
        return (await self.session.exec(select(self.model).where(primary_key == id).options(*options))).first()

    async def list(self, *, filters=None, order_by=("id",), limit=20, offset=0, options=()):
        ordering = [self._column(o.lstrip("-")).desc() if o.startswith("-") else self._column(o) for o in order_by]
        statement = select(self.model).where(*filter_conditions(self.model, filters)).order_by(*ordering)
        return await paginate(self.session, statement.options(*options), limit=limit, offset=offset)

    async def create(self, data):
        row = self.model(**data.model_dump())
        await save(self.session, row)
        await self.session.refresh(row)
        return row

    async def update(self, id, data):
        row = await self.get(id)
        if row is not None:
            for field, value in data.model_dump(exclude_unset=True).items():
                setattr(row, field, value)
            await save(self.session, row)
            await self.session.refresh(row)
        return row

    async def delete(self, id):
        row = await self.get(id)
        if row is None:
            return False
        await self.session.delete(row)
        await save(self.session)
        return True
"""

# pending_for with its own statement instead of list().
TASK_SERVICE_ALTERNATIVE = """from sqlmodel import col

class TaskService(ServiceBase[Task, TaskCreate, TaskUpdate]):
    model = Task

    async def pending_for(self, project_id, *, limit=20, offset=0):
        open_tasks = (Task.project_id == project_id) & col(Task.status).in_(("pending", "in_progress"))
        statement = select(Task).where(open_tasks).order_by(col(Task.priority).desc(), col(Task.id))
        return await paginate(self.session, statement, limit=limit, offset=offset)
"""

# An app built differently: routers, try/except in each route instead of exception handlers,
# limit clamped instead of refused, joinedload for the project's tasks, a Pydantic page model.
APP_ALTERNATIVE = """from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Generic, TypeVar

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

T = TypeVar("T")


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class ProjectOut(ProjectRead):
    tasks: list[TaskRead] = []


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessions() as session:
        yield session


def project_service(session: Annotated[AsyncSession, Depends(get_session)]) -> ProjectService:
    return ProjectService(session)


def task_service(session: Annotated[AsyncSession, Depends(get_session)]) -> TaskService:
    return TaskService(session)


async def guarded(call):
    try:
        return await call
    except FilterError as exc:
        raise HTTPException(400, str(exc))
    except IntegrityError:
        raise HTTPException(409, "conflict")


def missing(thing):
    return HTTPException(404, f"{thing} not found")


def query_filters(request: Request) -> dict:
    return {k: v for k, v in request.query_params.multi_items() if k not in ("limit", "offset")}


projects_router = APIRouter(prefix="/projects")
tasks_router = APIRouter(prefix="/tasks")


@projects_router.post("", status_code=201, response_model=ProjectRead)
async def new_project(data: ProjectCreate, svc: Annotated[ProjectService, Depends(project_service)]):
    return await guarded(svc.create(data))


@projects_router.get("", response_model=PageOut[ProjectRead])
async def all_projects(request: Request, svc: Annotated[ProjectService, Depends(project_service)], limit: int = 20, offset: int = 0):
    if offset < 0:
        raise HTTPException(422, "offset must be 0 or more")
    page = await guarded(svc.list(filters=query_filters(request), limit=min(limit, 100), offset=offset))
    return PageOut[ProjectRead](items=page.items, total=page.total, limit=page.limit, offset=page.offset)


@projects_router.get("/{project_id}", response_model=ProjectOut)
async def one_project(project_id: int, svc: Annotated[ProjectService, Depends(project_service)]):
    statement = select(Project).where(Project.id == project_id).options(joinedload(Project.tasks))
    project = (await svc.session.exec(statement)).unique().first()
    if project is None:
        raise missing("project")
    return project


@projects_router.patch("/{project_id}", response_model=ProjectRead)
async def edit_project(project_id: int, data: ProjectUpdate, svc: Annotated[ProjectService, Depends(project_service)]):
    project = await guarded(svc.update(project_id, data))
    if project is None:
        raise missing("project")
    return project


@projects_router.delete("/{project_id}")
async def drop_project(project_id: int, svc: Annotated[ProjectService, Depends(project_service)]):
    if not await svc.delete(project_id):
        raise missing("project")
    return Response(status_code=204)


@tasks_router.post("", status_code=201, response_model=TaskRead)
async def new_task(data: TaskCreate, svc: Annotated[TaskService, Depends(task_service)]):
    return await guarded(svc.create(data))


@tasks_router.get("", response_model=PageOut[TaskRead])
async def all_tasks(request: Request, svc: Annotated[TaskService, Depends(task_service)], limit: int = 20, offset: int = 0):
    if offset < 0:
        raise HTTPException(422, "offset must be 0 or more")
    page = await guarded(svc.list(filters=query_filters(request), limit=min(limit, 100), offset=offset))
    return PageOut[TaskRead](items=page.items, total=page.total, limit=page.limit, offset=page.offset)


@tasks_router.get("/{task_id}", response_model=TaskRead)
async def one_task(task_id: int, svc: Annotated[TaskService, Depends(task_service)]):
    task = await svc.get(task_id)
    if task is None:
        raise missing("task")
    return task


@tasks_router.patch("/{task_id}", response_model=TaskRead)
async def edit_task(task_id: int, data: TaskUpdate, svc: Annotated[TaskService, Depends(task_service)]):
    task = await guarded(svc.update(task_id, data))
    if task is None:
        raise missing("task")
    return task


@tasks_router.delete("/{task_id}")
async def drop_task(task_id: int, svc: Annotated[TaskService, Depends(task_service)]):
    if not await svc.delete(task_id):
        raise missing("task")
    return Response(status_code=204)


def create_app(database_url: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.engine = make_engine(database_url)
        app.state.sessions = make_sessionmaker(app.state.engine)
        try:
            yield
        finally:
            await app.state.engine.dispose()

    app = FastAPI(lifespan=lifespan)
    app.include_router(projects_router)
    app.include_router(tasks_router)
    return app
"""

# Tests written differently: a test class, parametrize, a plain-function override, the lifespan run
# anyway, an async_sessionmaker bound to the test's connection, one module-level helper.
TESTS_ALTERNATIVE = """import httpx
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession


@pytest.fixture
async def rolled_back(db_engine):
    async with db_engine.connect() as connection:
        outer = await connection.begin()
        make = async_sessionmaker(bind=connection, class_=AsyncSession, expire_on_commit=False,
                                  join_transaction_mode="create_savepoint")
        async with make() as session:
            yield session
        await outer.rollback()


@pytest.fixture
async def http(rolled_back):
    app = create_app(TEST_URL)
    app.dependency_overrides[get_session] = lambda: rolled_back
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            yield client


async def project_with_tasks(http, *priorities):
    project = (await http.post("/projects", json={"name": "p"})).json()
    for n, priority in enumerate(priorities):
        await http.post("/tasks", json={"title": f"t{n}", "priority": priority, "project_id": project["id"]})
    return project["id"]


class TestWrites:
    async def test_post_is_201(self, http):
        response = await http.post("/projects", json={"name": "new"})
        assert (response.status_code, response.json()["name"]) == (201, "new")

    async def test_taken_name_is_409_then_work_goes_on(self, http):
        await http.post("/projects", json={"name": "dup"})
        again = await http.post("/projects", json={"name": "dup"})
        after = await http.post("/projects", json={"name": "other"})
        assert (again.status_code, after.status_code) == (409, 201)

    async def test_patch_keeps_other_fields(self, http):
        project_id = await project_with_tasks(http, 5)
        task = (await http.get("/tasks", params={"project_id": project_id})).json()["items"][0]
        changed = (await http.patch(f"/tasks/{task['id']}", json={"status": "failed"})).json()
        assert {k: v for k, v in changed.items() if k != "status"} == {k: v for k, v in task.items() if k != "status"}


@pytest.mark.parametrize("path", ["/tasks/12345", "/projects/12345"])
async def test_missing_is_404(http, path):
    assert (await http.get(path)).status_code == 404


async def test_filter_and_pages(http):
    await project_with_tasks(http, 1, 2, 3, 4, 5)
    high = (await http.get("/tasks", params={"priority__gt": "3"})).json()
    assert [t["priority"] for t in high["items"]] == [4, 5]
    second = (await http.get("/tasks", params={"limit": "2", "offset": "2"})).json()
    assert [t["title"] for t in second["items"]] == ["t2", "t3"] and second["total"] == 5
"""

ALTERNATIVES = {
    "helpers-written-differently": {"L09-filter_conditions": FILTERS_ALTERNATIVE, "L09-paginate": PAGINATE_ALTERNATIVE, "L09-save": SAVE_ALTERNATIVE},
    "service-written-differently": {"L09-service_base": SERVICE_ALTERNATIVE, "L09-task_service": TASK_SERVICE_ALTERNATIVE},
    "app-with-routers-and-clamped-limit": {"L09-create_app": APP_ALTERNATIVE},
    "tests-in-a-class-with-parametrize": {"L09-app_tests": TESTS_ALTERNATIVE},
}
