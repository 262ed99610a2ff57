"""Do the solutions' demos still print what the lessons say they print, and does only that output stay
in the committed notebooks?

A demo whose printed output is the point of the lesson starts with `# NBVAL_CHECK_OUTPUT`; its expected
output is kept in the solution notebook (PostgreSQL's, where it differs, in `<notebook>.postgres.json`
beside it: skillbook.course.expected). nbval runs every solution on each backend and compares those
cells, after solutions/nbval-sanitize.cfg. `make nbval-record` re-records them after a deliberate change.
"""

import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from skillbook.course import cells, expected, manifest, paths
from skillbook.engine.databases import backend
from skillbook.learner import runs

LESSONS = [lesson_id for lesson_id, lesson in manifest.lessons().items()
           if expected.checked_cells(nbformat.read(expected.solution_path(lesson), as_version=4))]


def _run(nb, lesson, database_url):
    return runs.run_in_scratch(nb, lesson, database_url=database_url, skip=runs.left_out(nb, checks=True),
                               sanitize=expected.sanitize_file())


def _failures(results) -> list[str]:
    return [f"cell {r.cell_id}: " + (r.diff if r.problem == "output" else f"{r.ename or r.problem}: {r.evalue}")
            for r in results if r.outcome == "failed"]


@pytest.mark.slow
@pytest.mark.parametrize("lesson_id", LESSONS)
def test_marked_demos_print_what_the_solution_expects(lesson_id, database_url):
    """Run under nbval in a fresh kernel, does every marked demo print its expected output on this backend?"""
    lesson = manifest.lesson(lesson_id)
    nb = expected.notebook(lesson, backend(database_url))
    failures = _failures(_run(nb, lesson, database_url))
    assert not failures, (
        "\n\n".join(failures) + "\n\nIf the change is meant (a rewritten demo, a new library version), re-record "
        "with `make nbval-record` (TEST_DATABASE_URL set, for PostgreSQL) and read the diff before you commit it."
    )


def _set_text(cell, text: str) -> None:
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    cell.execution_count = 1


@pytest.mark.slow
def test_nbval_catches_a_changed_output_and_nothing_else():
    """With one expected output altered, does nbval fail exactly that cell with a diff, while a different
    memory address (sanitized away) and an unmarked cell's stale output pass?"""
    lesson = manifest.lesson("L05")
    nb = expected.notebook(lesson)
    by_id = {cell.get("id"): cell for cell in nb.cells}
    steps = by_id["l05-create-steps"]
    truth = steps.outputs[0]["text"]
    assert "another session sees it: False" in truth
    _set_text(steps, truth.replace("another session sees it: False", "another session sees it: True"))
    coroutine = by_id["l05-exec-no-await"]
    coroutine.outputs[0]["text"] = coroutine.outputs[0]["text"].replace("0x<address>", "0x7f3a2c1d9e40")
    assert not cells.is_output_checked(by_id["l05-reset"])
    _set_text(by_id["l05-reset"], "an output nobody checks\n")

    results = {r.cell_id: r for r in _run(nb, lesson, None)}
    failed = [cell_id for cell_id, r in results.items() if r.outcome == "failed"]
    assert failed == ["l05-create-steps"], _failures(results.values())
    diff = results["l05-create-steps"].diff
    assert results["l05-create-steps"].problem == "output"
    assert "another session sees it: True" in diff and "another session sees it: False" in diff, diff


def _committed_notebooks() -> list[Path]:
    """git's list when this is a checkout (a class's submitted/ notebooks are not ours), else every notebook."""
    root = paths.repo_root()
    listed = subprocess.run(["git", "ls-files", "-z", "*.ipynb"], cwd=root, capture_output=True, text=True)
    if listed.returncode == 0 and listed.stdout:
        return [root / name for name in sorted(listed.stdout.split("\0")) if name]
    return [path for path in sorted(root.rglob("*.ipynb"))
            if not any(part.startswith(".") for part in path.relative_to(root).parts)]


def test_only_marked_solution_cells_keep_outputs():
    """Do the committed notebooks carry outputs only in solutions/ cells marked NBVAL_CHECK_OUTPUT, and
    does every such cell keep one (else nbval would skip it silently)?"""
    solutions = paths.solutions_dir()
    problems = []
    notebooks = _committed_notebooks()
    assert any(path.is_relative_to(paths.lessons_dir()) for path in notebooks)
    for path in notebooks:
        in_solutions = path.is_relative_to(solutions)
        for cell in nbformat.read(path, as_version=4).cells:
            if not cells.is_code(cell):
                continue
            kept = bool(cell.outputs) or cell.execution_count is not None
            checked = cells.is_output_checked(cell)
            if kept and not (in_solutions and checked):
                problems.append(f"{path}: cell {cell.get('id')} carries outputs")
            if in_solutions and checked and not (cell.outputs and cell.execution_count is not None):
                problems.append(f"{path}: cell {cell.get('id')} is marked but keeps no expected output (make nbval-record)")
            if checked and not cell.source.startswith(cells.CHECK_OUTPUT + "\n"):
                problems.append(f"{path}: cell {cell.get('id')}: write {cells.CHECK_OUTPUT} as its first line")
            if checked and (cells.is_test_cell(cell) or cells.is_reflect(cell) or cells.is_solution(cell)):
                problems.append(f"{path}: cell {cell.get('id')}: only demonstrations are marked {cells.CHECK_OUTPUT}")
    assert not problems, "\n".join(problems)


def test_every_lesson_from_L04_checks_three_demos():
    counts = {lesson_id: len(expected.checked_cells(nbformat.read(expected.solution_path(lesson), as_version=4)))
              for lesson_id, lesson in manifest.lessons().items()}
    assert all(count >= 3 for lesson_id, count in counts.items() if lesson_id >= "L04"), counts


def test_postgres_outputs_belong_to_marked_cells():
    """Does every PostgreSQL expected output stand for a marked cell of its solution, and differ from SQLite's
    (a copy of SQLite's would be dead weight that re-recording removes)?"""
    for lesson in manifest.lessons().values():
        differing = expected.postgres_outputs(lesson)
        sqlite = {cell.get("id"): cell.outputs for cell in expected.checked_cells(expected.notebook(lesson))}
        for cell_id, outputs in differing.items():
            assert cell_id in sqlite, f"{expected.postgres_path(lesson)}: {cell_id} is not a marked cell"
            assert [nbformat.from_dict(o) for o in outputs] != sqlite[cell_id], f"{cell_id}: same as on SQLite"
            for output in outputs:
                nbformat.validator.validate(nbformat.from_dict(output), ref="output", version=4)
    assert any(expected.postgres_outputs(lesson) for lesson in manifest.lessons().values())


def test_recorded_outputs_are_stored_sanitized():
    """Are the kept outputs what the sanitize rules leave, so re-recording changes only what really changed?"""
    sanitize = expected.sanitizer()
    for lesson in manifest.lessons().values():
        for cell in expected.checked_cells(expected.notebook(lesson)):
            assert expected.clean(cell.outputs, sanitize) == cell.outputs, f"{lesson.id} {cell.get('id')}"


def test_sanitize_rules_cover_what_varies_between_runs():
    sanitize = expected.sanitizer()
    assert sanitize("<coroutine object AsyncSession.exec at 0x7fe6a7cec040>") == "<coroutine object AsyncSession.exec at 0x<address>>"
    assert sanitize("Create Date: 2026-12-01 00:41:31.555131") == "Create Date: <time>"
    assert sanitize('"created_at":"2026-12-01T00:42:50.883302Z"') == '"created_at":"<time>Z"'
    assert sanitize("a commit per task: 1034.9 ms, 2 statements") == "a commit per task: <duration>, 2 statements"
    assert sanitize("[{'%(139971779675280 param)s': 1}]") == "[{'%(<id> param)s': 1}]"
    assert sanitize("Path: /tmp/pytest-of-me/pytest-3/x0/L08_migrations/migrations/versions/0001.py") == \
        "Path: <lesson folder>/migrations/versions/0001.py"
    assert sanitize("scratch folder: /tmp/l01-2pf4mvff") == "scratch folder: <temp folder>"
    assert sanitize("10 projects, 11 statements") == "10 projects, 11 statements"


@pytest.mark.sqlite_only
def test_grading_ignores_kept_outputs(grade, submission, tmp_path):
    """Does a notebook grade the same with its kept outputs, without them, and with outputs that lie?"""
    solution = grade(expected.solution_path(manifest.lesson("L05")))
    nb = expected.notebook(manifest.lesson("L05"))
    lying, bare = copy.deepcopy(nb), copy.deepcopy(nb)
    for cell in lying.cells:
        if cells.is_code(cell):
            cell.outputs = [nbformat.v4.new_output("error", ename="NotImplementedError", evalue="", traceback=[])]
            cell.execution_count = 7
    for cell in bare.cells:
        if cells.is_code(cell):
            cell.outputs, cell.execution_count = [], None
    results = []
    for name, variant in (("lying", lying), ("bare", bare)):
        (tmp_path / name).mkdir()
        nbformat.write(variant, tmp_path / name / "L05_crud.ipynb")
        results.append(grade(tmp_path / name / "L05_crud.ipynb"))
    assert solution.points == solution.max_points
    for result in results:
        assert [(e.id, e.points, e.message) for e in result.exercises] == [(e.id, e.points, e.message) for e in solution.exercises]


@pytest.mark.slow
def test_record_writes_back_exactly_the_expected_outputs(tmp_path):
    """After an expected output was altered and an unmarked cell got an output, does `skillbook dev
    record-outputs` (make nbval-record) bring the solution back to what a fresh run prints, byte for byte?"""
    root = tmp_path / "course"
    shutil.copytree(paths.repo_root(), root, ignore=shutil.ignore_patterns(".*", "*.db"))
    lesson = manifest.lesson("L00")
    solution = root / "solutions" / lesson.dir / lesson.notebook_name
    committed = solution.read_text(encoding="utf-8")
    nb = nbformat.read(solution, as_version=4)
    marked = expected.checked_cells(nb)[0]
    marked.outputs[0]["text" if "text" in marked.outputs[0] else "evalue"] = "stale\n"
    unmarked = next(c for c in nb.cells if cells.is_code(c) and not cells.is_output_checked(c))
    _set_text(unmarked, "an output that must not stay\n")
    nbformat.write(nb, solution)
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    done = subprocess.run([sys.executable, "-m", "skillbook", "dev", "record-outputs", "l00"], capture_output=True,
                          text=True, timeout=600, env={**env, "SKILLBOOK_ROOT": str(root)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"L00: {len(expected.checked_cells(nb))} checked cells; updated" in done.stdout
    assert solution.read_text(encoding="utf-8") == committed
