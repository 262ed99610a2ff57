"""Does README.md promise only what exists: make targets, skillbook commands, linked files and images?"""

import re
import subprocess
import sys

from skillbook.course import paths

README = (paths.repo_root() / "README.md").read_text(encoding="utf-8")


def test_every_make_target_in_the_readme_exists():
    makefile = (paths.repo_root() / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"(?m)^([a-z][a-z-]*):", makefile))
    mentioned = set(re.findall(r"`make ([a-z][a-z-]*)", README))
    assert mentioned and mentioned <= targets, mentioned - targets


def test_every_skillbook_command_in_the_readme_exists():
    done = subprocess.run([sys.executable, "-m", "skillbook", "--help"], capture_output=True, text=True, timeout=60)
    mentioned = set(re.findall(r"skillbook ([a-z][a-z-]+)", README))
    missing = {command for command in mentioned if command not in done.stdout}
    assert not missing, missing


def test_every_linked_file_and_image_exists():
    links = re.findall(r"\]\(([^)#]+)\)", README)
    assert any(link.endswith(".png") for link in links), "the walkthrough should show a screenshot"
    missing = [link for link in links if not link.startswith("http") and not (paths.repo_root() / link).exists()]
    assert not missing, missing
