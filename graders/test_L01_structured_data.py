"""Graders for L01: loading an agent's run history into a table with constraints, and asking it in SQL.

The histories are generated here, at grading time, with a new seed every run: the learner never sees them.
"""

import random
import secrets

import pytest
from sqlalchemy import CheckConstraint, Column, Integer, MetaData, String, Table, event, insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

load_runs = pytest.mark.exercise("L01.load_runs", weight=1)
failure_rate = pytest.mark.exercise("L01.failure_rate_by_tool", weight=1)

# The exercise's table, exactly as the lesson's setup cell declares it. The graders create their own
# copy, so a learner who edits the setup cell still meets the table the exercise text describes.
metadata = MetaData()
TOOL_RUN = Table(
    "tool_run",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", String(64), nullable=False, unique=True),
    Column("agent", String(100), nullable=False),
    Column("tool", String(100), nullable=False),
    Column("status", String(10), nullable=False),
    Column("duration_ms", Integer, nullable=False),
    CheckConstraint("length(tool) > 0", name="ck_tool_run_tool_not_empty"),
    CheckConstraint("status IN ('ok', 'error', 'timeout')", name="ck_tool_run_status"),
    CheckConstraint("duration_ms >= 0", name="ck_tool_run_duration"),
)
FIELDS = ("run_id", "agent", "tool", "status", "duration_ms")
TOOLS = ["web_search", "sql_query", "send_email", "read_file", "run_code", "calendar", "translate", "summarise"]
AGENTS = ["planner", "researcher", "mailer", "coder"]
REJECTED = (IntegrityError, ValueError)


@pytest.fixture
async def tool_run(engine):
    """An empty tool_run table for one check (dropped first, in case the notebook left one behind)."""
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
        await conn.run_sync(metadata.create_all)
    yield TOOL_RUN
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)


@pytest.fixture
def rng():
    return random.Random(secrets.randbits(64))


def history(rng: random.Random, n: int, prefix: str) -> list[dict]:
    """n valid runs over 4-6 tools: one tool never fails, one always fails (timeouts included)."""
    tools = rng.sample(TOOLS, k=rng.randint(4, 6))
    failure_odds = {tools[0]: 0.0, tools[1]: 1.0} | {t: rng.uniform(0.15, 0.75) for t in tools[2:]}
    tag = secrets.token_hex(3)
    runs = []
    for i in range(n):
        tool = tools[i % len(tools)] if i < 2 * len(tools) else rng.choice(tools)
        if rng.random() < failure_odds[tool]:
            status = "timeout" if i == 1 else rng.choice(["error", "timeout"])
        else:
            status = "ok"
        runs.append({
            "run_id": f"{prefix}-{tag}-{i:04d}",
            "agent": rng.choice(AGENTS),
            "tool": tool,
            "status": status,
            "duration_ms": 0 if i == 0 else rng.randint(1, 30_000),
        })
    rng.shuffle(runs)
    return runs


def expected_rates(runs: list[dict]) -> dict[str, float]:
    totals: dict[str, list[int]] = {}
    for run in runs:
        counts = totals.setdefault(run["tool"], [0, 0])
        counts[0] += 1
        counts[1] += run["status"] != "ok"
    return {tool: failed / total for tool, (total, failed) in totals.items()}


async def stored(engine) -> list[tuple]:
    """What a new connection sees: only committed rows."""
    async with engine.connect() as conn:
        rows = await conn.execute(select(*(TOOL_RUN.c[f] for f in FIELDS)).order_by(TOOL_RUN.c.run_id))
        return [tuple(r) for r in rows]


def as_rows(runs: list[dict]) -> list[tuple]:
    return sorted(tuple(run[f] for f in FIELDS) for run in runs)


async def insert_directly(engine, runs: list[dict]) -> None:
    async with engine.begin() as conn:
        await conn.execute(insert(TOOL_RUN), runs)


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [""])[0][:150]


async def call_load_runs(learner, engine, runs: list[dict]):
    """The learner's load_runs on a new connection with no transaction open, as the exercise promises."""
    async with engine.connect() as conn:
        return await learner.load_runs(conn, [dict(run) for run in runs])


async def load_good_batch(learner, engine, runs: list[dict]) -> None:
    try:
        await call_load_runs(learner, engine, runs)
    except Exception as exc:
        raise AssertionError(
            f"load_runs failed on a batch of {len(runs)} valid runs ({type(exc).__name__}: {_first_line(exc)}); "
            "make valid batches load before worrying about invalid ones."
        ) from None


# ---------------------------------------------------------------- load_runs


@pytest.mark.exercise("L01.load_runs", weight=2)
async def test_load_runs_stores_every_run(learner, engine, tool_run, rng):
    """Does load_runs store every run of a batch, committed, and return how many it stored?"""
    runs = history(rng, rng.randint(120, 200), "run")
    count = await call_load_runs(learner, engine, runs)
    saved = await stored(engine)
    assert saved, (
        f"load_runs returned {count!r}, but a new connection sees none of the {len(runs)} runs: "
        "they were never committed. Commit at the end (`async with conn.begin():` or `await conn.commit()`)."
    )
    assert saved == as_rows(runs), (
        f"A new connection sees {len(saved)} rows that differ from the {len(runs)} runs you were given: "
        "insert every run once, with its fields unchanged."
    )
    assert count == len(runs) and not isinstance(count, bool), f"load_runs stored {len(runs)} runs but returned {count!r}; return how many runs it stored."


@load_runs
async def test_load_runs_accepts_an_empty_batch(learner, engine, tool_run):
    """Does an empty batch return 0, raise nothing, send no INSERT and leave no transaction open?"""
    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        async with engine.connect() as conn:
            count = await learner.load_runs(conn, [])
            left_open = conn.in_transaction()
    except Exception as exc:
        raise AssertionError(
            f"load_runs([]) raised {type(exc).__name__} ({_first_line(exc)}). An agent with no new runs calls it "
            "with an empty list: return 0 before touching the database."
        ) from None
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert count == 0 and not isinstance(count, bool), f"load_runs([]) returned {count!r}; it should return 0."
    assert await stored(engine) == [], "load_runs([]) stored a row; an empty batch stores nothing."
    inserts = [s for s in sent if s.lstrip().upper().startswith("INSERT")]
    assert not inserts, f"load_runs([]) sent {inserts[0].split('(')[0].strip()!r} for an empty batch; send nothing and return 0."
    assert not left_open, (
        "load_runs([]) returned with a transaction still open on the connection: it began one and never "
        "committed or rolled it back. Return 0 before you begin, or let `async with conn.begin():` end it."
    )


def _break(kind: str, batch: list[dict], earlier: list[dict], at: int | None = None) -> str:
    """Spoil the run at index `at` (the middle by default); return what was wrong with it, in words."""
    at = len(batch) // 2 if at is None else at
    victim = batch[at]
    if kind == "status":
        victim["status"] = "failed"
        return "a status of 'failed' (allowed: ok, error, timeout)"
    if kind == "duration":
        victim["duration_ms"] = -1
        return "a negative duration_ms"
    if kind == "empty_tool":
        victim["tool"] = ""
        return "an empty tool name"
    if kind.startswith("null_"):
        column = kind.removeprefix("null_")
        victim[column] = None
        return f"{column} None (NOT NULL)"
    if kind == "duplicate_in_batch":
        victim["run_id"] = batch[1 if at != 1 else 0]["run_id"]
        return "a run_id that appears twice in the batch"
    if kind == "already_stored":
        victim["run_id"] = earlier[0]["run_id"]
        return "a run_id that is already stored"
    raise ValueError(kind)


VIOLATIONS = ["status", "duration", "empty_tool", "null_agent", "null_tool", "null_status", "null_duration_ms",
              "null_run_id", "duplicate_in_batch", "already_stored"]


async def expect_rejected(learner, engine, batch: list[dict], what: str, earlier: list[dict]) -> None:
    """load_runs must raise for `batch` and leave exactly the `earlier` runs stored."""
    try:
        await call_load_runs(learner, engine, batch)
    except REJECTED:
        pass
    except Exception as exc:
        raise AssertionError(
            f"For a batch with {what}, load_runs raised {type(exc).__name__} ({_first_line(exc)}); "
            "let the database's IntegrityError through (or raise ValueError yourself)."
        ) from None
    else:
        raise AssertionError(
            f"load_runs accepted a batch with {what} without raising. Do not catch the IntegrityError and "
            "carry on, and do not fill in or skip bad values: the caller must learn that the batch was rejected."
        )
    saved = await stored(engine)
    extra = len(saved) - len(earlier)
    assert saved == as_rows(earlier), (
        f"After rejecting a batch with {what}, {extra} of its runs were stored anyway. "
        "Insert the whole batch in one transaction, so one bad run rolls back all of it."
    )


@pytest.mark.parametrize("kind", VIOLATIONS)
@pytest.mark.exercise("L01.load_runs", weight=0.4)
async def test_load_runs_rejects_a_bad_batch_whole(learner, engine, tool_run, rng, kind):
    """Is a batch with one run that breaks the table's rules (a NULL included) rejected with an error, and none of it stored?"""
    earlier = history(rng, 12, "first")
    await load_good_batch(learner, engine, earlier)
    batch = history(rng, 20, "second")
    what = _break(kind, batch, earlier)
    await expect_rejected(learner, engine, batch, what, earlier)


# Where the bad run sits and how big the batch is: (runs in the batch, index of the bad run, what is wrong).
SHAPES = {
    "first": (20, 0, "duration"),
    "last": (20, -1, "duplicate_in_batch"),
    "last_of_300": (300, -1, "status"),
    "alone": (1, 0, "null_tool"),
}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.exercise("L01.load_runs", weight=0.5)
async def test_load_runs_rejects_a_bad_run_anywhere(learner, engine, tool_run, rng, shape):
    """Is the batch rejected whole wherever the bad run sits (first, last, last of 300) and when it is alone?"""
    earlier = history(rng, 12, "first")
    await load_good_batch(learner, engine, earlier)
    size, at, kind = SHAPES[shape]
    batch = history(rng, size, "second")
    what = _break(kind, batch, earlier, at=at % size) + f" as run {at % size + 1} of {size}"
    await expect_rejected(learner, engine, batch, what, earlier)


@pytest.mark.exercise("L01.load_runs", weight=1)
async def test_connection_is_usable_after_a_rejected_batch(learner, engine, tool_run, rng):
    """After rejecting a batch, can the same connection load the next one, without leftovers of the bad one?"""
    bad = history(rng, 20, "bad")
    bad[len(bad) // 2]["status"] = "finished"
    good = history(rng, 15, "good")
    async with engine.connect() as conn:
        try:
            await learner.load_runs(conn, bad)
        except REJECTED:
            pass
        except Exception as exc:
            raise AssertionError(f"load_runs raised {type(exc).__name__} for a bad batch; let the IntegrityError through.") from None
        else:
            raise AssertionError("load_runs accepted a run with status 'finished'; it must raise.")
        try:
            count = await learner.load_runs(conn, good)
        except SQLAlchemyError as exc:
            raise AssertionError(
                "After a rejected batch, the next load_runs on the same connection failed "
                f"({type(exc).__name__}: {_first_line(exc)}). Roll back before you raise "
                "(`async with conn.begin():` does it for you)."
            ) from None
    saved = await stored(engine)
    assert saved == as_rows(good), (
        f"After a rejected batch and a good one, a new connection sees {len(saved)} rows instead of the "
        f"{len(good)} good runs: rows of the rejected batch were committed with the next one. Roll back the "
        "failed transaction before raising."
    )
    assert count == len(good), f"load_runs returned {count!r} for {len(good)} runs."


# ---------------------------------------------------------------- failure_rate_by_tool


async def call_failure_rate(learner, engine) -> tuple[dict, int, int]:
    """The learner's result, the rows the database sent back, and the statements it ran."""
    counts = {"rows": 0, "statements": 0}

    def count_rows(conn, cursor, statement, parameters, context, executemany):
        if cursor.description is not None:
            counts["statements"] += 1
            rows = getattr(cursor, "_rows", None)  # the async adapters' buffered result rows
            counts["rows"] += len(rows) if rows is not None else 0

    event.listen(engine.sync_engine, "after_cursor_execute", count_rows)
    try:
        async with engine.connect() as conn:
            result = await learner.failure_rate_by_tool(conn)
    finally:
        event.remove(engine.sync_engine, "after_cursor_execute", count_rows)
    assert isinstance(result, dict), f"failure_rate_by_tool returned {type(result).__name__}; return a dict of tool name -> rate."
    return result, counts["rows"], counts["statements"]


def _compare(result: dict, expected: dict) -> None:
    missing = sorted(set(expected) - set(result))
    extra = sorted(set(result) - set(expected), key=str)
    assert not missing, (
        f"Tools {missing} are missing from your result, though they have runs (the ones with no failures, "
        "perhaps?). A WHERE status != 'ok' drops them before grouping; count failures with CASE instead."
    )
    assert not extra, f"Your result has keys {extra} that are not tools in the table."
    for tool, rate in expected.items():
        got = result[tool]
        try:
            value = float(got)
        except (TypeError, ValueError):
            raise AssertionError(f"The rate for {tool!r} is {got!r}, not a number.") from None
        if abs(value - rate) > 1e-9:
            hint = ""
            if value > 1:
                hint = " Rates are fractions between 0 and 1, not percentages."
            elif value in (0.0, 1.0) and 0 < rate < 1:
                hint = " Integer division? In SQL 3 / 4 is 0: divide by a float (1.0 * failed / total) or average a CASE of 1.0 and 0.0."
            else:
                hint = " A run failed when its status is 'error' or 'timeout' (timeouts count too)."
            raise AssertionError(f"For {tool!r} you returned {got!r}; the failure rate is {rate:.4f}.{hint}")


@pytest.mark.exercise("L01.failure_rate_by_tool", weight=3)
async def test_failure_rates_are_right(learner, engine, tool_run, rng):
    """On a history the learner never saw, is every tool's share of failed runs (error or timeout) right?"""
    runs = history(rng, rng.randint(300, 500), "hist")
    await insert_directly(engine, runs)
    result, _, _ = await call_failure_rate(learner, engine)
    _compare(result, expected_rates(runs))


@failure_rate
async def test_failure_rates_are_floats(learner, engine, tool_run, rng):
    """Are the rates plain Python floats (not Decimal, not strings), as the signature promises?"""
    await insert_directly(engine, history(rng, 60, "types"))
    result, _, _ = await call_failure_rate(learner, engine)
    wrong = {tool: type(rate).__name__ for tool, rate in result.items() if not isinstance(rate, float)}
    assert not wrong, (
        f"Some rates are not floats: {wrong}. Dividing in SQL can give Decimal (NUMERIC): "
        "convert each value with float() before returning."
    )


@failure_rate
async def test_failure_rates_of_an_empty_history(learner, engine, tool_run):
    """Does an empty table give an empty dict (and no division by zero)?"""
    result, _, _ = await call_failure_rate(learner, engine)
    assert result == {}, f"With no runs stored, failure_rate_by_tool returned {result!r}; return {{}}."


@pytest.mark.exercise("L01.failure_rate_by_tool", weight=2)
async def test_failure_rates_are_computed_by_the_database(learner, engine, tool_run, rng):
    """Does the database do the counting, sending back a row per tool rather than every run?"""
    runs = history(rng, 600, "sql")
    await insert_directly(engine, runs)
    result, rows, statements = await call_failure_rate(learner, engine)
    tools = len(expected_rates(runs))
    assert statements and rows, (
        f"failure_rate_by_tool returned {result!r} without the database sending back a row: ask it, with a SELECT that groups by tool."
    )
    assert rows <= 3 * tools, (
        f"The database sent back {rows} rows for {tools} tools: you fetched the runs and "
        "counted in Python. Let SQL do it: SELECT tool, ... GROUP BY tool returns one row per tool."
    )


@failure_rate
async def test_failure_rates_take_one_query(learner, engine, tool_run, rng):
    """Is the answer one query, whatever the number of tools (not one query per tool)?"""
    runs = history(rng, 200, "one")
    await insert_directly(engine, runs)
    _, _, statements = await call_failure_rate(learner, engine)
    assert statements == 1, (
        f"failure_rate_by_tool sent {statements} queries for {len(expected_rates(runs))} tools. One SELECT that "
        "groups by tool answers for every tool at once: no query per tool, no second query for the totals."
    )
