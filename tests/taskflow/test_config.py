"""Does taskflow.config.database_url rewrite a hosted provider's URL for asyncpg, as L02 teaches, and
read DATABASE_URL from a .env file that the environment overrides?"""

import os
import re

import pytest
from sqlalchemy.engine import make_url

from skillbook.course import paths
from taskflow.config import DEFAULT_URL, database_url, settings

NEON = "postgresql://agent:p%40ss@ep-example-123456.eu-central-1.aws.neon.tech/agents?sslmode=require&channel_binding=require"


@pytest.mark.parametrize(("given", "expected"), [
    (NEON, "postgresql+asyncpg://agent:p%40ss@ep-example-123456.eu-central-1.aws.neon.tech/agents?ssl=require"),
    ("postgres://u:pw@db:6543/app", "postgresql+asyncpg://u:pw@db:6543/app"),
    ("postgresql+asyncpg://u@db/app?sslmode=verify-full&application_name=agent",
     "postgresql+asyncpg://u@db/app?application_name=agent&ssl=verify-full"),
    ("postgresql://u@db/app?channel_binding=disable", "postgresql+asyncpg://u@db/app"),
    ("sqlite+aiosqlite:///data/tasks.db", "sqlite+aiosqlite:///data/tasks.db"),
    ("", DEFAULT_URL),
])
def test_database_url_rewrites_for_asyncpg(given, expected):
    """Does the URL come out with the asyncpg driver, ssl for sslmode, no channel_binding, the password intact?"""
    assert database_url({"DATABASE_URL": given}) == expected


@pytest.mark.parametrize("given", ["mysql://u@db/app", "sqlite:///tasks.db", "postgresql+psycopg://u@db/app", "postgress://u@db/app"])
def test_database_url_refuses_other_schemes(given):
    scheme = given.split(":")[0]
    with pytest.raises(ValueError, match=re.escape(scheme)):
        database_url({"DATABASE_URL": given})


@pytest.fixture
def course(tmp_path, monkeypatch):
    """A course folder with a .env at its top, the working directory in one of its lessons."""
    lesson = tmp_path / "lessons" / "L05_crud"
    lesson.mkdir(parents=True)
    (tmp_path / ".env").write_text(f"# never committed\nDATABASE_URL={NEON}\nOTHER\n", encoding="utf-8")
    monkeypatch.chdir(lesson)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return tmp_path


def test_a_dotenv_above_the_notebook_is_read(course):
    """From a notebook's folder, is the course's .env found, its URL rewritten, os.environ left alone?"""
    url = make_url(database_url())
    assert (url.drivername, url.host, url.password, dict(url.query)) == (
        "postgresql+asyncpg", "ep-example-123456.eu-central-1.aws.neon.tech", "p@ss", {"ssl": "require"})
    assert "DATABASE_URL" not in os.environ, "settings() must not copy the file's secrets into the environment"


def test_the_environment_wins_over_dotenv(course, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    assert database_url() == "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    assert settings()["DATABASE_URL"] == os.environ["DATABASE_URL"]


def test_without_dotenv_or_variable_sqlite(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert database_url() == DEFAULT_URL


def test_the_readme_dotenv_advice_works_as_written(tmp_path, monkeypatch):
    """Does the README's .env block, put where the README says, give the lessons an asyncpg URL over TLS?"""
    readme = (paths.repo_root() / "README.md").read_text(encoding="utf-8")
    block = re.search(r"file named `\.env` at the top of your clone.*?```text\n(.*?)```", readme, re.S)
    assert block, "README should show the .env file's content in a ```text block after saying where it goes"
    (tmp_path / ".env").write_text(block.group(1), encoding="utf-8")
    (tmp_path / "lessons" / "L04_sessions").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "lessons" / "L04_sessions")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    url = make_url(database_url())
    assert url.drivername == "postgresql+asyncpg" and dict(url.query) == {"ssl": "require"}, url
