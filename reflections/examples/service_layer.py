"""A generic async service: get / list / create / update / delete for any table model, with filters
checked against the model's columns, pages with totals, and commits that roll back on conflict.

Run: python examples/service_layer.py   (in-memory SQLite; DATABASE_URL=postgresql+asyncpg://... for PostgreSQL)
"""

import asyncio
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Integer, UniqueConstraint, func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
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

# skillbook:exercise L09.service_base
class FilterError(ValueError):
    """An unknown field or operator in a filter: the client's mistake (400)."""


@dataclass
class Page(Generic[ModelT]):
    items: list[ModelT]
    total: int
    limit: int
    offset: int


OPERATORS = {
    "eq": lambda c, v: c == v, "ne": lambda c, v: c != v, "gt": lambda c, v: c > v, "gte": lambda c, v: c >= v,
    "lt": lambda c, v: c < v, "lte": lambda c, v: c <= v, "like": lambda c, v: c.like(v),
    "ilike": lambda c, v: c.ilike(v), "in": lambda c, v: c.in_(v.split(",") if isinstance(v, str) else v),
    "not_in": lambda c, v: c.not_in(v.split(",") if isinstance(v, str) else v),
    "between": lambda c, v: c.between(*(v.split(",") if isinstance(v, str) else v)),
    "isnull": lambda c, v: c.is_(None) if str(v).lower() in ("1", "true") else c.is_not(None),
}


class ServiceBase(Generic[ModelT, CreateT, UpdateT]):
    model: type[ModelT]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def where(self, filters: Mapping[str, Any] | None) -> list:
        conditions = []
        for key, value in (filters or {}).items():
            name, _, op = key.partition("__")
            if name not in self.model.__table__.columns or (op or "eq") not in OPERATORS:
                raise FilterError(f"unknown filter {key!r}")
            column = self.model.__table__.columns[name]
            if isinstance(value, str) and isinstance(column.type, Integer):
                value = int(value)  # query strings are text; asyncpg will not compare '4' with an integer
            conditions.append(OPERATORS[op or "eq"](column, value))
        return conditions

    async def get(self, id: int, *, options: Sequence = ()) -> ModelT | None:
        return await self.session.get(self.model, id, options=options)

    async def list(self, *, filters: Mapping[str, Any] | None = None, order_by: Sequence[str] = ("id",),
                   limit: int = 20, offset: int = 0, options: Sequence = ()) -> Page[ModelT]:
        where, limit = self.where(filters), min(limit, 100)
        order = [self.model.__table__.columns[n.lstrip("-")] for n in order_by]
        order = [c.desc() if n.startswith("-") else c for c, n in zip(order, order_by)]
        total = (await self.session.exec(select(func.count()).select_from(self.model).where(*where))).one()
        statement = select(self.model).where(*where).order_by(*order).limit(limit).offset(offset).options(*options)
        return Page([*(await self.session.exec(statement)).all()], total, limit, offset)

    async def create(self, data: CreateT) -> ModelT:
        obj = self.model.model_validate(data)
        self.session.add(obj)
        await self.commit()
        return obj

    async def update(self, id: int, data: UpdateT) -> ModelT | None:
        obj = await self.get(id)
        if obj is not None:
            obj.sqlmodel_update(data.model_dump(exclude_unset=True))
            await self.commit()
        return obj

    async def delete(self, id: int) -> bool:
        obj = await self.get(id)
        if obj is not None:
            await self.session.delete(obj)
            await self.commit()
        return obj is not None

    async def commit(self) -> None:
        try:
            await self.session.commit()
        except IntegrityError:
            await self.session.rollback()
            raise
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
        docs_id = docs.id  # kept: the rollback below expires every object in the session
        # skillbook:with L09.service_base
        tasks = AnyTaskService(session)
        for filters in ({"priority__gte": "4"}, {"title__ilike": "%report%"}, {"title": "' OR 1=1 --"}):
            page = await tasks.list(filters=filters)
            print(f"{filters}: total {page.total}:", [t.title for t in page.items])
        try:
            await tasks.list(filters={"colour": "red"})
        except FilterError as exc:
            print("refused before any SQL:", exc)
        try:
            await ProjectService(session).create(ProjectCreate(name="docs"))
        except IntegrityError:
            print("a duplicate name: IntegrityError, rolled back; the session still works:",
                  (await tasks.list(limit=1)).total)
        # skillbook:end
        # skillbook:with L09.task_service
        print("pending for docs:", [t.title for t in (await TaskService(session).pending_for(docs_id)).items])
        # skillbook:end
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.drop_all)
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
