"""Does a check grade what the kernel ran, and answer a broken or foreign notebook with advice that works?"""

import json
import shlex
import shutil
import subprocess

import pytest

from skillbook.course import manifest
from skillbook.learner.notebooks import difference_note, lesson_problem, load, one_line, problem, with_ran_sources
from tests.builders import lesson_path, solution_path

L05 = manifest.lesson("L05")


def _cells(path):
    return {cell["id"]: cell for cell in json.loads(path.read_text())["cells"]}


def test_ran_sources_replace_the_saved_ones_and_name_the_exercises():
    """Does the graded notebook hold what ran, and does the note name the exercises whose saved cell differs?"""
    raw, _ = load(lesson_path("L05"), L05)
    solved = _cells(solution_path("L05"))
    ran = {
        "l05-ex1-solution": "".join(solved["l05-ex1-solution"]["source"]),  # create_task, fixed and not saved
        "l05-ex2-solution": "".join(raw["cells"][16]["source"]),  # get_task ran as saved
        "l05-update-dump": "print('tried something')",  # a demo cell changed
        "l05-ex1-check": 'await check("L05.create_task")',  # a check cell: never graded
        "a-cell-made-in-the-lab": "x = 1",  # not in the saved file
    }
    graded = with_ran_sources(raw, ran, L05)
    cells = {cell["id"]: cell for cell in json.loads(graded.content)["cells"]}
    assert cells["l05-ex1-solution"]["source"] == ran["l05-ex1-solution"]
    assert cells["l05-update-dump"]["source"] == "print('tried something')"
    assert (graded.exercises, graded.other_cells, graded.unsaved_new) == (["L05.create_task"], 1, 1)
    note = difference_note(graded)
    assert "L05.create_task" in note and "1 other cell" in note and "Ctrl+S" in note


def test_nothing_changed_means_the_saved_file_is_graded():
    raw, _ = load(lesson_path("L05"), L05)
    same = {cell["id"]: "".join(cell["source"]) for cell in raw["cells"]}
    graded = with_ran_sources(raw, same, L05)
    assert graded.content is None and difference_note(graded) is None


def _truncate(path):
    text = path.read_text()
    path.write_text(text[: len(text) // 2])


def test_a_truncated_notebook_is_answered_with_a_restore_that_works(tmp_path):
    """Is a notebook cut short while saving answered in one line, and does the advised command bring it back?"""
    notebook = tmp_path / L05.notebook_name
    shutil.copy(lesson_path("L05"), notebook)
    (tmp_path / ".ipynb_checkpoints").mkdir()
    shutil.copy(notebook, tmp_path / ".ipynb_checkpoints" / "L05_crud-checkpoint.ipynb")
    _truncate(notebook)
    why = problem(notebook, L05)
    assert "\n" not in why and "not a whole notebook" in why
    command = why.split("copy back Jupyter's last checkpoint: ", 1)[1].split(";")[0]
    subprocess.run(shlex.split(command), check=True)
    assert problem(notebook, L05) is None


def test_a_course_notebook_is_told_to_come_back_with_git(tmp_path, monkeypatch):
    """In a course clone, is `git restore <path>` advised, and does it bring the notebook back?"""
    from skillbook.course import paths

    course = tmp_path / "course"
    notebook = course / "lessons" / L05.dir / L05.notebook_name
    notebook.parent.mkdir(parents=True)
    shutil.copy(paths.manifest_path(), course / "course.toml")
    shutil.copy(lesson_path("L05"), notebook)
    git = ["git", "-C", str(course), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "start"], check=True)
    monkeypatch.setenv("SKILLBOOK_ROOT", str(course))
    _truncate(notebook)
    why = problem(notebook, L05)
    assert "git restore 'lessons/L05_crud/L05_crud.ipynb'" in why
    subprocess.run(shlex.split(why.split("(or the blank lesson): ", 1)[1]), cwd=course, check=True)
    assert problem(notebook, L05) is None


def test_another_lessons_notebook_is_pointed_to_the_right_file():
    why = problem(lesson_path("L03"), L05)
    assert "L03's notebook, not L05's" in why and "lessons/L05_crud/L05_crud.ipynb" in why


@pytest.mark.parametrize("content, words", [
    (None, "there is no notebook"),
    ('{"cells": [', "not a whole notebook"),
    ('{"nbformat": 4}', "not a notebook (it has no cells)"),
    (b"\xff\xfe\x00binary", "not a text file"),
])
def test_bad_files_get_one_line(tmp_path, content, words):
    notebook = tmp_path / L05.notebook_name
    if isinstance(content, bytes):
        notebook.write_bytes(content)
    elif content is not None:
        notebook.write_text(content)
    why = problem(notebook, L05)
    assert words in why and "\n" not in why


def test_unknown_lessons_and_exceptions_read_as_one_line():
    assert "the course has L00" in lesson_problem("L99")
    assert lesson_problem("l05", lesson_path("L05")) is None  # any case
    assert one_line(KeyError("unknown lesson 'x'")) == "unknown lesson 'x'"
    assert one_line(ValueError("first\nsecond")) == "ValueError: first"


@pytest.mark.parametrize("call, words", [
    (lambda reflect, broken: reflect("L99"), "unknown lesson 'L99' (the course has L00"),
    (lambda reflect, broken: reflect("L05", notebook=broken), "is not a whole notebook"),
    (lambda reflect, broken: reflect("L05", notebook=broken.with_name("missing.ipynb")), "there is no notebook"),
])
def test_reflect_answers_bad_input_in_one_line(tmp_path, capsys, call, words):
    """Does the notebook's reflect() answer an unknown lesson or a broken notebook in one line, writing nothing?"""
    from skillbook import reflect

    broken = tmp_path / L05.notebook_name
    broken.write_text('{"cells": [{"cell_type": "code", "sou')
    assert call(reflect, broken) == []
    said = capsys.readouterr().out
    assert said.count("\n") == 1 and said.startswith("✗ reflect(") and words in said, said
