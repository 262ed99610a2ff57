"""L01: realistic wrong answers and correct alternatives, as data (see __init__.py)."""

LOAD_HEADER = """from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError
"""
RATE_HEADER = """from sqlalchemy import Float, case, cast, func, select, text
"""

# id -> (cell replacements, the exercise id, or ids, it breaks)
WRONG = {
    "load-never-commits": (
        {"L01-load_runs": LOAD_HEADER + """
async def load_runs(conn, runs):
    if not runs:
        return 0
    await conn.execute(insert(tool_runs), runs)
    return len(runs)
"""},
        "L01.load_runs",
    ),
    "load-commits-row-by-row": (
        {"L01-load_runs": LOAD_HEADER + """
async def load_runs(conn, runs):
    stored = 0
    for run in runs:
        await conn.execute(insert(tool_runs).values(**run))
        await conn.commit()
        stored += 1
    return stored
"""},
        "L01.load_runs",
    ),
    "load-swallows-the-error": (
        {"L01-load_runs": LOAD_HEADER + """
async def load_runs(conn, runs):
    if not runs:
        return 0
    try:
        async with conn.begin():
            await conn.execute(insert(tool_runs), runs)
    except IntegrityError:
        return 0
    return len(runs)
"""},
        "L01.load_runs",
    ),
    "load-no-rollback-before-raising": (
        {"L01-load_runs": LOAD_HEADER + """
async def load_runs(conn, runs):
    if not runs:
        return 0
    await conn.execute(insert(tool_runs), runs)
    await conn.commit()
    return len(runs)
"""},
        "L01.load_runs",
    ),
    "load-forgets-the-empty-batch": (
        {"L01-load_runs": LOAD_HEADER + """
async def load_runs(conn, runs):
    async with conn.begin():
        await conn.execute(insert(tool_runs), runs)
    return len(runs)
"""},
        "L01.load_runs",
    ),
    "rate-python-loop": (
        {"L01-failure_rate_by_tool": RATE_HEADER + """
async def failure_rate_by_tool(conn):
    totals, failures = {}, {}
    for tool, status in (await conn.execute(select(tool_runs.c.tool, tool_runs.c.status))).all():
        totals[tool] = totals.get(tool, 0) + 1
        failures[tool] = failures.get(tool, 0) + (status != "ok")
    return {tool: failures[tool] / totals[tool] for tool in totals}
"""},
        "L01.failure_rate_by_tool",
    ),
    "rate-integer-division": (
        {"L01-failure_rate_by_tool": RATE_HEADER + """
async def failure_rate_by_tool(conn):
    rows = await conn.execute(text(
        "SELECT tool, SUM(CASE WHEN status != 'ok' THEN 1 ELSE 0 END) / COUNT(*) FROM tool_run GROUP BY tool"
    ))
    return {tool: float(rate) for tool, rate in rows}
"""},
        "L01.failure_rate_by_tool",
    ),
    "rate-ignores-timeouts": (
        {"L01-failure_rate_by_tool": RATE_HEADER + """
async def failure_rate_by_tool(conn):
    failed = case((tool_runs.c.status == "error", 1.0), else_=0.0)
    rows = await conn.execute(select(tool_runs.c.tool, func.avg(failed)).group_by(tool_runs.c.tool))
    return {tool: float(rate) for tool, rate in rows}
"""},
        "L01.failure_rate_by_tool",
    ),
    "rate-where-drops-tools-without-failures": (
        {"L01-failure_rate_by_tool": RATE_HEADER + """
async def failure_rate_by_tool(conn):
    totals = dict((await conn.execute(select(tool_runs.c.tool, func.count()).group_by(tool_runs.c.tool))).all())
    failed = (await conn.execute(
        select(tool_runs.c.tool, func.count()).where(tool_runs.c.status != "ok").group_by(tool_runs.c.tool)
    )).all()
    return {tool: count / totals[tool] for tool, count in failed}
"""},
        "L01.failure_rate_by_tool",
    ),
    "rate-decimal-values": (
        {"L01-failure_rate_by_tool": RATE_HEADER + """
async def failure_rate_by_tool(conn):
    failed = func.sum(case((tool_runs.c.status != "ok", 1), else_=0))
    rows = await conn.execute(select(tool_runs.c.tool, failed / func.count()).group_by(tool_runs.c.tool))
    return dict(rows.all())
"""},
        "L01.failure_rate_by_tool",
    ),
    "load-fills-in-missing-values": (
        {"L01-load_runs": LOAD_HEADER + """
DEFAULTS = {"agent": "unknown", "duration_ms": 0}

async def load_runs(conn, runs):
    if not runs:
        return 0
    # "be forgiving": a run without an agent or a duration gets a default instead of failing the batch
    cleaned = [{**run, **{k: v for k, v in DEFAULTS.items() if run.get(k) is None}} for run in runs]
    async with conn.begin():
        await conn.execute(insert(tool_runs), cleaned)
    return len(cleaned)
"""},
        "L01.load_runs",
    ),
    "load-validation-crashes-on-none": (
        {"L01-load_runs": LOAD_HEADER + """
async def load_runs(conn, runs):
    for run in runs:
        if run["duration_ms"] < 0 or run["status"] not in ("ok", "error", "timeout"):
            raise ValueError(f"bad run {run['run_id']}")
    if not runs:
        return 0
    async with conn.begin():
        await conn.execute(insert(tool_runs), runs)
    return len(runs)
"""},
        "L01.load_runs",
    ),
    "load-commits-in-chunks": (
        {"L01-load_runs": LOAD_HEADER + """
CHUNK = 100  # keep each statement small

async def load_runs(conn, runs):
    for start in range(0, len(runs), CHUNK):
        async with conn.begin():
            await conn.execute(insert(tool_runs), runs[start:start + CHUNK])
    return len(runs)
"""},
        "L01.load_runs",
    ),
    "load-begins-before-the-empty-check": (
        {"L01-load_runs": LOAD_HEADER + """
async def load_runs(conn, runs):
    await conn.begin()
    if not runs:
        return 0
    try:
        await conn.execute(insert(tool_runs), runs)
    except Exception:
        await conn.rollback()
        raise
    await conn.commit()
    return len(runs)
"""},
        "L01.load_runs",
    ),
    "rate-one-query-per-tool": (
        {"L01-failure_rate_by_tool": RATE_HEADER + """
async def failure_rate_by_tool(conn):
    tools = (await conn.execute(select(tool_runs.c.tool).distinct())).scalars().all()
    rates = {}
    for tool in tools:
        failed = case((tool_runs.c.status.in_(["error", "timeout"]), 1.0), else_=0.0)
        rate = await conn.scalar(select(func.avg(failed)).where(tool_runs.c.tool == tool))
        rates[tool] = float(rate)
    return rates
"""},
        "L01.failure_rate_by_tool",
    ),
}

ALTERNATIVES = {
    "load-text-sql-explicit-commit": {
        "L01-load_runs": LOAD_HEADER + """
INSERT_RUN = text(
    "INSERT INTO tool_run (run_id, agent, tool, status, duration_ms) "
    "VALUES (:run_id, :agent, :tool, :status, :duration_ms)"
)

async def load_runs(conn, runs):
    if len(runs) == 0:
        return 0
    try:
        await conn.execute(INSERT_RUN, runs)
    except Exception:
        await conn.rollback()
        raise
    await conn.commit()
    return len(runs)
"""
    },
    "load-validates-in-python-first": {
        "L01-load_runs": LOAD_HEADER + """
ALLOWED = {"ok", "error", "timeout"}

def validate(run):
    if not run.get("tool") or not run.get("agent") or not run.get("run_id"):
        raise ValueError(f"run {run.get('run_id')!r} lacks a tool, agent or id")
    if run.get("status") not in ALLOWED:
        raise ValueError(f"run {run['run_id']!r} has status {run['status']!r}")
    if not isinstance(run["duration_ms"], int) or run["duration_ms"] < 0:
        raise ValueError(f"run {run['run_id']!r} has no duration or a negative one")

async def load_runs(conn, runs: list[dict]) -> int:
    for run in runs:
        validate(run)
    if len({run["run_id"] for run in runs}) != len(runs):
        raise ValueError("the batch repeats a run_id")
    if runs:
        async with conn.begin():
            for run in runs:  # one statement per run, still one transaction
                await conn.execute(insert(tool_runs), run)
    return len(runs)
"""
    },
    "rate-count-filter-and-cast": {
        "L01-failure_rate_by_tool": RATE_HEADER + """
async def failure_rate_by_tool(conn):
    failed = func.count().filter(tool_runs.c.status.in_(("error", "timeout")))
    rate = cast(failed, Float) / func.count()
    result = await conn.execute(select(tool_runs.c.tool.label("tool"), rate.label("rate")).group_by(tool_runs.c.tool))
    return {row.tool: float(row.rate) for row in result}
"""
    },
    "rate-text-sql-two-groups": {
        "L01-failure_rate_by_tool": RATE_HEADER + """
QUERY = text(
    "SELECT tool, status != 'ok' AS failed, COUNT(*) AS n FROM tool_run GROUP BY tool, status != 'ok'"
)

async def failure_rate_by_tool(conn):
    counts = {}
    for tool, failed, n in await conn.execute(QUERY):
        total, bad = counts.get(tool, (0, 0))
        counts[tool] = (total + n, bad + (n if failed else 0))
    return {tool: bad / total for tool, (total, bad) in counts.items()}
"""
    },
    "load-chunks-in-one-transaction": {
        "L01-load_runs": LOAD_HEADER + """
CHUNK = 100

async def load_runs(conn, runs):
    if not runs:
        return 0
    transaction = await conn.begin()
    try:
        for start in range(0, len(runs), CHUNK):  # small statements, one transaction
            await conn.execute(insert(tool_runs), runs[start:start + CHUNK])
    except BaseException:
        await transaction.rollback()
        raise
    await transaction.commit()
    return len(runs)
"""
    },
}
