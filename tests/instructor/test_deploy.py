"""Do deploy/'s JupyterHub and nbgrader settings agree with each other and with the kit? (No JupyterHub needed.)"""

import pytest
from traitlets.config.loader import PyFileConfigLoader

from skillbook.course import paths
from skillbook.instructor.gradebook import course_id

DEPLOY = paths.repo_root() / "deploy"


def _load(folder, name, monkeypatch, **env):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("COURSE_DIR", raising=False)
    return PyFileConfigLoader(name, path=str(DEPLOY / folder)).load_config()


@pytest.fixture
def configs(monkeypatch, tmp_path):
    roster = tmp_path / "students.txt"
    roster.write_text("ada\nlinus\n")
    hub = _load(".", "jupyterhub_config.py", monkeypatch, COURSE_INSTRUCTORS="grace", COURSE_ROSTER=str(roster))
    instructor = _load("instructor", "nbgrader_config.py", monkeypatch, SKILLBOOK_KIT=str(paths.repo_root()))
    student = _load("student", "nbgrader_config.py", monkeypatch)
    return hub, instructor, student


def test_one_course_id_everywhere(configs):
    """Is the formgrader service named after the course, as nbgrader requires, in every config and the kit's?"""
    hub, instructor, student = configs
    ids = {course_id(), instructor.CourseDirectory.course_id, student.CourseDirectory.course_id,
           hub.JupyterHub.services[0]["name"]}
    assert ids == {"build-your-database-skill"}
    groups = hub.JupyterHub.load_groups
    assert groups["formgrade-build-your-database-skill"]["users"] == ["grace", "grader-build-your-database-skill"]
    assert groups["nbgrader-build-your-database-skill"]["users"] == ["ada", "linus"]
    assert hub.JupyterHub.services[0]["user"] == "grader-build-your-database-skill"


def test_one_exchange_shared_by_students_and_graders(configs):
    _, instructor, student = configs
    assert instructor.Exchange.root == student.Exchange.root == "/srv/nbgrader/exchange"
    assert instructor.Exchange.path_includes_course and student.Exchange.path_includes_course
    assert student.Authenticator.plugin_class.__name__ == "JupyterHubAuthPlugin"


def test_gradebook_is_postgresql_and_the_course_comes_from_the_kit(configs):
    """Is the gradebook a PostgreSQL database (no password in the file), with solutions/ as nbgrader's source?"""
    _, instructor, _ = configs
    url = instructor.CourseDirectory.db_url
    assert url.startswith("postgresql") and ":" not in url.split("//", 1)[1].split("@", 1)[0]
    assert instructor.CourseDirectory.source_directory == str(paths.solutions_dir())
    assert instructor.ClearSolutions.code_stub["python"].startswith("# YOUR CODE HERE")
