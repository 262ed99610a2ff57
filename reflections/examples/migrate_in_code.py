"""Run Alembic migrations from async code: migrate(url, revision) and current_revision(url).

Builds a throwaway Alembic project (an async env.py and two hand-written revisions) in a temporary
folder, then moves a database up, down and up again from inside a running event loop.

Run: python examples/migrate_in_code.py   (DATABASE_URL selects the database; default a temporary SQLite file)
"""

import asyncio
import os
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

# A version table of its own, so the example can run in a database other projects use too.
VERSION_TABLE = "example_alembic_version"

ENV_PY = '''\
import asyncio
import os

from alembic import context
from sqlalchemy import pool
from sqlalchemy.ext.asyncio import create_async_engine

config = context.config
target_metadata = None  # an app imports its models here and uses SQLModel.metadata (for autogenerate)


def database_url() -> str:
    # A URL the caller set on the Config wins; otherwise the environment. Never a URL in a file.
    return config.get_main_option("sqlalchemy.url") or os.environ["DATABASE_URL"]


def do_run_migrations(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
        version_table="%s",
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    engine = create_async_engine(database_url(), poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(do_run_migrations)
    await engine.dispose()


asyncio.run(run_async_migrations())  # fine in a worker thread, fails inside a running event loop
''' % VERSION_TABLE

REVISIONS = {
    "0001_create_note.py": '''\
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "example_note",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("example_note")
''',
    "0002_add_note_due_date.py": '''\
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    with op.batch_alter_table("example_note") as batch_op:
        # nullable: rows that exist already have no due date
        batch_op.add_column(sa.Column("due_date", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("example_note") as batch_op:
        batch_op.drop_column("due_date")
''',
}


def build_project(folder: Path) -> Path:
    """alembic.ini, migrations/env.py and migrations/versions/, as `alembic init -t async` would lay them out."""
    versions = folder / "migrations" / "versions"
    versions.mkdir(parents=True)
    (folder / "migrations" / "env.py").write_text(ENV_PY, encoding="utf-8")
    for name, source in REVISIONS.items():
        (versions / name).write_text(source, encoding="utf-8")
    ini = folder / "alembic.ini"
    ini.write_text("[alembic]\nscript_location = %(here)s/migrations\n", encoding="utf-8")
    return ini


def alembic_config(ini: Path, url: str) -> Config:
    cfg = Config(str(ini))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # configparser: % must be doubled
    cfg.attributes["configure_logger"] = False
    return cfg


def _move(cfg: Config, revision: str) -> None:
    try:
        command.downgrade(cfg, revision)  # raises CommandError when the target is above the database
    except CommandError:
        command.upgrade(cfg, revision)  # never goes down: below the database it silently does nothing


async def migrate(ini: Path, url: str, revision: str = "head") -> None:
    """Move the database at `url` to `revision`, up or down. The thread has no running event loop."""
    await asyncio.to_thread(_move, alembic_config(ini, url), revision)


async def current_revision(url: str) -> str | None:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda sync_conn: MigrationContext.configure(sync_conn, opts={"version_table": VERSION_TABLE}).get_current_revision()
            )
    finally:
        await engine.dispose()


async def note_columns(url: str) -> list[str]:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            def read(sync_conn) -> list[str]:
                found = inspect(sync_conn)
                return [c["name"] for c in found.get_columns("example_note")] if found.has_table("example_note") else []

            return await conn.run_sync(read)
    finally:
        await engine.dispose()


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="migrate-example-") as tmp:
        ini = build_project(Path(tmp))
        url = os.environ.get("DATABASE_URL") or f"sqlite+aiosqlite:///{Path(tmp) / 'example.db'}"
        try:
            for target in ("0001", "head", "base", "head"):
                await migrate(ini, url, target)
                print(f"migrate to {target:4} -> at {await current_revision(url)!s:4}  example_note columns: {await note_columns(url)}")
        finally:
            await migrate(ini, url, "base")
            engine = create_async_engine(url, poolclass=NullPool)
            async with engine.begin() as conn:
                await conn.execute(text(f"DROP TABLE IF EXISTS {VERSION_TABLE}"))
            await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
