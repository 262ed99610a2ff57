"""Is the progress table derived from the learner's notebooks and skill?"""

import shutil

from skillbook.course import manifest
from skillbook.skill.reflect import reflect
from skillbook.learner.progress import chart, collect, problems, skill_completeness
from skillbook.skill.folder import create_skill, is_reflected
from tests.builders import lesson_path, solution_path


def test_progress_reflects_notebooks_and_skill(tmp_path, isolated_skill):
    """With L00 solved and reflected, and the other lessons untouched, does the table say exactly that?"""
    lessons = tmp_path / "lessons"
    for lesson in manifest.lessons().values():
        (lessons / lesson.dir).mkdir(parents=True)
        source = solution_path(lesson.id) if lesson.id == "L00" else lesson_path(lesson.id)
        shutil.copy(source, lessons / lesson.dir / lesson.notebook_name)
    skill = create_skill(isolated_skill, quiet=True)
    reflect("L00", notebook=lessons / "L00_build_skill" / "L00_build_skill.ipynb", skill=skill, quiet=True)
    l03 = lessons / "L03_models" / "L03_models.ipynb"
    l03.write_text(l03.read_text()[:5000])  # cut short: unreadable
    (lessons / "L04_sessions" / "L04_sessions.ipynb").unlink()
    rows = {row.lesson.id: row for row in collect(lambda lesson: is_reflected(lesson, skill), lessons)}
    assert (rows["L00"].points, rows["L00"].passed, rows["L00"].reflected, rows["L00"].why_zero) == (7, 2, True, "")
    for lesson_id, row in rows.items():
        if lesson_id != "L00":
            assert (row.points, row.passed, row.reflected) == (0, 0, False)
    # Every 0 says why; an unreadable or missing notebook also says how to get it back.
    assert rows["L03"].why_zero == "notebook unreadable" and rows["L04"].why_zero == "notebook missing"
    assert {row.why_zero for lesson_id, row in rows.items() if lesson_id not in ("L00", "L03", "L04")} == {"not started"}
    said = problems(list(rows.values()))
    assert len(said) == 2 and said[0].startswith("L03: ") and "not a whole notebook" in said[0]
    assert skill_completeness(list(rows.values())) == 1 / len(rows)
    png = chart(list(rows.values()), tmp_path / "progress.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
