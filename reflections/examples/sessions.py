"""Sessions: one factory with expire_on_commit=False, one session per task or request, a FastAPI
dependency that rolls back and closes (and never commits), commits in the endpoint.

Run: python examples/sessions.py   (in-memory SQLite; DATABASE_URL=postgresql+asyncpg://... for PostgreSQL)
"""

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import httpx
from fastapi import Depends, FastAPI, HTTPException, status
from sqlalchemy import UniqueConstraint, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import Field, SQLModel, func, select
from sqlmodel.ext.asyncio.session import AsyncSession


class Project(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)


class ProjectRead(SQLModel):
    id: int
    name: str


class Task(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("project_id", "title"),)
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    project_id: int = Field(foreign_key="project.id", ondelete="CASCADE")


class NewProject(SQLModel):
    """POST /projects: a project and the titles of its first tasks."""

    name: str = Field(min_length=1, max_length=100)
    tasks: list[str] = Field(default_factory=list)


engine = create_async_engine(os.environ.get("DATABASE_URL", "sqlite+aiosqlite://"))

# skillbook:exercise L04.make_sessionmaker
def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
# skillbook:end

# skillbook:with L04.make_sessionmaker
SessionLocal = make_sessionmaker(engine)  # one factory for the whole program
# skillbook:end

# skillbook:exercise L04.get_session
async def get_session() -> AsyncIterator[AsyncSession]:
    async with SessionLocal() as session:
        try:
            yield session
        except Exception:
            await session.rollback()
            raise
# skillbook:end

# skillbook:with L04.get_session
SessionDep = Annotated[AsyncSession, Depends(get_session)]
# skillbook:end

# skillbook:exercise L04.app
@asynccontextmanager
async def lifespan(app: FastAPI):
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    yield
    await engine.dispose()


app = FastAPI(lifespan=lifespan)


@app.get("/health/db")
async def health_db(session: SessionDep) -> dict[str, str]:
    await session.exec(text("SELECT 1"))
    return {"database": "ok"}


@app.post("/projects", status_code=status.HTTP_201_CREATED, response_model=ProjectRead)
async def create_project(body: NewProject, session: SessionDep) -> Project:
    project = Project(name=body.name)
    session.add(project)
    try:
        await session.flush()
        session.add_all([Task(title=title, project_id=project.id) for title in body.tasks])
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise HTTPException(status.HTTP_409_CONFLICT, "name taken, or two tasks share a title")
    await session.refresh(project)
    return project
# skillbook:end


async def main() -> None:
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    async with AsyncSession(engine) as session:  # expire_on_commit=True, the default
        first = Project(name="first")
        session.add(first)
        await session.commit()
        print("expired by the commit (expire_on_commit=True):", inspect(first).expired)  # reading first.name now: MissingGreenlet
    # skillbook:with L04.make_sessionmaker
    async with SessionLocal() as session:
        second = Project(name="second")
        session.add(second)
        await session.commit()
        print("with your factory, after commit:", second.id, second.name)

    async def count_projects(prefix: str) -> int:
        async with SessionLocal() as session:  # each concurrent task opens its own session
            statement = select(func.count()).select_from(Project).where(Project.name.startswith(prefix))
            return (await session.exec(statement)).one()

    print("three tasks, three sessions:", await asyncio.gather(*(count_projects(p) for p in ("f", "s", "x"))))
    # skillbook:end
    # skillbook:with L04.get_session
    requests = get_session()
    session = await anext(requests)  # what FastAPI does before the endpoint runs
    session.add(Project(name="half-done"))
    await session.flush()
    try:
        await requests.athrow(RuntimeError("the endpoint failed"))  # what FastAPI does when it raises
    except RuntimeError:
        async with SessionLocal() as check:
            left = (await check.exec(select(Project).where(Project.name == "half-done"))).all()
            print("after a failed request, rows left behind:", len(left))
    # skillbook:end
    # skillbook:with L04.app L04.get_session L04.make_sessionmaker
    async with app.router.lifespan_context(app):  # httpx.ASGITransport does not run the lifespan
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as client:
            print("GET /health/db:", (await client.get("/health/db")).json())
            created = await client.post("/projects", json={"name": "launch", "tasks": ["plan", "ship"]})
            print("POST /projects:", created.status_code, created.json())
            refused = await client.post("/projects", json={"name": "retro", "tasks": ["same", "same"]})
            print("POST with two equal titles:", refused.status_code, refused.json()["detail"])
        async with SessionLocal() as session:
            print("projects stored:", (await session.exec(select(Project.name).order_by(Project.id))).all())
    # skillbook:end
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.drop_all)
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
