"""Does check-generated find what a lesson's checklist requires and forbids, from the code alone?"""


import nbformat
import pytest

from skillbook.course import cells, manifest, paths
from skillbook.learner.generated import Rule, check_source

RULES = [
    Rule(kind="keyword", level="require", name="create_async_engine", keyword="pool_pre_ping", value=True,
         message="pool_pre_ping=True on the PostgreSQL engine"),
    Rule(kind="import", level="require", module="sqlmodel.ext.asyncio.session", name="AsyncSession",
         message="sqlmodel's AsyncSession"),
    Rule(kind="yield-dependency", level="require", message="a session dependency that yields"),
    Rule(kind="keyword", level="require", name="async_sessionmaker", keyword="expire_on_commit", value=False,
         message="expire_on_commit=False"),
    Rule(kind="call", level="require", name="selectinload", message="selectinload for collections"),
    Rule(kind="call", level="forbid", name="datetime.utcnow", message="datetime.utcnow() (naive, deprecated)"),
    Rule(kind="import", level="forbid", module="sqlalchemy.orm", name="Session", message="a sync Session in async code"),
    Rule(kind="unawaited-session-call", level="forbid", message="a session call without await"),
]

GOOD = '''
from datetime import UTC, datetime
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import selectinload
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

engine = create_async_engine("postgresql+asyncpg://app@db/app", pool_pre_ping=True)
SessionLocal = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)

async def get_session():
    async with SessionLocal() as session:
        yield session

async def projects(session: AsyncSession):
    stamp = datetime.now(UTC)
    async with session.begin():
        result = await session.exec(select(Project).options(selectinload(Project.tasks)))
    return result.all(), stamp
'''

BAD = '''
from datetime import datetime
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

engine = create_async_engine("postgresql+asyncpg://app@db/app")
SessionLocal = async_sessionmaker(engine)

async def save(session, task):
    task.created_at = datetime.utcnow()
    session.add(task)
    session.commit()
    await session.refresh(task)
'''


def test_good_code_passes_every_check():
    error, findings = check_source(GOOD, RULES)
    assert error is None and all(f.ok for f in findings), [f.rule.message for f in findings if not f.ok]


def test_bad_code_fails_each_check_it_breaks():
    error, findings = check_source(BAD, RULES)
    failed = {f.rule.message: f for f in findings if not f.ok}
    assert set(failed) == {r.message for r in RULES}  # BAD breaks every rule
    assert failed["a session call without await"].where == "line 12"
    assert failed["datetime.utcnow() (naive, deprecated)"].where == "line 10"


def test_code_that_does_not_parse_is_reported():
    error, findings = check_source("def broken(:\n", RULES)
    assert "does not parse" in error and findings == []


@pytest.mark.parametrize("source", [
    "async def f(session):\n    await session.commit()",
    "async def f(db_session):\n    async with db_session.begin():\n        pass",
])
def test_awaited_session_calls_are_not_flagged(source):
    _, findings = check_source(source, [RULES[-1]])
    assert findings[0].ok


def test_session_calls_gathered_on_one_session_are_flagged():
    """gather() over one session's calls is the one-session-per-task mistake; it is reported too."""
    _, findings = check_source("async def f(session):\n    return await asyncio.gather(session.get(A, 1))", [RULES[-1]])
    assert not findings[0].ok


def test_a_name_may_list_alternatives_and_star_means_any_call():
    rules = [Rule(kind="call", level="require", name="to_thread|run_in_executor", message="a worker thread"),
             Rule(kind="keyword", level="require", name="*", keyword="pool_pre_ping", value=True, message="pre-ping")]
    _, findings = check_source("await loop.run_in_executor(None, f)\noptions.update(pool_pre_ping=True)", rules)
    assert all(f.ok for f in findings)
    _, findings = check_source("f()\noptions.update(pool_pre_ping=False)", rules)
    assert not any(f.ok for f in findings)


def _lesson_code(lesson) -> str:
    """The solution notebook's code, each cell as the body of an async def (cells use top-level await);
    demonstrations of mistakes and test cells left out."""
    notebook = nbformat.read(paths.solutions_dir() / lesson.dir / lesson.notebook_name, as_version=4)
    bodies = []
    for cell in notebook.cells:
        if not cells.is_code(cell) or cells.is_demonstration(cell) or cells.is_test_cell(cell):
            continue
        lines = [line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))]
        bodies.append("async def _cell():\n" + "\n".join("    " + line for line in lines + ["pass"]))
    return "\n".join(bodies)


@pytest.mark.parametrize("lesson_id", manifest.lessons())
def test_every_lesson_follows_its_own_checklist(lesson_id):
    """The checklist is what the lesson teaches: its solution code and its skill example pass every check."""
    lesson = manifest.lesson(lesson_id)
    assert lesson.checks, f"{lesson_id} has no [[lesson.check]] in course.toml"
    sources = {"solution": _lesson_code(lesson)}
    if lesson.examples:  # a lesson's example may be two files (L09): the checklist applies to them together
        sources["example"] = "\n".join((paths.reflections_dir() / "examples" / name).read_text() for name in lesson.examples)
    for name, source in sources.items():
        error, findings = check_source(source, list(lesson.checks))
        assert error is None, (name, error)
        assert all(f.ok for f in findings), (name, [(f.rule.message, f.where) for f in findings if not f.ok])
