"""nbgrader's settings: solutions/ is the source, lessons/ the release (see COURSE.md).

COURSE_DIR= points nbgrader at another course directory (submitted/, autograded/, feedback/ and
the gradebook live there); the default is this repository.
"""

import os
from pathlib import Path

c = get_config()  # noqa: F821 (nbgrader provides it)

here = Path(__file__).resolve().parent
c.CourseDirectory.root = os.environ.get("COURSE_DIR", str(here))
c.CourseDirectory.course_id = "build-your-database-skill"
c.CourseDirectory.source_directory = str(here / "solutions")
# SKILLBOOK_RELEASE_DIR lets the tests generate a release elsewhere and compare it with lessons/.
c.CourseDirectory.release_directory = os.environ.get("SKILLBOOK_RELEASE_DIR", str(here / "lessons"))
c.CourseDirectory.db_url = "sqlite:///" + str(Path(c.CourseDirectory.root) / "gradebook.db")
# The expected outputs on PostgreSQL beside a solution (skillbook.course.expected) are not for learners.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.postgres.json"]
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
# Checks grade the notebook in a fresh process; give them time on a slow machine.
c.ExecutePreprocessor.timeout = 300
c.Execute.timeout = 300
