"""The course manifest, course.toml: every lesson and exercise, their points, hints and skill files.

Fields (format_version 1):

    [[lesson]]
    id          "L05"                 the lesson's id, also the prefix of its exercise ids
    dir         "L05_crud"            folder and notebook name in lessons/ and solutions/
    title       "Async CRUD"
    feeds       ["references/x.md"]   the skill's reference file whose managed block this lesson's reflect writes
    example     "x.py" or ["a.py", "b.py"]
                                      reflections/examples/<file>: the lesson's example program, which reflect
                                      writes into the skill's examples/ with the learner's passing code

    [[lesson.exercise]]
    id          "L05.create_task"     <lesson>.<name>
    name        "create_task"         what the learner defines in the notebook
    points      4                     earned in proportion to the weight of the checks that pass
    hints       ["...", "..."]        progressive: the first is shown with a failure
    frontmatter "description"         optional: reflect writes the learner's value into this SKILL.md key

    [[lesson.exercise.promise]]       what the exercise text promises, and the grader checks that prove it
    id          "commits"             unique within the exercise
    says        "a new session sees the task"   listed word for word under **What is checked:** in the notebook
    checks      ["test_create_task_commits"]    grader test function names; each check in exactly one promise
    main        true                  main behaviour; the others earn points only once every main check passes
    hint        "..."                 shown when one of its checks fails (never a line of the solution)

    [[lesson.check]]                  the checklist `skillbook check-generated` applies (kinds in generated.py)
    kind, level, message, ...         level is "require" or "forbid"
"""

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from skillbook.course import paths

FORMAT_VERSION = 1


@dataclass(frozen=True)
class Rule:
    """One `[[lesson.check]]` entry: a pattern `skillbook check-generated` requires or forbids (kinds: learner/generated.py)."""

    kind: str
    level: str  # "require" or "forbid"
    message: str
    name: str = ""
    keyword: str = ""
    value: object = None
    module: str = ""
    example: str = ""  # the lesson's example file this rule is about; "" for all of them

    @classmethod
    def from_data(cls, data: dict) -> "Rule":
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Promise:
    """One behaviour an exercise's text promises, and the grader checks (test function names) that prove it."""

    id: str
    says: str
    checks: tuple[str, ...]
    main: bool = True
    hint: str = ""


@dataclass(frozen=True)
class Exercise:
    id: str
    name: str
    points: float
    hints: tuple[str, ...] = ()
    frontmatter: str | None = None
    promises: tuple[Promise, ...] = ()

    def promise_of(self, check_function: str) -> Promise | None:
        """The promise a grader check (its test function name, without [parameters]) belongs to."""
        function = check_function.split("[", 1)[0]
        return next((p for p in self.promises if function in p.checks), None)

    @property
    def grade_id(self) -> str:
        """nbgrader's id of the solution cell (grade ids may not contain dots)."""
        return self.id.replace(".", "-")

    @property
    def check_grade_id(self) -> str:
        """nbgrader's id of the test cell that checks this exercise."""
        return self.grade_id + "-check"

    @property
    def hint(self) -> str:
        return self.hints[0] if self.hints else ""


@dataclass(frozen=True)
class Lesson:
    id: str
    dir: str
    title: str
    feeds: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    exercises: tuple[Exercise, ...] = field(default=())
    checks: tuple[Rule, ...] = field(default=())

    @property
    def notebook_name(self) -> str:
        return f"{self.dir}.ipynb"

    @property
    def grader_file(self) -> str:
        return f"test_{self.dir}.py"

    @property
    def max_points(self) -> float:
        return sum(e.points for e in self.exercises)

    def checklist(self, example: str | None = None) -> list[Rule]:
        """The `check-generated` rules for one of the lesson's examples (None: every rule of the lesson)."""
        return [rule for rule in self.checks if example is None or rule.example in ("", example)]

    def exercise(self, exercise_id: str) -> Exercise:
        """An exercise by id ("L05.create_task"; any case), or a KeyError that lists the lesson's."""
        for e in self.exercises:
            if e.id.casefold() == exercise_id.casefold():
                return e
        known = ", ".join(e.id for e in self.exercises) or "none"
        raise KeyError(f"{exercise_id} is not an exercise of {self.id} (its exercises: {known})")


class ManifestError(ValueError):
    """course.toml does not describe a valid course."""


def _promises(exercise: dict) -> tuple[Promise, ...]:
    promises = []
    for raw in exercise.get("promise", []):
        where = f"course.toml: {exercise['id']}'s promise {raw.get('id', '?')!r}"
        if not raw.get("id") or not raw.get("says"):
            raise ManifestError(f"{where} needs an id and a `says`")
        checks = raw.get("checks")
        if not checks or not isinstance(checks, list) or not all(isinstance(c, str) and c for c in checks):
            raise ManifestError(f"{where}: `checks` must list the grader test functions that prove it")
        promises.append(Promise(id=raw["id"], says=raw["says"], checks=tuple(checks),
                                main=bool(raw.get("main", True)), hint=raw.get("hint", "")))
    ids = [p.id for p in promises]
    if len(ids) != len(set(ids)):
        raise ManifestError(f"course.toml: {exercise['id']} has two promises with the same id")
    return tuple(promises)


def parse(text: str) -> dict[str, Lesson]:
    data = tomllib.loads(text)
    if data.get("format_version") != FORMAT_VERSION:
        raise ManifestError(f"course.toml: format_version must be {FORMAT_VERSION}")
    lessons: dict[str, Lesson] = {}
    for raw in data.get("lesson", []):
        exercises = []
        for ex in raw.get("exercise", []):
            if not ex["id"].startswith(raw["id"] + "."):
                raise ManifestError(f"course.toml: exercise {ex['id']} must start with {raw['id']}.")
            exercises.append(
                Exercise(
                    id=ex["id"],
                    name=ex.get("name", ex["id"].split(".", 1)[1]),
                    points=ex["points"],
                    hints=tuple(ex.get("hints", ())),
                    frontmatter=ex.get("frontmatter"),
                    promises=_promises(ex),
                )
            )
        lesson = Lesson(
            id=raw["id"],
            dir=raw["dir"],
            title=raw["title"],
            feeds=tuple(raw.get("feeds", ())),
            examples=tuple([raw["example"]] if isinstance(raw.get("example"), str) else raw.get("example", ())),
            exercises=tuple(exercises),
            checks=tuple(Rule.from_data(check) for check in raw.get("check", [])),
        )
        for rule in lesson.checks:
            if rule.example and rule.example not in lesson.examples:
                raise ManifestError(f"course.toml: a {lesson.id} check names example {rule.example!r}, "
                                    f"which is not one of the lesson's: {', '.join(lesson.examples) or 'none'}")
        if lesson.id in lessons:
            raise ManifestError(f"course.toml: lesson {lesson.id} appears twice")
        lessons[lesson.id] = lesson
    return dict(sorted(lessons.items()))


@cache
def _load(path: Path) -> dict[str, Lesson]:
    return parse(path.read_text(encoding="utf-8"))


def lessons() -> dict[str, Lesson]:
    return _load(paths.manifest_path())


def lesson(lesson_id: str) -> Lesson:
    """A lesson by id ("L05") or folder name ("L05_crud"), in any case ("l05")."""
    wanted = lesson_id.strip().casefold()
    for each in lessons().values():
        if wanted in (each.id.casefold(), each.dir.casefold()):
            return each
    known = ", ".join(lessons())
    raise KeyError(f"unknown lesson {lesson_id!r} (the course has {known})")


def exercise(exercise_id: str) -> Exercise:
    return lesson(exercise_id.split(".", 1)[0]).exercise(exercise_id)


def lesson_for_path(path: Path) -> Lesson | None:
    """The lesson a notebook belongs to, from its file or folder name."""
    for each in lessons().values():
        if path.stem == each.dir or path.parent.name == each.dir:
            return each
    for each in lessons().values():
        if path.stem.startswith(each.id + "_") or path.stem == each.id:
            return each
    return None
