"""`skillbook dev check`: the course's files agree with course.toml (an author's tool, run in CI).

Promises (skillbook.course.promises) are checked against the checks the graders hold, which the
caller passes in as a function of the lesson (skillbook.engine.scoring.known.known_checks): the
course wing does not collect pytest checks itself.
"""

import ast
import json
import re
from collections.abc import Callable, Iterable

import nbformat

from skillbook.course import cells, manifest, paths, promises


def _grader_exercises(path) -> set[str]:
    """Exercise ids named in @pytest.mark.exercise("...") anywhere in a grader module."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "exercise" and node.args:
            if isinstance(node.args[0], ast.Constant):
                found.add(node.args[0].value)
    return found


def _notebook_problems(lesson, path) -> list[str]:
    problems = []
    if not path.exists():
        return [f"{path}: missing"]
    nb = nbformat.read(path, as_version=4)
    kept = path.is_relative_to(paths.solutions_dir())  # a solution's marked demos keep their expected output
    for number, cell in enumerate(nb.cells, 1):
        if cells.is_code(cell) and (cell.get("outputs") or cell.get("execution_count")):
            if not (kept and cells.is_output_checked(cell)):
                problems.append(f"{path}: cell {number} has outputs; commit notebooks without outputs")
        elif kept and cells.is_output_checked(cell):
            problems.append(f"{path}: cell {number} is marked NBVAL_CHECK_OUTPUT but keeps no output: run make nbval-record")
    by_id = {cells.grade_id(c): c for c in nb.cells if cells.grade_id(c)}
    for exercise in lesson.exercises:
        if exercise.grade_id not in by_id or not cells.is_solution(by_id[exercise.grade_id]):
            problems.append(f"{path}: no solution cell with grade_id {exercise.grade_id}")
        test = by_id.get(exercise.check_grade_id)
        if test is None or not cells.is_test_cell(test):
            problems.append(f"{path}: no test cell with grade_id {exercise.check_grade_id}")
            continue
        points = cells.nbgrader(test).get("points")
        if points != exercise.points:
            problems.append(f"{path}: {exercise.check_grade_id} is worth {points} points, course.toml says {exercise.points}")
        if f'check({json.dumps(exercise.id)})' not in "".join(test.source):
            problems.append(f'{path}: {exercise.check_grade_id} should call check("{exercise.id}")')
    for exercise in lesson.exercises:
        problems += promises.text_problems(exercise, promises.exercise_markdown(nb.cells, exercise), str(path))
    if not any(cells.is_reflect(c) for c in nb.cells):
        problems.append(f"{path}: no cell tagged reflect")
    if not any(cells.is_my_rules(c) for c in nb.cells):
        problems.append(f"{path}: no \"My rules\" cell (a markdown cell tagged my-rules, just before the Reflect section)")
    return problems


def _promise_problems(lesson, checks_of: Callable[[manifest.Lesson], Iterable]) -> list[str]:
    """Each exercise's promises against its grader checks, and its hints against its solution."""
    grader = paths.graders_dir() / lesson.grader_file
    try:
        checks = list(checks_of(lesson))
    except Exception as exc:  # a grader file pytest cannot collect: say so, check the rest
        return [f"{grader}: its checks could not be collected: {exc}"]
    solution = paths.solutions_dir() / lesson.dir / lesson.notebook_name
    nb_cells = nbformat.read(solution, as_version=4).cells if solution.exists() else []
    found = []
    for exercise in lesson.exercises:
        found += promises.grader_problems(exercise, checks, str(grader))
        found += promises.hint_problems(exercise, promises.solution_source(nb_cells, exercise))
    return found


def problems(checks_of: Callable[[manifest.Lesson], Iterable]) -> list[str]:
    """Everything dev check finds. `checks_of(lesson)`: the checks the lesson's graders hold, each
    with `.function` (test function name) and `.exercise`."""
    found = []
    for lesson in manifest.lessons().values():
        grader = paths.graders_dir() / lesson.grader_file
        if not grader.exists():
            found.append(f"{grader}: missing")
        else:
            found += _promise_problems(lesson, checks_of)
            graded = _grader_exercises(grader)
            ids = {e.id for e in lesson.exercises}
            found += [f"{grader}: no check for {i}" for i in sorted(ids - graded)]
            found += [f"{grader}: checks {i}, which course.toml does not list" for i in sorted(graded - ids)]
        for folder in (paths.solutions_dir(), paths.lessons_dir()):
            found += _notebook_problems(lesson, folder / lesson.dir / lesson.notebook_name)
        for exercise in lesson.exercises:
            if not exercise.hints:
                found.append(f"course.toml: {exercise.id} has no hints")
        for name in lesson.examples:
            if not (paths.reflections_dir() / "examples" / name).exists():
                found.append(f"course.toml: {lesson.id}'s example {name} is not in reflections/examples/")
        if not (paths.reflections_dir() / f"{lesson.id}.md").exists():
            found.append(f"reflections/{lesson.id}.md is missing: the rules {lesson.id}'s Reflect writes into the skill")
        if len(lesson.feeds) != 1 or not re.fullmatch(r"references/[a-z0-9-]+\.md", lesson.feeds[0]):
            found.append(f"course.toml: {lesson.id} must feed exactly one references/<topic>.md (it feeds {list(lesson.feeds)})")
    return found
