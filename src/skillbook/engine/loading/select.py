"""Step 2: keep the code cells the grader runs; tests, demonstrations and reflect stay out."""

from skillbook.course import cells
from skillbook.engine.loading.state import Cell, Load


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def select(load: Load) -> None:
    for number, cell in enumerate(load.notebook["cells"], start=1):
        if not isinstance(cell, dict) or cells.is_skipped_by_grader(cell):
            continue
        load.cells.append(Cell(number=number, source=_source(cell), grade_id=cells.grade_id(cell)))
