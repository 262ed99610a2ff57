"""One engine, one session factory, one create/read/update/delete round trip.

Run it:
    python engine_and_session.py                      # in-memory SQLite (aiosqlite)
    DATABASE_URL=postgresql+asyncpg://USER:PASSWORD@HOST:5432/DB python engine_and_session.py

What it shows:
- reading the URL from the environment and spelling out the async driver;
- engine options that depend on the backend (StaticPool only for in-memory SQLite,
  pool_pre_ping / pool_size / pool_recycle for a server database);
- async_sessionmaker(..., expire_on_commit=False), so objects stay readable after commit;
- add -> commit -> refresh, get, a partial update, and an awaited delete;
- creating and dropping the example's own tables, then disposing the engine.
"""

import asyncio
import os
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import registry
from sqlalchemy.pool import StaticPool
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession


# A private registry keeps these tables out of SQLModel.metadata, so this file can be
# imported next to other examples (or your app) without "Table ... is already defined".
class Base(SQLModel, registry=registry()):
    pass


class Note(Base, table=True):
    __tablename__ = "demo_crud_note"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(min_length=1, max_length=200)
    body: str = ""
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


def database_url(env: dict[str, str] | None = None) -> str:
    """DATABASE_URL with an explicit async driver; in-memory SQLite when unset."""
    env = dict(os.environ) if env is None else env
    url = env.get("DATABASE_URL") or "sqlite+aiosqlite://"
    for bare in ("postgres://", "postgresql://"):
        if url.startswith(bare):
            url = "postgresql+asyncpg://" + url[len(bare):]
    if url.startswith("postgresql+asyncpg://"):
        # Hosted providers hand out libpq URLs; asyncpg spells the option ssl=, not sslmode=.
        parts = urlsplit(url)
        query = [("ssl" if key == "sslmode" else key, value) for key, value in parse_qsl(parts.query)]
        query = [(key, value) for key, value in query if key != "channel_binding"]
        url = urlunsplit(parts._replace(query=urlencode(query)))
    return url


def make_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            # Every new connection to :memory: is a new, empty database: share one connection.
            return create_async_engine(url, poolclass=StaticPool)
        return create_async_engine(url)
    return create_async_engine(
        url,
        pool_pre_ping=True,  # test a pooled connection before use; servers drop idle ones
        pool_size=5,
        max_overflow=10,
        pool_recycle=1800,
    )


async def main() -> None:
    url = database_url()
    engine = make_engine(url)
    session_factory = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
    print(f"backend: {engine.dialect.name} (driver {engine.dialect.driver})")

    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)  # leftovers of an interrupted run
        await conn.run_sync(Base.metadata.create_all)
    try:
        # Create: add() is synchronous, commit() and refresh() are awaited.
        async with session_factory() as session:
            note = Note(title="first note", body="hello")
            session.add(note)
            await session.commit()
            await session.refresh(note)
            note_id = note.id
            # expire_on_commit=False: reading after commit needs no database round trip.
            print(f"created note {note_id}: {note.title!r} at {note.created_at.isoformat()}")

        # Read and update in a new session, as a new request would.
        async with session_factory() as session:
            note = await session.get(Note, note_id)
            assert note is not None
            changes = {"body": "hello again"}  # a partial update: only these fields
            for field, value in changes.items():
                setattr(note, field, value)
            await session.commit()

        async with session_factory() as session:
            titles = (await session.exec(select(Note.title).order_by(Note.id))).all()
            note = await session.get(Note, note_id)
            assert note is not None and note.body == "hello again"
            print(f"titles: {list(titles)}; body now {note.body!r}")

            await session.delete(note)  # delete() is a coroutine: always await it
            await session.commit()
            remaining = (await session.exec(select(Note))).all()
            print(f"notes left after delete: {len(remaining)}")
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.drop_all)
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
