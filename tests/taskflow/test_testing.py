"""taskflow.testing.run_tests runs a notebook's test_* functions with pytest: the same outcome whatever the
PYTEST_ADDOPTS of the shell that started the kernel (L09's testing exercise once broke under `-p no:terminal`
plus terminal options from the environment)."""

import pytest

from taskflow.testing import run_tests


def _namespace() -> dict:
    namespace: dict = {}
    exec(
        "import pytest\n"
        "@pytest.fixture\n"
        "def number():\n"
        "    return 2\n"
        "def test_adds(number):\n"
        "    assert number + number == 4\n"
        "async def test_waits():\n"
        "    import asyncio\n"
        "    await asyncio.sleep(0)\n"
        "def test_breaks():\n"
        "    assert 1 == 2\n",
        namespace,
    )
    return namespace


@pytest.mark.parametrize("addopts", [None, "-q --tb=long -rA -x", "--color=yes -v --durations=3"])
async def test_pytest_options_from_the_environment_change_nothing(addopts, monkeypatch):
    if addopts is None:
        monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    else:
        monkeypatch.setenv("PYTEST_ADDOPTS", addopts)
    outcome = await run_tests(_namespace())
    assert sorted(outcome.passed) == ["test_adds", "test_waits"], outcome
    assert list(outcome.failed) == ["test_breaks"] and "AssertionError" in outcome.failed["test_breaks"], outcome
    assert not outcome.errors, outcome
    if addopts is not None:
        import os

        assert os.environ["PYTEST_ADDOPTS"] == addopts  # given back as it was
