"""nbgrader for the grader account (/home/grader-build-your-database-skill/.jupyter/nbgrader_config.py).

It starts from the kit's own nbgrader_config.py (solutions/ as the source, lessons/ as the release,
code stubs and time limits), then moves the course directory and the gradebook off this machine's
disk: the gradebook is PostgreSQL, so formgrader, `nbgrader autograde` and `skillbook grade-class`
(pass it the same URL with --gradebook) share it from any host. The password is not here: libpq
reads it from ~/.pgpass or PGPASSWORD.
"""

import os

c = get_config()  # noqa: F821 (nbgrader provides it)

KIT = os.environ.get("SKILLBOOK_KIT", "/srv/build-your-database-skill")  # a checkout of this repository
load_subconfig(os.path.join(KIT, "nbgrader_config.py"))  # noqa: F821

c.CourseDirectory.course_id = "build-your-database-skill"
c.CourseDirectory.root = os.environ.get("COURSE_DIR", "/home/grader-build-your-database-skill/course")
c.CourseDirectory.db_url = os.environ.get(
    "NBGRADER_DB_URL", "postgresql+pg8000://nbgrader@gradebook-db:5432/build_your_database_skill")
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", "/srv/nbgrader/exchange")
c.Exchange.path_includes_course = True
c.NbGrader.logfile = os.path.join(c.CourseDirectory.root, "nbgrader.log")
