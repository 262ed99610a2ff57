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


def test_outputs_are_kept_only_where_nbval_checks_them(tmp_path, monkeypatch):
    """Does dev check accept the expected output of a marked solution demo, and flag a marked demo
    without one, and any output in lessons/?"""
    import shutil

    import nbformat

    from skillbook.course import cells, paths

    root = tmp_path / "course"
    shutil.copytree(paths.repo_root(), root, ignore=shutil.ignore_patterns(".*", "*.db"), symlinks=True)
    monkeypatch.setenv("SKILLBOOK_ROOT", str(root))
    lesson = manifest.lesson("L04")
    solution = root / "solutions" / lesson.dir / lesson.notebook_name
    handed_out = root / "lessons" / lesson.dir / lesson.notebook_name
    nb = nbformat.read(solution, as_version=4)
    marked = next(c for c in nb.cells if cells.is_output_checked(c))
    marked.outputs, marked.execution_count = [], None
    nbformat.write(nb, solution)
    nb = nbformat.read(handed_out, as_version=4)
    next(c for c in nb.cells if cells.is_code(c)).outputs = [nbformat.v4.new_output("stream", name="stdout", text="x")]
    nbformat.write(nb, handed_out)
    found = problems()
    assert len(found) == 2, found
    assert "is marked NBVAL_CHECK_OUTPUT but keeps no output: run make nbval-record" in found[0]
    assert str(handed_out) in found[1] and "has outputs" in found[1]
