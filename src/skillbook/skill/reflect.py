"""`reflect("L05")`: write what a lesson taught into the learner's own skill.

For each skill file the lesson feeds (course.toml), the lesson's block gets: the lesson's curated
patterns (reflections/<lesson>.md), the learner's own code for every exercise that passes its
graders, and their gap notes (the markdown cell tagged `gaps`). It also refreshes the SKILL.md
reference index, copies the lesson's runnable example, and, where an exercise says so, writes the
learner's value into SKILL.md's frontmatter. Nothing outside the lesson's markers changes; running
it again replaces the same blocks; while grading it writes nothing.
"""

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import json

from skillbook.course import cells, manifest, paths
from skillbook.course.locate import is_grading, lesson_notebook
from skillbook.course.manifest import Lesson
from skillbook.files import atomic_write
from skillbook.skill.folder import (
    create_skill,
    replace_block,
    set_frontmatter_value,
)

INDEX = "index"


def _cell_text(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _solution_code(notebook, exercise) -> str:
    parts = [_cell_text(c) for c in notebook["cells"] if cells.is_solution(c) and cells.grade_id(c) == exercise.grade_id]
    return "\n\n".join(p.strip() for p in parts if p.strip())


def _strip_solution_markers(code: str) -> str:
    return "\n".join(line for line in code.splitlines() if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


def _tagged_markdown(notebook, predicate) -> str:
    return "\n\n".join(_cell_text(c).strip() for c in notebook["cells"] if predicate(c)).strip()


def lesson_block(lesson: Lesson, notebook, passed: list, notes: str | None) -> str:
    patterns_file = paths.reflections_dir() / f"{lesson.id}.md"
    parts = [f"### {lesson.id} {lesson.title}", ""]
    if patterns_file.exists():
        parts += [patterns_file.read_text(encoding="utf-8").strip(), ""]
    if passed:
        parts += ["#### My code that passes the lesson's checks", ""]
        for exercise in passed:
            code = _strip_solution_markers(_solution_code(notebook, exercise)).strip()
            if code:
                parts += [f"`{exercise.id}`:", "", "```python", code, "```", ""]
    gaps = "\n\n".join(p for p in (_tagged_markdown(notebook, cells.is_gaps), (notes or "").strip()) if p)
    if gaps:
        parts += ["#### Gaps I still have", "", _demote_headings(gaps), ""]
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts.append(f"_Written by reflect(\"{lesson.id}\") on {stamp}; run it again to replace this block._")
    return "\n".join(parts)


def _demote_headings(markdown: str) -> str:
    """The learner's headings go below ours, so the skill's outline stays intact."""
    return re.sub(r"^(#{1,4}) ", lambda m: "#" * max(len(m.group(1)), 5) + " ", markdown, flags=re.M)


def _summary_line(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "<!--", "---", "|", "```")):
            return line.rstrip(".")[:120]
    return ""


def reference_index(skill: Path) -> str:
    """One line a reference file, with the lessons whose blocks it already holds."""
    lines = []
    for ref in sorted((skill / "references").glob("*.md")):
        text = ref.read_text(encoding="utf-8")
        done = sorted(set(re.findall(r"<!-- skillbook:(L\d\d):begin -->\n(?!<!-- skillbook)", text)))
        learned = f" (learned in {', '.join(done)})" if done else ""
        lines.append(f"- [references/{ref.name}](references/{ref.name}) — {_summary_line(ref)}{learned}")
    return "\n".join(lines)


def _write_if_changed(path: Path, old: str, new: str, written: list[str], skill: Path) -> None:
    if new != old:
        atomic_write(path, new)
        written.append(str(path.relative_to(skill.parent)))


def reflect(lesson_id: str, notes: str | None = None, *, notebook: Path | None = None,
            skill: Path | None = None, quiet: bool = False) -> list[str]:
    """Write lesson `lesson_id` into the skill; returns the files it changed."""
    if is_grading():
        if not quiet:
            print("reflect() writes nothing while a notebook is being graded.")
        return []
    lesson = manifest.lesson(lesson_id)
    notebook_path = Path(notebook) if notebook else lesson_notebook(lesson)
    skill = Path(skill) if skill else paths.skill_dir()
    if not (skill / "SKILL.md").exists():
        create_skill(skill, quiet=True)
    nb = json.loads(notebook_path.read_text(encoding="utf-8"))

    from skillbook.engine.cache import cached_grade

    result = cached_grade(notebook_path, lesson)
    passed = [lesson.exercise(e.id) for e in result.exercises if e.passed]
    block = lesson_block(lesson, nb, passed, notes)

    # Compute every new text first, so a broken marker stops reflect before anything is written.
    originals: dict[Path, str] = {}
    texts: dict[Path, str] = {}

    def stage(path: Path, edit) -> None:
        if path not in texts:
            originals[path] = texts[path] = path.read_text(encoding="utf-8") if path.exists() else ""
        texts[path] = edit(texts[path])

    for feed in lesson.feeds:
        target = skill / feed
        stage(target, lambda old, t=target: replace_block(old, lesson.id, block, heading=f"What I learned in {lesson.id}", where=str(t)))
    spec = _tagged_markdown(nb, cells.is_learning_spec)
    if spec:
        spec_file = skill.parent / "LEARNING-SPEC.md"
        stage(spec_file, lambda old: replace_block(old or "# Learning spec\n", lesson.id, spec, where=str(spec_file)))
    for exercise in passed:
        if exercise.frontmatter:
            value = _frontmatter_value(nb, exercise)
            if value is not None:
                stage(skill / "SKILL.md", lambda old, v=value, k=exercise.frontmatter: set_frontmatter_value(old, k, v))
    written: list[str] = []
    for path, new in texts.items():
        _write_if_changed(path, originals[path], new, written, skill)

    skill_md = skill / "SKILL.md"
    old = skill_md.read_text(encoding="utf-8")
    _write_if_changed(skill_md, old, replace_block(old, INDEX, reference_index(skill), heading="Reference index", where=str(skill_md)), written, skill)
    kept = _copy_example(lesson, skill, written)

    if not quiet:
        print(f"Reflected {lesson.id} {lesson.title} into {skill}:")
        for name in written or ["(nothing changed: your skill already holds this)"]:
            print(f"  {name}")
        print(f"  {len(passed)} of {len(lesson.exercises)} exercises pass; their code is in the block.")
        if kept:
            print(f"  Kept your edited {kept} (the course version was not copied over it).")
    return written


def _frontmatter_value(notebook, exercise) -> str | None:
    """The string the learner's exercise cell assigns to the exercise's name, if it is a literal."""
    import ast

    code = _strip_solution_markers(_solution_code(notebook, exercise))
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == exercise.name for t in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return None
            if isinstance(value, str) and "<" not in value and ">" not in value and 0 < len(value.strip()) <= 1024:
                return " ".join(value.split())
    return None


def _copy_example(lesson: Lesson, skill: Path, written: list[str]) -> str | None:
    if not lesson.example:
        return None
    source = paths.reflections_dir() / "examples" / lesson.example
    target = skill / "examples" / lesson.example
    if target.exists():
        if target.read_text(encoding="utf-8") != source.read_text(encoding="utf-8"):
            return str(target.relative_to(skill.parent))  # theirs now: never copied over
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    written.append(str(target.relative_to(skill.parent)))
    return None
