"""An exercise's promises against its graders, its text and its solution (read by `skillbook dev check`).

- every exercise lists promises; each promise names checks the graders hold for that exercise, and
  each grader check belongs to exactly one promise;
- the exercise's markdown cell lists the promises' `says` under `**What is checked:**`, in order,
  word for word;
- no level-1 hint and no promise hint quotes a line of the exercise's solution.

The graders' checks come from the caller (skillbook.engine.scoring.known collects them), as
anything with `.function` (the test function's name) and `.exercise`.
"""

import re
from collections.abc import Iterable

from skillbook.course import cells
from skillbook.course.manifest import Exercise

CHECKED_HEADING = "**What is checked:**"
QUOTED_LINE_CHARS = 12  # a solution line this long (stripped) is an answer, not a word a hint may share
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


def source(cell) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text


def solution_region(text: str) -> list[str]:
    """The lines between `### BEGIN SOLUTION` and `### END SOLUTION` (markers may be indented)."""
    lines, inside = [], False
    for line in text.splitlines():
        marker = line.strip()
        if marker == BEGIN:
            inside = True
        elif marker == END:
            inside = False
        elif inside:
            lines.append(line)
    return lines


def code_lines(lines: Iterable[str]) -> list[str]:
    """Lines with blank lines and comments left out, each stripped and its inner spaces collapsed."""
    kept = (" ".join(line.split()) for line in lines)
    return [line for line in kept if line and not line.startswith("#")]


def quotable_lines(text: str) -> list[str]:
    """The lines of a solution cell's region that give the answer away when a hint contains one: at
    least 12 characters, and doing something (a call, an assignment, an attribute, an index, a block),
    so `return False` or `yield session`, which an exercise's text says in words, are not among them."""
    return [line for line in code_lines(solution_region(text))
            if len(line) >= QUOTED_LINE_CHARS and re.search(r"[(\[=.:]", line)]


def quoted(hint: str, solution_lines: Iterable[str]) -> list[str]:
    """The solution lines a hint contains (spaces collapsed on both sides)."""
    flat = " ".join(hint.split())
    return list(dict.fromkeys(line for line in solution_lines if line in flat))


def checked_list(markdown: str) -> list[str] | None:
    """The bullets under `**What is checked:**` (a bullet's indented continuation lines joined), or
    None when the cell has no such line."""
    lines = markdown.splitlines()
    headings = [i for i, line in enumerate(lines) if line.strip() == CHECKED_HEADING]
    if not headings:
        return None
    start = headings[-1]  # the statement nearest the solution cell
    bullets: list[str] = []
    for line in lines[start + 1:]:
        if re.match(r"^[-*] ", line):
            bullets.append(line[2:].strip())
        elif bullets and line.startswith(" ") and line.strip():
            bullets[-1] += " " + line.strip()
        elif line.strip() or bullets:
            break
    return [" ".join(b.split()) for b in bullets]


def exercise_markdown(nb_cells: list, exercise: Exercise) -> str | None:
    """The text of the markdown cells between the exercise's solution cell and the graded cell before
    it (the exercise's statement), or None when the notebook has no solution cell for it."""
    at = next((i for i, c in enumerate(nb_cells) if cells.grade_id(c) == exercise.grade_id), None)
    if at is None:
        return None
    parts = []
    for cell in reversed(nb_cells[:at]):
        if cells.grade_id(cell):
            break
        if cell.get("cell_type") == "markdown":
            parts.insert(0, source(cell))
    return "\n\n".join(parts)


def solution_source(nb_cells: list, exercise: Exercise) -> str:
    return next((source(c) for c in nb_cells if cells.grade_id(c) == exercise.grade_id and cells.is_solution(c)), "")


def grader_problems(exercise: Exercise, checks: Iterable, where: str) -> list[str]:
    """Promises against the graders' checks: none missing, none unknown, each check in one promise."""
    if not exercise.promises:
        return [f"course.toml: {exercise.id} has no promises: list what its text promises as [[lesson.exercise.promise]]"]
    checks = list(checks)
    own = {c.function for c in checks if c.exercise == exercise.id}
    elsewhere = {c.function: c.exercise for c in checks if c.exercise != exercise.id}
    found = []
    for promise in exercise.promises:
        for name in promise.checks:
            if name in elsewhere:
                found.append(f"course.toml: {exercise.id}'s promise {promise.id!r} names {name}, which checks {elsewhere[name]}")
            elif name not in own:
                found.append(f"course.toml: {exercise.id}'s promise {promise.id!r} names {name}, which {where} does not hold")
    for name in sorted(own):
        holders = [p.id for p in exercise.promises if name in p.checks]
        if not holders:
            found.append(f"{where}: {name} checks {exercise.id} but belongs to none of its promises")
        elif len(holders) > 1:
            found.append(f"course.toml: {name} belongs to {len(holders)} promises of {exercise.id} ({', '.join(holders)}); a check proves one")
    if not any(p.main for p in exercise.promises):
        found.append(f"course.toml: {exercise.id} has no main promise (main = true): its edge checks could never count")
    return found


def text_problems(exercise: Exercise, markdown: str | None, where: str) -> list[str]:
    """The exercise's statement lists its promises' `says` under **What is checked:**, in order."""
    if not exercise.promises:
        return []
    if markdown is None:
        return []  # the missing solution cell is reported by dev check's notebook checks
    listed = checked_list(markdown)
    says = [" ".join(p.says.split()) for p in exercise.promises]
    if listed is None:
        return [f"{where}: {exercise.id}'s text has no `{CHECKED_HEADING}` list (the `says` of its promises, in course.toml's order)"]
    if listed != says:
        first = next((i for i, (a, b) in enumerate(zip(listed, says)) if a != b), min(len(listed), len(says)))
        shown = listed[first] if first < len(listed) else "(nothing)"
        wanted = says[first] if first < len(says) else "(nothing: course.toml has no more promises)"
        return [f"{where}: {exercise.id}'s `{CHECKED_HEADING}` bullet {first + 1} reads {shown!r}; course.toml says {wanted!r}"]
    return []


def hint_problems(exercise: Exercise, solution: str) -> list[str]:
    """Level-1 and promise hints that contain a line of the exercise's solution."""
    lines = quotable_lines(solution)
    hints = [("its level-1 hint", exercise.hint)] + [(f"the hint of promise {p.id!r}", p.hint) for p in exercise.promises]
    return [f"course.toml: {exercise.id}: {which} quotes the solution line {line!r}"
            for which, hint in hints for line in quoted(hint, lines)]
