"""Fixtures for the kit's own tests.

- database_url: parametrized over the backends: SQLite always, PostgreSQL when TEST_DATABASE_URL is set
- grade:        grade a notebook with skillbook's engine on that backend
- submission:   build a learner's notebook from a lesson's solution with some cells replaced
- isolated_skill (autouse): SKILLBOOK_SKILL_DIR points into tmp_path, so no test touches my-skill/
"""

import os

import pytest

from skillbook.engine import grade as grading
from skillbook.engine.grade import grade_notebook
from tests.builders import submission_from

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
needs_postgres = pytest.mark.skipif(not POSTGRES_URL, reason="set TEST_DATABASE_URL to run on PostgreSQL")
BACKENDS = [
    pytest.param(None, id="sqlite"),
    pytest.param(POSTGRES_URL, id="postgres", marks=[needs_postgres, pytest.mark.postgres]),
]



def pytest_configure(config):
    """Grade through a warm fork server: the suite grades hundreds of notebooks (a third faster each).
    tests/engine/test_grade.py also grades with a fresh process, the path `skillbook grade` takes."""
    grading.use_fork_servers()


@pytest.fixture(params=BACKENDS)
def database_url(request, monkeypatch) -> str | None:
    """None means SQLite, else a PostgreSQL server to grade on.

    For SQLite, TEST_DATABASE_URL leaves the environment: grading falls back to it otherwise.
    """
    if request.param is None:
        monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
    return request.param


@pytest.fixture
def grade(database_url):
    def run(notebook, **kwargs):
        return grade_notebook(notebook, database_url=database_url, **kwargs)

    return run


@pytest.fixture
def submission(tmp_path):
    def build(lesson_id: str, replacements: dict[str, str] | None = None, *, name: str = "submission"):
        return submission_from(lesson_id, replacements or {}, tmp_path / name)

    return build


@pytest.fixture(autouse=True)
def isolated_skill(tmp_path, monkeypatch):
    skill = tmp_path / "my-skill" / "relational-db-agent"
    monkeypatch.setenv("SKILLBOOK_SKILL_DIR", str(skill))
    return skill


@pytest.hookimpl(tryfirst=True)  # before pytest's own -m selection reads the `slow` marks added here
def pytest_collection_modifyitems(config, items):
    """A test marked sqlite_only runs on SQLite alone: its PostgreSQL copy is deselected. The PostgreSQL
    copy of a test marked slow_on_postgres is slow (`make test-slow`)."""
    keep, drop = [], []
    for item in items:
        on_postgres = getattr(item, "callspec", None) and item.callspec.params.get("database_url") is not None
        if on_postgres and item.get_closest_marker("slow_on_postgres"):
            item.add_marker(pytest.mark.slow)
        (drop if on_postgres and item.get_closest_marker("sqlite_only") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    _tag_xdist_groups(config, items)


def _tag_xdist_groups(config, items) -> None:
    """Make `--dist loadgroup` keep an xdist_group on one worker again.

    pytest-xdist 3.8 tags a grouped test by writing `item._nodeid`, which pytest 9.2 no longer reads
    (a node's id is now the structured `item._id`), so every group was spread over both workers and
    the expensive fixtures the groups exist for (the graded class, the grown skill) were built once
    a worker. We write the same `<nodeid>@<group>` id where pytest 9.2 reads it.
    """
    if not getattr(config.option, "loadgroup", False):  # set on xdist workers started with --dist loadgroup
        return
    from _pytest.nodeid import NodeId

    for item in items:
        names = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in item.iter_markers("xdist_group")})
        if names and not item.nodeid.endswith("@" + "_".join(names)):
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(names)}")

