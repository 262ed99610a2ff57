"""Do course.toml, the notebooks and the graders agree (`skillbook dev check`)?

The promise rules are tried on a one-lesson fixture course (a course.toml, its two notebooks, a
grader file) built in a temporary folder; the last test runs dev check over the real course.
"""

import shutil
from types import SimpleNamespace

import nbformat
import pytest

from skillbook.course import cells, manifest, paths
from skillbook.course.devcheck import problems
from skillbook.engine.scoring.known import known_checks

SOLUTION = '''def double(values: list[int]) -> list[int]:
    """Every value twice as large."""
    ### BEGIN SOLUTION
    doubled = [value * 2 for value in values]
    return doubled
    ### END SOLUTION
'''
PROMISES = '''
[[lesson.exercise.promise]]
id = "doubles"
says = "returns each value times two, in order"
checks = ["test_doubles", "test_keeps_order"]
main = true
hint = "Build a new list; leave the argument alone."

[[lesson.exercise.promise]]
id = "empty"
says = "an empty list gives an empty list"
checks = ["test_empty"]
main = false
hint = "What does a comprehension over nothing give?"
'''
CHECKED = """**What is checked:**

- returns each value times two,
  in order
- an empty list gives an empty list
"""
CHECKS = ("test_doubles", "test_keeps_order", "test_empty")


def _manifest(promises: str, hint: str) -> str:
    return f'''format_version = 1

[[lesson]]
id = "L01"
dir = "L01_fixture"
title = "Fixture"
feeds = ["references/fixture.md"]

[[lesson.exercise]]
id = "L01.double"
points = 2
hints = [{hint!r}, "second hint"]
{promises}'''.replace("'", '"')


def _notebook(statement: str):
    nb = nbformat.v4.new_notebook()
    solution = nbformat.v4.new_code_cell(SOLUTION)
    solution.metadata["nbgrader"] = {"solution": True, "grade": False, "grade_id": "L01-double"}
    test = nbformat.v4.new_code_cell('await check("L01.double")')
    test.metadata["nbgrader"] = {"solution": False, "grade": True, "locked": True, "points": 2, "grade_id": "L01-double-check"}
    rules = nbformat.v4.new_markdown_cell("## My rules")
    rules.metadata["tags"] = ["my-rules"]
    reflect = nbformat.v4.new_code_cell('reflect("L01")')
    reflect.metadata["tags"] = ["reflect"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Fixture"), nbformat.v4.new_code_cell("x = 1"),
                nbformat.v4.new_markdown_cell("## Exercise 1 · `double` (2 points)\n\nWrite `double(values)`.\n\n" + statement),
                solution, test, rules, reflect]
    return nb


@pytest.fixture
def fixture_course(tmp_path, monkeypatch):
    """Write a one-lesson course; dev check's problems for it, given the checks its graders hold."""

    built = []

    def build(*, promises=PROMISES, statement=CHECKED, hint="Multiply inside a list comprehension.", checks=CHECKS):
        built.append(1)
        root = tmp_path / f"course{len(built)}"  # a new path each time: course.toml is read once per path
        for folder in ("solutions", "lessons"):
            (root / folder / "L01_fixture").mkdir(parents=True)
            nbformat.write(_notebook(statement), root / folder / "L01_fixture" / "L01_fixture.ipynb")
        (root / "graders").mkdir()
        (root / "graders" / "test_L01_fixture.py").write_text(
            "".join(f'@pytest.mark.exercise("L01.double")\ndef {name}(learner): ...\n' for name in checks))
        (root / "reflections").mkdir()
        (root / "reflections" / "L01.md").write_text("# Fixture\n")
        (root / "course.toml").write_text(_manifest(promises, hint))
        monkeypatch.setenv("SKILLBOOK_ROOT", str(root))
        held = [SimpleNamespace(function=name, exercise="L01.double") for name in checks]
        return problems(lambda lesson: held)

    return build


def test_a_course_whose_promises_match_passes(fixture_course):
    """Do promises that name every check once, listed word for word in both notebooks, pass?"""
    assert fixture_course() == []


def test_an_exercise_without_promises_fails(fixture_course):
    found = fixture_course(promises="")
    assert len(found) == 1 and "L01.double has no promises" in found[0]


def test_a_promise_naming_a_check_the_graders_lack_fails(fixture_course):
    found = fixture_course(checks=("test_doubles", "test_keeps_order"))
    assert len(found) == 1 and "names test_empty, which" in found[0] and "does not hold" in found[0]


def test_a_check_in_no_promise_or_in_two_fails(fixture_course):
    """Is a grader check no promise names reported, and one two promises name?"""
    found = fixture_course(checks=(*CHECKS, "test_stray"))
    assert len(found) == 1 and "test_stray checks L01.double but belongs to none of its promises" in found[0]
    twice = PROMISES.replace('checks = ["test_empty"]', 'checks = ["test_empty", "test_doubles"]')
    found = fixture_course(promises=twice)
    assert len(found) == 1 and "test_doubles belongs to 2 promises of L01.double (doubles, empty)" in found[0]


@pytest.mark.parametrize("statement, says", [
    pytest.param("Write it.\n", "has no `**What is checked:**` list", id="missing"),
    pytest.param("**What is checked:**\n\n- an empty list gives an empty list\n- returns each value times two, in order\n",
                 "bullet 1 reads 'an empty list gives an empty list'", id="order"),
    pytest.param("**What is checked:**\n\n- returns each value doubled, in order\n- an empty list gives an empty list\n",
                 "bullet 1 reads 'returns each value doubled, in order'", id="words"),
    pytest.param("**What is checked:**\n\n- returns each value times two, in order\n",
                 "bullet 2 reads '(nothing)'", id="one-missing"),
])
def test_the_exercise_text_lists_the_promises(fixture_course, statement, says):
    """Does the statement in both notebooks have to list every `says`, in order and word for word?"""
    found = fixture_course(statement=statement)
    assert len(found) == 2, found  # solutions/ and lessons/
    assert all(says in problem for problem in found), found
    assert {"solutions", "lessons"} == {p.split("/L01_fixture/")[0].rsplit("/", 1)[1] for p in found}


def test_hints_that_quote_the_solution_fail(fixture_course):
    """Does a level-1 hint or a promise hint containing a solution line fail, and a short shared word not?"""
    found = fixture_course(hint="Write `doubled = [value * 2 for value in values]` and return it.")
    assert found == ["course.toml: L01.double: its level-1 hint quotes the solution line "
                     "'doubled = [value * 2 for value in values]'"]
    found = fixture_course(promises=PROMISES.replace("Build a new list; leave the argument alone.",
                                                     "Try doubled  =  [value * 2 for value in values]."))
    assert found == ["course.toml: L01.double: the hint of promise 'doubles' quotes the solution line "
                     "'doubled = [value * 2 for value in values]'"]
    assert fixture_course(hint="Use a comprehension, then `return doubled`.") == []  # a bare return says no more than the text


def test_manifest_rejects_a_wrong_exercise_prefix():
    with pytest.raises(manifest.ManifestError, match="must start with L01"):
        manifest.parse('format_version = 1\n[[lesson]]\nid = "L01"\ndir = "x"\ntitle = "x"\n'
                       '[[lesson.exercise]]\nid = "L02.y"\npoints = 1\n')


def test_manifest_rejects_a_check_for_an_example_the_lesson_lacks():
    lesson = 'format_version = 1\n[[lesson]]\nid = "L01"\ndir = "x"\ntitle = "x"\nexample = ["a.py", "b.py"]\n'
    rule = '[[lesson.check]]\nkind = "call"\nlevel = "require"\nname = "f"\nmessage = "m"\nexample = "{}"\n'
    assert [r.example for r in manifest.parse(lesson + rule.format("b.py"))["L01"].checklist("b.py")] == ["b.py"]
    assert manifest.parse(lesson + rule.format("b.py"))["L01"].checklist("a.py") == []
    with pytest.raises(manifest.ManifestError, match="names example 'c.py', which is not one of the lesson's: a.py, b.py"):
        manifest.parse(lesson + rule.format("c.py"))


def test_outputs_are_kept_only_where_nbval_checks_them(tmp_path, monkeypatch):
    """Does dev check accept the expected output of a marked solution demo, and flag a marked demo
    without one, and any output in lessons/?"""
    root = tmp_path / "course"
    shutil.copytree(paths.repo_root(), root, ignore=shutil.ignore_patterns(".*", "*.db"), symlinks=True)
    monkeypatch.setenv("SKILLBOOK_ROOT", str(root))
    lesson = manifest.lesson("L04")
    solution = root / "solutions" / lesson.dir / lesson.notebook_name
    handed_out = root / "lessons" / lesson.dir / lesson.notebook_name
    nb = nbformat.read(solution, as_version=4)
    marked = next(c for c in nb.cells if cells.is_output_checked(c))
    marked.outputs, marked.execution_count = [], None
    nbformat.write(nb, solution)
    nb = nbformat.read(handed_out, as_version=4)
    next(c for c in nb.cells if cells.is_code(c)).outputs = [nbformat.v4.new_output("stream", name="stdout", text="x")]
    nbformat.write(nb, handed_out)
    found = [p for p in problems(lambda lesson: ()) if "has outputs" in p or "NBVAL_CHECK_OUTPUT" in p]
    assert len(found) == 2, found
    assert "is marked NBVAL_CHECK_OUTPUT but keeps no output: run make nbval-record" in found[0]
    assert str(handed_out) in found[1] and "has outputs" in found[1]


def test_course_is_consistent():
    """Does the real course pass dev check: every exercise's promises match its grader checks, its
    text lists them, and no hint quotes its solution?"""
    found = problems(known_checks)
    assert not found, f"{len(found)} problem(s):\n" + "\n".join(found)
