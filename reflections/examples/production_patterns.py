"""A FastAPI app over the service layer (examples/service_layer.py): the engine made and disposed in
a lifespan, one session per request, errors mapped once to 400 / 404 / 409, pages capped at 100; and
its tests: the session dependency overridden, each test in a transaction that is rolled back.

Run: python examples/production_patterns.py   (a SQLite file in a temporary folder; or DATABASE_URL)
"""

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

import httpx
from fastapi import Depends, FastAPI, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import selectinload
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from service_layer import Project, ProjectCreate, ProjectRead, ProjectUpdate, Task, TaskCreate, TaskRead, TaskUpdate
# skillbook:with L09.filter_conditions
from service_layer import FilterError
# skillbook:end
# skillbook:with L09.paginate
from service_layer import Page
# skillbook:end
# skillbook:with L09.service_base
from service_layer import ProjectService
# skillbook:end
# skillbook:with L09.task_service
from service_layer import TaskService
# skillbook:end


def make_engine(url: str) -> AsyncEngine:
    return create_async_engine(url, pool_pre_ping=True)  # a server's pool also wants pool_size, pool_recycle


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)

# skillbook:exercise L09.create_app
class ProjectWithTasks(ProjectRead):
    tasks: list[TaskRead]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.session_factory() as session:
        try:
            yield session
        except Exception:
            await session.rollback()
            raise


Projects = Annotated[ProjectService, Depends(lambda session=Depends(get_session): ProjectService(session))]
Tasks = Annotated[TaskService, Depends(lambda session=Depends(get_session): TaskService(session))]
Limit = Annotated[int, Query(ge=1, le=100)]


def page(result: Page, schema) -> dict:
    return {"items": [schema.model_validate(i) for i in result.items], "total": result.total}


def create_app(database_url: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(database_url)
        app.state.session_factory = make_sessionmaker(engine)
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)
    app.add_exception_handler(FilterError, lambda request, exc: JSONResponse({"detail": str(exc)}, 400))
    app.add_exception_handler(IntegrityError, lambda request, exc: JSONResponse({"detail": "conflict"}, 409))

    @app.post("/projects", status_code=status.HTTP_201_CREATED, response_model=ProjectRead)
    async def create_project(data: ProjectCreate, projects: Projects) -> Project:
        return await projects.create(data)

    @app.get("/projects/{project_id}", response_model=ProjectWithTasks)
    async def read_project(project_id: int, projects: Projects) -> Project:
        found = await projects.get(project_id, options=[selectinload(Project.tasks)])
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "project not found")
        return found

    @app.delete("/projects/{project_id}", status_code=status.HTTP_204_NO_CONTENT)
    async def delete_project(project_id: int, projects: Projects) -> None:
        if not await projects.delete(project_id):
            raise HTTPException(status.HTTP_404_NOT_FOUND, "project not found")

    @app.post("/tasks", status_code=status.HTTP_201_CREATED, response_model=TaskRead)
    async def create_task(data: TaskCreate, tasks: Tasks) -> Task:
        return await tasks.create(data)

    @app.get("/tasks")
    async def list_tasks(request: Request, tasks: Tasks, limit: Limit = 20) -> dict:
        filters = {k: v for k, v in request.query_params.items() if k not in ("limit", "offset")}
        return page(await tasks.list(filters=filters, limit=limit), TaskRead)

    return app
# skillbook:end

# skillbook:with L09.app_tests
import pytest
from sqlalchemy import event

TEST_URL = os.environ.get("APP_TESTS_URL", "sqlite+aiosqlite://")


@pytest.fixture
async def db_engine():
    """The test database with its tables. On SQLite, SQLAlchemy emits BEGIN itself, or savepoints would
    not nest inside the test's transaction (a released savepoint would survive its rollback)."""
    engine = make_engine(TEST_URL)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", lambda dbapi, record: setattr(dbapi, "isolation_level", None))
        event.listen(engine.sync_engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    yield engine
    await engine.dispose()
# skillbook:end

# skillbook:exercise L09.app_tests
@pytest.fixture
async def db_session(db_engine):
    async with db_engine.connect() as connection:
        transaction = await connection.begin()
        session = AsyncSession(bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
        try:
            yield session
        finally:
            await session.close()
            await transaction.rollback()


@pytest.fixture
async def api(db_session):
    app = create_app("sqlite+aiosqlite://")  # never connects: get_session is overridden

    async def the_tests_session():
        yield db_session

    app.dependency_overrides[get_session] = the_tests_session
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield client


async def test_create_is_201_and_a_taken_name_409(api):
    assert (await api.post("/projects", json={"name": "docs"})).status_code == 201
    assert (await api.post("/projects", json={"name": "docs"})).status_code == 409
    assert (await api.post("/projects", json={"name": "other"})).status_code == 201


async def test_missing_project_is_404(api):
    assert (await api.get("/projects/999")).status_code == 404


async def test_filters_select_rows(api):
    project = (await api.post("/projects", json={"name": "docs"})).json()
    for title, priority in (("low", 1), ("high", 5)):
        await api.post("/tasks", json={"title": title, "priority": priority, "project_id": project["id"]})
    page = (await api.get("/tasks", params={"priority__gte": 3})).json()
    assert [task["title"] for task in page["items"]] == ["high"] and page["total"] == 1
# skillbook:end


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = os.environ.get("DATABASE_URL") or f"sqlite+aiosqlite:///{Path(folder) / 'app.db'}"
        setup = create_async_engine(url)
        async with setup.begin() as conn:
            await conn.run_sync(SQLModel.metadata.create_all)  # a deployment runs `alembic upgrade head` instead
        # skillbook:with L09.create_app
        app = create_app(url)
        async with app.router.lifespan_context(app):  # httpx.ASGITransport does not run the lifespan
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
                docs = (await client.post("/projects", json={"name": "docs"})).json()
                for title, priority in (("write the guide", 4), ("review the guide", 2)):
                    await client.post("/tasks", json={"title": title, "priority": priority, "project_id": docs["id"]})
                for method, path, body in [
                    ("GET", "/tasks?priority__gte=3", None), ("GET", "/tasks?colour=red", None),
                    ("GET", "/tasks?limit=500", None), ("POST", "/projects", {"name": "docs"}),
                    ("POST", "/tasks", {"title": ""}), ("GET", f"/projects/{docs['id']}", None),
                    ("GET", "/projects/999", None), ("DELETE", f"/projects/{docs['id']}", None),
                ]:
                    response = await client.request(method, path, json=body)
                    print(f"{method} {path} -> {response.status_code}", response.text[:70] if response.content else "")
        # skillbook:end
        # skillbook:with L09.app_tests
        # The tests above, run by pytest on a database of their own (pytest-asyncio runs async tests).
        os.environ["APP_TESTS_URL"] = os.environ.get("DATABASE_URL") or f"sqlite+aiosqlite:///{Path(folder) / 'tests.db'}"
        options = ["-q", "--disable-plugin-autoload", "-p", "pytest_asyncio.plugin", "-p", "no:cacheprovider",
                   "-o", "asyncio_mode=auto", "-o", "asyncio_default_fixture_loop_scope=function"]
        (Path(folder) / "pytest.ini").write_text("[pytest]\n")  # this run's settings only
        code = await asyncio.to_thread(pytest.main, [__file__, *options, "-c", str(Path(folder) / "pytest.ini")])
        print("the app's tests:", "all passed" if code == 0 else f"failed (pytest exit code {int(code)})")
        # skillbook:end
        async with setup.begin() as conn:
            await conn.run_sync(SQLModel.metadata.drop_all)
        await setup.dispose()


if __name__ == "__main__":
    asyncio.run(main())
