"""Is every lesson's "My rules" cell the learner's: present, empty but for its prompt, and never graded?"""

import nbformat
import pytest

from skillbook.course import cells, manifest, paths
from skillbook.skill.reflect import my_rules


@pytest.mark.parametrize("folder", ["solutions", "lessons"])
@pytest.mark.parametrize("lesson", list(manifest.lessons().values()), ids=lambda lesson: lesson.id)
def test_my_rules_cell_is_the_learners_and_never_graded(lesson, folder):
    nb = nbformat.read(paths.repo_root() / folder / lesson.dir / lesson.notebook_name, as_version=4)
    found = [i for i, c in enumerate(nb.cells) if cells.is_my_rules(c)]
    assert len(found) == 1, "one markdown cell tagged my-rules"
    index = found[0]
    cell = nb.cells[index]
    assert my_rules(nb) == "", "the cell holds only its prompt: never pre-filled with the answer"
    assert not cells.nbgrader(cell), "nbgrader must neither grade nor lock it"
    assert cells.is_skipped_by_grader(cell)
    assert nb.cells[index + 1].get("id", "").endswith("reflect-intro") and cells.is_reflect(nb.cells[index + 2])
