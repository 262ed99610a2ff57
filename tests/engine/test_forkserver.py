"""Is a notebook graded in a forked child isolated like one graded in a fresh process?"""

import json
import os

import pytest

from skillbook.engine.forkserver import ForkServer, ForkServerError
from tests.builders import solution_path

SPY = """import json, os
json.dump({"env": dict(os.environ), "cwd": os.getcwd()}, open(os.environ["SPY_FILE"], "w"))"""


def _env(tmp_path, **extra):
    return {"PATH": os.environ["PATH"], "SKILLBOOK_GRADING": "1", "SKILLBOOK_SKILL_DIR": str(tmp_path / "no-skill"),
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", **extra}


def _args(notebook, results, *more):
    return ["--lesson", "L00", "--notebook", str(notebook), "--results", str(results), *more]


def test_child_sees_only_the_environment_and_folder_it_was_given(tmp_path, submission, monkeypatch):
    monkeypatch.setenv("SERVER_ONLY_SECRET", "must not reach a notebook")
    notebook = submission("L00", {"l00-create-skill": SPY})
    work = notebook.parent
    with ForkServer() as server:
        for round_ in ("first", "second"):  # every request is a new, clean child of the same server
            spy = tmp_path / f"{round_}.json"
            code, output = server.run(_args(notebook, tmp_path / f"{round_}.jsonl"),
                                      env=_env(tmp_path, SPY_FILE=str(spy)), cwd=work, timeout=60)
            assert code == 0, output
            seen = json.loads(spy.read_text())
            assert "SERVER_ONLY_SECRET" not in seen["env"] and seen["env"]["SPY_FILE"] == str(spy)
            assert seen["cwd"] == str(work)
            assert '"event": "end"' in (tmp_path / f"{round_}.jsonl").read_text()


def test_a_child_that_fails_or_hangs_costs_only_itself(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    with ForkServer() as server:
        code, output = server.run(_args("x.ipynb", tmp_path / "r0.jsonl") + ["--lesson", "NOPE"], env=_env(tmp_path), cwd=work, timeout=30)
        assert code not in (0, None) and "NOPE" in output  # an unknown lesson: the child fails, says why
        code, _ = server.run(_args(solution_path("L00"), tmp_path / "r.jsonl"), env=_env(tmp_path), cwd=work, timeout=0.2)
        assert code is None  # killed at the limit, long before it could finish
        code, _ = server.run(_args(solution_path("L00"), tmp_path / "r2.jsonl"), env=_env(tmp_path), cwd=work, timeout=60)
        assert code == 0  # and the server grades the next one


def test_a_closed_server_says_so():
    server = ForkServer()
    server.close()
    with pytest.raises(ForkServerError):
        server.run(["--lesson", "L00"], env={}, cwd=os.getcwd(), timeout=5)
