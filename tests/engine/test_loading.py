"""Does the kernel-less loader run a notebook the way a kernel would, and survive what a learner writes?"""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from skillbook.engine.loading import load_notebook
from skillbook.engine.loading.learner import NotDefined


def _notebook(tmp_path, *cells):
    path = tmp_path / "L00_build_skill.ipynb"
    nbformat.write(new_notebook(cells=list(cells)), path)
    return path


def _tagged(source, *tags, **nbgrader):
    metadata = {"tags": list(tags)}
    if nbgrader:
        metadata["nbgrader"] = nbgrader
    return new_code_cell(source, metadata=metadata)


async def test_top_level_await_and_shared_namespace(tmp_path):
    """Do cells share one namespace, with top-level await and async with, as in Jupyter?"""
    path = _notebook(
        tmp_path,
        new_markdown_cell("# text"),
        new_code_cell("import asyncio\nvalue = await asyncio.sleep(0, result=41)"),
        new_code_cell("async def bump(x):\n    return x + 1\nanswer = await bump(value)"),
    )
    learner = await load_notebook(path)
    assert learner.answer == 42 and not learner.errors


async def test_skips_tests_demonstrations_reflect_and_skip_grading(tmp_path):
    """Are test cells, raises-exception, skip-grading and reflect cells left out?"""
    path = _notebook(
        tmp_path,
        new_code_cell("ran = []"),
        _tagged("ran.append('test')", grade=True, solution=False, grade_id="x-check", points=1),
        _tagged("ran.append('demo'); 1/0", "raises-exception"),
        _tagged("ran.append('slow')", "skip-grading"),
        _tagged("ran.append('reflect')", "reflect"),
        new_code_cell("ran.append('code')"),
    )
    assert (await load_notebook(path)).ran == ["code"]


async def test_magics_and_shell_escapes_are_harmless(tmp_path):
    """Do %magics, %%cell magics and !shell lines run as no-ops instead of syntax errors?"""
    path = _notebook(tmp_path, new_code_cell("%load_ext autoreload\n!ls\nx = 1"), new_code_cell("%%time\ny = 2"))
    learner = await load_notebook(path)
    assert learner.x == 1 and not learner.errors


async def test_failing_cell_is_recorded_and_the_next_runs(tmp_path):
    """Does one broken cell cost only what it defines, with its cell number and line in the message?"""
    path = _notebook(tmp_path, new_code_cell("a = 1\nb = undefined_name"), new_code_cell("c = 3"))
    learner = await load_notebook(path)
    assert learner.c == 3
    with pytest.raises(NotDefined, match=r"NameError: name 'undefined_name' is not defined \(cell 1, line 2\)"):
        learner.b


async def test_unanswered_cell_says_so(tmp_path):
    path = _notebook(tmp_path, _tagged("# YOUR CODE HERE\nraise NotImplementedError()", grade_id="L00-skill_description", solution=True, grade=False))
    learner = await load_notebook(path)
    with pytest.raises(NotDefined, match="cell 1 is not answered yet"):
        learner.skill_description


async def test_output_is_captured(tmp_path, capsys):
    """Does nothing the notebook prints reach our stdout or stderr?"""
    path = _notebook(tmp_path, new_code_cell("import sys\nprint('out')\nprint('err', file=sys.stderr)"))
    await load_notebook(path)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


async def test_forward_references_resolve_in_the_notebook_module(tmp_path):
    """Do classes that refer to each other by name resolve, as they would in Jupyter's __main__?"""
    path = _notebook(tmp_path, new_code_cell(
        "from dataclasses import dataclass\n@dataclass\nclass Node:\n    child: 'Node | None' = None\n"
        "import typing\nhints = typing.get_type_hints(Node)"
    ))
    learner = await load_notebook(path)
    assert "child" in learner.hints


async def test_cell_time_limit(tmp_path):
    path = _notebook(tmp_path, new_code_cell("while True:\n    pass"), new_code_cell("after = True"))
    learner = await load_notebook(path, cell_seconds=0.5)
    assert learner.after and "did not finish within 0.5 s" in learner.errors[0].message
