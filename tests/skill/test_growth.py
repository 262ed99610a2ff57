"""Does the skill start small, hold no answer before its lesson, and grow into one worth installing?

Read from the skill grown by reflecting every solution notebook in order (conftest.grown_skill).
"""

import ast
import json

import nbformat
import pytest

from skillbook.course import cells, manifest, paths
from skillbook.engine.grade import grade_notebook
from skillbook.learner.generated import check_source
from skillbook.skill.folder import block_body, split_frontmatter
from skillbook.skill.verify import repeated_blocks, verify_skill
from tests.builders import solution_path
from tests.skill.conftest import defined_names, python_code

LESSONS = list(manifest.lessons())
pytestmark = pytest.mark.xdist_group("grown_skill")


def _exercise_names(lesson_id: str) -> set[str]:
    """The functions and classes a lesson's exercise cells define (its answers), top level."""
    nb = nbformat.read(solution_path(lesson_id), as_version=4)
    found = set()
    for cell in nb.cells:
        if cells.is_solution(cell):
            source = "\n".join(line for line in cell.source.splitlines() if "### " not in line)
            tree = ast.parse(source)
            found |= {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    return found


def _stage_before(lesson_id: str) -> str:
    index = LESSONS.index(lesson_id)
    return "start" if index == 0 else LESSONS[index - 1]


def test_the_template_is_a_starting_point():
    """Does the template hold SKILL.md, LEARNING-SPEC.md and scripts/verify.py, with an empty index, and pass verify?"""
    template = paths.template_dir()
    files = sorted(str(p.relative_to(template)) for p in template.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    assert files == ["LEARNING-SPEC.md", "SKILL.md", "scripts/verify.py"]
    text = (template / "SKILL.md").read_text(encoding="utf-8")
    assert "references/" not in block_body(text, "index")
    for heading in ("## When to use", "## Before writing database code", "## Reference index"):
        assert heading in text
    assert verify_skill(template) == []


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_before_a_lesson_the_skill_defines_none_of_its_answers(grown_skill, lesson_id):
    """After reflecting the lessons before Lk, does the skill define none of the functions and classes Lk's exercises ask for?"""
    earlier = set().union(*(_exercise_names(e) for e in LESSONS[: LESSONS.index(lesson_id)]))
    answers = _exercise_names(lesson_id) - earlier  # L03's Task is not L00's Task answered again
    assert answers, f"{lesson_id} has no exercise that defines anything"
    for where, code in python_code(grown_skill[_stage_before(lesson_id)]).items():
        assert not defined_names(code) & answers, f"{where} already defines {sorted(defined_names(code) & answers)}"


EXECUTE_SKILL = '''\
for _code in {codes!r}:
    _namespace = {{"__name__": "skill_code"}}
    try:
        exec(compile(_code, "<skill>", "exec"), _namespace)
    except BaseException:
        pass
    globals().update({{k: v for k, v in _namespace.items() if not k.startswith("__")}})
'''


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_answering_a_lesson_with_the_skill_scores_zero(grown_skill, lesson_id, tmp_path):
    """A notebook whose every answer cell runs all the code the skill held before the lesson: does it earn 0?"""
    lesson = manifest.lesson(lesson_id)
    codes = list(python_code(grown_skill[_stage_before(lesson_id)]).values())
    nb = nbformat.read(solution_path(lesson_id), as_version=4)
    for cell in nb.cells:
        if cells.is_solution(cell):
            cell.source = EXECUTE_SKILL.format(codes=codes)
    folder = tmp_path / lesson.dir
    folder.mkdir()
    nbformat.write(nb, folder / lesson.notebook_name)
    result = grade_notebook(folder / lesson.notebook_name, lesson=lesson_id)
    assert result.error is None, result.error
    assert result.points == 0, [(e.id, e.points) for e in result.exercises if e.points]


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_each_reflect_writes_only_its_own_files(grown_skill, lesson_id):
    """Between one stage and the next, does only the lesson's reference, its example(s) and SKILL.md's index change
    (L00: also the description and LEARNING-SPEC.md)?"""
    lesson = manifest.lesson(lesson_id)
    before, after = grown_skill[_stage_before(lesson_id)], grown_skill[lesson_id]

    def snapshot(skill):
        return {str(p.relative_to(skill)): p.read_text(encoding="utf-8") for p in skill.rglob("*") if p.is_file()}

    old, new = snapshot(before), snapshot(after)
    changed = {name for name in old.keys() | new.keys() if old.get(name) != new.get(name)}
    own = {*lesson.feeds, *(f"examples/{name}" for name in lesson.examples), "SKILL.md"}
    if lesson_id == "L00":
        own.add("LEARNING-SPEC.md")
    assert changed <= own and set(lesson.feeds) <= changed, sorted(changed)
    outside = lambda text: text.replace(block_body(text, "index") or "", "")  # noqa: E731
    if lesson_id != "L00":
        assert outside(old["SKILL.md"]) == outside(new["SKILL.md"]), "SKILL.md changed outside its index"
    reference = new[lesson.feeds[0]]
    assert len(reference.splitlines()) <= 250
    body = block_body(reference, lesson_id)
    assert "## Rules the lesson proved" in body and "## My rules" in body
    for name in lesson.examples:
        assert f"(../examples/{name})" in body


def test_the_grown_skill_is_worth_installing(grown_skill):
    """After L09: Agent Skills rules (verify, examples run), at most 3,000 lines (verify.py aside), no file over 300,
    a short SKILL.md with one index line per reference, and advice to check the installed versions."""
    skill = grown_skill["L09"]
    assert verify_skill(skill) == []
    files = {str(p.relative_to(skill)): p.read_text(encoding="utf-8") for p in skill.rglob("*") if p.is_file()}
    counted = {name: len(text.splitlines()) for name, text in files.items() if name != "scripts/verify.py"}
    assert sum(counted.values()) <= 3000, counted
    assert max(counted.values()) <= 300, counted
    front, body = split_frontmatter(files["SKILL.md"])
    assert len(body.splitlines()) <= 150
    index = block_body(files["SKILL.md"], "index").splitlines()
    references = sorted(name for name in files if name.startswith("references/"))
    assert len(index) == len(references) == len(LESSONS)
    for line, reference in zip(sorted(index), references):
        assert line.startswith(f"- [{reference}]({reference}) (L") and ": Open when" in line
    assert "importlib.metadata" in body and "documentation" in body
    for where, code in python_code(skill).items():
        ast.parse(code, where)


def test_no_block_is_written_twice(grown_skill):
    """Does any block of 6 or more lines appear in two files of the grown skill?"""
    assert repeated_blocks(grown_skill["L09"]) == []


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_examples_follow_their_lessons_checklist(grown_skill, lesson_id):
    """Does check-generated, run on each example by itself, find every `require` rule of the lesson that
    concerns that example, and no `forbid` rule?"""
    lesson = manifest.lesson(lesson_id)
    skill = grown_skill["L09"]
    for name in lesson.examples:
        rules = lesson.checklist(name)
        assert any(rule.level == "require" for rule in rules), f"{name}: no rule requires anything of it"
        error, findings = check_source((skill / "examples" / name).read_text(encoding="utf-8"), rules)
        assert error is None, (name, error)
        assert all(f.ok for f in findings), (name, [(f.rule.level, f.rule.message, f.where) for f in findings if not f.ok])


def test_examples_stand_on_their_own(grown_skill):
    """Do the examples import no course code and keep their tables on SQLModel (where Alembic looks), not a private registry?"""
    for path in sorted((grown_skill["L09"] / "examples").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not {m for m in modules if m and m.split(".")[0] in ("taskflow", "skillbook")}, path.name
        assert "registry(" not in path.read_text(encoding="utf-8"), path.name


def test_the_description_and_learning_spec_are_the_learners(grown_skill):
    """After L00, are the description (quoted, valid) and the learning spec the ones from the L00 notebook?"""
    skill = grown_skill["L00"]
    front, _ = split_frontmatter((skill / "SKILL.md").read_text(encoding="utf-8"))
    line = next(line for line in front if line.startswith("description:"))
    assert json.loads(line.split(":", 1)[1]).startswith("Use when writing, reviewing or debugging async Python")
    assert "# Learning spec: relational-db-agent (my draft)" in (skill / "LEARNING-SPEC.md").read_text(encoding="utf-8")
