"""Graders for L09, one exercise a step: filter_conditions, paginate, save, ServiceBase, TaskService,
create_app, and the learner's own tests of the app (app_tests).

Each exercise is graded on its own. The checks of a step that builds on earlier ones run the
learner's cell again with the course's correct versions of those (graders/apps/reference.py) in
place of the learner's: a bug in filter_conditions costs points there, not again in ServiceBase or
create_app. The app checks build `create_app(DATABASE_URL)`, run its lifespan and talk to it
through httpx. The learner's tests run (taskflow.testing.run_tests) against a correct app and
against apps with one mistake each (graders/apps/). Every check starts from empty tables.
"""

import asyncio
import importlib
import importlib.util
import inspect as pyinspect
import linecache
import sys
import types
import uuid
from ast import PyCF_ALLOW_TOP_LEVEL_AWAIT
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, event, func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.pool import Pool
from sqlalchemy.util import await_only
from sqlmodel import SQLModel, select

from taskflow.db import make_engine
from taskflow.models import Project, ProjectCreate, ProjectUpdate, Task, TaskCreate, TaskUpdate
from taskflow.testing import TestOutcome, run_tests

filters_check = pytest.mark.exercise("L09.filter_conditions")
paginate_check = pytest.mark.exercise("L09.paginate")
save_check = pytest.mark.exercise("L09.save")
service_base = pytest.mark.exercise("L09.service_base")
task_service = pytest.mark.exercise("L09.task_service")
create_app = pytest.mark.exercise("L09.create_app")
app_tests = pytest.mark.exercise("L09.app_tests")

CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")

# title, status, priority, project ("a" or "b"), parent (a title, or None)
TASKS = [
    ("Write the weekly report", "done", 2, "a", None),
    ("Review REPORT template", "pending", 4, "a", None),
    ("Retry failed tool calls", "in_progress", 5, "b", None),
    ("Cache embeddings", "pending", 3, "b", None),
    ("Log token usage", "failed", 1, "b", None),
    ("Rotate API keys", "pending", 4, "b", "Retry failed tool calls"),
    ("write docs", "pending", 3, "a", "Write the weekly report"),
    ("Reportage", "done", 5, "a", None),
]
# Titles that look like SQL or like patterns: a filter must treat them as plain text.
TRICKY = ["' OR 1=1 --", "%", "_", "a%b", "plain"]


# ------------------------------------------------------------------- the course's apps, cells re-run


def _apps():
    """graders/apps as a package (graders/ is not one): the reference and the broken apps."""
    if "l09_graded_apps" not in sys.modules:
        folder = Path(__file__).parent / "apps"
        spec = importlib.util.spec_from_file_location("l09_graded_apps", folder / "__init__.py",
                                                      submodule_search_locations=[str(folder)])
        package = importlib.util.module_from_spec(spec)
        sys.modules["l09_graded_apps"] = package
        spec.loader.exec_module(package)
    return sys.modules["l09_graded_apps"]


def _app_module(name: str):
    _apps()
    return importlib.import_module(f"l09_graded_apps.{name}")


def _reference(*names: str) -> dict:
    reference = _app_module("reference")
    return {name: getattr(reference, name) for name in names}


def _cell_of(obj) -> str | None:
    """'<notebook cell N>' for a function, fixture or class the notebook defined; None otherwise."""
    obj = getattr(obj, "__wrapped__", obj)
    if isinstance(obj, type):
        for member in vars(obj).values():
            found = _cell_of(getattr(member, "__func__", member))
            if found:
                return found
        return None
    code = getattr(obj, "__code__", None)
    name = getattr(code, "co_filename", "")
    return name if name.startswith("<notebook cell ") else None


def _cell_number(filename: str) -> int:
    return int(filename.removeprefix("<notebook cell ").removesuffix(">"))


async def _rerun(learner, cells: set[str], substitutes: dict) -> dict:
    """The learner's namespace with `cells` run again, the names in `substitutes` bound to those objects."""
    module = types.ModuleType(f"l09_rerun_{uuid.uuid4().hex[:8]}")
    module.__dict__.update(learner.namespace)
    module.__dict__.update(substitutes, __name__=module.__name__)
    sys.modules[module.__name__] = module  # dataclasses and pydantic resolve names through it
    for filename in sorted(cells, key=_cell_number):
        source = "".join(linecache.getlines(filename))
        try:
            code = compile(source, filename, "exec", flags=PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
            if code.co_flags & pyinspect.CO_COROUTINE:
                await eval(code, module.__dict__)
            else:
                exec(code, module.__dict__)
        except Exception as exc:
            raise AssertionError(
                f"Running {filename[1:-1]} again with the course's versions of the earlier steps failed: "
                f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:200]}. Use only what the earlier "
                "exercises promise (their names and arguments)."
            ) from None
        module.__dict__.update(substitutes)  # a cell that also redefines an earlier step keeps the course's
    return module.__dict__


async def _isolated(learner, name: str, substitutes: dict) -> dict:
    """The namespace in which `name` (the exercise under check) uses the course's earlier steps."""
    obj = learner[name]
    cell = _cell_of(obj)
    if cell is None or not linecache.getlines(cell):
        return {**learner.namespace}  # defined some other way: check it as it is
    return await _rerun(learner, {cell}, substitutes)


# --------------------------------------------------------------------------------------- helpers


@contextmanager
def counting(target):
    """The data statements (no BEGIN/COMMIT/PRAGMA...) sent through `target` while the block runs."""
    seen: list[str] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(CONTROL):
            seen.append(statement)

    event.listen(target, "before_cursor_execute", remember)
    try:
        yield seen
    finally:
        event.remove(target, "before_cursor_execute", remember)


def _service(namespace: dict, model, create, update, session):
    """A subclass of the ServiceBase in `namespace` for `model`, as a model service is built."""
    base = namespace.get("ServiceBase")
    assert isinstance(base, type), "Your notebook does not define the class ServiceBase."
    try:
        parent = base[model, create, update]
    except TypeError:
        raise AssertionError(
            "ServiceBase[Task, TaskCreate, TaskUpdate] failed: declare it `class ServiceBase(Generic[ModelT, CreateT, UpdateT])`."
        ) from None
    service_class = types.new_class(f"Graded{model.__name__}Service", (parent,), {}, lambda ns: ns.update(model=model))
    return service_class(session)


async def _call(coroutine_or_value, what: str):
    assert pyinspect.isawaitable(coroutine_or_value), f"{what} must be an async function (async def)."
    try:
        return await coroutine_or_value
    except AssertionError:
        raise
    except NotImplementedError:
        raise AssertionError(f"{what} is not answered yet: replace `raise NotImplementedError()` with your code.") from None
    except Exception as exc:
        first = (str(exc).splitlines() or [""])[0][:250]
        raise AssertionError(f"{what} raised {type(exc).__name__}: {first}") from None


def _page_parts(page, what: str):
    missing = [name for name in ("items", "total", "limit", "offset") if not hasattr(page, name)]
    assert not missing, f"{what} returned {type(page).__name__}, which has no {', '.join(missing)}: return a Page(items, total, limit, offset)."
    return list(page.items), page.total, page.limit, page.offset


async def _seed(sessionmaker) -> dict:
    """Two projects and the TASKS; returns {"a": id, "b": id, title: id, ...}."""
    ids: dict = {}
    async with sessionmaker() as session:
        projects = {"a": Project(name="alpha"), "b": Project(name="beta")}
        session.add_all(projects.values())
        await session.flush()
        ids.update({key: project.id for key, project in projects.items()})
        for title, status, priority, project, parent in TASKS:
            task = Task(title=title, status=status, priority=priority, project_id=ids[project],
                        parent_id=ids[parent] if parent else None)
            session.add(task)
            await session.flush()
            ids[title] = task.id
        await session.commit()
    return ids


async def _seed_many(sessionmaker, count: int) -> int:
    """One project with `count` tasks; returns the project's id."""
    async with sessionmaker() as session:
        project = Project(name="bulk")
        session.add(project)
        await session.flush()
        session.add_all(Task(title=f"task {n:03}", priority=n % 5 + 1, project_id=project.id) for n in range(count))
        await session.commit()
        return project.id


def _expected(ids: dict, keep) -> set[str]:
    rows = [dict(title=t, status=s, priority=p, project_id=ids[pr], parent_id=ids[pa] if pa else None)
            for t, s, p, pr, pa in TASKS]
    return {row["title"] for row in rows if keep(row)}


def _filter_cases(ids: dict, *, strings: bool):
    """(filters, expected titles) pairs; with strings=True the values are what a query string carries."""
    s = (lambda v: v) if not strings else (lambda v: ",".join(map(str, v)) if isinstance(v, list) else str(v).lower() if isinstance(v, bool) else str(v))
    a = ids["a"]
    cases = [
        ({"status": "pending"}, lambda r: r["status"] == "pending"),
        ({"status__eq": "done"}, lambda r: r["status"] == "done"),
        ({"status__ne": "done"}, lambda r: r["status"] != "done"),
        ({"priority__gt": s(3)}, lambda r: r["priority"] > 3),
        ({"priority__gte": s(4)}, lambda r: r["priority"] >= 4),
        ({"priority__lt": s(2)}, lambda r: r["priority"] < 2),
        ({"priority__lte": s(2)}, lambda r: r["priority"] <= 2),
        ({"title__like": "Re%"}, lambda r: r["title"].startswith("Re")),
        ({"title__ilike": "%REPORT%"}, lambda r: "report" in r["title"].lower()),
        ({"status__in": s(["pending", "failed"])}, lambda r: r["status"] in ("pending", "failed")),
        ({"status__not_in": s(["pending", "done"])}, lambda r: r["status"] not in ("pending", "done")),
        ({"priority__between": s([2, 4])}, lambda r: 2 <= r["priority"] <= 4),
        ({"parent_id__isnull": s(True)}, lambda r: r["parent_id"] is None),
        ({"parent_id__isnull": s(False)}, lambda r: r["parent_id"] is not None),
        ({"project_id": s(a), "status": "done"}, lambda r: r["project_id"] == a and r["status"] == "done"),
        ({"status": "pending", "priority__lte": s(3), "title__ilike": "%e%"},
         lambda r: r["status"] == "pending" and r["priority"] <= 3 and "e" in r["title"].lower()),
    ]
    return [(filters, _expected(ids, keep)) for filters, keep in cases]


async def _titles_where(learner, session, filters) -> set[str]:
    """The titles of the tasks `select(Task).where(*filter_conditions(Task, filters))` returns."""
    filter_conditions = learner.filter_conditions
    try:
        conditions = filter_conditions(Task, filters)
    except NotImplementedError:
        raise AssertionError("filter_conditions is not answered yet: replace `raise NotImplementedError()` with your code.") from None
    except Exception as exc:
        raise AssertionError(f"filter_conditions(Task, {filters!r}) raised {type(exc).__name__}: {str(exc)[:200]}") from None
    assert isinstance(conditions, (list, tuple)), (
        f"filter_conditions(Task, {filters!r}) returned {type(conditions).__name__}; return a list of conditions for where(*conditions)."
    )
    try:
        rows = (await session.exec(select(Task).where(*conditions))).all()
    except Exception as exc:
        await session.rollback()
        first = (str(exc).splitlines() or [""])[0][:200]
        raise AssertionError(f"select(Task).where(*filter_conditions(Task, {filters!r})) failed: {type(exc).__name__}: {first}") from None
    return {task.title for task in rows}


# ------------------------------------------------------------------------ L09.filter_conditions


@filters_check
async def test_each_operator_selects_the_matching_rows(learner, taskflow_db, sessionmaker):
    """Does each operator (eq, ne, gt, gte, lt, lte, like, ilike, in, not_in, between, isnull) select exactly the matching tasks, several filters ANDed?"""
    ids = await _seed(sessionmaker)
    async with sessionmaker() as session:
        for filters, expected in _filter_cases(ids, strings=False):
            got = await _titles_where(learner, session, filters)
            assert got == expected, (
                f"filter_conditions(Task, {filters!r}) selected {sorted(got)}; expected {sorted(expected)}. "
                "Check that operator (between includes both ends; ilike ignores case; several filters all apply)."
            )
        assert await _titles_where(learner, session, None) == {t[0] for t in TASKS}, "filter_conditions(Task, None) must select every task (no conditions)."


@filters_check
async def test_text_values_are_converted_to_the_column_type(learner, taskflow_db, sessionmaker):
    """Do values written as query-string text ("3", "pending,done", "true") select the same rows, on PostgreSQL too?"""
    ids = await _seed(sessionmaker)
    async with sessionmaker() as session:
        for filters, expected in _filter_cases(ids, strings=True):
            got = await _titles_where(learner, session, filters)
            assert got == expected, (
                f"filter_conditions(Task, {filters!r}) selected {sorted(got)}; expected {sorted(expected)}. Text from a query "
                "string must become the column's type ('3' -> 3, 'true' -> True, 'a,b' -> ['a', 'b'])."
            )
    # SQLite compares an INTEGER column with '3' as a number, PostgreSQL refuses: what is sent shows it on both.
    filter_conditions = learner.filter_conditions
    for filters in ({"priority__gte": "4"}, {"priority": "2"}, {"priority__between": "2,4"}, {"project_id__in": "1,2"}):
        sent = select(Task.id).where(*filter_conditions(Task, filters)).compile().params.values()
        values = [v for value in sent for v in (value if isinstance(value, (list, tuple)) else [value])]
        assert values and all(isinstance(v, int) for v in values), (
            f"filter_conditions(Task, {filters!r}) sends {values!r} for an integer column: convert query-string text "
            "to the column's type (int('4')), or PostgreSQL refuses the comparison."
        )


@filters_check
async def test_bad_filters_raise_filter_error(learner):
    """Do an unknown field, a relationship, a non-column attribute, an unknown operator and a bad value raise FilterError (a ValueError)?"""
    error, filter_conditions = learner.FilterError, learner.filter_conditions
    assert isinstance(error, type) and issubclass(error, ValueError), "FilterError must be a class that inherits from ValueError."
    bad = [{"owner": "me"}, {"project": 1}, {"tags__in": [1]}, {"model_config": "x"}, {"__class__": "x"},
           {"title__regex": "x"}, {"title = title OR 1=1 --": "x"}, {"priority__between": "1"}, {"priority": "abc"},
           {"parent_id__isnull": "maybe"}]
    for filters in bad:
        try:
            result = filter_conditions(Task, filters)
        except error:
            continue
        except NotImplementedError:
            raise AssertionError("filter_conditions is not answered yet: replace `raise NotImplementedError()` with your code.") from None
        except Exception as exc:
            raise AssertionError(
                f"filter_conditions(Task, {filters!r}) raised {type(exc).__name__} instead of FilterError. Check the field against "
                "model.__table__.columns and the operator against your table of operators, and turn bad values into FilterError."
            ) from None
        raise AssertionError(
            f"filter_conditions(Task, {filters!r}) returned {result!r:.80} instead of raising FilterError: only the model's "
            "columns, your operators and values that fit the column are allowed."
        )


@filters_check
async def test_filter_values_are_data_not_sql(learner, taskflow_db, sessionmaker):
    """Are filter values that look like SQL or like patterns (' OR 1=1 --, %, _) compared as plain text?"""
    async with sessionmaker() as session:
        project = Project(name="tricky")
        session.add(project)
        await session.flush()
        session.add_all(Task(title=title, project_id=project.id) for title in TRICKY)
        await session.commit()
    async with sessionmaker() as session:
        for filters, expected in [
            ({"title": "' OR 1=1 --"}, {"' OR 1=1 --"}),
            ({"title": "%"}, {"%"}),
            ({"title": "_"}, {"_"}),
            ({"title__ne": "%"}, set(TRICKY) - {"%"}),
            ({"title__in": ["' OR 1=1 --", "x') OR ('1'='1"]}, {"' OR 1=1 --"}),
            ({"status": "pending' OR '1'='1"}, set()),
        ]:
            got = await _titles_where(learner, session, filters)
            assert got == expected, (
                f"filter_conditions(Task, {filters!r}) selected {sorted(got)}; expected {sorted(expected)}. Values must be bound "
                "parameters (column == value), never pasted into SQL text, and `=` must not treat % or _ as wildcards."
            )


# ------------------------------------------------------------------------------- L09.paginate


def _tasks_by_id():
    return select(Task).order_by(Task.id)


async def _paginate(learner, session, statement, **paging):
    return _page_parts(await _call(learner.paginate(session, statement, **paging), "paginate(session, statement, ...)"), "paginate()")


@paginate_check
async def test_total_counts_every_row_the_statement_selects(learner, taskflow_db, sessionmaker):
    """Is `total` the number of rows the whole statement selects (its filters kept), not the length of the page?"""
    await _seed_many(sessionmaker, 30)
    async with sessionmaker() as session:
        _, total, _, _ = await _paginate(learner, session, _tasks_by_id(), limit=5, offset=0)
        assert total == 30, f"paginate(select(Task).order_by(Task.id), limit=5) says total={total}; 30 tasks are in the table. Count before limit/offset."
        statement = select(Task).where(Task.priority == 1).order_by(Task.id.desc())
        items, total, _, _ = await _paginate(learner, session, statement, limit=4, offset=4)
        assert total == 6, f"paginate(select(Task).where(Task.priority == 1)..., limit=4, offset=4) says total={total}; 6 tasks have priority 1."
        assert len(items) == 2, f"That page holds {len(items)} tasks; 2 of the 6 are left after offset 4."


@paginate_check
async def test_items_are_the_requested_slice(learner, taskflow_db, sessionmaker):
    """Are the items the rows from offset on, at most limit of them, in the statement's order, with limit and offset reported?"""
    await _seed_many(sessionmaker, 30)
    async with sessionmaker() as session:
        items, _, limit, offset = await _paginate(learner, session, _tasks_by_id(), limit=10, offset=20)
        assert [t.title for t in items] == [f"task {n:03}" for n in range(20, 30)], (
            f"paginate(..., limit=10, offset=20) returned {[t.title for t in items][:4]}...; expected task 020 to task 029."
        )
        assert (limit, offset) == (10, 20), f"The page reports limit={limit}, offset={offset}; expected 10 and 20."
        statement = select(Task).order_by(Task.title.desc())
        items, _, _, _ = await _paginate(learner, session, statement, limit=3, offset=1)
        assert [t.title for t in items] == ["task 028", "task 027", "task 026"], (
            f"paginate(select(Task).order_by(Task.title.desc()), limit=3, offset=1) returned {[t.title for t in items]}: keep the statement's order."
        )
        items, _, _, _ = await _paginate(learner, session, _tasks_by_id(), limit=10, offset=40)
        assert items == [], f"An offset past the last row should give no items, not {len(items)}."


@paginate_check
async def test_limit_is_capped_at_100(learner, taskflow_db, sessionmaker):
    """Does a limit above 100 return at most 100 rows, the page saying limit=100?"""
    await _seed_many(sessionmaker, 120)
    async with sessionmaker() as session:
        items, total, limit, _ = await _paginate(learner, session, _tasks_by_id(), limit=1000, offset=0)
        assert len(items) == 100 and limit == 100, f"paginate(..., limit=1000) returned {len(items)} rows and says limit={limit}: cap it at 100."
        assert total == 120, f"The capped page says total={total}; 120 rows match."


@paginate_check
async def test_paginate_sends_two_statements(learner, taskflow_db, sessionmaker, engine):
    """Does paginate send two statements, a count and the page, rather than load every row to count it?"""
    await _seed_many(sessionmaker, 60)
    async with sessionmaker() as session:
        await session.exec(select(func.count()).select_from(Task))  # connects first, so only paginate's statements are counted
        with counting(engine.sync_engine) as statements:
            items, total, _, _ = await _paginate(learner, session, _tasks_by_id(), limit=5, offset=10)
        assert total == 60 and len(items) == 5, f"paginate(..., limit=5, offset=10) gave {len(items)} items of {total}; expected 5 of 60."
        assert len(statements) == 2, (
            f"paginate sent {len(statements)} statements: {[' '.join(s.split())[:60] for s in statements]}. Two are enough: "
            "SELECT count(*) over the statement, and the statement with LIMIT and OFFSET."
        )
        assert any("count(" in statement.lower() for statement in statements), (
            "paginate fetched the rows to count them: let the database count (select(func.count()).select_from(statement.subquery()))."
        )


# ----------------------------------------------------------------------------------- L09.save


async def _save(learner, session, *objects):
    result = learner.save(session, *objects)
    assert pyinspect.isawaitable(result), "save must be an async function (async def)."
    return await result


@save_check
async def test_save_commits(learner, taskflow_db, sessionmaker):
    """Are the objects added and committed, so a new session sees them?"""
    assert callable(learner.save), "save must be an async function: async def save(session, *objects)."
    async with sessionmaker() as session:
        try:
            await _save(learner, session, Project(name="saved"), Project(name="saved too"))
        except NotImplementedError:
            raise AssertionError("save is not answered yet: replace `raise NotImplementedError()` with your code.") from None
    async with sessionmaker() as fresh:
        names = sorted((await fresh.exec(select(Project.name))).all())
    assert names == ["saved", "saved too"], f"After save(session, Project(...), Project(...)) a new session sees {names}: add them and commit."


@save_check
async def test_conflict_is_rolled_back_and_raised(learner, taskflow_db, sessionmaker):
    """Does a commit that breaks a constraint raise IntegrityError, with the session rolled back and usable?"""
    assert callable(learner.save), "save must be an async function: async def save(session, *objects)."
    async with sessionmaker() as session:
        session.add(Project(name="taken"))
        await session.commit()
    async with sessionmaker() as session:
        try:
            await _save(learner, session, Project(name="taken"))
        except IntegrityError:
            pass
        except NotImplementedError:
            raise AssertionError("save is not answered yet: replace `raise NotImplementedError()` with your code.") from None
        except Exception as exc:
            raise AssertionError(f"save() of a duplicate name raised {type(exc).__name__}; let the IntegrityError reach the caller (re-raise it).") from None
        else:
            raise AssertionError("save() of a duplicate name returned normally: re-raise the IntegrityError so the app can answer 409.")
        try:
            await _save(learner, session, Project(name="free"))
        except Exception as exc:
            raise AssertionError(
                f"After a failed save the session is unusable ({type(exc).__name__}): catch the error around the commit, "
                "await session.rollback(), then re-raise."
            ) from None
    async with sessionmaker() as fresh:
        names = sorted((await fresh.exec(select(Project.name))).all())
    assert names == ["free", "taken"], f"After the failed save and a good one, a new session sees {names}; expected ['free', 'taken']."


@save_check
async def test_any_failed_commit_is_rolled_back(learner, taskflow_db, sessionmaker):
    """When a commit fails for another reason than a constraint (forced here), is it rolled back, so a later save does not write it?"""
    assert callable(learner.save), "save must be an async function: async def save(session, *objects)."
    async with sessionmaker() as session:
        def fail_once(sync_session):
            event.remove(session.sync_session, "before_commit", fail_once)
            raise RuntimeError("the connection dropped during COMMIT (forced by the grader)")

        event.listen(session.sync_session, "before_commit", fail_once)
        try:
            await _save(learner, session, Project(name="half written"))
        except RuntimeError:
            pass
        except NotImplementedError:
            raise AssertionError("save is not answered yet: replace `raise NotImplementedError()` with your code.") from None
        else:
            raise AssertionError("save() returned normally although its commit failed: re-raise what the commit raised.")
        try:
            await _save(learner, session, Project(name="next"))
        except Exception as exc:
            raise AssertionError(f"After a failed commit, the next save raised {type(exc).__name__}: roll back on every failure.") from None
    async with sessionmaker() as fresh:
        names = sorted((await fresh.exec(select(Project.name))).all())
    assert names == ["next"], (
        f"A new session sees {names}: the project of the failed save was committed by the next one. Roll back on any "
        "exception from the commit (not only IntegrityError), so nothing of a failed write stays in the session."
    )


# ----------------------------------------------------------------------------- L09.service_base


async def _service_namespace(learner) -> dict:
    """ServiceBase's cell run again on the course's filter_conditions, paginate and save."""
    return await _isolated(learner, "ServiceBase", _reference("FilterError", "filter_conditions", "Page", "paginate", "save"))


@service_base
async def test_one_base_serves_tasks_and_projects(learner, taskflow_db, sessionmaker):
    """Does a subclass of ServiceBase[Model, Create, Update] with `model = Model` get and list rows of any table?"""
    ids = await _seed(sessionmaker)
    namespace = await _service_namespace(learner)
    async with sessionmaker() as session:
        tasks = _service(namespace, Task, TaskCreate, TaskUpdate, session)
        projects = _service(namespace, Project, ProjectCreate, ProjectUpdate, session)
        task = await _call(tasks.get(ids["Reportage"]), "get(id)")
        assert task is not None and task.title == "Reportage", f"TaskService.get({ids['Reportage']}) returned {task!r}."
        assert await _call(tasks.get(999_999), "get(id)") is None, "get() of a missing id should return None."
        project = await _call(projects.get(ids["b"]), "get(id)")
        assert project is not None and project.name == "beta", f"ProjectService.get({ids['b']}) returned {project!r}."
        items, total, _, _ = _page_parts(await _call(projects.list(), "list()"), "list()")
        assert [p.name for p in items] == ["alpha", "beta"] and total == 2, f"ProjectService.list() gave {[p.name for p in items]} (total {total})."


@service_base
async def test_list_filters_orders_and_pages(learner, taskflow_db, sessionmaker):
    """Does list() apply filters, order_by ("-priority" descending, id by default) and paging, returning the total?"""
    ids = await _seed(sessionmaker)
    namespace = await _service_namespace(learner)
    async with sessionmaker() as session:
        service = _service(namespace, Task, TaskCreate, TaskUpdate, session)
        items, total, _, _ = _page_parts(await _call(service.list(), "list()"), "list()")
        assert [t.id for t in items] == sorted(ids[t[0]] for t in TASKS) and total == len(TASKS), "list() should return every task in id order."
        items, total, _, _ = _page_parts(await _call(service.list(filters={"status": "pending"}), "list(filters=...)"), "list()")
        assert {t.title for t in items} == _expected(ids, lambda r: r["status"] == "pending") and total == 4, (
            f"list(filters={{'status': 'pending'}}) gave {[t.title for t in items]} (total {total}): pass the filters on."
        )
        page = await _call(service.list(order_by=("-priority", "id"), limit=3, offset=1), "list(order_by=('-priority', 'id'), limit=3, offset=1)")
        items, total, limit, offset = _page_parts(page, "list()")
        expected = [t[0] for t in sorted(TASKS, key=lambda t: (-t[2], ids[t[0]]))][1:4]
        assert [t.title for t in items] == expected and total == len(TASKS), (
            f"list(order_by=('-priority', 'id'), limit=3, offset=1) gave {[t.title for t in items]} (total {total}); expected "
            f"{expected} of {len(TASKS)}: '-' means descending, then page the ordered rows."
        )
        assert (limit, offset) == (3, 1), f"The page reports limit={limit}, offset={offset}."


@service_base
async def test_writes_commit_and_update_only_what_was_set(learner, taskflow_db, sessionmaker):
    """Do create/update/delete commit, does update change only what was set, and do missing ids give None / False?"""
    ids = await _seed(sessionmaker)
    namespace = await _service_namespace(learner)
    async with sessionmaker() as session:
        service = _service(namespace, Task, TaskCreate, TaskUpdate, session)
        task = await _call(service.create(TaskCreate(title="New task", project_id=ids["a"], priority=2)), "create()")
        assert getattr(task, "id", None) is not None, "create() should return the saved task, with its id."
        new_id = task.id
        updated = await _call(service.update(new_id, TaskUpdate(status="done")), "update()")
        assert updated is not None and updated.status == "done" and updated.priority == 2 and updated.title == "New task", (
            "update(id, TaskUpdate(status='done')) should change only status: use data.model_dump(exclude_unset=True)."
        )
        assert await _call(service.update(999_999, TaskUpdate(status="done")), "update()") is None, "update() of a missing id should return None."
        deleted = await _call(service.delete(ids["Cache embeddings"]), "delete()")
        assert deleted is True, f"delete() of an existing task returned {deleted!r}, not True."
        again = await _call(service.delete(ids["Cache embeddings"]), "delete()")
        assert again is False, f"delete() of a missing task returned {again!r}, not False."
    async with sessionmaker() as fresh:
        saved = (await fresh.exec(select(Task).where(Task.id == new_id))).first()
        assert saved is not None and saved.status == "done", "A new session does not see the created and updated task: commit (save) in the service."
        gone = (await fresh.exec(select(Task).where(Task.id == ids["Cache embeddings"]))).first()
        assert gone is None, "A new session still sees the deleted task: commit (save) after delete."


@service_base
async def test_failed_writes_leave_the_session_usable(learner, taskflow_db, sessionmaker):
    """Does a create or update that breaks a unique constraint raise IntegrityError and leave the session usable?"""
    ids = await _seed(sessionmaker)
    namespace = await _service_namespace(learner)
    async with sessionmaker() as session:
        service = _service(namespace, Task, TaskCreate, TaskUpdate, session)
        for attempt, write in (("create() of a duplicate (project, title)", lambda: service.create(TaskCreate(title="Reportage", project_id=ids["a"]))),
                               ("update() to a title the project already has", lambda: service.update(ids["write docs"], TaskUpdate(title="Reportage")))):
            try:
                await write()
            except IntegrityError:
                pass
            except Exception as exc:
                raise AssertionError(f"{attempt} raised {type(exc).__name__}; it should raise IntegrityError (save re-raises it).") from None
            else:
                raise AssertionError(f"{attempt} did not fail: the unique constraint should reject it, and the service should re-raise.")
            try:
                still = await service.get(ids["write docs"])
            except Exception as exc:
                raise AssertionError(f"After {attempt} failed, the session is unusable ({type(exc).__name__}): write through save(), which rolls back.") from None
            assert still is not None and still.title == "write docs", f"After {attempt} failed, get() returned {still!r}."
    async with sessionmaker() as fresh:
        count = (await fresh.exec(select(func.count()).select_from(Task).where(Task.title == "Reportage"))).one()
        assert count == 1, f"{count} tasks titled 'Reportage' exist; the failed writes should have changed nothing."


@service_base
async def test_eager_load_options(learner, taskflow_db, sessionmaker, engine):
    """Do get() and list() apply loader options, so a project's tasks come loaded in a fixed number of statements?"""
    ids = await _seed(sessionmaker)
    namespace = await _service_namespace(learner)
    async with sessionmaker() as session:
        service = _service(namespace, Project, ProjectCreate, ProjectUpdate, session)
        with counting(engine.sync_engine) as statements:
            project = await _call(service.get(ids["a"], options=[selectinload(Project.tasks)]), "get(id, options=[...])")
        assert project is not None, "get() did not find the project."
        try:
            titles = sorted(t.title for t in project.tasks)
        except Exception as exc:
            raise AssertionError(
                f"get(id, options=[selectinload(Project.tasks)]) did not load the tasks ({type(exc).__name__}): "
                "pass the options on: select(...).options(*options)."
            ) from None
        assert titles == sorted(row[0] for row in TASKS if row[3] == "a"), f"The project's tasks came back as {titles}."
        assert len(statements) <= 2, f"get() with selectinload used {len(statements)} statements; 2 are enough."
        with counting(engine.sync_engine) as statements:
            page = await _call(service.list(options=[selectinload(Project.tasks)]), "list(options=[...])")
            try:
                counts = sorted(len(p.tasks) for p in page.items)
            except Exception as exc:
                raise AssertionError(f"list(options=[selectinload(Project.tasks)]) did not load the tasks ({type(exc).__name__}).") from None
        assert counts == [4, 4], f"list(options=[selectinload(Project.tasks)]) gave projects with {counts} tasks."
        assert len(statements) <= 3, f"list() with selectinload used {len(statements)} statements; count + rows + tasks is 3."


@service_base
async def test_unknown_order_field_raises_filter_error(learner, taskflow_db, sessionmaker):
    """Does list(order_by=...) with a name that is not a column raise FilterError (a ValueError) before any SQL is sent?"""
    await _seed(sessionmaker)
    namespace = await _service_namespace(learner)
    async with sessionmaker() as session:
        service = _service(namespace, Task, TaskCreate, TaskUpdate, session)
        for order_by in (("colour",), ("-project",), ("id; DROP TABLE task",)):
            try:
                await service.list(order_by=order_by)
            except ValueError:
                continue
            except Exception as exc:
                raise AssertionError(f"list(order_by={order_by!r}) raised {type(exc).__name__}; look the name up in the model's columns and raise FilterError.") from None
            raise AssertionError(f"list(order_by={order_by!r}) did not raise FilterError: only the model's columns can order a list.")


# ---------------------------------------------------------------------------- L09.task_service


async def _task_service_namespace(learner) -> dict:
    return await _isolated(learner, "TaskService", _reference("FilterError", "filter_conditions", "Page", "paginate", "save", "ServiceBase"))


async def _open_tasks(sessionmaker) -> int:
    async with sessionmaker() as session:
        mine, other = Project(name="mine"), Project(name="other")
        session.add_all([mine, other])
        await session.flush()
        rows = [("low", "pending", 1, mine), ("high old", "pending", 5, mine), ("running", "in_progress", 3, mine),
                ("high new", "pending", 5, mine), ("finished", "done", 5, mine), ("broken", "failed", 4, mine),
                ("not mine", "pending", 5, other)]
        for title, status, priority, project in rows:
            session.add(Task(title=title, status=status, priority=priority, project_id=project.id))
            await session.flush()
        await session.commit()
        return mine.id


OPEN_IN_ORDER = ["high old", "high new", "running", "low"]


@task_service
async def test_task_service_is_a_service_for_tasks(learner, taskflow_db, sessionmaker):
    """Is TaskService(session) a ServiceBase whose model is Task, so create/get/list work on tasks?"""
    ids = await _seed(sessionmaker)
    namespace = await _task_service_namespace(learner)
    service_class = namespace["TaskService"]
    assert isinstance(service_class, type) and issubclass(service_class, namespace["ServiceBase"]), (
        "TaskService must subclass ServiceBase: class TaskService(ServiceBase[Task, TaskCreate, TaskUpdate])."
    )
    assert getattr(service_class, "model", None) is Task, "TaskService.model must be Task (taskflow's table model)."
    async with sessionmaker() as session:
        service = service_class(session)
        task = await _call(service.create(TaskCreate(title="from TaskService", project_id=ids["b"])), "TaskService.create()")
        got = await _call(service.get(task.id), "TaskService.get()")
        assert got is not None and got.title == "from TaskService", "TaskService.get() did not return the task TaskService.create() made."


@task_service
async def test_pending_for_orders_open_tasks_by_priority(learner, taskflow_db, sessionmaker):
    """Does pending_for(project_id) return only that project's pending/in-progress tasks, highest priority first, then oldest?"""
    mine_id = await _open_tasks(sessionmaker)
    namespace = await _task_service_namespace(learner)
    async with sessionmaker() as session:
        service = namespace["TaskService"](session)
        assert hasattr(service, "pending_for"), "TaskService has no method pending_for(project_id, *, limit=20, offset=0)."
        items, _, _, _ = _page_parts(await _call(service.pending_for(mine_id), "pending_for(project_id)"), "pending_for()")
        got = [task.title for task in items]
        assert got == OPEN_IN_ORDER, (
            f"pending_for returned {got}; expected {OPEN_IN_ORDER}: statuses pending or in_progress of this project only, "
            "ordered by priority descending, then id ascending."
        )


@task_service
async def test_pending_for_pages_with_a_total(learner, taskflow_db, sessionmaker):
    """Does pending_for(project_id, limit=2, offset=1) give the second and third open tasks, with the total of all four?"""
    mine_id = await _open_tasks(sessionmaker)
    namespace = await _task_service_namespace(learner)
    async with sessionmaker() as session:
        service = namespace["TaskService"](session)
        assert hasattr(service, "pending_for"), "TaskService has no method pending_for(project_id, *, limit=20, offset=0)."
        page = await _call(service.pending_for(mine_id, limit=2, offset=1), "pending_for(project_id, limit=2, offset=1)")
        items, total, _, _ = _page_parts(page, "pending_for()")
        assert [t.title for t in items] == OPEN_IN_ORDER[1:3] and total == 4, (
            f"pending_for(limit=2, offset=1) returned {[t.title for t in items]} (total {total}); expected {OPEN_IN_ORDER[1:3]} of 4."
        )


# ------------------------------------------------------------------------------- L09.create_app

# What create_app is run with: the course's service layer, so only the app's own code is checked.
SERVICE_LAYER = ("FilterError", "filter_conditions", "Page", "paginate", "save", "ServiceBase", "ProjectService", "TaskService")


async def _learner_app(learner, database_url):
    namespace = await _isolated(learner, "create_app", _reference(*SERVICE_LAYER))
    try:
        app = namespace["create_app"](database_url)
    except NotImplementedError:
        raise AssertionError("create_app is not answered yet: replace `raise NotImplementedError()` with your code.") from None
    except Exception as exc:
        raise AssertionError(f"create_app(database_url) raised {type(exc).__name__}: {exc}") from None
    assert hasattr(app, "router"), f"create_app returned {type(app).__name__}, not a FastAPI app."
    return app


@asynccontextmanager
async def _lifespan(app):
    try:
        context = app.router.lifespan_context(app)
        await context.__aenter__()
    except Exception as exc:
        raise AssertionError(f"Your app's lifespan failed at startup: {type(exc).__name__}: {exc}") from None
    try:
        yield
    finally:
        await context.__aexit__(None, None, None)


@asynccontextmanager
async def _client_of(app):
    async with _lifespan(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://grader") as http:
            yield http


@pytest.fixture
async def client(learner, database_url, taskflow_db):
    """httpx talking to create_app(DATABASE_URL) with its lifespan running."""
    async with _client_of(await _learner_app(learner, database_url)) as http:
        yield http


def _said(response) -> str:
    return f"{response.request.method} {response.request.url.path}{'?' + response.request.url.query.decode() if response.request.url.query else ''} answered {response.status_code} {response.text[:160]}"


def _expect(response, status: int | tuple, why: str):
    wanted = status if isinstance(status, tuple) else (status,)
    assert response.status_code in wanted, f"{_said(response)}; expected {' or '.join(map(str, wanted))}: {why}"
    return response


def _page_json(response) -> tuple[list[dict], int]:
    body = response.json()
    assert isinstance(body, dict) and {"items", "total", "limit", "offset"} <= set(body), (
        f"{_said(response)}: a list endpoint answers {{\"items\": [...], \"total\": n, \"limit\": n, \"offset\": n}}."
    )
    return body["items"], body["total"]


@create_app
async def test_project_routes_and_their_status_codes(client):
    """Do the project routes answer 201, 200, 404, 409 (and keep working after it), 422 and 204 where a client expects them?"""
    created = _expect(await client.post("/projects", json={"name": "alpha"}), 201, "a created project answers 201 Created.").json()
    assert isinstance(created.get("id"), int) and created.get("name") == "alpha", f"POST /projects answered {created}; it should return the project with its id."
    pid = created["id"]
    _expect(await client.post("/projects", json={"name": "alpha"}), 409, "a name that is taken violates the unique constraint: catch IntegrityError, answer 409.")
    _expect(await client.post("/projects", json={"name": "beta"}), 201, "after a 409 the app must keep working (roll back the failed session).")
    _expect(await client.post("/projects", json={"name": ""}), 422, "an invalid body is rejected by the ProjectCreate schema.")
    _expect(await client.post("/projects", json={}), 422, "a body without name is invalid.")
    got = _expect(await client.get(f"/projects/{pid}"), 200, "an existing project can be read.").json()
    assert got.get("name") == "alpha", f"GET /projects/{pid} answered {got}."
    _expect(await client.get("/projects/999999"), 404, "a missing project is 404 Not Found.")
    renamed = _expect(await client.patch(f"/projects/{pid}", json={"name": "gamma"}), 200, "PATCH updates the project.").json()
    assert renamed.get("name") == "gamma", f"PATCH /projects/{pid} answered {renamed}."
    _expect(await client.patch(f"/projects/{pid}", json={"name": "beta"}), 409, "renaming to a taken name is a conflict.")
    _expect(await client.patch("/projects/999999", json={"name": "delta"}), 404, "PATCH of a missing project is 404.")
    deleted = _expect(await client.delete(f"/projects/{pid}"), 204, "a delete answers 204 No Content.")
    assert not deleted.content, "A 204 response has no body."
    _expect(await client.get(f"/projects/{pid}"), 404, "a deleted project is gone.")
    _expect(await client.delete(f"/projects/{pid}"), 404, "deleting it again is 404.")


@create_app
async def test_task_routes_and_their_status_codes(client):
    """Do the task routes create (201), read, update only what was sent, reject bad input (409, 422) and delete (204, 404)?"""
    pid = _expect(await client.post("/projects", json={"name": "tasks"}), 201, "a created project answers 201.").json()["id"]
    task = _expect(await client.post("/tasks", json={"title": "first", "project_id": pid, "priority": 4}), 201,
                   "a created task answers 201.").json()
    assert isinstance(task.get("id"), int) and task.get("status") == "pending", f"POST /tasks answered {task}; expected the task, status pending."
    tid = task["id"]
    _expect(await client.post("/tasks", json={"title": "first", "project_id": pid}), 409, "the same title twice in one project violates a unique constraint.")
    _expect(await client.post("/tasks", json={"title": "", "project_id": pid}), 422, "an empty title is invalid.")
    _expect(await client.post("/tasks", json={"title": "x", "project_id": pid, "priority": 9}), 422, "priority must be 1-5.")
    changed = _expect(await client.patch(f"/tasks/{tid}", json={"status": "done"}), 200, "PATCH updates the task.").json()
    assert changed.get("status") == "done" and changed.get("priority") == 4 and changed.get("title") == "first", (
        f"PATCH /tasks/{tid} with only a status answered {changed}: the other fields must stay as they were (exclude_unset)."
    )
    _expect(await client.patch(f"/tasks/{tid}", json={"priority": 0}), 422, "priority must be 1-5.")
    _expect(await client.patch("/tasks/999999", json={"status": "done"}), 404, "PATCH of a missing task is 404.")
    read = _expect(await client.get(f"/tasks/{tid}"), 200, "an existing task can be read.").json()
    assert read.get("status") == "done", f"GET /tasks/{tid} answered {read} after the PATCH: was it committed?"
    _expect(await client.get("/tasks/999999"), 404, "a missing task is 404.")
    _expect(await client.delete(f"/tasks/{tid}"), 204, "a delete answers 204.")
    _expect(await client.get(f"/tasks/{tid}"), 404, "a deleted task is gone.")
    _expect(await client.delete(f"/tasks/{tid}"), 404, "deleting it again is 404.")


@create_app
async def test_list_filters_come_from_query_parameters(client, sessionmaker):
    """Does GET /tasks turn query parameters into filters (ilike, between, in, not_in, isnull, ...) with the right total?"""
    ids = await _seed(sessionmaker)
    for filters, expected in _filter_cases(ids, strings=True):
        response = _expect(await client.get("/tasks", params={**filters, "limit": 100}), 200, "every query parameter other than limit/offset is a filter.")
        items, total = _page_json(response)
        got = {item.get("title") for item in items}
        assert got == expected, f"{_said(response)[:120]}: got titles {sorted(got)}; expected {sorted(expected)}."
        assert total == len(expected), f"{_said(response)[:120]}: total is {total}; {len(expected)} tasks match."


@create_app
async def test_bad_filters_answer_400(client, sessionmaker):
    """Does an unknown field, a relationship name or an unknown operator answer 400, and a bad value 400 or 422, never 500?"""
    await _seed(sessionmaker)
    for query in ({"owner": "me"}, {"project": "1"}, {"title__regex": "x"}, {"__class__": "x"}):
        _expect(await client.get("/tasks", params=query), 400, "map FilterError to 400 Bad Request with an exception handler.")
    _expect(await client.get("/tasks", params={"priority__gte": "abc"}), (400, 422), "a value that does not fit the column is the client's mistake.")


@create_app
async def test_query_values_carrying_sql_are_data(client):
    """Are query values such as ' OR 1=1 --, % and _ passed on as data and matched as plain text?"""
    pid = _expect(await client.post("/projects", json={"name": "tricky"}), 201, "a created project answers 201.").json()["id"]
    for title in TRICKY:
        _expect(await client.post("/tasks", json={"title": title, "project_id": pid}), 201, "a created task answers 201.")
    for params, expected in [({"title": "' OR 1=1 --"}, {"' OR 1=1 --"}), ({"title": "%"}, {"%"}), ({"title": "_"}, {"_"}),
                             ({"title__in": "plain,' OR '1'='1"}, {"plain"}), ({"status": "x' OR 'a'='a"}, set())]:
        response = _expect(await client.get("/tasks", params=params), 200, "a filter on an existing column is fine.")
        items, _ = _page_json(response)
        got = {i.get("title") for i in items}
        assert got == expected, f"{_said(response)[:120]}: got {sorted(got)}; expected {sorted(expected)}. Hand the query values to the service as filters."


@create_app
async def test_pages_have_totals_and_limit_is_capped(client, sessionmaker):
    """Do pages report the total of all matches, come in id order, and is a limit above 100 refused or capped?"""
    await _seed_many(sessionmaker, 120)
    response = _expect(await client.get("/tasks", params={"limit": 10, "offset": 20}), 200, "limit and offset are query parameters.")
    items, total = _page_json(response)
    assert total == 120 and len(items) == 10, f"{_said(response)[:100]}: {len(items)} items, total {total}; expected 10 of 120."
    assert [i["title"] for i in items] == [f"task {n:03}" for n in range(20, 30)], "The page is not tasks 20-29 in id order: order by id."
    response = _expect(await client.get("/tasks", params={"priority": "1", "limit": 10, "offset": 20}), 200, "filters and paging combine.")
    items, total = _page_json(response)
    assert total == 24 and len(items) == 4, f"?priority=1&limit=10&offset=20 gave {len(items)} items, total {total}; expected 4 of 24."
    response = await client.get("/tasks", params={"limit": 1000})
    if response.status_code != 422:
        _expect(response, 200, "limit above 100 is refused (422) or capped at 100.")
        items, _ = _page_json(response)
        assert len(items) <= 100, f"GET /tasks?limit=1000 returned {len(items)} tasks: cap limit at 100 (Query(le=100))."
    _expect(await client.get("/tasks", params={"offset": -1}), 422, "a negative offset is invalid (Query(ge=0)).")


@create_app
async def test_project_with_tasks_in_a_few_statements(client, sessionmaker):
    """Does GET /projects/{id} return the project's tasks, loaded in at most 3 statements whatever their number?"""
    pid = await _seed_many(sessionmaker, 6)
    _expect(await client.get(f"/projects/{pid}"), 200, "an existing project can be read.")  # warms up the app's engine
    with counting(Engine) as statements:
        response = await client.get(f"/projects/{pid}")
    body = _expect(response, 200, "an existing project can be read.").json()
    tasks = body.get("tasks")
    assert isinstance(tasks, list), f"GET /projects/{pid} answered {str(body)[:150]}: include the project's tasks as \"tasks\"."
    assert sorted(t.get("title") for t in tasks) == [f"task {n:03}" for n in range(6)], "\"tasks\" does not hold the project's 6 tasks."
    assert len(statements) <= 3, (
        f"GET /projects/{pid} with 6 tasks sent {len(statements)} statements: load the tasks with the project "
        "(get(id, options=[selectinload(Project.tasks)])), not one query per task."
    )


@create_app
async def test_deleting_a_project_deletes_its_tasks(client, sessionmaker):
    """When a project is deleted, are its tasks gone too?"""
    ids = await _seed(sessionmaker)
    _expect(await client.delete(f"/projects/{ids['a']}"), 204, "a delete answers 204.")
    _expect(await client.get(f"/tasks/{ids['Reportage']}"), 404, "the tasks of a deleted project go with it (use taskflow.db.make_engine: it enables foreign keys on SQLite).")
    response = _expect(await client.get("/tasks", params={"limit": 100}), 200, "listing works.")
    items, total = _page_json(response)
    assert total == 4, f"After deleting project alpha, GET /tasks reports {total} tasks; beta's 4 should remain."


@create_app
async def test_conflict_in_a_race_answers_409(client):
    """When another request writes the same name between the app's check and its INSERT (forced), is the answer still 409, not 500?"""
    fired: list[str] = []

    def competitor_first(conn, cursor, statement, parameters, context, executemany):
        # The other request's row appears just before this INSERT runs, as in a race on a busy server:
        # written on the same connection, so it is deterministic on SQLite and PostgreSQL alike.
        if not fired and statement.lstrip().upper().startswith("INSERT INTO PROJECT"):
            fired.append(statement)
            cursor.execute("INSERT INTO project (name, created_at) VALUES ('raced', CURRENT_TIMESTAMP)")

    event.listen(Engine, "before_cursor_execute", competitor_first)
    try:
        response = await client.post("/projects", json={"name": "raced"})
    finally:
        event.remove(Engine, "before_cursor_execute", competitor_first)
    assert fired, f"POST /projects answered {response.status_code} without an INSERT INTO project: create the project through the service."
    _expect(response, 409, "the database refused the duplicate (IntegrityError): whatever the app checked before, map IntegrityError to 409.")
    _expect(await client.post("/projects", json={"name": "after the race"}), 201, "after a 409 the app must keep working.")


@create_app
async def test_concurrent_requests_get_their_own_sessions(client, sessionmaker):
    """Do two requests in flight at the same time (held together here) each use a session and connection of their own?"""
    await _seed(sessionmaker)
    met = asyncio.Barrier(2)
    seen: list[int] = []
    timed_out: list[bool] = []

    def hold_until_both_arrive(conn, cursor, statement, parameters, context, executemany):
        if len(seen) < 2 and statement.lstrip().upper().startswith("SELECT") and " task" in statement.lower():
            seen.append(id(conn.connection.dbapi_connection))
            try:
                await_only(asyncio.wait_for(met.wait(), 3))
            except TimeoutError:
                timed_out.append(True)

    event.listen(Engine, "before_cursor_execute", hold_until_both_arrive)
    try:
        responses = await asyncio.gather(client.get("/tasks"), client.get("/tasks", params={"status": "done"}))
    finally:
        event.remove(Engine, "before_cursor_execute", hold_until_both_arrive)
    for response in responses:
        _expect(response, 200, "two requests at the same time must both work: open one session per request (in get_session), never one for the app.")
    assert not timed_out and len(seen) == 2, (
        "The second request could not reach the database while the first was there: requests must not wait for each "
        "other. Open a session per request in get_session instead of sharing one (or a lock) across the app."
    )
    assert seen[0] != seen[1], (
        "Two requests at the same time sent their queries through one database connection: they share a session. "
        "Open one session per request (async with session_factory() as session: yield session)."
    )


@create_app
async def test_engine_is_disposed_when_the_app_stops(learner, database_url, taskflow_db):
    """When the app's lifespan ends, is its engine disposed, so no connection it opened stays open?"""
    opened: dict[int, bool] = {}

    def on_connect(dbapi_connection, record):
        opened[id(dbapi_connection)] = True

    def on_close(dbapi_connection, record):
        opened[id(dbapi_connection)] = False

    app = await _learner_app(learner, database_url)
    event.listen(Pool, "connect", on_connect)
    event.listen(Pool, "close", on_close)
    event.listen(Pool, "close_detached", on_close)
    try:
        async with _client_of(app) as http:
            _expect(await http.get("/tasks"), 200, "listing works.")
            _expect(await http.post("/projects", json={"name": "disposed"}), 201, "a created project answers 201.")
    finally:
        event.remove(Pool, "connect", on_connect)
        event.remove(Pool, "close", on_close)
        event.remove(Pool, "close_detached", on_close)
    assert opened, "The app answered without opening a database connection: use the engine made in the lifespan."
    still_open = sum(opened.values())
    assert not still_open, (
        f"{still_open} database connection(s) the app opened are still open after its lifespan ended: "
        "`await engine.dispose()` after the lifespan's yield (and make one engine, in the lifespan, not one per request)."
    )


# ------------------------------------------------------------------------------- L09.app_tests

BROKEN_APPS = _apps().BROKEN
_runs: dict[tuple, dict] = {}  # (notebook namespace, app, order) -> the outcome of the learner's tests there


def _test_cells(learner) -> set[str]:
    """The cells that define the learner's tests and fixtures."""
    cells = set()
    for name, obj in learner.namespace.items():
        is_test = name.startswith("test") and callable(obj)
        is_fixture = type(obj).__name__ == "FixtureFunctionDefinition"
        if (is_test or is_fixture) and (cell := _cell_of(obj)):
            cells.add(cell)
    return cells


def _db_engine_fixture(database_url: str, inserts: list[str]):
    @pytest.fixture
    async def db_engine():
        engine = make_engine(database_url)

        def remember(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().upper().startswith("INSERT"):
                inserts.append(statement)

        event.listen(engine.sync_engine, "before_cursor_execute", remember)
        try:
            yield engine
        finally:
            await engine.dispose()

    return db_engine


async def _empty_tables(engine) -> int:
    """Deletes every row of TaskFlow's tables; returns how many there were."""
    removed = 0
    async with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            if table.name in ("project", "task", "tag", "tasktaglink", "agent", "usageentry"):
                removed += (await conn.execute(delete(table))).rowcount or 0
    return removed


async def _suite(learner, app_name: str, database_url: str, engine, order: str = "defined") -> dict:
    """The learner's tests run on one of graders/apps: {"outcome", "inserts", "rows_left"} (cached per notebook)."""
    key = (id(learner.namespace), app_name, order)
    if key in _runs:
        return _runs[key]
    cells = _test_cells(learner)
    if not any(name.startswith("test") and callable(obj) and _cell_of(obj) for name, obj in learner.namespace.items()):
        raise AssertionError(
            "Your notebook does not define any test yet (async def test_...() functions and their fixtures in the "
            "exercise cell): the exercise is not answered."
        )
    app = _app_module(app_name)

    async def not_here(*args, **kwargs):  # a cell that also runs the tests does not run them here
        return TestOutcome()

    inserts: list[str] = []
    namespace = await _rerun(learner, cells, {"create_app": app.create_app, "get_session": app.get_session, "run_tests": not_here})
    namespace["db_engine"] = _db_engine_fixture(database_url, inserts)
    await _empty_tables(engine)
    outcome = await run_tests(namespace, order=order, seconds=15)
    _runs[key] = {"outcome": outcome, "inserts": len(inserts), "rows_left": await _empty_tables(engine)}
    return _runs[key]


def _failures(outcome: TestOutcome) -> str:
    shown = [f"{name}: {why}" for name, why in list(outcome.failed.items())[:3]] + outcome.errors[:2]
    return "; ".join(shown)[:600]


async def _passes_on_the_correct_app(learner, database_url, engine, order: str = "defined") -> dict:
    run = await _suite(learner, "reference", database_url, engine, order)
    outcome = run["outcome"]
    assert outcome.ran or outcome.errors, "Your tests did not run: define async def test_...(client) functions."
    assert outcome.ok, (
        f"Your tests fail against a correct app{' run in reverse order' if order == 'reversed' else ''}, so they "
        f"cannot tell a broken one from it: {_failures(outcome)}"
    )
    return run


async def _a_suite_that_can_fail(learner, database_url, engine, order: str = "defined") -> dict:
    """The run on the correct app, once the tests are known to pass there and to fail on some broken app:
    tests that assert nothing pass everywhere, and earn nothing for their order or their rollback."""
    run = await _passes_on_the_correct_app(learner, database_url, engine, order)
    for app_name in BROKEN_APPS:
        outcome = (await _suite(learner, app_name, database_url, engine))["outcome"]
        if outcome.failed or outcome.errors:
            return run
    raise AssertionError(
        "Your tests pass against every broken app too: they check nothing that can fail. Assert the status "
        "codes and bodies the app must answer."
    )


async def _catches(learner, database_url, engine, app_name: str, mistake: str) -> None:
    await _passes_on_the_correct_app(learner, database_url, engine)
    outcome = (await _suite(learner, app_name, database_url, engine))["outcome"]
    assert outcome.failed or outcome.errors, (
        f"All {len(outcome.passed)} of your tests pass against an app that {mistake}: add a test that checks this, "
        "with an assert on the status code or the body."
    )


@app_tests
async def test_tests_catch_a_create_that_answers_200(learner, database_url, engine, taskflow_db):
    """Do the tests pass on a correct app and fail on one whose POST answers 200 instead of 201?"""
    await _catches(learner, database_url, engine, "created_200", "answers 200 to a POST that created something (201 expected)")


@app_tests
async def test_tests_catch_a_missing_row_that_answers_200(learner, database_url, engine, taskflow_db):
    """Do the tests fail on an app that answers 200 for a task or project that does not exist?"""
    await _catches(learner, database_url, engine, "missing_200", "answers 200 for a task or project that does not exist (404 expected)")


@app_tests
async def test_tests_catch_a_conflict_that_answers_500(learner, database_url, engine, taskflow_db):
    """Do the tests fail on an app that answers 500 for a conflict (a name already taken)?"""
    await _catches(learner, database_url, engine, "conflict_500", "answers 500 for a conflict such as a taken project name (409 expected)")


@app_tests
async def test_tests_catch_a_missing_rollback(learner, database_url, engine, taskflow_db):
    """Do the tests fail on an app that does not roll back after a conflict, so its next request fails?"""
    await _catches(learner, database_url, engine, "no_rollback", "does not roll back after a conflict, so the next request in that session fails")


@app_tests
async def test_tests_catch_ignored_filters(learner, database_url, engine, taskflow_db):
    """Do the tests fail on an app whose lists ignore their filters?"""
    await _catches(learner, database_url, engine, "filters_ignored", "ignores filters such as ?priority__gte=3 and lists every row")


@app_tests
async def test_tests_catch_pages_off_by_one(learner, database_url, engine, taskflow_db):
    """Do the tests fail on an app whose pages skip a row (offset off by one)?"""
    await _catches(learner, database_url, engine, "page_off_by_one", "skips a row in every page (offset off by one)")


@app_tests
async def test_tests_catch_a_patch_that_resets_fields(learner, database_url, engine, taskflow_db):
    """Do the tests fail on an app whose PATCH also resets the fields the client did not send?"""
    await _catches(learner, database_url, engine, "patch_resets_fields", "resets the fields a PATCH did not send")


@app_tests
async def test_tests_use_the_overridden_session(learner, database_url, engine, taskflow_db):
    """Do the app's requests in the tests write through the session the tests give it (get_session overridden, on db_engine)?"""
    run = await _a_suite_that_can_fail(learner, database_url, engine)
    assert run["inserts"], (
        "Your tests passed, but nothing was written through db_engine: override the app's session dependency "
        "(app.dependency_overrides[get_session]) with one that yields a session on db_engine."
    )


@app_tests
async def test_tests_leave_the_database_empty(learner, database_url, engine, taskflow_db):
    """Is every test's data rolled back, so the database is empty once the tests are done?"""
    run = await _a_suite_that_can_fail(learner, database_url, engine)
    assert run["inserts"] and not run["rows_left"], (
        f"After your tests the database still holds {run['rows_left']} rows: run each test in a transaction that is rolled "
        "back (a connection, begin(), a session with join_transaction_mode='create_savepoint', rollback after the test)."
        if run["inserts"] else "Nothing was written through db_engine: override get_session with a session on db_engine."
    )


@app_tests
async def test_tests_pass_in_any_order(learner, database_url, engine, taskflow_db):
    """Do the tests pass when run in reverse order, so none depends on what another left behind?"""
    await _a_suite_that_can_fail(learner, database_url, engine)
    await _passes_on_the_correct_app(learner, database_url, engine, order="reversed")
