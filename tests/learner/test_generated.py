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
    sources = {"solution": (_lesson_code(lesson), lesson.checklist())}
    for example in lesson.examples:  # each example against its part of the checklist (L09 has two parts)
        sources[example] = ((paths.reflections_dir() / "examples" / example).read_text(), lesson.checklist(example))
    for name, (source, rules) in sources.items():
        error, findings = check_source(source, rules)
        assert error is None, (name, error)
        assert all(f.ok for f in findings), (name, [(f.rule.message, f.where) for f in findings if not f.ok])


# --- Each rule kind, on code written the many ways people write it ------------------------------
# Every kind has at least three samples that must be found and three that must not.

UTCNOW = Rule(kind="call", level="forbid", name="datetime.utcnow", message="datetime.utcnow()")
SELECTIN = Rule(kind="call", level="require", name="selectinload", message="selectinload")
EXPIRE = Rule(kind="keyword", level="require", name="async_sessionmaker", keyword="expire_on_commit", value=False,
              message="expire_on_commit=False")
ASYNC_SESSION = Rule(kind="import", level="require", module="sqlmodel.ext.asyncio.session", name="AsyncSession",
                     message="sqlmodel's AsyncSession")
YIELDS = Rule(kind="yield-dependency", level="require", message="a session dependency that yields")
UNAWAITED = Rule(kind="unawaited-session-call", level="forbid", message="a session call without await")

SAMPLES = {
    UTCNOW: {
        "found": [
            "from datetime import datetime\nstamp = datetime.utcnow()",
            "import datetime as dt\nstamp = dt.datetime.utcnow()",
            "from datetime import datetime as D\nstamp = D.utcnow()",
            "from datetime import datetime\nfrom sqlmodel import Field\ncreated: datetime = Field(default_factory=datetime.utcnow)",
            "import datetime\nclock = datetime.datetime.utcnow",
        ],
        "not found": [
            "from datetime import UTC, datetime\nstamp = datetime.now(UTC)",
            "import datetime as dt\nstamp = dt.datetime.now(dt.UTC)",
            "from myclock import utcnow\nstamp = utcnow()",
            "note = 'never call datetime.utcnow()'  # datetime.utcnow",
        ],
    },
    SELECTIN: {
        "found": [
            "from sqlalchemy.orm import selectinload\nq = select(P).options(selectinload(P.tasks))",
            "from sqlalchemy.orm import selectinload as eager\nq = select(P).options(eager(P.tasks))",
            "import sqlalchemy.orm as orm\nq = select(P).options(orm.selectinload(P.tasks))",
        ],
        "not found": [
            "from sqlalchemy.orm import joinedload\nq = select(P).options(joinedload(P.tasks))",
            "from sqlalchemy.orm import selectin_polymorphic\nq = selectin_polymorphic(P, [Q])",
            "text = 'use selectinload(P.tasks)'",
        ],
    },
    EXPIRE: {
        "found": [
            "Session = async_sessionmaker(engine, expire_on_commit=False)",
            "from sqlalchemy.ext.asyncio import async_sessionmaker as maker\nSession = maker(engine, expire_on_commit=False)",
            "import sqlalchemy.ext.asyncio as sa\nSession = sa.async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)",
        ],
        "not found": [
            "Session = async_sessionmaker(engine)",
            "Session = async_sessionmaker(engine, expire_on_commit=True)",
            "from sqlalchemy.orm import sessionmaker\nSession = sessionmaker(engine, expire_on_commit=False)",
        ],
    },
    ASYNC_SESSION: {
        "found": [
            "from sqlmodel.ext.asyncio.session import AsyncSession",
            "from sqlmodel.ext.asyncio.session import AsyncSession as S",
            "import sqlmodel.ext.asyncio.session as sessions\nsession = sessions.AsyncSession(engine)",
            "from sqlmodel.ext.asyncio import session as sessions\nsession = sessions.AsyncSession(engine)",
        ],
        "not found": [
            "from sqlalchemy.ext.asyncio import AsyncSession",
            "from sqlmodel import Session",
            "import sqlmodel\n# from sqlmodel.ext.asyncio.session import AsyncSession",
        ],
    },
    YIELDS: {
        "found": [
            "async def get_session():\n    async with Session() as session:\n        yield session",
            "async def dependency():\n    yield 1",
            "class Deps:\n    async def session(self):\n        yield make()",
        ],
        "not found": [
            "def get_session():\n    with Session() as session:\n        yield session",
            "async def get_session():\n    return Session()",
            "async def outer():\n    def inner():\n        yield 1\n    return list(inner())",
        ],
    },
    UNAWAITED: {
        "found": [
            "async def f(session):\n    session.commit()",
            "async def f(self):\n    self.session.execute(query)",
            "async def f(db_session, task):\n    db_session.refresh(task)",
            "async def f(session):\n    await asyncio.gather(session.get(A, 1), session.get(A, 2))",
        ],
        "not found": [
            "async def f(session):\n    await session.commit()",
            "async def f(self):\n    await self.session.execute(query)",
            "async def f(session, task):\n    session.add(task)\n    async with session.begin():\n        pass",
            "async def f(session):\n    await asyncio.wait_for(session.commit(), 5)",
        ],
    },
}

CASES = [pytest.param(rule, source, expected == "found", id=f"{rule.kind}-{rule.message}-{expected}-{n}")
         for rule, groups in SAMPLES.items() for expected, sources in groups.items() for n, source in enumerate(sources)]


def test_every_kind_has_three_samples_each_way():
    """Is every rule kind the checker knows tested both ways, at least three times each?"""
    from skillbook.learner.generated import KINDS

    for kind in KINDS:
        groups = [groups for rule, groups in SAMPLES.items() if rule.kind == kind]
        assert groups, f"no samples for {kind}"
        assert all(len(g["found"]) >= 3 and len(g["not found"]) >= 3 for g in groups), kind


@pytest.mark.parametrize("rule, source, found", CASES)
def test_rule_finds_the_pattern_however_it_is_written(rule, source, found):
    """Does the rule find the pattern through aliases, references and attribute chains, and only there?"""
    error, findings = check_source(source, [rule])
    assert error is None
    # A required pattern that is found passes; a forbidden one that is found fails (with its lines).
    assert findings[0].ok == (found if rule.level == "require" else not found), findings[0]
    if found and rule.level == "forbid":
        assert findings[0].where.startswith("line ")


def test_a_lesson_in_parts_checks_one_part_on_request(tmp_path, capsys):
    """`check-generated --lesson L09 --example service_layer.py` holds a service module to the service
    layer's rules only (no FastAPI lifespan asked of it); without --example it gets the whole checklist and
    is told about the parts; an unknown part is a one-line error."""
    from skillbook.cli import main

    service = tmp_path / "service.py"
    service.write_text(
        "from sqlmodel import func, select\n"
        "async def save(session, obj):\n"
        "    session.add(obj)\n"
        "    try:\n"
        "        await session.commit()\n"
        "    except Exception:\n"
        "        await session.rollback()\n"
        "        raise\n"
        "async def total(session, statement):\n"
        "    return (await session.exec(select(func.count()).select_from(statement.subquery()))).one()\n"
    )
    assert main(["check-generated", str(service), "--lesson", "L09", "--example", "service_layer.py"]) == 0
    assert "missing" not in capsys.readouterr().out
    assert main(["check-generated", str(service), "--lesson", "L09"]) == 1
    said = capsys.readouterr().out
    assert "missing: a lifespan" in said and "--example production_patterns.py" in said
    assert main(["check-generated", str(service), "--lesson", "L09", "--example", "service_layer.py"]) == 0
    capsys.readouterr()
    service.write_text(service.read_text().replace("await session.rollback()", "pass"))
    assert main(["check-generated", str(service), "--lesson", "L09", "--example", "service_layer.py"]) == 1
    assert "missing: a commit that fails is rolled back" in capsys.readouterr().out
    service.write_text(service.read_text().replace("select(func.count())", "select(statement.subquery())")
                       + "async def setup(engine):\n    async with engine.begin() as conn:\n        pass\n")
    assert main(["check-generated", str(service), "--lesson", "L09", "--example", "service_layer.py"]) == 1
    said = capsys.readouterr().out  # engine.begin() is not the session's; len() of rows is not func.count
    assert "missing: a commit that fails is rolled back" in said and "missing: page totals counted" in said
    assert main(["check-generated", str(service), "--lesson", "L09", "--example", "nope.py"]) != 0
