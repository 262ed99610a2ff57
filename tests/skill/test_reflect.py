"""Does reflect write each lesson into its own block, keep the learner's text, and stay out while grading?"""

import hashlib

import pytest
import yaml

from skillbook.skill.reflect import reflect
from skillbook.skill.folder import SkillFileError, begin_marker, create_skill, end_marker, split_frontmatter
from tests.builders import lesson_path, solution_path


def _tree_digest(folder):
    digest = hashlib.sha256()
    for path in sorted(folder.parent.rglob("*")):
        if path.is_file():
            digest.update(str(path).encode() + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def skill(isolated_skill):
    return create_skill(isolated_skill, quiet=True)


def test_reflect_twice_leaves_one_block(skill):
    """Does running L00's reflect twice leave exactly one L00 block in each file it writes?"""
    reflect("L00", notebook=solution_path("L00"), skill=skill, quiet=True)
    first = (skill / "SKILL.md").read_text()
    reflect("L00", notebook=solution_path("L00"), skill=skill, quiet=True)
    text = (skill / "SKILL.md").read_text()
    assert text.count(begin_marker("L00")) == 1 and text.count(end_marker("L00")) == 1
    assert "#### My code that passes the lesson's checks" in text
    assert "class Task" in text
    spec = (skill.parent / "LEARNING-SPEC.md").read_text()
    assert spec.count(begin_marker("L00")) == 1
    assert first.split("_Written by")[0] == text.split("_Written by")[0]


def test_description_goes_into_the_frontmatter_quoted(skill):
    """Is the learner's passing skill_description written into SKILL.md as valid YAML?"""
    reflect("L00", notebook=solution_path("L00"), skill=skill, quiet=True)
    front, _ = split_frontmatter((skill / "SKILL.md").read_text())
    data = yaml.safe_load("".join(front))
    assert data["name"] == "relational-db-agent"
    assert data["description"].startswith("Use when") and "SQLModel" in data["description"]


def test_learners_own_text_survives(skill):
    """Does text the learner wrote outside the markers survive a reflect, word for word?"""
    skill_md = skill / "SKILL.md"
    mine = "\n## My own notes\n\nAlways ask which PostgreSQL version production runs.\n"
    skill_md.write_text(skill_md.read_text() + mine)
    spec = skill.parent / "LEARNING-SPEC.md"
    spec.write_text("# My spec\n\nWritten by me before the lesson.\n")
    reflect("L00", notebook=solution_path("L00"), skill=skill, quiet=True)
    reflect("L00", notebook=solution_path("L00"), skill=skill, quiet=True)
    assert mine in skill_md.read_text()
    assert "Written by me before the lesson." in spec.read_text()


def test_unanswered_lesson_writes_patterns_but_no_code(skill):
    """With no exercise passing, does the block hold the lesson's patterns but none of the learner's code?"""
    reflect("L00", notebook=lesson_path("L00"), skill=skill, quiet=True)
    text = (skill / "SKILL.md").read_text()
    assert "Skill anatomy" in text and "My code that passes" not in text
    front, _ = split_frontmatter(text)
    assert "Use when" in yaml.safe_load("".join(front))["description"]  # the template's, untouched


@pytest.mark.parametrize("flag", ["SKILLBOOK_GRADING", "NBGRADER_EXECUTION"])
def test_grading_run_writes_nothing(flag, skill, monkeypatch):
    """While a notebook is graded (by us or by nbgrader), does reflect leave the skill exactly as it was?"""
    before = _tree_digest(skill)
    monkeypatch.setenv(flag, "autograde")
    assert reflect("L00", notebook=solution_path("L00"), skill=skill, quiet=True) == []
    assert _tree_digest(skill) == before


def test_broken_markers_stop_reflect_before_it_writes(skill):
    """If the learner broke a block's markers, does reflect refuse with a message and write nothing?"""
    skill_md = skill / "SKILL.md"
    skill_md.write_text(skill_md.read_text().replace(end_marker("L00"), ""))
    before = _tree_digest(skill)
    with pytest.raises(SkillFileError, match="markers of block L00 are broken"):
        reflect("L00", notebook=solution_path("L00"), skill=skill, quiet=True)
    assert _tree_digest(skill) == before


def test_index_lists_every_reference(skill):
    """Does the SKILL.md index link every reference file?"""
    reflect("L00", notebook=solution_path("L00"), skill=skill, quiet=True)
    text = (skill / "SKILL.md").read_text()
    for ref in (skill / "references").glob("*.md"):
        assert f"(references/{ref.name})" in text


def test_example_is_copied_but_an_edited_one_is_kept(skill):
    """Is the lesson's example copied in, and a copy the learner edited left alone?"""
    reflect("L00", notebook=solution_path("L00"), skill=skill, quiet=True)
    example = skill / "examples" / "task_model.py"
    assert example.exists()
    example.write_text(example.read_text() + "\n# my change\n")
    reflect("L00", notebook=solution_path("L00"), skill=skill, quiet=True)
    assert example.read_text().endswith("# my change\n")
