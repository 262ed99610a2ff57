"""A correct L09 service layer and app: what the graders put in place of the learner's other exercises."""

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, FastAPI, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy import Boolean, ColumnElement, DateTime, Float, Integer, func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from taskflow.db import make_engine, make_sessionmaker
from taskflow.models import Project, ProjectCreate, ProjectRead, ProjectUpdate, Task, TaskCreate, TaskRead, TaskUpdate

ModelT = TypeVar("ModelT", bound=SQLModel)
CreateT = TypeVar("CreateT", bound=SQLModel)
UpdateT = TypeVar("UpdateT", bound=SQLModel)
MAX_LIMIT = 100
TRUE, FALSE = ("true", "1"), ("false", "0")


class FilterError(ValueError):
    pass


def _typed(column, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    kind = column.type
    while isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    try:
        if isinstance(kind, Boolean):
            if value.lower() not in TRUE + FALSE:
                raise ValueError(value)
            return value.lower() in TRUE
        if isinstance(kind, Integer):
            return int(value)
        if isinstance(kind, Float):
            return float(value)
        if isinstance(kind, DateTime):
            moment = datetime.fromisoformat(value)
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    except ValueError as exc:
        raise FilterError(f"{value!r} does not fit {column.name}") from exc
    return value


def _values(column, value: Any) -> list:
    values = value.split(",") if isinstance(value, str) else value
    if not isinstance(values, (list, tuple, set)):
        raise FilterError(f"{column.name}: a list of values")
    return [_typed(column, v) for v in values]


def _between(column, value):
    bounds = _values(column, value)
    if len(bounds) != 2:
        raise FilterError("between takes two values")
    return column.between(*bounds)


def _isnull(column, value):
    text = str(value).lower()
    if text not in TRUE + FALSE:
        raise FilterError("isnull takes true or false")
    return column.is_(None) if text in TRUE else column.is_not(None)


OPERATORS = {
    "eq": lambda c, v: c == _typed(c, v), "ne": lambda c, v: c != _typed(c, v),
    "gt": lambda c, v: c > _typed(c, v), "gte": lambda c, v: c >= _typed(c, v),
    "lt": lambda c, v: c < _typed(c, v), "lte": lambda c, v: c <= _typed(c, v),
    "like": lambda c, v: c.like(str(v)), "ilike": lambda c, v: c.ilike(str(v)),
    "in": lambda c, v: c.in_(_values(c, v)), "not_in": lambda c, v: c.not_in(_values(c, v)),
    "between": _between, "isnull": _isnull,
}


def column_of(model, name: str):
    columns = model.__table__.columns
    if name not in columns:
        raise FilterError(f"{model.__name__} has no field {name!r}")
    return columns[name]


def filter_conditions(model, filters: Mapping[str, Any] | None) -> list[ColumnElement[bool]]:
    conditions = []
    for key, value in (filters or {}).items():
        name, _, operator = key.partition("__")
        if (operator or "eq") not in OPERATORS:
            raise FilterError(f"unknown operator in {key!r}")
        conditions.append(OPERATORS[operator or "eq"](column_of(model, name), value))
    return conditions


@dataclass
class Page(Generic[ModelT]):
    items: list[ModelT]
    total: int
    limit: int
    offset: int


async def paginate(session: AsyncSession, statement, *, limit: int = 20, offset: int = 0) -> Page:
    limit, offset = max(1, min(limit, MAX_LIMIT)), max(0, offset)
    total = (await session.exec(select(func.count()).select_from(statement.order_by(None).subquery()))).one()
    items = (await session.exec(statement.limit(limit).offset(offset))).all()
    return Page(items=list(items), total=total, limit=limit, offset=offset)


async def save(session: AsyncSession, *objects: SQLModel) -> None:
    session.add_all(objects)
    try:
        await session.commit()
    except Exception:
        await session.rollback()
        raise


class ServiceBase(Generic[ModelT, CreateT, UpdateT]):
    model: type[ModelT]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, id: Any, *, options: Sequence = ()) -> ModelT | None:
        statement = select(self.model).where(column_of(self.model, "id") == id).options(*options)
        return (await self.session.exec(statement)).first()

    async def list(self, *, filters=None, order_by: Sequence[str] = ("id",), limit: int = 20, offset: int = 0,
                   options: Sequence = ()) -> Page[ModelT]:
        order = [column_of(self.model, n[1:]).desc() if n.startswith("-") else column_of(self.model, n) for n in order_by]
        statement = select(self.model).where(*filter_conditions(self.model, filters)).order_by(*order).options(*options)
        return await paginate(self.session, statement, limit=limit, offset=offset)

    async def create(self, data: CreateT) -> ModelT:
        obj = self.model.model_validate(data)
        await save(self.session, obj)
        await self.session.refresh(obj)
        return obj

    async def update(self, id: Any, data: UpdateT) -> ModelT | None:
        obj = await self.get(id)
        if obj is None:
            return None
        obj.sqlmodel_update(data.model_dump(exclude_unset=True))
        await save(self.session, obj)
        await self.session.refresh(obj)
        return obj

    async def delete(self, id: Any) -> bool:
        obj = await self.get(id)
        if obj is None:
            return False
        await self.session.delete(obj)
        await save(self.session)
        return True


class ProjectService(ServiceBase[Project, ProjectCreate, ProjectUpdate]):
    model = Project


class TaskService(ServiceBase[Task, TaskCreate, TaskUpdate]):
    model = Task

    async def pending_for(self, project_id: int, *, limit: int = 20, offset: int = 0) -> Page[Task]:
        return await self.list(filters={"project_id": project_id, "status__in": ["pending", "in_progress"]},
                               order_by=("-priority", "id"), limit=limit, offset=offset)


class ProjectWithTasks(ProjectRead):
    tasks: list[TaskRead]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.session_factory() as session:
        try:
            yield session
        except Exception:
            await session.rollback()
            raise


SessionDep = Annotated[AsyncSession, Depends(get_session)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Offset = Annotated[int, Query(ge=0)]


def _filters(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items() if k not in ("limit", "offset")}


def _page(page: Page, schema) -> dict:
    return {"items": [schema.model_validate(i) for i in page.items], "total": page.total, "limit": page.limit, "offset": page.offset}


def _found(obj, what: str):
    if obj is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{what} not found")
    return obj


def create_app(database_url: str, *, project_service=ProjectService, task_service=TaskService) -> FastAPI:
    """The TaskFlow API; the graders' broken apps pass services with a mistake in them."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(database_url)
        app.state.session_factory = make_sessionmaker(engine)
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)
    Projects = Annotated[ServiceBase, Depends(lambda session=Depends(get_session): project_service(session))]
    Tasks = Annotated[TaskService, Depends(lambda session=Depends(get_session): task_service(session))]

    @app.exception_handler(FilterError)
    async def bad_filter(request: Request, exc: FilterError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.exception_handler(IntegrityError)
    async def conflict(request: Request, exc: IntegrityError) -> JSONResponse:
        return JSONResponse({"detail": "conflicts with existing data"}, status_code=409)

    @app.post("/projects", status_code=201, response_model=ProjectRead)
    async def create_project(data: ProjectCreate, projects: Projects):
        return await projects.create(data)

    @app.get("/projects")
    async def list_projects(request: Request, projects: Projects, limit: Limit = 20, offset: Offset = 0) -> dict:
        return _page(await projects.list(filters=_filters(request), limit=limit, offset=offset), ProjectRead)

    @app.get("/projects/{project_id}", response_model=ProjectWithTasks)
    async def read_project(project_id: int, projects: Projects):
        return _found(await projects.get(project_id, options=[selectinload(Project.tasks)]), "project")

    @app.patch("/projects/{project_id}", response_model=ProjectRead)
    async def update_project(project_id: int, data: ProjectUpdate, projects: Projects):
        return _found(await projects.update(project_id, data), "project")

    @app.delete("/projects/{project_id}", status_code=204)
    async def delete_project(project_id: int, projects: Projects) -> None:
        _found(await projects.delete(project_id) or None, "project")

    @app.post("/tasks", status_code=201, response_model=TaskRead)
    async def create_task(data: TaskCreate, tasks: Tasks):
        return await tasks.create(data)

    @app.get("/tasks")
    async def list_tasks(request: Request, tasks: Tasks, limit: Limit = 20, offset: Offset = 0) -> dict:
        return _page(await tasks.list(filters=_filters(request), limit=limit, offset=offset), TaskRead)

    @app.get("/tasks/{task_id}", response_model=TaskRead)
    async def read_task(task_id: int, tasks: Tasks):
        return _found(await tasks.get(task_id), "task")

    @app.patch("/tasks/{task_id}", response_model=TaskRead)
    async def update_task(task_id: int, data: TaskUpdate, tasks: Tasks):
        return _found(await tasks.update(task_id, data), "task")

    @app.delete("/tasks/{task_id}", status_code=204)
    async def delete_task(task_id: int, tasks: Tasks) -> None:
        _found(await tasks.delete(task_id) or None, "task")

    return app
