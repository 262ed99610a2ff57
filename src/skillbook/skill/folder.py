"""The learner's skill on disk: create it from the template, and edit it safely.

Everything skillbook writes into a skill file goes between markers that belong to one lesson:

    <!-- skillbook:L05:begin -->
    ... replaced on every reflect ...
    <!-- skillbook:L05:end -->

Text outside the markers is the learner's and is never changed. Writes are atomic.

Beside the skill (never inside it, so it is never exported), `.skillbook/` remembers a digest of
every file skillbook wrote and keeps backups: a file that no longer matches what skillbook wrote
(the learner edited it) is copied to `.skillbook/backups/<time>/` before skillbook replaces it.
"""

import hashlib
import json
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from skillbook.course import paths

IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "*.db", "*.sqlite*", ".env", ".DS_Store")


class SkillFileError(ValueError):
    """A skill file's managed markers are broken, so skillbook will not write into it."""


def begin_marker(key: str) -> str:
    return f"<!-- skillbook:{key}:begin -->"


def end_marker(key: str) -> str:
    return f"<!-- skillbook:{key}:end -->"


def replace_block(text: str, key: str, body: str, *, heading: str | None = None, where: str = "file") -> str:
    """`text` with the block `key` holding `body`; a missing block is appended at the end."""
    begin, end = begin_marker(key), end_marker(key)
    starts = [m.start() for m in re.finditer(re.escape(begin), text)]
    ends = [m.start() for m in re.finditer(re.escape(end), text)]
    block = f"{begin}\n{body.strip()}\n{end}"
    if not starts and not ends:
        tail = "" if text.endswith("\n") or not text else "\n"
        title = f"\n## {heading}\n\n" if heading else "\n"
        return f"{text}{tail}{title}{block}\n"
    if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
        raise SkillFileError(
            f"{where}: the markers of block {key} are broken ({len(starts)} begin, {len(ends)} end). "
            f"Keep exactly one `{begin}` followed by one `{end}` (or delete both), then run reflect again."
        )
    return text[: starts[0]] + block + text[ends[0] + len(end):]


def block_body(text: str, key: str) -> str | None:
    """What block `key` holds, or None if the text has no such block."""
    match = re.search(re.escape(begin_marker(key)) + r"\n?(.*?)" + re.escape(end_marker(key)), text, re.S)
    return match.group(1).strip() if match else None


def split_frontmatter(text: str) -> tuple[list[str], str]:
    """The frontmatter's lines and the body after it."""
    if not text.startswith("---"):
        raise SkillFileError("SKILL.md does not start with a `---` frontmatter block")
    lines = text.splitlines(keepends=True)
    for i in range(1, len(lines)):
        if lines[i].strip() == "---":
            return lines[1:i], "".join(lines[i + 1:])
    raise SkillFileError("SKILL.md's frontmatter has no closing `---` line")


def set_frontmatter_value(text: str, key: str, value: str) -> str:
    """Set one top-level frontmatter key to a double-quoted string (safe from YAML's `: ` and ` #`)."""
    front, body = split_frontmatter(text)
    line = f"{key}: {json.dumps(value, ensure_ascii=False)}\n"
    out, replaced, skipping = [], False, False
    for each in front:
        if skipping and (each.startswith((" ", "\t")) or not each.strip()):
            continue  # continuation lines of the old value
        skipping = False
        if re.match(rf"{re.escape(key)}\s*:", each):
            out.append(line)
            replaced = skipping = True
            continue
        out.append(each)
    if not replaced:
        out.append(line)
    return "---\n" + "".join(out) + "---\n" + body


def _grading() -> bool:
    from skillbook.course.locate import is_grading

    return is_grading()


def _tree(folder: Path) -> str:
    lines = [folder.name + "/"]
    for path in sorted(folder.rglob("*")):
        if "__pycache__" in path.parts:
            continue
        depth = len(path.relative_to(folder).parts)
        lines.append("    " * depth + path.name + ("/" if path.is_dir() else ""))
    return "\n".join(lines)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class SkillState:
    """What skillbook last wrote into one skill: a digest per file, and the lessons reflected."""

    path: Path
    files: dict[str, str] = field(default_factory=dict)
    reflected: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, skill: Path) -> "SkillState":
        path = Path(skill).parent / ".skillbook" / f"{Path(skill).name}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(path, dict(data.get("files", {})), list(data.get("reflected", [])))
        except (OSError, ValueError, AttributeError):
            return cls(path)

    def save(self) -> None:
        from skillbook.files import atomic_write

        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path, json.dumps({"files": self.files, "reflected": sorted(set(self.reflected))}, indent=1))

    def is_ours(self, relative: str, text: str) -> bool:
        """Whether `text` is exactly what skillbook last wrote to that file."""
        return self.files.get(relative) == digest(text)


def backup(skill: Path, relative: str, stamp: str | None = None) -> Path:
    """Copy a skill file to .skillbook/backups/<stamp>/ beside the skill; returns the copy."""
    stamp = stamp or time.strftime("%Y%m%d-%H%M%S")
    target = Path(skill).parent / ".skillbook" / "backups" / stamp / Path(skill).name / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(Path(skill) / relative, target)
    return target


def create_skill(dest: Path | str | None = None, *, quiet: bool = False) -> Path:
    """Copy the starting skill into `dest` (default: my-skill/relational-db-agent) unless it is there already."""
    if dest is None and _grading():
        # A grading run (nbgrader's kernel included) must never write into the learner's skill.
        dest = Path(tempfile.mkdtemp(prefix="skillbook-graded-skill-")) / paths.SKILL_NAME
    dest = Path(dest) if dest else paths.skill_dir()
    if (dest / "SKILL.md").exists():
        message = f"Your skill is already at {dest}; it was left as it is."
    else:
        if dest.exists() and any(dest.iterdir()):
            raise FileExistsError(f"{dest} exists and has no SKILL.md; move it away or set SKILLBOOK_SKILL_DIR")
        shutil.copytree(paths.template_dir(), dest, ignore=IGNORED, dirs_exist_ok=True)
        for folder in ("references", "examples"):
            (dest / folder).mkdir(exist_ok=True)  # filled by each lesson's Reflect
        state = SkillState.load(dest)
        state.files = {str(p.relative_to(dest)): digest(p.read_text(encoding="utf-8"))
                       for p in dest.rglob("*") if p.is_file()}
        state.reflected = []
        state.save()
        message = f"Created your skill at {dest} from the course template."
        if not quiet and (worked := _lessons_with_work()):
            message += (f"\nYour notebooks of {', '.join(worked)} show work: run their Reflect cells again "
                        "to bring it into this new skill.")
    if not quiet:
        print(message)
        print(_tree(dest))
    return dest


def _lessons_with_work() -> list[str]:
    from skillbook.course import manifest
    from skillbook.skill.reflect import shows_work

    found = []
    for lesson in manifest.lessons().values():
        path = paths.lessons_dir() / lesson.dir / lesson.notebook_name
        try:
            if shows_work(json.loads(path.read_text(encoding="utf-8"))):
                found.append(lesson.id)
        except (OSError, ValueError):
            continue
    return found


def is_reflected(lesson, skill: Path | None = None) -> bool:
    """Whether the lesson's Reflect block holds something in one of the skill files it feeds."""
    skill = Path(skill) if skill else paths.skill_dir()
    for feed in lesson.feeds:
        target = skill / feed
        if target.exists() and (block_body(target.read_text(encoding="utf-8"), lesson.id) or ""):
            return True
    return False
