"""Points into nbgrader's gradebook, recorded as `nbgrader autograde` records them.

For each submission: the student (added if missing), the submission (with its timestamp.txt),
auto_score on the test cell of every exercise (grade id `manifest.exercise(id).check_grade_id`), and
"No response." on answer cells left as released — so `nbgrader export`, formgrader and manual grading
see grade-class's points as if nbgrader had graded. The lesson must be in the gradebook already
(`make lessons` runs `nbgrader generate_assignment`, which puts it there).
"""

import contextlib
import json
import warnings
from pathlib import Path

from skillbook.course import paths
from skillbook.instructor import safe
from skillbook.instructor.coursedir import Submission, refusal
from skillbook.engine.scoring.results import LessonResult

MAX_NOTEBOOK = 20 * 1024 * 1024  # as grading's limit: a larger notebook was not graded, and is not read


def course_id() -> str:
    """The course id nbgrader_config.py gives nbgrader, so our rows belong to the same course."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(paths.repo_root())).load_config()
    return config.CourseDirectory.get("course_id", "default_course")


def default_url(course: Path) -> str:
    """Where nbgrader_config.py puts the gradebook: gradebook.db at the course root."""
    return f"sqlite:///{course.resolve() / 'gradebook.db'}"


def _answered(notebook: Path) -> dict[str, bool]:
    """For each answer cell of the submitted notebook: was it changed from the released version?"""
    import nbformat
    from nbformat.v4.rwbase import rejoin_lines
    from nbgrader import utils

    try:
        if not notebook.is_file() or notebook.stat().st_size > MAX_NOTEBOOK:
            return {}  # not graded either (skillbook.engine.loading.read says why); never read whole
        raw = json.loads(notebook.read_text(encoding="utf-8"))
        if not isinstance(raw, dict) or raw.get("nbformat") != 4 or not isinstance(raw.get("cells"), list):
            return {}  # not a notebook nbgrader could read either; grading said why
        cells = rejoin_lines(nbformat.from_dict(raw)).cells  # as nbformat.read, without its validation's logging
        answered = {}
        for cell in cells:
            if utils.is_solution(cell) and "grade_id" in cell.metadata.get("nbgrader", {}):
                unchanged = cell.metadata.nbgrader.get("checksum") == utils.compute_checksum(cell)
                answered[cell.metadata.nbgrader.grade_id] = not unchanged or utils.is_task(cell)
        return answered
    except Exception:  # a broken notebook has no answers to comment on; grading said why
        return {}


@contextlib.contextmanager
def _nbgrader_warnings_off():
    """nbgrader 0.9.6 on SQLAlchemy 2.1 warns about its own autoflush while adding a submission
    ("Object of type <SubmittedAssignment> not in session"); `nbgrader autograde` prints the same."""
    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        yield


class GradebookWriter:
    """One open gradebook for a grading run. Use from one thread (SQLite connections are per thread)."""

    def __init__(self, url: str) -> None:
        from nbgrader.api import Gradebook

        self.url = url
        with _nbgrader_warnings_off():
            self._gradebook = Gradebook(url, course_id())

    def lessons(self) -> set[str]:
        """The lessons (nbgrader assignments) the gradebook knows."""
        return {assignment.name for assignment in self._gradebook.assignments}

    def record(self, submission: Submission, result: LessonResult, timestamp: str | None) -> None:
        """The submission's points (and answered cells), in one transaction."""
        with _nbgrader_warnings_off():
            try:
                self._record(submission, result, timestamp)
                self._gradebook.db.commit()
            except BaseException:
                self._gradebook.db.rollback()
                raise

    def _record(self, submission: Submission, result: LessonResult, timestamp: str | None) -> None:
        from nbgrader.api import MissingEntry

        gradebook, lesson = self._gradebook, submission.lesson
        try:
            submission.student.encode("utf-8")
        except UnicodeEncodeError:
            raise LookupError(f"the student folder {safe.text(submission.student)!r} is not a UTF-8 name, "
                              "which nbgrader cannot take as a student id: rename it") from None
        result = safe.result(result, lesson)  # finite, within [0, max], whatever the result says
        gradebook.update_or_create_student(submission.student)
        extra = {"timestamp": timestamp} if timestamp else {}
        gradebook.update_or_create_submission(lesson.dir, submission.student, **extra)
        try:
            notebook = gradebook.find_submission_notebook(lesson.dir, lesson.dir, submission.student)
        except MissingEntry:
            raise LookupError(f"the gradebook has no notebook {lesson.dir} in {lesson.dir}: run `make lessons`") from None
        points = {lesson.exercise(e.id).check_grade_id: e.points for e in result.exercises}
        for grade in notebook.grades:
            grade.auto_score = points.get(grade.cell.name)
            # As nbgrader's SaveAutoGrades: a human looks again where one graded, or where we could not.
            grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
        answered = _answered(submission.notebook) if refusal(submission) is None else {}
        for comment in notebook.comments:
            if comment.cell.name in answered:
                comment.auto_comment = None if answered[comment.cell.name] else "No response."

    def close(self) -> None:
        self._gradebook.close()
