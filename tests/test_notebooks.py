"""Do the lesson notebooks run top to bottom in a real kernel, and is lessons/ what nbgrader generates?"""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from skillbook import cells, manifest, paths
from skillbook.databases import isolated_database

LESSONS = list(manifest.lessons())


def _stderr_outputs(nb) -> list[str]:
    found = []
    for number, cell in enumerate(nb.cells, 1):
        for output in cell.get("outputs", []):
            if output.get("name") == "stderr" or (output.get("output_type") == "error" and not cells.is_demonstration(cell)):
                found.append(f"cell {number}: {output.get('text') or output.get('ename')}")
    return found


@pytest.mark.slow
@pytest.mark.parametrize("lesson_id", LESSONS)
def test_solution_notebook_executes(lesson_id, tmp_path, isolated_skill, database_url, monkeypatch):
    """Does the master notebook run top to bottom in a kernel, with nothing on stderr and full points?"""
    lesson = manifest.lesson(lesson_id)
    source = paths.solutions_dir() / lesson.dir / lesson.notebook_name
    workdir = tmp_path / lesson.dir
    workdir.mkdir()
    nb = nbformat.read(source, as_version=4)
    nbformat.write(nb, workdir / lesson.notebook_name)  # check() grades the saved notebook beside the kernel
    with isolated_database(database_url, tmp_path) as lesson_db:
        # The teaching cells use a database of their own (DATABASE_URL); check cells grade on the server.
        monkeypatch.setenv("DATABASE_URL", lesson_db)
        if database_url:
            monkeypatch.setenv("TEST_DATABASE_URL", database_url)
        client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(workdir)}})
        client.execute()
    assert not _stderr_outputs(nb), _stderr_outputs(nb)
    demos = [c for c in nb.cells if cells.is_demonstration(c)]
    for cell in demos:
        assert any(o.get("output_type") == "error" for o in cell.outputs), f"demonstration cell {cell.get('id')} did not fail"
    earned = 0.0
    for cell in nb.cells:
        if cells.is_test_cell(cell):
            results = [o for o in cell.outputs if o.get("output_type") == "execute_result"]
            assert results, f"test cell {cells.grade_id(cell)} returned no points"
            earned += float(results[-1]["data"]["text/plain"])
    assert earned == lesson.max_points
    assert (isolated_skill / "SKILL.md").exists(), "the reflect cell should have written into the (temporary) skill"


@pytest.mark.slow
def test_lessons_are_what_nbgrader_generates(tmp_path):
    """Is every committed student notebook exactly what `make lessons` makes from solutions/?"""
    release = tmp_path / "release"
    env = dict(os.environ, COURSE_DIR=str(tmp_path), SKILLBOOK_RELEASE_DIR=str(release),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    for lesson in manifest.lessons().values():
        subprocess.run(
            [Path(sys.executable).parent / "nbgrader", "generate_assignment", lesson.dir, "--force", "--log-level=ERROR"],
            cwd=paths.repo_root(), env=env, check=True, capture_output=True,
        )
        generated = (release / lesson.dir / lesson.notebook_name).read_text(encoding="utf-8")
        committed = (paths.lessons_dir() / lesson.dir / lesson.notebook_name).read_text(encoding="utf-8")
        assert generated == committed, f"lessons/{lesson.dir} drifted from solutions/: run `make lessons`"


@pytest.mark.parametrize("folder", ["solutions", "lessons"])
def test_notebooks_are_committed_without_outputs(folder):
    """Are the committed notebooks free of outputs and execution counts?"""
    for path in sorted((paths.repo_root() / folder).rglob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cells.is_code(cell):
                assert not cell.outputs and cell.execution_count is None, f"{path} has outputs"
