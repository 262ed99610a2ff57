"""Does a check cell grade what the learner ran, in a real kernel, without a save, and show a slow check?

The kernel is driven as JupyterLab drives it: every execute request carries the cell's id
(benchmarks/check_latency.py's Kernel, through tests/learner/drive.py; nbclient sends no cell id).
"""

import json
import os
import shutil
import uuid

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.builders import lesson_path, submission_from
from tests.graders.cases.L05 import WRONG
from tests.learner.drive import Kernel

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")

# create_task written another way than the solution: a constructor and a flush before the commit.
CREATE_TASK = """async def create_task(session: AsyncSession, data: TaskCreate) -> Task:
    task = Task(**data.model_dump())
    session.add(task)
    await session.flush()
    await session.commit()
    await session.refresh(task)
    return task
"""
ENDLESS = "async def create_task(session, data):\n    while True:\n        pass\n"


@pytest.fixture
def lesson_kernel(tmp_path):
    """A kernel in a copy of the student's L05 folder, its setup cell run; and the saved cells by id."""
    notebook = tmp_path / "L05_crud" / "L05_crud.ipynb"
    notebook.parent.mkdir()
    shutil.copy(lesson_path("L05"), notebook)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL")}
    env.update(SKILLBOOK_CACHE_DIR=str(tmp_path / "cache"), SKILLBOOK_SKILL_DIR=str(tmp_path / "skill"))
    kernel = Kernel(notebook.parent, env)
    cells = {cell["id"]: cell for cell in json.loads(notebook.read_text())["cells"]}
    _, printed = kernel.run(cells["l05-setup"])
    assert "database:" in printed, printed
    yield kernel, cells, notebook, tmp_path / "cache"
    kernel.close()


@pytest.mark.slow
def test_check_grades_what_the_kernel_ran_without_saving(lesson_kernel):
    """Edit an exercise, run it and its check without saving: does it pass, say the saved file differs, and
    leave the file alone? Does the next check cell take its result from the same grading run?"""
    kernel, cells, notebook, cache = lesson_kernel
    saved = notebook.read_bytes()
    kernel.run(cells["l05-ex1-solution"], CREATE_TASK)
    _, printed = kernel.run(cells["l05-ex1-check"])
    assert "✓ L05.create_task  3/3  · SQLite" in printed, printed
    assert "your saved file differs in L05.create_task" in printed and "Ctrl+S" in printed
    assert "Traceback" not in printed
    assert notebook.read_bytes() == saved
    _, printed = kernel.run(cells["l05-ex2-check"])
    assert "✗ L05.get_task  0/2  · SQLite" in printed and "not written yet" in printed, printed
    graded = [p for p in cache.glob("*.json") if not p.name.startswith("known-")]  # known-*: the graders' checks
    assert len(graded) == 1  # both checks came from one grading of what ran


@pytest.mark.slow
def test_a_slow_check_says_what_runs_and_an_interrupt_ends_it_cleanly(lesson_kernel):
    """An endless loop: after 2 s does the cell show which check runs and for how long; when the learner
    interrupts, is the display emptied, the check said to be stopped, and the next check graded?"""
    kernel, cells, _, _ = lesson_kernel
    kernel.run(cells["l05-ex1-solution"], ENDLESS)
    interrupted = []

    def interrupt(seconds):
        # once the display names the running check: before it, the grader may still be collecting its
        # checks (several seconds on a busy machine with a fresh cache)
        running = any("now L05.create_task — " in text for text in kernel.displays)
        if (running or seconds > 30) and not interrupted:
            interrupted.append(seconds)
            kernel.manager.interrupt_kernel()

    _, printed = kernel.run(cells["l05-ex1-check"], while_running=interrupt)
    shown = [text for text in kernel.displays if text]
    assert shown and all(text.startswith("⏳ Checking L05 on SQLite") for text in shown), kernel.displays
    assert any("now L05.create_task — " in text for text in shown), shown
    assert kernel.displays[-1] == ""  # emptied at the end
    assert "Check of L05.create_task stopped" in printed, printed
    kernel.run(cells["l05-ex1-solution"], CREATE_TASK)
    _, printed = kernel.run(cells["l05-ex1-check"])
    assert "✓ L05.create_task  3/3" in printed, printed


async def _databases(url) -> set[str]:
    conn = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))
    try:
        return {row[0] for row in await conn.fetch("SELECT datname FROM pg_database")}
    finally:
        await conn.close()


@pytest.mark.skipif(not POSTGRES_URL, reason="set TEST_DATABASE_URL to run on PostgreSQL")
@pytest.mark.postgres
async def test_check_grades_on_the_learners_postgresql(tmp_path, monkeypatch, capsys):
    """With DATABASE_URL on PostgreSQL, does a check say it graded there, in PostgreSQL's words, in a
    scratch database it drops?"""
    from skillbook.learner.check import check

    folder = tmp_path / "L05_crud"
    submission_from("L05", WRONG["update-nulls-unset-fields"][0], folder)
    monkeypatch.chdir(folder)
    monkeypatch.setenv("DATABASE_URL", POSTGRES_URL)
    monkeypatch.setenv("SKILLBOOK_CACHE_DIR", str(tmp_path / "cache"))
    # Scratch databases are named from uuid4 (other tests make theirs at the same time): know ours.
    ours = uuid.UUID(int=uuid.uuid4().int)
    monkeypatch.setattr(uuid, "uuid4", lambda: ours)
    points = await check("l05.update_task")
    printed = capsys.readouterr().out
    assert points < 4 and "✗ L05.update_task  " in printed and "  · PostgreSQL" in printed, printed
    assert 'null value in column "title"' in printed and "NOT NULL constraint failed" not in printed, printed
    left = [name for name in await _databases(POSTGRES_URL) if ours.hex[:12] in name]
    assert not left, left  # created for the check, dropped after it
