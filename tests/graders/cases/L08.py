"""L08: realistic wrong answers and correct alternatives, as data (see __init__.py)."""

import nbformat
from skillbook.course import cells
from tests.builders import solution_path

PROJECT, CURRENT, MIGRATE = "L08.alembic_project", "L08.current_revision", "L08.migrate"


def _solution_source(grade_id: str) -> str:
    nb = nbformat.read(solution_path("L08"), as_version=4)
    return next(c.source for c in nb.cells if cells.grade_id(c) == grade_id)


def _cell_source(cell_id: str) -> str:
    nb = nbformat.read(solution_path("L08"), as_version=4)
    return next(c.source for c in nb.cells if c.get("id") == cell_id)


# Appended to the cell that autogenerates 0002: change the generated files the way a hurried colleague would.
EDIT_MIGRATIONS = """

import re as _re


def _edit(prefix, change):
    path = next(versions.glob(prefix + "_*.py"))
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
"""


def _after_second_revision(edit: str) -> str:
    return _cell_source("l08-rev2") + EDIT_MIGRATIONS + edit


def _edited(grade_id: str, old: str, new: str) -> str:
    source = _solution_source(grade_id)
    assert old in source, f"{old!r} is not in the solution's {grade_id} cell"
    return source.replace(old, new)


CURRENT_IMPORTS = """from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
"""
MIGRATE_IMPORTS = """import asyncio

from alembic.util import CommandError
"""

# id -> (cell replacements, the exercises that must lose points; every other one must pass)
WRONG = {
    # env.py imports SQLModel but not the models: the metadata is empty, autogenerate writes empty migrations.
    "env-without-model-import": (
        {"L08-alembic_project": _edited("L08-alembic_project", "import models  # noqa", "# import models  # noqa")},
        {PROJECT},
    ),
    # The learner never adds the field: the second revision is empty.
    "no-due-date-field": (
        {"L08-alembic_project-due_date": 'Path("models.py").write_text(MODELS_PY, encoding="utf-8")'},
        {PROJECT},
    ),
    # script.py.mako left as generated: every migration stops with NameError: sqlmodel, so nothing can be
    # migrated, by the graders or by migrate().
    "template-without-sqlmodel-import": (
        {"L08-alembic_project": _edited("L08-alembic_project", 'if "import sqlmodel" not in template:', "if False:")},
        {PROJECT, MIGRATE},
    ),
    "migrate-without-thread": (
        {"L08-migrate": MIGRATE_IMPORTS + """
def alembic_config(url):
    cfg = Config("alembic.ini")
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg

async def migrate(url, revision="head"):
    command.upgrade(alembic_config(url), revision)
"""},
        {MIGRATE},
    ),
    "migrate-only-upgrades": (
        {"L08-migrate": MIGRATE_IMPORTS + """
def alembic_config(url):
    cfg = Config("alembic.ini")
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg

async def migrate(url, revision="head"):
    await asyncio.to_thread(command.upgrade, alembic_config(url), revision)
"""},
        {MIGRATE},
    ),
    # Builds the tables from the models and tells Alembic they are there: the migration files never run.
    "migrate-create-all-and-stamp": (
        {"L08-migrate": MIGRATE_IMPORTS + """
from sqlmodel import SQLModel

def alembic_config(url):
    cfg = Config("alembic.ini")
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg

async def migrate(url, revision="head"):
    import models  # noqa: F401
    engine = create_async_engine(url)
    if revision == "base":
        async with engine.begin() as conn:
            await conn.run_sync(SQLModel.metadata.drop_all)
    else:
        async with engine.begin() as conn:
            await conn.run_sync(SQLModel.metadata.create_all)
    await engine.dispose()
    await asyncio.to_thread(command.stamp, alembic_config(url), revision)
"""},
        {MIGRATE},
    ),
    # The URL never reaches the Config, so env.py falls back to DATABASE_URL: another database.
    "migrate-ignores-url": (
        {"L08-migrate": _edited("L08-migrate", '    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))'
                                "  # configparser: % must be doubled\n", "")},
        {MIGRATE},
    ),
    "current-revision-crashes-on-new-database": (
        {"L08-current_revision": CURRENT_IMPORTS + """from sqlalchemy import text

async def current_revision(url):
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    finally:
        await engine.dispose()
"""},
        {CURRENT},
    ),
    # Where the project is, not where the database is.
    "current-revision-reports-project-head": (
        {"L08-current_revision": CURRENT_IMPORTS + """from alembic.config import Config
from alembic.script import ScriptDirectory

async def current_revision(url):
    return ScriptDirectory.from_config(Config("alembic.ini")).get_current_head()
"""},
        {CURRENT},
    ),
    # --- issue 13: migrations moved to intermediate revisions, data lost, URLs the app would accept ---
    # 0002's downgrade "simplified" to nothing: base still works (0001 drops the table), 0001 keeps due_date.
    "second-downgrade-does-nothing": (
        {"l08-rev2": _after_second_revision("""
_edit("0002", lambda text: _re.sub(r"(?m)^(\\s*)batch_op\\.drop_column\\(.*$", r"\\1pass", text))
""")},
        # migrate then cannot go down and back up either: the second upgrade adds a column that is still there.
        {PROJECT, MIGRATE},
    ),
    # A downgrade that also deletes the tasks that have a due date: the schema is right, the rows are gone.
    "second-downgrade-deletes-dated-tasks": (
        {"l08-rev2": _after_second_revision("""
_edit("0002", lambda text: text.replace(
    "def downgrade() -> None:\\n",
    "def downgrade() -> None:\\n    op.execute(\\"DELETE FROM task WHERE due_date IS NOT NULL\\")\\n",
))
""")},
        {PROJECT},
    ),
    # The index on status moved from 0001 into 0002: head matches the models, 0001 does not match its time.
    "index-moved-to-the-second-revision": (
        {"l08-rev2": _after_second_revision("""
first = next(versions.glob("0001_*.py")).read_text(encoding="utf-8")
create = next(line for line in first.splitlines() if "create_index(" in line).strip()
drop = next(line for line in first.splitlines() if "drop_index(" in line).strip()
_edit("0001", lambda text: text.replace(create, "pass").replace(drop, "pass"))
_edit("0002", lambda text: _re.sub(r"(?m)^(\\s*)(batch_op\\.add_column\\(.*)$", lambda m: m[0] + "\\n" + m[1] + create, text))
_edit("0002", lambda text: _re.sub(r"(?m)^(\\s*)(batch_op\\.drop_column\\(.*)$", lambda m: m[1] + drop + "\\n" + m[0], text))
""")},
        {PROJECT},
    ),
    # env.py hands DATABASE_URL to the driver as it comes: a hosting provider's postgres://...?sslmode= fails.
    "env-reads-database-url-raw": (
        {"L08-alembic_project": _edited(
            "L08-alembic_project",
            "    url = make_url(raw)\n",
            "    return raw\n    url = make_url(raw)\n",
        )},
        {PROJECT},
    ),
    # Never disposes of its engine: the pooled connection stays open after the answer.
    "current-revision-never-disposes": (
        {"L08-current_revision": CURRENT_IMPORTS + """
async def current_revision(url):
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        return await conn.run_sync(lambda sync_conn: MigrationContext.configure(sync_conn).get_current_revision())
"""},
        {CURRENT},
    ),
    # The URL goes into configparser as it is: a % in a password breaks it.
    "migrate-without-percent-escape": (
        {"L08-migrate": _edited("L08-migrate", 'url.replace("%", "%%")', "url")},
        {MIGRATE},
    ),
    # "Reset, then apply": every move goes through base, so every table is dropped and its rows with it.
    "migrate-rebuilds-from-base": (
        {"L08-migrate": MIGRATE_IMPORTS + """
def alembic_config(url):
    cfg = Config("alembic.ini")
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg

def rebuild(cfg, revision):
    command.downgrade(cfg, "base")
    if revision != "base":
        command.upgrade(cfg, revision)

async def migrate(url, revision="head"):
    await asyncio.to_thread(rebuild, alembic_config(url), revision)
"""},
        {MIGRATE},
    ),
}

ALTERNATIVES = {
    # Alembic's command line in a child process; the direction from the database's revision and the
    # revision chain; the revision read with plain SQL.
    "cli-and-plain-sql": {
        "L08-current_revision": CURRENT_IMPORTS + """from sqlalchemy import inspect, text

async def current_revision(url: str) -> str | None:
    def read(sync_conn):
        if not inspect(sync_conn).has_table("alembic_version"):
            return None
        return sync_conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()

    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(read)
    finally:
        await engine.dispose()
""",
        "L08-migrate": MIGRATE_IMPORTS + """import os
import sys
from alembic.script import ScriptDirectory

def is_below(target, current):
    if current is None:
        return False
    if target == "base":
        return True
    script = ScriptDirectory.from_config(Config("alembic.ini"))
    wanted = script.get_revision(target).revision
    return wanted != current and wanted in {s.revision for s in script.walk_revisions("base", current)}

async def migrate(url, revision="head"):
    verb = "downgrade" if is_below(revision, await current_revision(url)) else "upgrade"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "alembic", verb, revision,
        env={**os.environ, "DATABASE_URL": url},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    if process.returncode:
        raise RuntimeError(output.decode()[-500:])
""",
    },
    # env.py that can run on a connection it is given; migrate shares one through run_sync, deciding
    # the direction first; batch mode only on SQLite; due_date spelled with Optional and Field.
    "shared-connection": {
        "L08-alembic_project": _edited(
            "L08-alembic_project",
            "def run_migrations_online() -> None:\n    asyncio.run(run_async_migrations())",
            "def run_migrations_online() -> None:\n"
            "    connection = config.attributes.get(\"connection\")\n"
            "    if connection is None:\n"
            "        asyncio.run(run_async_migrations())\n"
            "    else:\n"
            "        do_run_migrations(connection)",
        ).replace(
            "        render_as_batch=True,  # SQLite cannot ALTER most things: batch mode copies the table",
            "        render_as_batch=connection.dialect.name == \"sqlite\",",
        ),
        "L08-alembic_project-due_date": """from typing import Optional

new_field = "    due_date: Optional[datetime] = Field(default=None, nullable=True)\\n"
Path("models.py").write_text("from typing import Optional\\n" + MODELS_PY + new_field, encoding="utf-8")
""",
        "L08-current_revision": CURRENT_IMPORTS + """
async def current_revision(url):
    engine = create_async_engine(url, poolclass=NullPool)
    async with engine.connect() as conn:
        heads = await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_heads())
    await engine.dispose()
    return heads[0] if heads else None
""",
        "L08-migrate": MIGRATE_IMPORTS + """from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

def move(sync_conn, revision):
    cfg = Config("alembic.ini")
    cfg.attributes["connection"] = sync_conn
    cfg.attributes["configure_logger"] = False
    current = MigrationContext.configure(sync_conn).get_current_revision()
    script = ScriptDirectory.from_config(cfg)
    below = current is not None and (
        revision == "base"
        or script.get_revision(revision).revision in {s.revision for s in script.walk_revisions("base", current)} - {current}
    )
    (command.downgrade if below else command.upgrade)(cfg, revision)

async def migrate(url, revision="head"):
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(move, revision)
    finally:
        await engine.dispose()
""",
    },
    # env.py reuses the course's own rewrite (taskflow.config.database_url, L02) instead of writing one;
    # current_revision relies on NullPool, which closes the connection when the block ends; migrate picks
    # the direction from the revision chain before it runs one command.
    "course-rewrite-and-direction-first": {
        "L08-alembic_project": _edited(
            "L08-alembic_project",
            "    url = make_url(raw)\n",
            "    from taskflow.config import database_url as app_url\n\n"
            "    return app_url({\"DATABASE_URL\": raw})\n    url = make_url(raw)\n",
        ),
        "L08-current_revision": CURRENT_IMPORTS + """
async def current_revision(url):
    async with create_async_engine(url, poolclass=NullPool).connect() as conn:
        context = await conn.run_sync(MigrationContext.configure)
        return await conn.run_sync(lambda _: context.get_current_revision())
""",
        "L08-migrate": MIGRATE_IMPORTS + """from alembic.script import ScriptDirectory

def config_for(url):
    cfg = Config("alembic.ini")
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg

async def migrate(url, revision="head"):
    cfg = config_for(url)
    current = await current_revision(url)
    script = ScriptDirectory.from_config(cfg)
    below = {r.revision for r in script.walk_revisions("base", current)} - {current} if current else set()
    target = None if revision == "base" else script.get_revision(revision).revision
    going_down = current is not None and (target is None or target in below)
    await asyncio.to_thread(command.downgrade if going_down else command.upgrade, cfg, revision)
""",
    },
}

