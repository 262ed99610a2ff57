"""nbgrader's course directory, as grade-class, feedback and grades read and write it.

    <course>/submitted/<student>/<lesson dir>/<lesson dir>.ipynb   collected submissions (nbgrader's layout)
    <course>/autograded/<student>/<lesson dir>/results.json      what grade-class found, beside a copy of the notebook
    <course>/feedback/<student>/<lesson dir>/<lesson dir>.html   the student's feedback (nbgrader release_feedback sends it)
    <course>/grades/grades.csv, grades.png                       the class's grades
    <course>/gradebook.db                                        nbgrader's gradebook

The course directory is --course, else COURSE_DIR (as in nbgrader_config.py), else the repository.
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path

from skillbook.course import manifest, paths
from skillbook.instructor import safe
from skillbook.files import atomic_write
from skillbook.course.manifest import Lesson
from skillbook.engine.loading.read import MAX_BYTES
from skillbook.engine.scoring.results import LessonResult

# Files nbgrader keeps beside a submission, which its feedback exchange needs later.
KEPT = ("timestamp.txt", "submission_secret.txt")


def default_course() -> Path:
    return Path(os.environ.get("COURSE_DIR") or paths.repo_root())


@dataclass(frozen=True)
class Submission:
    student: str
    lesson: Lesson
    folder: Path  # <course>/submitted/<student>/<lesson dir>

    @property
    def notebook(self) -> Path:
        return self.folder / self.lesson.notebook_name

    @property
    def name(self) -> str:
        return f"{self.student}/{self.lesson.dir}"


def submissions(course: Path, lessons: list[Lesson] | None = None) -> tuple[list[Submission], list[str]]:
    """Every student's submission of the given lessons (default all), and the folders that are not one."""
    found, skipped = [], []
    wanted = {lesson.dir for lesson in lessons} if lessons else None
    root = course / "submitted"
    for student in sorted(root.iterdir()) if root.is_dir() else []:
        if student.name.startswith(".") or not student.is_dir():
            continue
        for folder in sorted(student.iterdir()):
            if folder.name.startswith(".") or not folder.is_dir():
                continue
            lesson = next((each for each in manifest.lessons().values() if each.dir == folder.name), None)
            if lesson is None:
                skipped.append(f"submitted/{student.name}/{folder.name}: not a lesson of this course")
            elif wanted is None or lesson.dir in wanted:
                found.append(Submission(student.name, lesson, folder))
    return found, skipped


def refusal(submission: Submission) -> str | None:
    """Why a submission must not be graded at all, or None.

    A symbolic link would make the grader read (and copy) whatever it points to: another student's
    work or a system file. nbgrader's collect writes real files, so a link is never a real submission.
    """
    for path in (submission.folder.parent, submission.folder, submission.notebook):
        if path.is_symlink():
            return f"{path.relative_to(submission.folder.parents[1])} is a symbolic link, not a submitted file"
    if submission.notebook.is_dir():
        return f"{submission.lesson.notebook_name} is a folder, not a notebook"
    if not submission.notebook.exists():
        others = sorted(p.name for p in submission.folder.glob("*.ipynb"))
        found = f" (found {', '.join(others)})" if others else ""
        return f"no {submission.lesson.notebook_name} in submitted/{submission.name}{found}"
    size = submission.notebook.stat().st_size
    if size > MAX_BYTES:  # never copied, parsed or sent anywhere: it may be 2 GB (of a sparse file)
        return (f"{submission.lesson.notebook_name} is {size // 1024 // 1024} MB; notebooks over "
                f"{MAX_BYTES // 1024 // 1024} MB are not graded")
    return None


def autograded(course: Path, student: str, lesson: Lesson) -> Path:
    return course / "autograded" / student / lesson.dir


def feedback_file(course: Path, student: str, lesson: Lesson) -> Path:
    """nbgrader's name for a notebook's feedback, so `nbgrader release_feedback` can send it."""
    return course / "feedback" / student / lesson.dir / f"{lesson.dir}.html"


@dataclass
class Stored:
    """One submission's grading as grade-class stored it in autograded/<student>/<lesson dir>/results.json."""

    student: str
    lesson: Lesson
    result: LessonResult
    problem: str | None  # why it could not be graded normally (listed by grade-class), or None
    graded_at: str
    sandboxed: bool

    def to_json(self) -> dict:
        return {"student": self.student, "lesson": self.lesson.id, "graded_at": self.graded_at,
                "sandboxed": self.sandboxed, "problem": self.problem, "result": self.result.to_json()}


def store(course: Path, stored: Stored) -> Path:
    """results.json with its messages made safe to print and its points within the lesson's maximum
    (the student's name stays as its folder's, undecodable bytes escaped by JSON, to find it again)."""
    target = autograded(course, stored.student, stored.lesson) / "results.json"
    kept = Stored(stored.student, stored.lesson, safe.result(stored.result, stored.lesson),
                  None if stored.problem is None else safe.text(stored.problem), stored.graded_at, stored.sandboxed)
    atomic_write(target, json.dumps(kept.to_json(), indent=1))
    return target


def stored_results(course: Path) -> tuple[list[Stored], list[str]]:
    """Everything grade-class stored for the course, and the results files it could not read.

    Read as untrusted (without the sandbox a notebook can write anywhere you can): points are
    clamped again and messages made safe, whatever the file says."""
    found, unreadable = [], []
    for path in sorted((course / "autograded").glob("*/*/results.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            lesson = manifest.lesson(data["lesson"])
            problem = data.get("problem")
            found.append(Stored(student=str(data["student"]), lesson=lesson,
                                result=safe.result(LessonResult.from_json(data["result"]), lesson),
                                problem=None if problem is None else safe.text(problem),
                                graded_at=data.get("graded_at", ""), sandboxed=bool(data.get("sandboxed"))))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            unreadable.append(safe.text(f"{path.relative_to(course)}: {exc}"))
    return found, unreadable
