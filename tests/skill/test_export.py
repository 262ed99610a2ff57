"""Does export-skill verify, back up before it replaces, and build a clean .skill zip?"""

import subprocess
import sys
import zipfile

import pytest

from skillbook.course import paths
from skillbook.skill.export import ExportError, export_skill
from skillbook.skill.folder import create_skill


@pytest.fixture
def skill(isolated_skill):
    skill = create_skill(isolated_skill, quiet=True)
    # Things a learner's folder collects that must never be shipped.
    (skill / "__pycache__").mkdir()
    (skill / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    (skill / "examples" / "scratch.db").write_bytes(b"SQLite format 3\0")
    (skill / ".env").write_text("DATABASE_URL=postgresql+asyncpg://me:hunter2@db.example.com/prod\n")
    return skill


def test_export_installs_and_packages(skill, tmp_path):
    """Is the zip rooted at relational-db-agent/, free of caches, databases and .env, and verified?"""
    done = export_skill(skill, tmp_path / "skills" / "relational-db-agent", tmp_path / "dist")
    with zipfile.ZipFile(done["package"]) as archive:
        names = archive.namelist()
    assert names and all(n.startswith("relational-db-agent/") for n in names)
    assert "relational-db-agent/SKILL.md" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".db")) or ".env" in n]
    installed = done["installed"]
    assert (installed / "SKILL.md").exists() and not (installed / ".env").exists()
    assert done["installed_backup"] is None and done["package_backup"] is None


def test_existing_install_is_backed_up(skill, tmp_path):
    """Is a copy already installed moved to a backup, with the learner's changes in it, never lost?"""
    dest = tmp_path / "skills" / "relational-db-agent"
    export_skill(skill, dest, tmp_path / "dist")
    (dest / "references" / "my-notes.md").write_text("# Notes I wrote in the installed copy\n")
    done = export_skill(skill, dest, tmp_path / "dist")
    backup = done["installed_backup"]
    assert backup and (backup / "references" / "my-notes.md").exists()
    assert not (dest / "references" / "my-notes.md").exists()
    assert done["package_backup"] and done["package_backup"].exists()
    # The backup is not itself a skill Claude Code would load next to the real one.
    assert backup.parent.name == ".backups"


def test_skill_that_fails_verification_is_not_installed(skill, tmp_path):
    """If verification fails, is nothing installed or packaged, and the problem named?"""
    skill_md = skill / "SKILL.md"
    skill_md.write_text(skill_md.read_text().replace("name: relational-db-agent", "name: Relational DB", 1))
    dest = tmp_path / "skills" / "relational-db-agent"
    with pytest.raises(ExportError, match="name"):
        export_skill(skill, dest, tmp_path / "dist")
    assert not dest.exists() and not (tmp_path / "dist").exists()


def test_no_skill_yet_says_run_l00(tmp_path):
    with pytest.raises(ExportError, match="run lesson L00"):
        export_skill(tmp_path / "nothing", tmp_path / "dest", tmp_path / "dist")


def test_make_export_skill_from_the_command_line(skill, tmp_path):
    """Does `skillbook export-skill --dest` (what `make export-skill DEST=` runs) say where it put things?"""
    done = subprocess.run(
        [sys.executable, "-m", "skillbook", "export-skill", "--skill", str(skill), "--dest", str(tmp_path / "d"), "--dist", str(tmp_path / "z")],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "Installed your skill" in done.stdout and (tmp_path / "z" / f"{paths.SKILL_NAME}.skill").exists()


def test_template_passes_verify_skill():
    done = subprocess.run([sys.executable, "-m", "skillbook", "verify-skill", str(paths.template_dir())],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_export_warns_about_empty_rules_and_lessons_not_reflected(skill, tmp_path, capsys):
    """Does `make export-skill` name the lessons whose "My rules" are empty, and those not reflected yet?"""
    from skillbook.skill.reflect import reflect
    from tests.builders import solution_path

    reflect("L00", notebook=solution_path("L00"), skill=skill, quiet=True)
    done = export_skill(skill, tmp_path / "skills" / "relational-db-agent", tmp_path / "dist")
    assert any("your rules are empty in L00:" in w for w in done["warnings"]), done["warnings"]
    assert any(w.startswith("not reflected yet: L01, L02") for w in done["warnings"]), done["warnings"]
