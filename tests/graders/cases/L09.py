"""L09: realistic wrong answers and correct alternatives, as data (see __init__.py)."""

import nbformat
from skillbook.course import cells
from tests.builders import solution_path

SERVICE, TASKS, APP = "L09.service_base", "L09.task_service", "L09.create_app"


def _solution_source(grade_id: str) -> str:
    nb = nbformat.read(solution_path("L09"), as_version=4)
    return next(c.source for c in nb.cells if cells.grade_id(c) == grade_id)


def _edited(grade_id: str, *changes: tuple[str, str]) -> str:
    source = _solution_source(grade_id)
    for old, new in changes:
        assert old in source, f"{old!r} is not in the solution's {grade_id} cell"
        source = source.replace(old, new)
    return source


COLUMN_CHECK = """        columns = self.model.__table__.columns  # real columns only: no relationships, no attributes
        if name not in columns:
            raise FilterError(f"{self.model.__name__} has no field {name!r}")
        return columns[name]"""

# id -> (cell replacements, the exercises that must lose points; every other one must pass)
WRONG = {
    # getattr on the class: relationships, attributes and typos get through to SQLAlchemy (or match nothing).
    "filter-field-from-getattr": (
        {"L09-service_base": _edited("L09-service_base", (COLUMN_CHECK, "        return getattr(self.model, name)"))},
        {SERVICE, APP},
    ),
    # The value is pasted into the SQL text: ' OR 1=1 -- matches every row.
    "filter-value-pasted-into-sql": (
        {"L09-service_base": _edited("L09-service_base",
                                     ("from sqlalchemy import Boolean,", "from sqlalchemy import text\nfrom sqlalchemy import Boolean,"),
                                     ('    "eq": lambda c, v: c == _convert(c, v),', '    "eq": lambda c, v: text(f"{c.name} = \'{v}\'"),'))},
        {SERVICE, APP},
    ),
    "total-is-the-page-length": (
        {"L09-service_base": _edited("L09-service_base", ("        return Page(items=items, total=total,", "        return Page(items=items, total=len(items),"))},
        {SERVICE, TASKS, APP},
    ),
    # IntegrityError goes up without a rollback: the session is left unusable.
    "no-rollback-after-conflict": (
        {"L09-service_base": _edited("L09-service_base", ("            await self.session.rollback()  # leave the session usable; the caller answers 409\n", ""))},
        {SERVICE},
    ),
    "between-leaves-out-the-ends": (
        {"L09-service_base": _edited("L09-service_base", ("    return column.between(*bounds)", "    return (column > bounds[0]) & (column < bounds[1])"))},
        {SERVICE, APP},
    ),
    "limit-not-capped": (
        {"L09-service_base": _edited("L09-service_base", ("max(1, min(limit, self.max_limit))", "max(1, limit)")),
         "L09-create_app": _edited("L09-create_app", ("Limit = Annotated[int, Query(ge=1, le=100)]", "Limit = Annotated[int, Query(ge=1)]"))},
        {SERVICE, APP},
    ),
    # The response needs the tasks, the query did not load them: the lazy load raises (500).
    "project-tasks-not-loaded": (
        {"L09-create_app": _edited("L09-create_app", ("await projects.get(project_id, options=[selectinload(Project.tasks)])", "await projects.get(project_id)"))},
        {APP},
    ),
    # limit and offset end up among the filters: every paged request is a 400.
    "paging-parameters-as-filters": (
        {"L09-create_app": _edited("L09-create_app", ("PAGING = {\"limit\", \"offset\"}", "PAGING = set()"))},
        {APP},
    ),
    # No handler for IntegrityError: a duplicate is a 500 instead of a 409.
    "conflict-not-mapped-to-409": (
        {"L09-create_app": _edited("L09-create_app", ("    @app.exception_handler(IntegrityError)\n", ""))},
        {APP},
    ),
    "pending-for-lowest-priority-first": (
        {"L09-task_service": _edited("L09-task_service", ('order_by=("-priority", "id")', 'order_by=("priority", "id")'))},
        {TASKS},
    ),
}

# A ServiceBase written differently: operators looked up as column methods, the field checked with
# the mapper, values converted with the type's python_type, Page a Pydantic model, rsplit for keys.
SERVICE_ALTERNATIVE = """from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy import and_, func, inspect as sa_inspect
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

ModelT = TypeVar("ModelT", bound=SQLModel)
CreateT = TypeVar("CreateT", bound=SQLModel)
UpdateT = TypeVar("UpdateT", bound=SQLModel)


class FilterError(ValueError):
    pass


class Page(BaseModel, Generic[ModelT]):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    items: list[Any]
    total: int
    limit: int
    offset: int


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
            return raw.lower() in ("1", "true")
        if kind is datetime:
            return datetime.fromisoformat(raw).replace(tzinfo=UTC)
        return kind(raw)
    except ValueError as exc:
        raise FilterError(str(exc)) from exc


class ServiceBase(Generic[ModelT, CreateT, UpdateT]):
    model: type[ModelT]

    def __init__(self, session: AsyncSession):
        self.session = session

    def _column(self, name):
        columns = {c.key: c for c in sa_inspect(self.model).columns}
        if name not in columns:
            raise FilterError(f"no such field: {name}")
        return columns[name]

    def _condition(self, key, value):
        name, op = key.rsplit("__", 1) if "__" in key else (key, "eq")
        if not name:
            raise FilterError(f"bad filter {key}")
        column = self._column(name)
        if op == "isnull":
            flag = value if isinstance(value, bool) else str(value).lower() in ("1", "true")
            return column.is_(None) if flag else column.is_not(None)
        if op in LISTS:
            values = [typed(column, v) for v in (value.split(",") if isinstance(value, str) else value)]
            if op == "between":
                if len(values) != 2:
                    raise FilterError("between takes two values")
                return and_(column >= values[0], column <= values[1])
            return getattr(column, METHODS[op])(values)
        if op not in METHODS:
            raise FilterError(f"no such operator: {op}")
        return getattr(column, METHODS[op])(typed(column, value))

    async def get(self, id, *, options=()):
        return (await self.session.exec(select(self.model).where(self._column("id") == id).options(*options))).first()

    async def list(self, *, filters=None, order_by=("id",), limit=20, offset=0, options=()):
        conditions = [self._condition(k, v) for k, v in (filters or {}).items()]
        limit = min(max(limit, 1), 100)
        ordering = [self._column(o.lstrip("-")).desc() if o.startswith("-") else self._column(o) for o in order_by]
        count = await self.session.exec(select(func.count()).select_from(self.model).where(*conditions))
        rows = await self.session.exec(
            select(self.model).where(*conditions).order_by(*ordering).offset(offset).limit(limit).options(*options))
        return Page(items=rows.all(), total=count.one(), limit=limit, offset=offset)

    async def _save(self):
        try:
            await self.session.commit()
        except IntegrityError:
            await self.session.rollback()
            raise

    async def create(self, data):
        row = self.model(**data.model_dump())
        self.session.add(row)
        await self._save()
        await self.session.refresh(row)
        return row

    async def update(self, id, data):
        row = await self.get(id)
        if row is not None:
            for field, value in data.model_dump(exclude_unset=True).items():
                setattr(row, field, value)
            await self._save()
            await self.session.refresh(row)
        return row

    async def delete(self, id):
        row = await self.get(id)
        if row is None:
            return False
        await self.session.delete(row)
        await self._save()
        return True
"""

# pending_for with its own statements instead of list().
TASK_SERVICE_ALTERNATIVE = """from sqlmodel import col, func, select

class TaskService(ServiceBase[Task, TaskCreate, TaskUpdate]):
    model = Task

    async def pending_for(self, project_id, *, limit=20, offset=0):
        open_tasks = (Task.project_id == project_id) & col(Task.status).in_(("pending", "in_progress"))
        total = (await self.session.exec(select(func.count()).select_from(Task).where(open_tasks))).one()
        rows = await self.session.exec(
            select(Task).where(open_tasks).order_by(col(Task.priority).desc(), col(Task.id)).limit(min(limit, 100)).offset(offset))
        return Page(items=list(rows.all()), total=total, limit=limit, offset=offset)
"""

# An app built differently: routers, try/except in each route instead of exception handlers,
# limit clamped instead of refused, joinedload for the project's tasks, a Pydantic page model.
APP_ALTERNATIVE = """from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Generic, TypeVar

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from pydantic import BaseModel
from sqlalchemy.orm import joinedload

T = TypeVar("T")


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class ProjectOut(ProjectRead):
    tasks: list[TaskRead] = []


async def session_for(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessions() as session:
        yield session


def project_service(session: Annotated[AsyncSession, Depends(session_for)]) -> ProjectService:
    return ProjectService(session)


def task_service(session: Annotated[AsyncSession, Depends(session_for)]) -> TaskService:
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

ALTERNATIVES = {
    "service-written-differently": {"L09-service_base": SERVICE_ALTERNATIVE, "L09-task_service": TASK_SERVICE_ALTERNATIVE},
    "app-with-routers-and-clamped-limit": {"L09-create_app": APP_ALTERNATIVE},
}
