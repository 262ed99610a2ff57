"""Does the hosted-PostgreSQL path work end to end: a URL as Neon hands it out
(`postgresql://...?sslmode=require&channel_binding=require`), rewritten as L02 teaches, connecting over TLS?

The local server plays the provider: `.ci/postgres-tls` turns TLS on for it (CI runs it). Without TLS the
lesson runs are skipped, saying so: they would prove nothing about encryption.
"""

import asyncio

import asyncpg
import nbformat
import pytest
from nbclient import NotebookClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from skillbook.course import cells
from skillbook.engine.databases import isolated_database
from taskflow.config import database_url
from tests.builders import solution_path
from tests.conftest import POSTGRES_URL

pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not POSTGRES_URL, reason="set TEST_DATABASE_URL to run on PostgreSQL")]

ENCRYPTED = "select ssl from pg_stat_ssl where pid = pg_backend_pid()"
# After the lesson, in its kernel: is the engine its cells used (built from DATABASE_URL) encrypted?
# L02's cells use the learner's own database_url(); L03's use a SQLite file of their own.
PROBES = {
    "L02": "create_async_engine(database_url())",
    "L03": None,
    "L04": "engine",
    "L05": "engine",
}


def neon_style(url: str, **query: str) -> str:
    """A scratch database's URL spelled as a hosted provider spells it: no driver, libpq's options."""
    params = {"sslmode": "require", "channel_binding": "require", **query}
    return make_url(url).set(drivername="postgresql", query=params).render_as_string(hide_password=False)


def _server_ssl() -> str:
    async def show() -> str:
        conn = await asyncpg.connect(make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(hide_password=False))
        try:
            return await conn.fetchval("SHOW ssl")
        finally:
            await conn.close()

    return asyncio.run(show())


@pytest.fixture(scope="module")
def tls_server() -> None:
    if _server_ssl() != "on":
        pytest.skip("TLS is off on the PostgreSQL server of TEST_DATABASE_URL: run .ci/postgres-tls (CI does)")


@pytest.fixture
def scratch(tls_server, tmp_path):
    with isolated_database(POSTGRES_URL, tmp_path) as url:
        yield url


async def _encrypted(url: str) -> bool:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.scalar(text(ENCRYPTED))
    finally:
        await engine.dispose()


async def test_a_rewritten_neon_url_connects_encrypted(scratch):
    """Does taskflow's URL for a Neon-style address connect over TLS, and does the same probe read false
    for a connection that asked for none (so the probe can tell)?"""
    assert await _encrypted(database_url({"DATABASE_URL": neon_style(scratch)})) is True
    assert await _encrypted(database_url({"DATABASE_URL": neon_style(scratch, sslmode="disable")})) is False


def _run(lesson_id: str, workdir, probe: str | None):
    """The solution notebook in a kernel, without its check cells (grading never uses DATABASE_URL;
    tests/test_notebooks.py grades them), plus the probe cell."""
    nb = nbformat.read(solution_path(lesson_id), as_version=4)
    nb.cells = [cell for cell in nb.cells if not cells.is_test_cell(cell)]
    if probe:
        nb.cells.append(nbformat.v4.new_code_cell(
            f"from sqlalchemy import text\n_probe = {probe}\n"
            f"async with _probe.connect() as _conn:\n    print('encrypted:', await _conn.scalar(text({ENCRYPTED!r})))\n"
            "await _probe.dispose()"
        ))
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}).execute()
    return nb


@pytest.mark.slow
@pytest.mark.parametrize("lesson_id", list(PROBES))
def test_lesson_runs_on_a_neon_style_url_over_tls(lesson_id, scratch, tmp_path, monkeypatch):
    """Does the lesson run clean with DATABASE_URL as Neon hands it out, its engine connected over TLS?
    (Before taskflow rewrote such URLs, L04 and L05 failed with "unexpected keyword argument 'sslmode'".)"""
    monkeypatch.setenv("DATABASE_URL", neon_style(scratch))
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
    monkeypatch.setenv("SKILLBOOK_CACHE_DIR", str(tmp_path / "cache"))
    nb = _run(lesson_id, tmp_path, PROBES[lesson_id])
    problems = []
    for number, cell in enumerate(nb.cells, 1):
        for output in cell.get("outputs", []):
            failed = output.get("output_type") == "error" and not cells.is_demonstration(cell)
            if output.get("name") == "stderr" or failed:
                problems.append(f"cell {number}: {output.get('text') or output.get('ename')}: {output.get('evalue', '')}")
    assert not problems, problems
    if PROBES[lesson_id]:
        printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
        assert printed.strip() == "encrypted: True", printed
