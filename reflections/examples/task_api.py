"""A complete async database layer in one file: a generic service with filters and pages, and a FastAPI app.

ServiceBase[ModelT, CreateT, UpdateT] does get / list / create / update / delete for any table
model; `field__op` filters are checked against the model's columns and always bound as
parameters; pages carry the total; writes commit in the service and roll back on IntegrityError.
create_app(url) wires it into FastAPI: lifespan, a session per request, services as dependencies,
FilterError -> 400, IntegrityError -> 409, missing rows -> 404. main() calls the app through httpx
with the lifespan running, as a test would.

Run: python examples/task_api.py   (DATABASE_URL selects the database; default in-memory SQLite)
"""

import asyncio
import os
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

import httpx
from fastapi import Depends, FastAPI, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy import ColumnElement, Integer, event, func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import registry, selectinload
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, Relationship, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession


class Base(SQLModel, registry=registry()):
    """A registry of this example's own, so it can be imported beside other examples."""


class ProjectIn(SQLModel):
    name: str = Field(min_length=1, max_length=100)


class Project(Base, table=True):
    __tablename__ = "example_api_project"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    tasks: list["Task"] = Relationship(back_populates="project", cascade_delete=True,
                                       sa_relationship_kwargs={"lazy": "raise_on_sql"})


class TaskIn(SQLModel):
    title: str = Field(min_length=1, max_length=200)
    priority: int = Field(default=3, ge=1, le=5)
    project_id: int


class TaskPatch(SQLModel):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    priority: int | None = Field(default=None, ge=1, le=5)


class Task(Base, table=True):
    __tablename__ = "example_api_task"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200, unique=True)
    priority: int = 3
    project_id: int = Field(foreign_key="example_api_project.id", ondelete="CASCADE")
    project: Project | None = Relationship(back_populates="tasks", sa_relationship_kwargs={"lazy": "raise_on_sql"})


class TaskOut(SQLModel):
    id: int
    title: str
    priority: int
    project_id: int


class ProjectOut(SQLModel):
    id: int
    name: str
    tasks: list[TaskOut] = []


# ------------------------------------------------------------------------------ the service layer

ModelT = TypeVar("ModelT", bound=SQLModel)
CreateT = TypeVar("CreateT", bound=SQLModel)
UpdateT = TypeVar("UpdateT", bound=SQLModel)


class FilterError(ValueError):
    """Unknown field or operator, or a value the column cannot take (-> 400)."""


@dataclass
class Page(Generic[ModelT]):
    items: list[ModelT]
    total: int  # all matching rows, not only this page
    limit: int
    offset: int


def _convert(column, value: Any) -> Any:
    """Query-string text as the column's type: asyncpg will not compare an integer with '3'."""
    kind = column.type
    while isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    if isinstance(value, str) and isinstance(kind, Integer):
        try:
            return int(value)
        except ValueError as exc:
            raise FilterError(f"{value!r} is not a valid value for {column.name}") from exc
    return value


def _several(column, value: Any) -> list[Any]:
    items = value.split(",") if isinstance(value, str) else list(value)
    return [_convert(column, item) for item in items]


OPERATORS = {
    "eq": lambda c, v: c == _convert(c, v),
    "ne": lambda c, v: c != _convert(c, v),
    "gt": lambda c, v: c > _convert(c, v),
    "gte": lambda c, v: c >= _convert(c, v),
    "lt": lambda c, v: c < _convert(c, v),
    "lte": lambda c, v: c <= _convert(c, v),
    "like": lambda c, v: c.like(str(v)),
    "ilike": lambda c, v: c.ilike(str(v)),  # portable; like is case-sensitive on PostgreSQL only
    "in": lambda c, v: c.in_(_several(c, v)),
    "not_in": lambda c, v: c.not_in(_several(c, v)),
    "between": lambda c, v: c.between(*_several(c, v)[:2]),
    "isnull": lambda c, v: c.is_(None) if str(v).lower() in ("true", "1") else c.is_not(None),
}


class ServiceBase(Generic[ModelT, CreateT, UpdateT]):
    model: type[ModelT]
    max_limit = 100

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def column(self, name: str):
        if name not in self.model.__table__.columns:  # columns only: no relationships, no attributes
            raise FilterError(f"{self.model.__name__} has no field {name!r}")
        return self.model.__table__.columns[name]

    def conditions(self, filters: Mapping[str, Any] | None) -> list[ColumnElement[bool]]:
        found = []
        for key, value in (filters or {}).items():
            name, _, operator = key.partition("__")
            if (operator or "eq") not in OPERATORS:
                raise FilterError(f"unknown operator in {key!r}")
            found.append(OPERATORS[operator or "eq"](self.column(name), value))
        return found

    async def get(self, id: Any, *, options: Sequence = ()) -> ModelT | None:
        return (await self.session.exec(select(self.model).where(self.column("id") == id).options(*options))).first()

    async def list(self, *, filters: Mapping[str, Any] | None = None, order_by: Sequence[str] = ("id",),
                   limit: int = 20, offset: int = 0, options: Sequence = ()) -> Page[ModelT]:
        where = self.conditions(filters)
        limit, offset = max(1, min(limit, self.max_limit)), max(0, offset)
        order = [self.column(n[1:]).desc() if n.startswith("-") else self.column(n).asc() for n in order_by]
        total = (await self.session.exec(select(func.count()).select_from(self.model).where(*where))).one()
        rows = await self.session.exec(select(self.model).where(*where).order_by(*order).limit(limit).offset(offset).options(*options))
        return Page(items=[*rows.all()], total=total, limit=limit, offset=offset)

    async def create(self, data: CreateT) -> ModelT:
        obj = self.model.model_validate(data)
        self.session.add(obj)
        await self._commit()
        await self.session.refresh(obj)
        return obj

    async def update(self, id: Any, data: UpdateT) -> ModelT | None:
        obj = await self.get(id)
        if obj is None:
            return None
        obj.sqlmodel_update(data.model_dump(exclude_unset=True))
        await self._commit()
        await self.session.refresh(obj)
        return obj

    async def delete(self, id: Any) -> bool:
        obj = await self.get(id)
        if obj is None:
            return False
        await self.session.delete(obj)
        await self._commit()
        return True

    async def _commit(self) -> None:
        try:
            await self.session.commit()
        except IntegrityError:
            await self.session.rollback()  # the session stays usable; the app answers 409
            raise


class ProjectService(ServiceBase[Project, ProjectIn, ProjectIn]):
    model = Project


class TaskService(ServiceBase[Task, TaskIn, TaskPatch]):
    model = Task

    async def top_for(self, project_id: int, limit: int = 5) -> Page[Task]:
        return await self.list(filters={"project_id": project_id}, order_by=("-priority", "id"), limit=limit)


# ------------------------------------------------------------------------------------------ the app


def make_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        options: dict = {"connect_args": {"check_same_thread": False}}
        if url in ("sqlite+aiosqlite://", "sqlite+aiosqlite:///:memory:"):
            options["poolclass"] = StaticPool  # one shared connection, or each sees its own empty database
        engine = create_async_engine(url, **options)

        @event.listens_for(engine.sync_engine, "connect")
        def _foreign_keys(dbapi_connection, record):  # SQLite leaves foreign keys (and ON DELETE CASCADE) off
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_async_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; the services commit (never after yield: that runs after the response)."""
    async with request.app.state.session_factory() as session:
        try:
            yield session
        except Exception:
            await session.rollback()
            raise


SessionDep = Annotated[AsyncSession, Depends(get_session)]


def get_projects(session: SessionDep) -> ProjectService:
    return ProjectService(session)


def get_tasks(session: SessionDep) -> TaskService:
    return TaskService(session)


ProjectsDep = Annotated[ProjectService, Depends(get_projects)]
TasksDep = Annotated[TaskService, Depends(get_tasks)]
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0)]


def create_app(database_url: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(database_url)
        app.state.engine = engine
        app.state.session_factory = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
        yield
        await engine.dispose()

    app = FastAPI(title="Task API example", lifespan=lifespan)

    @app.exception_handler(FilterError)
    async def bad_filter(request: Request, exc: FilterError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_400_BAD_REQUEST)

    @app.exception_handler(IntegrityError)
    async def conflict(request: Request, exc: IntegrityError) -> JSONResponse:
        return JSONResponse({"detail": "conflicts with existing data"}, status_code=status.HTTP_409_CONFLICT)

    @app.post("/projects", status_code=status.HTTP_201_CREATED, response_model=ProjectOut)
    async def create_project(data: ProjectIn, projects: ProjectsDep) -> Project:
        project = await projects.create(data)
        return await projects.get(project.id, options=[selectinload(Project.tasks)])

    @app.get("/projects/{project_id}", response_model=ProjectOut)
    async def read_project(project_id: int, projects: ProjectsDep) -> Project:
        project = await projects.get(project_id, options=[selectinload(Project.tasks)])  # 2 statements, any number of tasks
        if project is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "project not found")
        return project

    @app.get("/projects/{project_id}/top")
    async def top_tasks(project_id: int, tasks: TasksDep) -> list[TaskOut]:
        return [TaskOut.model_validate(t) for t in (await tasks.top_for(project_id, limit=2)).items]

    @app.delete("/projects/{project_id}", status_code=status.HTTP_204_NO_CONTENT)
    async def delete_project(project_id: int, projects: ProjectsDep) -> None:
        if not await projects.delete(project_id):
            raise HTTPException(status.HTTP_404_NOT_FOUND, "project not found")

    @app.post("/tasks", status_code=status.HTTP_201_CREATED, response_model=TaskOut)
    async def create_task(data: TaskIn, tasks: TasksDep) -> Task:
        return await tasks.create(data)

    @app.get("/tasks")
    async def list_tasks(request: Request, tasks: TasksDep, limit: Limit = 20, offset: Offset = 0) -> dict:
        filters = {k: v for k, v in request.query_params.items() if k not in ("limit", "offset")}
        page = await tasks.list(filters=filters, limit=limit, offset=offset)
        return {"items": [TaskOut.model_validate(t) for t in page.items], "total": page.total,
                "limit": page.limit, "offset": page.offset}

    @app.patch("/tasks/{task_id}", response_model=TaskOut)
    async def update_task(task_id: int, data: TaskPatch, tasks: TasksDep) -> Task:
        task = await tasks.update(task_id, data)
        if task is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "task not found")
        return task

    return app


async def main() -> None:
    url = os.environ.get("DATABASE_URL", "sqlite+aiosqlite://")
    app = create_app(url)
    async with app.router.lifespan_context(app):  # ASGITransport alone would not run the lifespan
        engine: AsyncEngine = app.state.engine
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)  # a demo; real databases get migrations
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://example") as client:
                project = (await client.post("/projects", json={"name": "example"})).json()
                for n, priority in enumerate((2, 5, 4, 1), start=1):
                    await client.post("/tasks", json={"title": f"step {n}", "priority": priority, "project_id": project["id"]})
                steps = [
                    ("POST", "/projects", {"name": "example"}),  # 409: the name is taken
                    ("POST", "/tasks", {"title": "", "project_id": project["id"]}),  # 422: invalid body
                    ("GET", "/tasks?priority__gte=4&title__ilike=STEP%25", None),
                    ("GET", "/tasks?priority__between=1,2&limit=1", None),
                    ("GET", "/tasks?title=' OR 1=1 --", None),  # a value, never SQL: no rows
                    ("GET", "/tasks?owner=me", None),  # 400: not a column
                    ("PATCH", "/tasks/1", {"priority": 3}),
                    ("GET", f"/projects/{project['id']}", None),
                    ("GET", f"/projects/{project['id']}/top", None),
                    ("DELETE", f"/projects/{project['id']}", None),  # 204, and its tasks go too
                    ("GET", "/tasks", None),
                ]
                for method, path, body in steps:
                    response = await client.request(method, path, json=body)
                    print(f"{method:6} {path:42} {response.status_code} {response.text[:80]}")
        finally:
            async with engine.begin() as conn:
                await conn.run_sync(Base.metadata.drop_all)


if __name__ == "__main__":
    asyncio.run(main())
