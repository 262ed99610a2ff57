"""A FastAPI app with one session per request, commits in the endpoint, and a test client in its lifespan.

Run: python examples/fastapi_sessions.py   (DATABASE_URL selects the database; default in-memory SQLite)
"""

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import httpx
from fastapi import Depends, FastAPI, HTTPException, status
from sqlalchemy import UniqueConstraint, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import registry
from sqlalchemy.pool import StaticPool
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession


class Base(SQLModel, registry=registry()):
    """A registry of this example's own, so it can be imported beside other examples."""


class Board(Base, table=True):
    __tablename__ = "example_board"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)


class Card(Base, table=True):
    __tablename__ = "example_card"
    __table_args__ = (UniqueConstraint("board_id", "title", name="uq_example_card_board_title"),)

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    board_id: int = Field(foreign_key="example_board.id", ondelete="CASCADE")


class NewBoard(SQLModel):
    name: str = Field(min_length=1, max_length=100)
    cards: list[str] = Field(default_factory=list)


class BoardRead(SQLModel):
    id: int
    name: str


URL = os.environ.get("DATABASE_URL", "sqlite+aiosqlite://")
engine = create_async_engine(URL, **({"poolclass": StaticPool} if URL == "sqlite+aiosqlite://" else {"pool_pre_ping": True}))
SessionLocal = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def get_session() -> AsyncIterator[AsyncSession]:
    """One session per request: rolled back on error, always closed, never committed here."""
    async with SessionLocal() as session:
        try:
            yield session
        except Exception:
            await session.rollback()
            raise


SessionDep = Annotated[AsyncSession, Depends(get_session)]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)  # an example; real apps run migrations
    yield
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
    await engine.dispose()


app = FastAPI(lifespan=lifespan)


@app.get("/health/db")
async def health_db(session: SessionDep) -> dict[str, str]:
    await session.exec(text("SELECT 1"))
    return {"database": "ok"}


@app.post("/boards", status_code=status.HTTP_201_CREATED, response_model=BoardRead)
async def create_board(body: NewBoard, session: SessionDep) -> Board:
    board = Board(name=body.name)
    session.add(board)
    try:
        await session.flush()  # the board's id, for its cards
        session.add_all([Card(title=title, board_id=board.id) for title in body.cards])
        await session.commit()  # in the endpoint: a failure becomes a 409, not a lie
    except IntegrityError:
        await session.rollback()
        raise HTTPException(status.HTTP_409_CONFLICT, "name taken, or two cards share a title")
    return board


async def main() -> None:
    async with app.router.lifespan_context(app):  # ASGITransport does not run the lifespan
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://example") as client:
            print("health:", (await client.get("/health/db")).json())
            ok = await client.post("/boards", json={"name": "launch", "cards": ["plan", "ship"]})
            print("created:", ok.status_code, ok.json())
            bad = await client.post("/boards", json={"name": "retro", "cards": ["same", "same"]})
            print("refused:", bad.status_code, bad.json()["detail"])
            async with SessionLocal() as session:
                boards = (await session.exec(select(Board.name).order_by(Board.name))).all()
            print("boards stored:", boards)


if __name__ == "__main__":
    asyncio.run(main())
