"""Run pytest tests that live in a namespace (a notebook's, or one a grader builds), not in a file.

    outcome = await run_tests(globals())      # in a notebook: the tests and fixtures it defined
    outcome.passed, outcome.failed            # test names
    print(outcome)                            # one line per test, and why the failures failed

The tests run in a thread of their own with pytest and pytest-asyncio (`async def` tests and
fixtures need no marks), so the notebook's event loop keeps running. Nothing is written to the
terminal: the outcome holds what happened.
"""

import asyncio
import contextlib
import os
import sys
import tempfile
import types
from dataclasses import dataclass, field
from pathlib import Path

import pytest

MODULE_FILE = "test_namespace.py"  # an empty file pytest collects; its tests come from the namespace


@dataclass
class TestOutcome:
    """What a run of the tests found: names of tests that passed or failed, and why they failed."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    passed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # test name -> the first lines of its failure
    errors: list[str] = field(default_factory=list)  # collection errors: the tests could not be found

    @property
    def ran(self) -> int:
        return len(self.passed) + len(self.failed)

    @property
    def ok(self) -> bool:
        return self.ran > 0 and not self.failed and not self.errors

    def __str__(self) -> str:
        lines = [f"{len(self.passed)} passed, {len(self.failed)} failed"]
        lines += [f"  passed  {name}" for name in self.passed]
        lines += [f"  FAILED  {name}: {why}" for name, why in self.failed.items()]
        lines += [f"  ERROR   {error}" for error in self.errors]
        return "\n".join(lines)


def _short(report) -> str:
    """The line of a failure a reader needs: the assertion (or exception) message, not the traceback."""
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    return " ".join(text.split())[:300]


class _Collector:
    """A pytest plugin: the module pytest collects is the namespace; outcomes are recorded, not printed."""

    def __init__(self, module: types.ModuleType, order: str) -> None:
        self.module = module
        self.order = order
        self.outcome = TestOutcome()

    @pytest.hookimpl(tryfirst=True)
    def pytest_pycollect_makemodule(self, module_path, parent):
        if module_path.name == MODULE_FILE:
            namespace_module = _NamespaceModule.from_parent(parent, path=module_path)
            namespace_module.namespace = self.module
            return namespace_module
        return None

    def pytest_collection_modifyitems(self, items):
        if self.order == "reversed":
            items.reverse()

    def pytest_collectreport(self, report):
        if report.failed:
            self.outcome.errors.append(_short(report))

    def pytest_runtest_logreport(self, report):
        name = report.nodeid.split("::")[-1]
        if report.failed:
            self.outcome.failed.setdefault(name, ("error in setup: " if report.when == "setup" else "") + _short(report))
        elif report.when == "call" and report.passed and name not in self.outcome.failed:
            self.outcome.passed.append(name)
        elif report.skipped and report.when in ("setup", "call"):
            self.outcome.failed.setdefault(name, "skipped: a test that does not run proves nothing")


class _NamespaceModule(pytest.Module):
    namespace: types.ModuleType

    def _getobj(self):
        return self.namespace


def _as_module(namespace: dict) -> types.ModuleType:
    module = types.ModuleType("tests_from_namespace")
    module.__dict__.update({k: v for k, v in namespace.items() if k not in ("__name__", "__file__", "__builtins__")})
    return module


# pytest.main reads these from the environment; a learner's (or a CI's) -x, -q or --tb=... must not change
# how a notebook's tests run, nor load plugins into the notebook's process.
ENVIRONMENT_SETTINGS = ("PYTEST_ADDOPTS", "PYTEST_PLUGINS")


@contextlib.contextmanager
def _without_pytest_settings_from_the_environment():
    saved = {name: os.environ.pop(name) for name in ENVIRONMENT_SETTINGS if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def _run(namespace: dict, order: str) -> TestOutcome:
    collector = _Collector(_as_module(namespace), order)
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, MODULE_FILE).write_text("")
        Path(folder, "pytest.ini").write_text("[pytest]\n")
        args = [
            str(Path(folder, MODULE_FILE)), "-c", str(Path(folder, "pytest.ini")), "--rootdir", folder,
            "-s", "--disable-plugin-autoload", "-p", "pytest_asyncio.plugin",
            "-p", "no:cacheprovider", "-p", "no:faulthandler", "-p", "no:terminal",
            "-o", "asyncio_mode=auto", "-o", "asyncio_default_fixture_loop_scope=function",
            "-o", "asyncio_default_test_loop_scope=function", "-W", "ignore::pytest.PytestAssertRewriteWarning",
        ]
        with _without_pytest_settings_from_the_environment():
            code = pytest.main(args, plugins=[collector])
    if code == pytest.ExitCode.NO_TESTS_COLLECTED and not collector.outcome.errors:
        collector.outcome.errors.append("no tests found: name each test function test_...")
    return collector.outcome


async def run_tests(namespace: dict, *, order: str = "defined", seconds: float = 120) -> TestOutcome:
    """Run the `test_*` functions of `namespace` with its fixtures; `order="reversed"` runs them backwards."""
    modules_before = set(sys.modules)
    try:
        return await asyncio.wait_for(asyncio.to_thread(_run, namespace, order), seconds)
    except TimeoutError:
        return TestOutcome(errors=[f"the tests did not finish within {seconds:g} s (a test that waits forever?)"])
    finally:
        for name in set(sys.modules) - modules_before:
            if name.startswith("tests_from_namespace"):
                sys.modules.pop(name, None)
