"""Do the two ways to install the course (pip and conda) ask for the same packages?"""

import tomllib

import yaml

from skillbook.course import paths


def _normalise(requirement: str) -> str:
    return requirement.replace(" ", "").lower()


def test_environment_yml_matches_pyproject():
    """Does environment.yml's pip list hold exactly pyproject.toml's pinned dependencies, plus the kit itself?"""
    root = paths.repo_root()
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]
    env = yaml.safe_load((root / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert "-e ." in pip
    assert sorted(map(_normalise, project)) == sorted(_normalise(p) for p in pip if p != "-e .")
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    assert python == "python>=3.11"


def test_every_dependency_is_pinned_and_locked():
    """Is every direct dependency pinned with ==, to the version requirements.lock installs?"""
    root = paths.repo_root()
    data = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    lock = {}
    for line in (root / "requirements.lock").read_text().splitlines():
        if "==" in line:
            name, version = line.split("==")
            lock[name.lower().replace("_", "-")] = version
    for requirement in data["dependencies"] + data["optional-dependencies"]["dev"]:
        name, version = requirement.split("==")
        name = name.split("[")[0].lower()
        assert lock.get(name) == version, f"{requirement} is not what requirements.lock pins ({lock.get(name)})"
