"""The checks a lesson's graders hold, known before any notebook runs.

Points come only from these: the parent process learns each exercise's checks and weights by
collecting the grader files itself (pytest --collect-only, in a process of its own), never from the
results a notebook's process writes. A notebook that reports a check the graders do not hold, or one
twice, or with another weight, changes nothing.

    python -m skillbook.engine.scoring.known L05        # the checks, as JSON lines

The collection is cached on disk by the content of the graders, so it costs about two seconds once
per change of the graders, not once per notebook.
"""

import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

from skillbook.course import manifest, paths
from skillbook.files import atomic_write

COLLECT_SECONDS = 120.0


class UnknownChecksError(RuntimeError):
    """The graders of a lesson could not be collected (a syntax error in a grader file, a bad marker)."""


@dataclass(frozen=True)
class KnownCheck:
    name: str  # the pytest item's name, as the results stream reports it: test_bulk_is_atomic[bad-last]
    function: str  # the test function's name, as course.toml's promises list it: test_bulk_is_atomic
    exercise: str
    weight: float


def _grader_files() -> list[Path]:
    graders = paths.graders_dir()
    return sorted(p for p in graders.rglob("*") if p.is_file() and p.suffix in (".py", ".ini") and "__pycache__" not in p.parts)


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for path in [*_grader_files(), Path(__file__), Path(__file__).parent.parent / "pytest_plugin.py"]:
        digest.update(str(path).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:32]


def _cache_folder() -> Path:
    base = Path(os.environ.get("SKILLBOOK_CACHE_DIR") or Path(tempfile.gettempdir()) / f"skillbook-cache-{os.getuid()}")
    folder = base / "known-checks"  # beside the graded results, not among them
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _collect(lesson: manifest.Lesson) -> list[dict]:
    """Run pytest's collection of the lesson's grader file in a fresh process; the checks it found."""
    graders = paths.graders_dir()
    with tempfile.TemporaryDirectory(prefix="skillbook-known-") as tmp:
        out = Path(tmp) / "known.json"
        env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
        command = [
            sys.executable, "-m", "pytest", str(graders / lesson.grader_file),
            "-c", str(graders / "pytest.ini"), "--rootdir", str(graders),
            "-p", "pytest_asyncio.plugin", "-p", "skillbook.engine.pytest_plugin", "-p", "no:cacheprovider",
            "--collect-only", "-q", "--no-header", "--known-checks", str(out),
        ]
        done = subprocess.run(command, cwd=graders, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=COLLECT_SECONDS, text=True, errors="replace")
        if done.returncode != 0 or not out.exists():
            tail = " | ".join((done.stdout + done.stderr).strip().splitlines()[-5:])
            raise UnknownChecksError(f"could not collect the checks of {lesson.grader_file}: {tail}")
        return json.loads(out.read_text(encoding="utf-8"))


@cache
def _known(lesson_id: str, fingerprint: str) -> tuple[KnownCheck, ...]:
    lesson = manifest.lesson(lesson_id)
    store = _cache_folder() / f"{lesson.id}-{fingerprint}.json"
    try:
        records = json.loads(store.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        records = _collect(lesson)
        atomic_write(store, json.dumps(records))
    checks = tuple(KnownCheck(**record) for record in records)
    exercises = {e.id for e in lesson.exercises}
    for check in checks:
        if check.exercise not in exercises:
            raise UnknownChecksError(f"{lesson.grader_file}: {check.name} checks {check.exercise}, which course.toml does not list")
        if not (math.isfinite(check.weight) and check.weight > 0):
            raise UnknownChecksError(f"{lesson.grader_file}: {check.name} has weight {check.weight}; weights are finite and above 0")
    if len({c.name for c in checks}) != len(checks):
        raise UnknownChecksError(f"{lesson.grader_file}: two checks have the same name")
    return checks


def known_checks(lesson: manifest.Lesson) -> tuple[KnownCheck, ...]:
    """Every check of the lesson's graders, in the order pytest runs them."""
    return _known(lesson.id, _fingerprint())


def main(argv=None) -> int:
    for lesson_id in (argv if argv is not None else sys.argv[1:]) or list(manifest.lessons()):
        for check in known_checks(manifest.lesson(lesson_id)):
            print(json.dumps(asdict(check)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
