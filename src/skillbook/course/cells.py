"""What a notebook cell is, read from its metadata. Nothing else in skillbook reads tags.

A cell is a dict (or nbformat's NotebookNode, which is one) as stored in the .ipynb file.
"""

NotebookNode = dict

RAISES = "raises-exception"
SKIP_GRADING = "skip-grading"
REFLECT = "reflect"
LEARNING_SPEC = "learning-spec"
GAPS = "gaps"
MY_RULES = "my-rules"
CHECK_OUTPUT = "# NBVAL_CHECK_OUTPUT"  # first line of a demo whose printed output is the point of the lesson


def tags(cell: NotebookNode) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []) or [])


def nbgrader(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_code(cell: NotebookNode) -> bool:
    return cell.get("cell_type") == "code"


def is_test_cell(cell: NotebookNode) -> bool:
    """An nbgrader autograder test cell: graded, and not a solution."""
    meta = nbgrader(cell)
    return bool(meta.get("grade")) and not meta.get("solution")


def is_solution(cell: NotebookNode) -> bool:
    return bool(nbgrader(cell).get("solution"))


def grade_id(cell: NotebookNode) -> str | None:
    return nbgrader(cell).get("grade_id")


def is_demonstration(cell: NotebookNode) -> bool:
    """A cell that fails on purpose to show a pitfall."""
    return RAISES in tags(cell)


def is_reflect(cell: NotebookNode) -> bool:
    return REFLECT in tags(cell)


def is_skipped_by_grader(cell: NotebookNode) -> bool:
    """Cells the kernel-less loader does not run."""
    return (
        not is_code(cell)
        or is_test_cell(cell)
        or is_demonstration(cell)
        or is_reflect(cell)
        or SKIP_GRADING in tags(cell)
    )


def is_learning_spec(cell: NotebookNode) -> bool:
    return cell.get("cell_type") == "markdown" and LEARNING_SPEC in tags(cell)


def is_gaps(cell: NotebookNode) -> bool:
    return cell.get("cell_type") == "markdown" and GAPS in tags(cell)


def is_my_rules(cell: NotebookNode) -> bool:
    """The learner's own rules for the lesson (markdown, never graded), which Reflect carries into the skill."""
    return cell.get("cell_type") == "markdown" and MY_RULES in tags(cell)


def is_output_checked(cell: NotebookNode) -> bool:
    """A demo whose printed output nbval compares with the expected output kept in solutions/."""
    # nbval's own reading: any comment line saying NBVAL_CHECK_OUTPUT (the course writes it first).
    comments = [line.strip().lstrip("#").strip() for line in _source(cell).splitlines() if line.strip().startswith("#")]
    return is_code(cell) and "NBVAL_CHECK_OUTPUT" in comments


def _source(cell: NotebookNode) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source
