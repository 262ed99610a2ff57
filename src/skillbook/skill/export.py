"""Verify the learner's skill, install it for Claude Code, and package it as a .skill zip.

Nothing is replaced without a backup: an installed copy moves to `.backups/` beside it, an
older .skill file to `dist/backups/`. The zip is verified again from its own contents.
"""

import shutil
import tempfile
import time
import zipfile
from pathlib import Path

from skillbook.course import manifest, paths
from skillbook.skill.folder import IGNORED, block_body
from skillbook.skill.verify import repeated_blocks, verify_skill

FORBIDDEN_PARTS = {"__pycache__", ".ipynb_checkpoints", ".env", ".git", ".DS_Store"}
FORBIDDEN_SUFFIXES = (".pyc", ".db", ".sqlite", ".sqlite3")


class ExportError(Exception):
    """The skill failed verification, so nothing was installed or packaged."""


def _stamp() -> str:
    return time.strftime("%Y%m%d-%H%M%S")


def _is_packaged(path: Path, root: Path) -> bool:
    rel = path.relative_to(root)
    return not (set(rel.parts) & FORBIDDEN_PARTS) and not path.name.endswith(FORBIDDEN_SUFFIXES) \
        and not path.name.startswith(".env")


def install(staged: Path, dest: Path) -> Path | None:
    """Copy the staged skill to dest; returns where an existing copy was backed up, if there was one."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    incoming = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        shutil.copytree(staged, incoming / dest.name)
        backup = None
        if dest.exists():
            backup = dest.parent / ".backups" / f"{dest.name}-{_stamp()}"
            backup.parent.mkdir(parents=True, exist_ok=True)
            dest.rename(backup)
        (incoming / dest.name).rename(dest)
        return backup
    finally:
        shutil.rmtree(incoming, ignore_errors=True)


def package(skill: Path, target: Path) -> Path | None:
    """Zip the skill so every entry starts with its folder name; returns the backup of an older zip."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(skill.rglob("*")):
            if path.is_file() and _is_packaged(path, skill):
                archive.write(path, f"{paths.SKILL_NAME}/{path.relative_to(skill).as_posix()}")
    backup = None
    if target.exists():
        backup = target.parent / "backups" / f"{target.stem}-{_stamp()}{target.suffix}"
        backup.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(target, backup)
    tmp.replace(target)
    return backup


def check_package(target: Path) -> list[str]:
    """Problems with a built .skill file, judged from what is inside it."""
    problems = []
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        for name in names:
            parts = name.split("/")
            if parts[0] != paths.SKILL_NAME:
                problems.append(f"{name}: entry is not under {paths.SKILL_NAME}/")
            if set(parts) & FORBIDDEN_PARTS or name.endswith(FORBIDDEN_SUFFIXES) or parts[-1].startswith(".env"):
                problems.append(f"{name}: caches, databases and .env files do not belong in a skill")
        with tempfile.TemporaryDirectory() as tmp:
            archive.extractall(tmp)
            problems += verify_skill(Path(tmp) / paths.SKILL_NAME)
    return problems


def warnings(skill: Path) -> list[str]:
    """What is worth fixing but does not stop an export: empty "My rules", blocks repeated across files."""
    from skillbook.skill.reflect import NO_RULES

    empty, missing = [], []
    for lesson in manifest.lessons().values():
        reference = skill / lesson.feeds[0]
        body = block_body(reference.read_text(encoding="utf-8"), lesson.id) if reference.exists() else None
        if body is None:
            missing.append(lesson.id)
        elif NO_RULES in body:
            empty.append(lesson.id)
    found = []
    if empty:
        found.append(f"your rules are empty in {', '.join(empty)}: write them in each lesson's \"My rules\" cell, "
                     "save, and run its Reflect cell again")
    if missing:
        found.append(f"not reflected yet: {', '.join(missing)}")
    found += [f"repeated block: {where}: point to one place instead" for where in repeated_blocks(skill)]
    return found


def export_skill(skill: Path | None = None, dest: Path | None = None, dist: Path | None = None) -> dict:
    """Stage a clean copy (no caches, databases, .env), verify it, install it, zip it, verify the zip."""
    skill = Path(skill) if skill else paths.skill_dir()
    if not (skill / "SKILL.md").exists():
        raise ExportError(f"there is no skill at {skill}: run lesson L00 first (it creates it)")
    dest = Path(dest) if dest else paths.repo_root() / ".claude" / "skills" / paths.SKILL_NAME
    target = (Path(dist) if dist else paths.repo_root() / "dist") / f"{paths.SKILL_NAME}.skill"
    with tempfile.TemporaryDirectory(prefix="skillbook-export-") as tmp:
        staged = Path(tmp) / paths.SKILL_NAME
        shutil.copytree(skill, staged, ignore=IGNORED)
        left_out = sorted(str(p.relative_to(skill)) for p in skill.rglob("*") if not (staged / p.relative_to(skill)).exists())
        problems = verify_skill(staged)
        if problems:
            raise ExportError("the skill did not pass verification:\n" + "\n".join(f"  {p}" for p in problems))
        installed_backup = install(staged, dest)
        zip_backup = package(staged, target)
    problems = check_package(target)
    if problems:
        raise ExportError(f"{target} did not pass verification after zipping:\n" + "\n".join(f"  {p}" for p in problems))
    return {"installed": dest, "installed_backup": installed_backup, "package": target,
            "package_backup": zip_backup, "left_out": left_out, "warnings": warnings(skill)}
