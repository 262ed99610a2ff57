"""Does every exercise ask for something the lesson has not already shown, with hints that do not give it away?

- demo copy: no three consecutive lines of a solution region (comments and blank lines left out,
  spaces collapsed) appear in a row in a teaching code cell of the same lesson;
- hint quote: no level-1 hint and no promise hint contains a line of the exercise's solution
  (the rule `skillbook dev check` applies too).
"""

import io
import tokenize

import nbformat
import pytest

from skillbook.course import cells, manifest, promises
from tests.builders import solution_path

RUN = 3  # consecutive lines that make a copy
LESSONS = list(manifest.lessons())


def normalised(text: str) -> list[str]:
    """The code's lines, comments (by the tokenizer: a '#' inside a string stays) and blank lines left
    out, spaces collapsed."""
    lines = text.splitlines()
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                row, col = token.start
                lines[row - 1] = lines[row - 1][:col]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # a cell the tokenizer cannot read (a magic): compare its lines as they are
    return promises.code_lines(lines)


def copies(solution: list[str], teaching: list[str], run: int = RUN) -> list[tuple[str, ...]]:
    """Each run of `run` consecutive solution lines that also appears consecutively in `teaching`."""
    shown = {tuple(teaching[i:i + run]) for i in range(len(teaching) - run + 1)}
    return [tuple(solution[i:i + run]) for i in range(len(solution) - run + 1) if tuple(solution[i:i + run]) in shown]


def test_copies_are_found_whatever_the_spacing_and_comments():
    """Does the comparison ignore comments, blank lines and spacing, and need three lines in a row?"""
    region = promises.solution_region(
        "def f(s):\n    ### BEGIN SOLUTION\n    x = s.get(1)  # look up\n\n    x.done = True\n    return x\n    ### END SOLUTION\n")
    solution = normalised("\n".join(region))
    assert copies(solution, normalised("x  =  s.get(1)\n# then\nx.done = True\nreturn x\n")) == [
        ("x = s.get(1)", "x.done = True", "return x")]
    assert copies(solution, normalised("x = s.get(1)\nprint(x)\nx.done = True\nreturn x\n")) == []


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_no_exercise_copies_a_demo(lesson_id):
    nb = nbformat.read(solution_path(lesson_id), as_version=4).cells
    teaching = [(number, normalised(promises.source(c)))
                for number, c in enumerate(nb, 1) if cells.is_code(c) and not cells.nbgrader(c).get("grade_id")]
    found = []
    for cell in nb:
        if not cells.is_solution(cell):
            continue
        solution = normalised("\n".join(promises.solution_region(promises.source(cell))))
        for number, lines in teaching:
            found += [f"{cells.grade_id(cell)} repeats cell {number}: {' / '.join(run)}" for run in copies(solution, lines)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_no_hint_quotes_the_solution(lesson_id):
    """Does no level-1 hint or promise hint contain a line (12 characters or more) of the exercise's solution?"""
    nb = nbformat.read(solution_path(lesson_id), as_version=4).cells
    found = [problem for exercise in manifest.lesson(lesson_id).exercises
             for problem in promises.hint_problems(exercise, promises.solution_source(nb, exercise))]
    assert not found, "\n".join(found)
