"""Do course.toml, the notebooks and the graders agree (`skillbook dev check`)?"""

from skillbook.course import manifest
from skillbook.course.devcheck import problems


def test_course_is_consistent():
    assert problems() == []


def test_manifest_rejects_a_wrong_exercise_prefix():
    import pytest

    with pytest.raises(manifest.ManifestError, match="must start with L01"):
        manifest.parse('format_version = 1\n[[lesson]]\nid = "L01"\ndir = "x"\ntitle = "x"\n'
                       '[[lesson.exercise]]\nid = "L02.y"\npoints = 1\n')
