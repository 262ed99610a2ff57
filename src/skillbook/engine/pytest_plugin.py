"""The pytest plugin that turns grader checks into exercise results.

Each grader test is marked with the exercise it checks (and optionally a weight):

    @pytest.mark.exercise("L05.create_task", weight=2)
    async def test_create_task_persists(learner, session): ...

Every finished check is appended to the --results file as one JSON line, so the parent process
keeps every result even if the learner's code later kills this process; so is every check that
starts ({"event": "running", ...}), so a learner can see what a slow check is doing.
"""

import functools
import inspect
import json
import traceback

import pytest

from skillbook.engine.limits import TimeLimitExceeded, alarm, out_of_memory, run_limited
from skillbook.engine.loading import learner as learner_view
from skillbook.engine.loading.state import place_of

RESULTS_KEY = pytest.StashKey[str]()
RESERVE_BYTES = 32 * 1024 * 1024


def pytest_addoption(parser):
    group = parser.getgroup("skillbook")
    group.addoption("--notebook", help="the learner's notebook to grade")
    group.addoption("--results", help="append one JSON line per check to this file")
    group.addoption("--check-seconds", type=float, default=20.0, help="time limit for one check")
    group.addoption("--cell-seconds", type=float, default=30.0, help="time limit for one notebook cell")
    group.addoption("--load-seconds", type=float, default=120.0, help="time limit for running the whole notebook")
    group.addoption("--known-checks", help="with --collect-only: write every check (name, exercise, weight) to this JSON file")


def pytest_configure(config):
    global _reserve
    _reserve = bytearray(RESERVE_BYTES)
    config.addinivalue_line("markers", "exercise(id, weight=1): the exercise a check belongs to")
    if config.getoption("results"):
        config.stash[RESULTS_KEY] = config.getoption("results")


def _exercise(item) -> tuple[str | None, float]:
    marker = item.get_closest_marker("exercise")
    if marker is None:
        return None, 0.0
    return marker.args[0], float(marker.kwargs.get("weight", 1))


def _limited(function, seconds: float, what: str):
    if inspect.iscoroutinefunction(function):
        @functools.wraps(function)
        async def limited_coroutine(*args, **kwargs):
            return await run_limited(function(*args, **kwargs), seconds, what)

        return limited_coroutine

    @functools.wraps(function)
    def limited(*args, **kwargs):
        with alarm(seconds, what):
            return function(*args, **kwargs)

    return limited


def pytest_collection_modifyitems(config, items):
    seconds = config.getoption("check_seconds")
    for item in items:
        exercise, _ = _exercise(item)
        if exercise is None:
            raise pytest.UsageError(f"{item.nodeid} has no @pytest.mark.exercise(...): every check belongs to an exercise")
        item.obj = _limited(item.obj, seconds, "this check")
    known = config.getoption("known_checks")
    if known:
        checks = []
        for item in items:
            exercise, weight = _exercise(item)
            checks.append({"name": item.name, "function": getattr(item, "originalname", item.name),
                           "exercise": exercise, "weight": weight})
        with open(known, "w", encoding="utf-8") as out:
            json.dump(checks, out)


def _first_line_of_assertion(exc: AssertionError) -> str:
    text = str(exc)
    # pytest's assertion rewriting appends "assert <expr>" after our message; the learner needs ours.
    return text.split("\nassert ")[0].strip() or "a check failed"


def _learner_location(tb) -> str:
    """' in get_task_tree (the cell under “Exercise 3 · …”, line 4)': the innermost frame of the learner's code."""
    where = ""
    for frame, lineno in traceback.walk_tb(tb):
        name = frame.f_code.co_filename
        if name.startswith("<notebook cell "):
            function = frame.f_code.co_name
            inside = f" in {function}" if function.isidentifier() else ""
            where = f"{inside} ({place_of(name)}, line {lineno})"
    return where


def describe_failure(excinfo) -> str:
    """What went wrong, in words for the learner: our message, or what their code raised and where."""
    exc = excinfo.value
    where = _learner_location(excinfo.tb)
    if isinstance(exc, TimeLimitExceeded):
        return f"Your code did not finish within {exc.seconds:g} s{where}: an endless loop, or an await that never returns?"
    if isinstance(exc, AssertionError):
        return _first_line_of_assertion(exc)
    if isinstance(exc, MemoryError):
        return out_of_memory(where)
    first = (str(exc).splitlines() or [""])[0][:300]
    if where:
        return f"Your code raised {type(exc).__name__}: {first}{where}"
    return f"Calling your code failed with {type(exc).__name__}: {first}"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """A name the notebook lacks is explained by the answer cell of the exercise being checked."""
    learner_view.checking(_exercise(item)[0])


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item):
    """Say which check starts (its fixtures, the notebook's cells among them, are ready), for a
    learner watching a slow check."""
    path = item.config.stash.get(RESULTS_KEY, None)
    if path is not None:
        exercise, _ = _exercise(item)
        record = {"event": "running", "exercise": exercise, "check": item.name,
                  "question": (item.obj.__doc__ or "").strip()}
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")


_reserve: bytearray | None = None  # memory set aside so that a check that ran out can still be reported


def _free_after_memory_error(call) -> None:
    """After a MemoryError, drop what the learner's frames held (their locals: the list that grew) and the
    reserve, so that pytest can build the report and run the clean-up instead of failing inside itself."""
    global _reserve
    excinfo = call.excinfo
    if excinfo is None or not any(isinstance(e, MemoryError) for e in _chain(excinfo.value)):
        return
    _reserve = None
    for error in _chain(excinfo.value):
        traceback.clear_frames(error.__traceback__)


def _limit_hit(item, call) -> str | None:
    """"time" or "memory" when a limit decided this failure: in the check, or in a notebook cell it needed."""
    if call.excinfo is not None:
        for error in _chain(call.excinfo.value):
            if isinstance(error, TimeLimitExceeded):
                return "time"
            if isinstance(error, MemoryError):
                return "memory"
    learner = getattr(item, "funcargs", {}).get("learner")
    for error in getattr(learner, "errors", []) if learner is not None else []:
        if error.kind in ("timeout", "memory"):
            return "time" if error.kind == "timeout" else "memory"
    return None


def _chain(exc):
    seen = []
    while exc is not None and exc not in seen and len(seen) < 20:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    global _reserve
    _free_after_memory_error(call)
    report = yield
    if _reserve is None:
        try:
            _reserve = bytearray(RESERVE_BYTES)
        except MemoryError:
            pass
    path = item.config.stash.get(RESULTS_KEY, None)
    if path is None:
        return report
    exercise, weight = _exercise(item)
    record = None
    if report.skipped and report.when in ("setup", "call"):  # scored as failed: a check forces what it proves
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr or "")
        record = {"event": "check", "exercise": exercise, "check": item.name, "weight": weight, "passed": False,
                  "skipped": True, "message": reason.removeprefix("Skipped: "), "question": (item.obj.__doc__ or "").strip()}
    elif report.when == "call" or (report.when == "setup" and report.failed):
        passed = report.passed
        message = "" if passed else describe_failure(call.excinfo) if call.excinfo else "failed"
        record = {"event": "check", "exercise": exercise, "check": item.name, "weight": weight,
                  "passed": passed, "message": message, "question": (item.obj.__doc__ or "").strip()}
        if not passed and (limit := _limit_hit(item, call)):
            record["limit"] = limit  # the parent does not cache such a result
    elif report.when == "teardown" and report.failed:
        record = {"event": "check", "exercise": exercise, "check": item.name + " (clean-up)", "weight": 0,
                  "passed": False, "message": describe_failure(call.excinfo) if call.excinfo else "clean-up failed"}
    if record is not None:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
    return report
