"""Do the skill-file helpers edit only what is theirs?"""

import pytest

from skillbook.skill.folder import SkillFileError, block_body, replace_block, set_frontmatter_value, split_frontmatter


def test_replace_block_replaces_only_between_markers():
    text = "before\n<!-- skillbook:L05:begin -->\nold\n<!-- skillbook:L05:end -->\nafter\n"
    new = replace_block(text, "L05", "new")
    assert new == "before\n<!-- skillbook:L05:begin -->\nnew\n<!-- skillbook:L05:end -->\nafter\n"
    assert block_body(new, "L05") == "new"


def test_missing_block_is_appended_under_a_heading():
    new = replace_block("my text", "L06", "body", heading="What I learned in L06")
    assert new.startswith("my text\n") and "## What I learned in L06" in new and block_body(new, "L06") == "body"


@pytest.mark.parametrize("text", [
    "<!-- skillbook:L05:begin -->\nno end",
    "<!-- skillbook:L05:end -->\n<!-- skillbook:L05:begin -->",
    "<!-- skillbook:L05:begin -->\n<!-- skillbook:L05:begin -->\n<!-- skillbook:L05:end -->",
])
def test_broken_markers_raise(text):
    with pytest.raises(SkillFileError):
        replace_block(text, "L05", "x")


def test_frontmatter_value_is_quoted_and_multiline_values_replaced():
    text = "---\nname: relational-db-agent\ndescription: >\n  folded\n  value\nlicense: MIT\n---\nbody\n"
    new = set_frontmatter_value(text, "description", "Use when: a colon #and hash")
    front, body = split_frontmatter(new)
    assert front == ["name: relational-db-agent\n", 'description: "Use when: a colon #and hash"\n', "license: MIT\n"]
    assert body == "body\n"
