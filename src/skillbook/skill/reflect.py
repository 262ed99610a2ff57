"""`reflect("L05")`: write what a lesson taught into the learner's own skill.

A lesson's Reflect writes its own two files and one line of SKILL.md, nothing else:
- references/<topic>.md (course.toml `feeds`): inside the lesson's markers, the rules the lesson proved
  (reflections/<lesson>.md), the learner's own rules (the "My rules" cell) and gap notes (the
  "My skill cannot yet" cell), and where the example is;
- examples/<topic>.py (course.toml `example`): the learner's passing code made standalone (skill.example);
- SKILL.md's reference index: one line per reference, saying when an agent should open it.
L00 also writes the learner's description into SKILL.md's frontmatter and their learning spec into
LEARNING-SPEC.md, the two things that lesson is about.

Nothing is lost. Every change is reported: files, blocks, the description with its old value. A file
that is no longer what skillbook last wrote there (the learner edited it) is backed up beside the skill
before it is replaced. When the skill folder is missing, every other lesson whose saved notebook
shows work is reflected again from it, and those that cannot be are named.
While a notebook is being graded, reflect writes nothing.
"""

import ast
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from skillbook.course import cells, manifest, paths
from skillbook.course.locate import is_grading, lesson_notebook
from skillbook.course.manifest import Exercise, Lesson
from skillbook.files import atomic_write
from skillbook.skill import example
from skillbook.skill.folder import (
    SkillState,
    backup,
    block_body,
    create_skill,
    digest,
    replace_block,
    set_frontmatter_value,
    split_frontmatter,
)

INDEX = "index"
MAX_REFERENCE_LINES = 250
NO_RULES = "_None yet: write yours in this lesson's \"My rules\" cell, save, and run its Reflect cell again._"
STUB = "NotImplementedError"  # what nbgrader leaves in an exercise cell the learner has not answered


class ReflectError(ValueError):
    """The lesson cannot be reflected (its notebook is missing or unreadable)."""


# ---------------------------------------------------------------- reading the notebook


def _text(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _markdown(notebook, predicate) -> str:
    return "\n\n".join(_text(c).strip() for c in notebook["cells"] if predicate(c)).strip()


def exercise_source(notebook, exercise: Exercise) -> str:
    return "\n\n".join(_text(c) for c in notebook["cells"] if cells.is_solution(c) and cells.grade_id(c) == exercise.grade_id)


def my_rules(notebook) -> str:
    """What the learner wrote in the "My rules" cell: its heading, the prompt (a `>` quote) and empty
    bullets left out."""
    kept = []
    for line in _markdown(notebook, cells.is_my_rules).splitlines():
        stripped = line.strip()
        if stripped.startswith(("#", ">")) or re.fullmatch(r"([-*+]|\d+[.)])?\s*", stripped):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()


def gap_notes(notebook) -> str:
    lines = _markdown(notebook, cells.is_gaps).splitlines()
    return "\n".join(line for line in lines if not line.lstrip().startswith("#")).strip()


def shows_work(notebook) -> bool:
    """Whether the learner did anything in this notebook: an answered exercise, or rules of their own."""
    answered = any(cells.is_solution(c) and STUB not in _text(c) for c in notebook["cells"])
    return answered or bool(my_rules(notebook))


def _frontmatter_value(notebook, exercise: Exercise) -> str | None:
    """The string the learner's exercise cell assigns to the exercise's name, if it is a literal."""
    try:
        tree = ast.parse(example._clean(exercise_source(notebook, exercise)))
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


# ---------------------------------------------------------------- what the lesson writes


@dataclass
class Curated:
    """reflections/<lesson>.md: a `# title` line, the "open when" paragraph, then the rules."""

    title: str
    when: str
    body: str


def curated(lesson: Lesson) -> Curated:
    text = (paths.reflections_dir() / f"{lesson.id}.md").read_text(encoding="utf-8").strip()
    first, _, rest = text.partition("\n")
    when, _, body = rest.strip().partition("\n\n")
    return Curated(first.lstrip("# ").strip(), " ".join(when.split()), body.strip())


def _defined(code: str) -> list[str]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and not n.name.startswith("_")]


def _example_line(lesson: Lesson, built: example.Built | None, pieces: dict, kept_old: bool) -> list[str]:
    if built is None:
        if kept_old:
            return [f"Example: {_links(lesson)}, from an earlier reflect (none of your exercises passes now)."]
        return ["No example yet: none of this lesson's exercises passed when you reflected."]
    names = [name for e in built.included for name in _defined(pieces[e].code)] or built.included
    lines = [f"Example: {_links(lesson)}, your {', '.join(f'`{n}`' for n in names)} made standalone "
             f"(run `python examples/{lesson.examples[-1]}`)."]
    for exercise_id, why in built.left_out.items():
        lines.append(f"Not in it: `{exercise_id}`: {why}.")
    return lines


def _links(lesson: Lesson) -> str:
    return " and ".join(f"[examples/{name}](../examples/{name})" for name in lesson.examples)


def reference_block(lesson: Lesson, notes: Curated, example_lines: list[str], rules: str, gaps: str) -> str:
    parts = [notes.when, "", *example_lines, "", notes.body, "", "## My rules", "", rules or NO_RULES]
    if gaps:
        parts += ["", "## Gaps I still have", "", _demote_headings(gaps)]
    parts += ["", f"_Written by `reflect(\"{lesson.id}\")` from your notebook; run it again to replace this block._"]
    return "\n".join(parts)


def _demote_headings(markdown: str) -> str:
    return re.sub(r"^(#{1,4}) ", lambda m: "#" * max(len(m.group(1)), 5) + " ", markdown, flags=re.M)


def reference_index(references: dict[str, str]) -> str:
    """One line per reference (file name -> text): its link, the lesson that wrote it, when to open it."""
    lines = []

    def order(item):  # the lessons' references in course order, then the learner's own
        found = re.search(r"<!-- skillbook:(L\d\d):begin -->", item[1])
        return (0, found.group(1)) if found else (1, item[0])

    for name, text in sorted(references.items(), key=order):
        lessons = re.findall(r"<!-- skillbook:(L\d\d):begin -->", text)
        when = next((w for w in ((block_body(text, i) or "").split("\n\n")[0].strip() for i in lessons) if w), "")
        if not when:  # a reference the learner wrote: its first line of prose
            when = next((line.strip() for line in text.splitlines()
                         if line.strip() and not line.startswith(("#", "<!--"))), "")
        origin = f" ({', '.join(lessons)})" if lessons else ""
        lines.append(f"- [references/{name}](references/{name}){origin}: {when}".rstrip(": "))
    return "\n".join(lines) or "_No references yet: each lesson's Reflect cell adds one._"


# ---------------------------------------------------------------- writing


@dataclass
class Changes:
    """What one reflect changed, for the learner to read."""

    skill: Path
    state: SkillState
    stamp: str = field(default_factory=lambda: time.strftime("%Y%m%d-%H%M%S"))
    texts: dict[str, str] = field(default_factory=dict)  # relative path -> new text
    notes: dict[str, list[str]] = field(default_factory=dict)  # relative path -> what changed in it
    messages: list[str] = field(default_factory=list)  # one line per file written
    remarks: list[str] = field(default_factory=list)  # everything else the learner should read

    def current(self, relative: str) -> str:
        if relative in self.texts:
            return self.texts[relative]
        path = self.skill / relative
        return path.read_text(encoding="utf-8") if path.exists() else ""

    def stage(self, relative: str, text: str, note: str) -> None:
        if text != self.current(relative):
            self.texts[relative] = text
            self.notes.setdefault(relative, []).append(note)

    def write(self) -> list[str]:
        written = []
        for relative, text in self.texts.items():
            path = self.skill / relative
            verb = "created"
            if path.exists():
                old = path.read_text(encoding="utf-8")
                verb = "updated"
                if not self.state.is_ours(relative, old):
                    copy = backup(self.skill, relative, self.stamp)
                    self.notes[relative].append(f"your edited version is backed up at {copy}")
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, text)
            self.state.files[relative] = digest(text)
            written.append(relative)
            self.messages.append(f"  {relative} ({verb}): " + "; ".join(self.notes[relative]))
        return written


def _stage_lesson(lesson: Lesson, notebook_path: Path, changes: Changes) -> None:
    """Work out every file the lesson writes (nothing is written yet)."""
    from skillbook.engine.cache import cached_grade

    try:
        nb = json.loads(notebook_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReflectError(f"cannot read {notebook_path}: {exc}") from None
    result = cached_grade(notebook_path, lesson)
    passed = {e.id for e in result.exercises if e.passed}
    notes = curated(lesson)

    example_lines = _stage_example(lesson, nb, notebook_path.parent, passed, changes)
    rules = my_rules(nb)
    block = reference_block(lesson, notes, example_lines, rules, gap_notes(nb))
    for feed in lesson.feeds:
        old = changes.current(feed) or f"# {notes.title}\n"
        changes.stage(feed, replace_block(old, lesson.id, block, where=str(changes.skill / feed)), f"block {lesson.id}")
        if len(changes.texts.get(feed, old).splitlines()) > MAX_REFERENCE_LINES:
            changes.remarks.append(f"  {feed} is over {MAX_REFERENCE_LINES} lines: keep your rules short, or move detail to an example.")
    changes.remarks.append(f"  My rules: {len(rules.splitlines())} line(s) carried into {lesson.feeds[0]}." if rules else
                            "  My rules: empty. Write yours in the \"My rules\" cell, save, and run this cell again.")

    if spec := _markdown(nb, cells.is_learning_spec):
        changes.stage("LEARNING-SPEC.md", replace_block(changes.current("LEARNING-SPEC.md") or "# Learning spec\n",
                                                        lesson.id, spec, where="LEARNING-SPEC.md"), f"block {lesson.id}")
    for exercise in lesson.exercises:
        if exercise.frontmatter and exercise.id in passed:
            value = _frontmatter_value(nb, exercise)
            if value is not None:
                _stage_frontmatter(changes, exercise.frontmatter, value)
    changes.remarks.append(f"  {len(passed)} of {len(lesson.exercises)} exercises pass.")


def _stage_example(lesson: Lesson, nb, folder: Path, passed: set[str], changes: Changes) -> list[str]:
    """Stage the lesson's example file(s) from the learner's passing code; the reference's lines about them."""
    if not lesson.examples:
        return []
    templates = {name: (paths.reflections_dir() / "examples" / name).read_text(encoding="utf-8") for name in lesson.examples}
    regions = {part.exercises[0]: (name, part.option) for name, text in templates.items()
               for part in example.segments(text, name) if part.kind == "exercise"}
    pieces, left_out = {}, {}
    for exercise_id, (name, option) in regions.items():
        if exercise_id not in passed:
            left_out[exercise_id] = "it does not pass its check yet"
            continue
        source = exercise_source(nb, lesson.exercise(exercise_id))
        piece = example.learner_piece(exercise_id, source, templates[name], option=option, lesson_folder=folder)
        if isinstance(piece, str):
            left_out[exercise_id] = piece
        else:
            pieces[exercise_id] = piece
    built = example.build(templates, pieces, left_out) if pieces else None
    if built is None or not built.included:
        kept_old = any((changes.skill / "examples" / name).exists() for name in lesson.examples)
        return _example_line(lesson, None, pieces, kept_old)
    for name, text in built.files.items():
        mine = [e.split(".")[1] for e in built.included if regions[e][0] == name]
        changes.stage(f"examples/{name}", text, f"your {', '.join(mine)}" if mine else "builds on the other example")
    return _example_line(lesson, built, pieces, False)


def _frontmatter(text: str, key: str) -> str | None:
    try:
        front, _ = split_frontmatter(text)
    except ValueError:
        return None
    for line in front:
        if line.startswith(f"{key}:"):
            raw = line.split(":", 1)[1].strip()
            try:
                return json.loads(raw) if raw.startswith('"') else raw
            except ValueError:
                return raw
    return None


def _stage_frontmatter(changes: Changes, key: str, value: str) -> None:
    old_text = changes.current("SKILL.md")
    old = _frontmatter(old_text, key)
    if old != value:
        changes.stage("SKILL.md", set_frontmatter_value(old_text, key, value), f"{key} was: {old!r}")


def _stage_index(changes: Changes) -> None:
    """The index, as it will be once the staged references are written."""
    references = {p.name: p.read_text(encoding="utf-8") for p in (changes.skill / "references").glob("*.md")}
    references |= {rel.split("/", 1)[1]: text for rel, text in changes.texts.items() if rel.startswith("references/")}
    old = changes.current("SKILL.md")
    changes.stage("SKILL.md", replace_block(old, INDEX, reference_index(references), heading="Reference index",
                                            where="SKILL.md"), "reference index")


def _sibling_notebook(lesson: Lesson, near: Path) -> Path | None:
    for candidate in (near.parent.parent / lesson.dir / lesson.notebook_name,
                      paths.lessons_dir() / lesson.dir / lesson.notebook_name):
        if candidate.is_file():
            return candidate
    return None


def _rebuild(current: Lesson, near: Path, skill: Path, state: SkillState, quiet: bool) -> list[str]:
    """Reflect every other lesson whose saved notebook shows work; the lessons that could not be."""
    failed = []
    for lesson in manifest.lessons().values():
        if lesson.id == current.id:
            continue
        notebook = _sibling_notebook(lesson, near)
        try:
            if notebook is None or not shows_work(json.loads(notebook.read_text(encoding="utf-8"))):
                continue
            changes = Changes(skill, state)
            _stage_lesson(lesson, notebook, changes)
            _stage_index(changes)
            changes.write()
            state.reflected.append(lesson.id)
            if not quiet:
                print(f"  rebuilt {lesson.id} {lesson.title} from {notebook}")
        except Exception as exc:  # one broken notebook must not stop the others
            failed.append(f"{lesson.id} ({exc})")
    return failed


def reflect(lesson_id: str, *, notebook: Path | None = None,
            skill: Path | None = None, quiet: bool = False) -> list[str]:
    """Write lesson `lesson_id` into the skill; returns the files it changed (relative to the skill)."""
    if is_grading():
        if not quiet:
            print("reflect() writes nothing while a notebook is being graded.")
        return []
    lesson = manifest.lesson(lesson_id)
    notebook_path = Path(notebook) if notebook else lesson_notebook(lesson)
    skill = Path(skill) if skill else paths.skill_dir()
    missing = not (skill / "SKILL.md").exists()
    if missing:
        create_skill(skill, quiet=True)
    state = SkillState.load(skill)
    if not quiet and missing:
        print(f"Your skill was missing: made it again at {skill}, and rebuilding the lessons your notebooks show work for:")
    failed = _rebuild(lesson, notebook_path, skill, state, quiet) if missing else []

    changes = Changes(skill, state)
    _stage_lesson(lesson, notebook_path, changes)
    _stage_index(changes)
    written = changes.write()
    state.reflected.append(lesson.id)
    state.save()
    if not quiet:
        print(f"Reflected {lesson.id} {lesson.title} into {skill}:")
        print("\n".join((changes.messages or ["  nothing changed: your skill already holds this."]) + changes.remarks))
        if failed:
            print("Could not rebuild: " + "; ".join(failed))
    return written
