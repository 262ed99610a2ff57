"""A generic async service: get / list / create / update / delete for any table model, built on three
helpers: filters checked against the model's columns, pages with totals, and commits that roll back.

Run: python examples/service_layer.py   (in-memory SQLite; DATABASE_URL=postgresql+asyncpg://... for PostgreSQL)
"""

import asyncio
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Boolean, ColumnElement, DateTime, Float, Integer, UniqueConstraint, func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, Relationship, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession


class ProjectCreate(SQLModel):
    name: str = Field(min_length=1, max_length=100)


class ProjectUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=100)


class Project(ProjectCreate, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(min_length=1, max_length=100, unique=True)
    tasks: list["Task"] = Relationship(back_populates="project", cascade_delete=True, passive_deletes=True,
                                       sa_relationship_kwargs={"lazy": "raise_on_sql"})


class ProjectRead(ProjectCreate):
    id: int


class TaskCreate(SQLModel):
    title: str = Field(min_length=1, max_length=200)
    status: str = "pending"
    priority: int = Field(default=3, ge=1, le=5)
    project_id: int | None = Field(default=None, foreign_key="project.id", ondelete="CASCADE")


class TaskUpdate(SQLModel):
    status: str | None = None
    title: str | None = Field(default=None, min_length=1, max_length=200)
    priority: int | None = Field(default=None, ge=1, le=5)


class Task(TaskCreate, table=True):
    __table_args__ = (UniqueConstraint("project_id", "title"),)
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    project: Project | None = Relationship(back_populates="tasks", sa_relationship_kwargs={"lazy": "raise_on_sql"})


class TaskRead(TaskCreate):
    id: int
    created_at: datetime


ModelT = TypeVar("ModelT", bound=SQLModel)
CreateT = TypeVar("CreateT", bound=SQLModel)
UpdateT = TypeVar("UpdateT", bound=SQLModel)
MAX_LIMIT = 100

# skillbook:exercise L09.filter_conditions
class FilterError(ValueError):
    """An unknown field or operator, or a value the column cannot take: the client's mistake (400)."""


BOOLEAN_TEXT = {"true": True, "1": True, "false": False, "0": False}


def _convert(column, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    kind = column.type
    while isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    try:
        if isinstance(kind, Boolean):
            return BOOLEAN_TEXT[value.lower()]
        if isinstance(kind, Integer):
            return int(value)
        if isinstance(kind, Float):
            return float(value)
        if isinstance(kind, DateTime):
            moment = datetime.fromisoformat(value)
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    except (KeyError, ValueError) as exc:
        raise FilterError(f"{value!r} is not a valid value for {column.name}") from exc
    return value


def _several(column, value: Any) -> list[Any]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple, set, frozenset)):
        raise FilterError(f"{column.name}: this operator takes a list of values")
    return [_convert(column, item) for item in items]


def _between(column, value: Any) -> ColumnElement[bool]:
    bounds = _several(column, value)
    if len(bounds) != 2:
        raise FilterError(f"{column.name}__between takes two values")
    return column.between(*bounds)


def _isnull(column, value: Any) -> ColumnElement[bool]:
    flag = value if isinstance(value, bool) else BOOLEAN_TEXT.get(str(value).lower())
    if flag is None:
        raise FilterError(f"{column.name}__isnull takes true or false")
    return column.is_(None) if flag else column.is_not(None)


OPERATORS = {
    "eq": lambda c, v: c == _convert(c, v), "ne": lambda c, v: c != _convert(c, v),
    "gt": lambda c, v: c > _convert(c, v), "gte": lambda c, v: c >= _convert(c, v),
    "lt": lambda c, v: c < _convert(c, v), "lte": lambda c, v: c <= _convert(c, v),
    "like": lambda c, v: c.like(str(v)), "ilike": lambda c, v: c.ilike(str(v)),
    "in": lambda c, v: c.in_(_several(c, v)), "not_in": lambda c, v: c.not_in(_several(c, v)),
    "between": _between, "isnull": _isnull,
}


def filter_conditions(model, filters: Mapping[str, Any] | None) -> list[ColumnElement[bool]]:
    conditions = []
    for key, value in (filters or {}).items():
        name, _, operator = key.partition("__")
        operator = operator or "eq"
        if operator not in OPERATORS:
            raise FilterError(f"unknown operator {operator!r} in {key!r}")
        if name not in model.__table__.columns:
            raise FilterError(f"{model.__name__} has no field {name!r}")
        conditions.append(OPERATORS[operator](model.__table__.columns[name], value))
    return conditions
# skillbook:end

# skillbook:exercise L09.paginate
@dataclass
class Page(Generic[ModelT]):
    items: list[ModelT]
    total: int  # every row the statement selects, not only this page
    limit: int
    offset: int


async def paginate(session: AsyncSession, statement, *, limit: int = 20, offset: int = 0) -> Page:
    limit, offset = max(1, min(limit, MAX_LIMIT)), max(0, offset)
    total = (await session.exec(select(func.count()).select_from(statement.order_by(None).subquery()))).one()
    items = (await session.exec(statement.limit(limit).offset(offset))).all()
    return Page(items=list(items), total=total, limit=limit, offset=offset)
# skillbook:end

# skillbook:exercise L09.save
async def save(session: AsyncSession, *objects: SQLModel) -> None:
    session.add_all(objects)
    try:
        await session.commit()
    except Exception:
        await session.rollback()  # the session stays usable; the caller sees the error (409)
        raise
# skillbook:end

# skillbook:exercise L09.service_base
class ServiceBase(Generic[ModelT, CreateT, UpdateT]):
    model: type[ModelT]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def column(self, name: str):
        if name not in self.model.__table__.columns:
            raise FilterError(f"{self.model.__name__} has no field {name!r}")
        return self.model.__table__.columns[name]

    async def get(self, id: Any, *, options: Sequence = ()) -> ModelT | None:
        statement = select(self.model).where(self.column("id") == id).options(*options)
        return (await self.session.exec(statement)).first()

    async def list(self, *, filters: Mapping[str, Any] | None = None, order_by: Sequence[str] = ("id",),
                   limit: int = 20, offset: int = 0, options: Sequence = ()) -> Page[ModelT]:
        order = [self.column(n[1:]).desc() if n.startswith("-") else self.column(n) for n in order_by]
        statement = select(self.model).where(*filter_conditions(self.model, filters)).order_by(*order)
        return await paginate(self.session, statement.options(*options), limit=limit, offset=offset)

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
# skillbook:end

# skillbook:with L09.service_base
class ProjectService(ServiceBase[Project, ProjectCreate, ProjectUpdate]):
    model = Project


class AnyTaskService(ServiceBase[Task, TaskCreate, TaskUpdate]):
    model = Task
# skillbook:end

# skillbook:exercise L09.task_service
class TaskService(ServiceBase[Task, TaskCreate, TaskUpdate]):
    model = Task

    async def pending_for(self, project_id: int, *, limit: int = 20, offset: int = 0) -> Page[Task]:
        filters = {"project_id": project_id, "status__in": ["pending", "in_progress"]}
        return await self.list(filters=filters, order_by=("-priority", "id"), limit=limit, offset=offset)
# skillbook:end


async def main() -> None:
    engine = create_async_engine(os.environ.get("DATABASE_URL", "sqlite+aiosqlite://"))
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    Session = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
    async with Session() as session:
        docs = Project(name="docs")
        session.add(docs)
        await session.flush()
        session.add_all([Task(title="Write the report", priority=2, status="done", project_id=docs.id),
                         Task(title="Review REPORT template", priority=4, project_id=docs.id),
                         Task(title="Fix the links", priority=5, status="in_progress", project_id=docs.id)])
        await session.commit()
        docs_id = docs.id  # kept: a rollback below expires every object in the session
        # skillbook:with L09.filter_conditions
        for filters in ({"priority__gte": "4"}, {"title__ilike": "%report%"}, {"title": "' OR 1=1 --"}):
            rows = (await session.exec(select(Task).where(*filter_conditions(Task, filters)))).all()
            print(f"{filters}:", [t.title for t in rows])
        try:
            filter_conditions(Task, {"colour": "red"})
        except FilterError as exc:
            print("refused before any SQL:", exc)
        # skillbook:end
        # skillbook:with L09.paginate
        page = await paginate(session, select(Task).order_by(Task.id), limit=2, offset=2)
        print("page 2 of 2-per-page:", [t.title for t in page.items], "of", page.total)
        # skillbook:end
        # skillbook:with L09.save
        try:
            await save(session, Project(name="docs"))
        except IntegrityError:
            print("a duplicate name: IntegrityError, rolled back; the session still works:",
                  len((await session.exec(select(Task))).all()), "tasks")
        # skillbook:end
        # skillbook:with L09.service_base
        tasks = AnyTaskService(session)
        page = await tasks.list(filters={"status__ne": "done"}, order_by=("-priority",))
        print("open tasks, highest priority first:", [t.title for t in page.items], "of", page.total)
        # skillbook:end
        # skillbook:with L09.task_service
        print("pending for docs:", [t.title for t in (await TaskService(session).pending_for(docs_id)).items])
        # skillbook:end
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.drop_all)
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
