"""Does reflect write each lesson's own files, say what it changed, keep the learner's work, and stay out while grading?"""

import hashlib
import shutil

import nbformat
import pytest
import yaml

from skillbook.course import cells, manifest
from skillbook.skill import example
from skillbook.skill.folder import SkillFileError, block_body, create_skill, end_marker, set_frontmatter_value, split_frontmatter
from skillbook.skill.reflect import NO_RULES, reflect
from tests.builders import lesson_path, solution_path, submission_from


def _tree_digest(folder):
    digest = hashlib.sha256()
    for path in sorted(folder.parent.rglob("*")):
        if path.is_file():
            digest.update(str(path).encode() + path.read_bytes())
    return digest.hexdigest()


def _description(skill) -> str:
    front, _ = split_frontmatter((skill / "SKILL.md").read_text())
    return yaml.safe_load("".join(front))["description"]


def _with_rules(lesson_id: str, rules: str, folder) -> str:
    """The lesson's solution with its "My rules" cell filled in."""
    nb = nbformat.read(solution_path(lesson_id), as_version=4)
    cell = next(c for c in nb.cells if cells.is_my_rules(c))
    cell.source = cell.source.rstrip("- \n") + "\n\n" + rules
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / manifest.lesson(lesson_id).notebook_name
    nbformat.write(nb, path)
    return path


@pytest.fixture
def skill(isolated_skill):
    return create_skill(isolated_skill, quiet=True)


def test_l00_writes_its_reference_example_description_spec_and_index(skill, capsys):
    """Does L00's Reflect write references/first-model.md, examples/first_model.py, the description (saying
    what it was) and LEARNING-SPEC.md, and index the reference?"""
    template_description = _description(skill)
    written = reflect("L00", notebook=solution_path("L00"), skill=skill)
    out = capsys.readouterr().out
    assert sorted(written) == ["LEARNING-SPEC.md", "SKILL.md", "examples/first_model.py", "references/first-model.md"]
    assert f"description was: {template_description!r}" in out
    assert _description(skill).startswith("Use when writing, reviewing or debugging async Python")
    reference = (skill / "references" / "first-model.md").read_text()
    assert reference.startswith("# A first table model") and "[examples/first_model.py](../examples/first_model.py)" in reference
    index = block_body((skill / "SKILL.md").read_text(), "index")
    assert index.startswith("- [references/first-model.md](references/first-model.md) (L00): Open when declaring")
    assert "class Task(SQLModel, table=True)" in (skill / "examples" / "first_model.py").read_text()
    assert "(my draft)" in (skill / "LEARNING-SPEC.md").read_text()


def test_reflecting_again_changes_nothing(skill, capsys):
    """Run twice on the same notebook: is the second run a no-op that says so, with one block per file?"""
    reflect("L00", notebook=solution_path("L00"), skill=skill, quiet=True)
    assert reflect("L00", notebook=solution_path("L00"), skill=skill) == []
    assert "nothing changed" in capsys.readouterr().out
    reference = (skill / "references" / "first-model.md").read_text()
    assert reference.count("<!-- skillbook:L00:begin -->") == 1 == reference.count(end_marker("L00"))


def test_a_hand_edited_description_is_reported_and_backed_up(skill, capsys):
    """If the learner edited the description by hand, does reflect say what it was and keep a copy of SKILL.md?"""
    skill_md = skill / "SKILL.md"
    skill_md.write_text(set_frontmatter_value(skill_md.read_text(), "description", "Use when my own words say so."))
    reflect("L00", notebook=solution_path("L00"), skill=skill)
    out = capsys.readouterr().out
    assert "description was: 'Use when my own words say so.'" in out
    backups = list((skill.parent / ".skillbook" / "backups").rglob("SKILL.md"))
    assert len(backups) == 1 and "Use when my own words say so." in backups[0].read_text()
    assert str(backups[0]) in out


def test_an_edited_example_is_backed_up_before_it_is_replaced(skill, capsys):
    """Does a reflect that replaces an example the learner changed keep their version, and say where?"""
    reflect("L00", notebook=solution_path("L00"), skill=skill, quiet=True)
    example_file = skill / "examples" / "first_model.py"
    written = example_file.read_text()
    example_file.write_text(written + "\n# my change\n")
    reflect("L00", notebook=solution_path("L00"), skill=skill)
    out = capsys.readouterr().out
    assert example_file.read_text() == written
    backup = next((skill.parent / ".skillbook" / "backups").rglob("first_model.py"))
    assert backup.read_text().endswith("# my change\n") and str(backup) in out


def test_the_learners_own_text_survives(skill):
    """Does text written outside the markers, in SKILL.md and in the reference, survive a reflect word for word?"""
    reflect("L00", notebook=solution_path("L00"), skill=skill, quiet=True)
    mine = "\n## My own notes\n\nAlways ask which PostgreSQL version production runs.\n"
    for path in (skill / "SKILL.md", skill / "references" / "first-model.md"):
        path.write_text(path.read_text() + mine)
    reflect("L00", notebook=solution_path("L00"), skill=skill, quiet=True)
    for path in (skill / "SKILL.md", skill / "references" / "first-model.md"):
        assert mine in path.read_text()


def test_my_rules_are_carried_into_the_reference(skill, tmp_path):
    """Do the learner's rules reach the reference, without the cell's prompt?"""
    notebook = _with_rules("L00", "- Always `default_factory` for times: `= datetime.now(UTC)` gave every row one moment.",
                           tmp_path / "L00_build_skill")
    reflect("L00", notebook=notebook, skill=skill, quiet=True)
    block = block_body((skill / "references" / "first-model.md").read_text(), "L00")
    rules = block.split("## My rules", 1)[1]
    assert "gave every row one moment" in rules and NO_RULES not in rules and "quoted prompt" not in block


def test_an_unanswered_lesson_writes_rules_but_no_code(skill):
    """With no exercise passing, does the reference hold the lesson's rules, no example, and an empty "My rules"?"""
    reflect("L00", notebook=lesson_path("L00"), skill=skill, quiet=True)
    block = block_body((skill / "references" / "first-model.md").read_text(), "L00")
    assert "## Rules the lesson proved" in block and "No example yet" in block and NO_RULES in block
    assert not (skill / "examples" / "first_model.py").exists()
    assert "replace this with the description you write in lesson L00" in _description(skill)


def test_code_that_does_not_pass_stays_out_of_the_example(skill, tmp_path):
    """If create_task fails its check, is it (and its demo) left out of examples/crud.py, with the reason in the
    reference, and does the example still run?"""
    broken = "async def create_task(session, data):\n    return Task.model_validate(data)  # never saved\n"
    notebook = submission_from("L05", {"L05-create_task": broken}, tmp_path / "L05_crud")
    reflect("L05", notebook=notebook, skill=skill, quiet=True)
    code = (skill / "examples" / "crud.py").read_text()
    assert "def create_task(" not in code and "await create_task(" not in code and "async def delete_task(" in code
    assert "Not in it: `L05.create_task`: it does not pass its check yet." in (skill / "references" / "crud.md").read_text()
    assert example.run_examples({"crud.py": code}) is None


@pytest.mark.parametrize("flag", ["SKILLBOOK_GRADING", "NBGRADER_EXECUTION"])
def test_grading_run_writes_nothing(flag, skill, monkeypatch):
    """While a notebook is graded (by us or by nbgrader), does reflect leave the skill exactly as it was?"""
    before = _tree_digest(skill)
    monkeypatch.setenv(flag, "autograde")
    assert reflect("L00", notebook=solution_path("L00"), skill=skill, quiet=True) == []
    assert _tree_digest(skill) == before


def test_broken_markers_stop_reflect_before_it_writes(skill):
    """If the learner broke a block's markers, does reflect refuse with a message and write nothing?"""
    reflect("L00", notebook=solution_path("L00"), skill=skill, quiet=True)
    reference = skill / "references" / "first-model.md"
    reference.write_text(reference.read_text().replace(end_marker("L00"), ""))
    before = _tree_digest(skill)
    with pytest.raises(SkillFileError, match="markers of block L00 are broken"):
        reflect("L00", notebook=solution_path("L00"), skill=skill, quiet=True)
    assert _tree_digest(skill) == before


def test_a_missing_skill_is_rebuilt_from_every_saved_notebook(isolated_skill, tmp_path, capsys):
    """With the skill folder gone, does reflecting L05 rebuild L00 and L01 from their notebooks, and name L02,
    whose notebook cannot be read?"""
    lessons = tmp_path / "lessons"
    for lesson_id in ("L00", "L01", "L05"):
        lesson = manifest.lesson(lesson_id)
        (lessons / lesson.dir).mkdir(parents=True)
        shutil.copy(solution_path(lesson_id), lessons / lesson.dir / lesson.notebook_name)
    broken = lessons / "L02_async_engine" / "L02_async_engine.ipynb"
    broken.parent.mkdir()
    broken.write_text('{"cells": [')  # a save that was cut off
    reflect("L05", notebook=lessons / "L05_crud" / "L05_crud.ipynb", skill=isolated_skill)
    out = capsys.readouterr().out
    assert "rebuilt L00" in out and "rebuilt L01" in out and "Could not rebuild: L02" in out
    index = block_body((isolated_skill / "SKILL.md").read_text(), "index")
    assert [line.split(" (")[1][:3] for line in index.splitlines()] == ["L00", "L01", "L05"]
    assert (isolated_skill / "examples" / "structured_data.py").exists()
