"""Step 2: keep the code cells the grader runs; tests, demonstrations and reflect stay out."""

import re

from skillbook.course import cells
from skillbook.engine.loading.state import PLACES, Cell, Load

POINTS = re.compile(r"\s*\(\d+(\.\d+)?\s+points?\)\s*$")


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def heading_of(markdown: str) -> str | None:
    """The last heading of a markdown cell ("Exercise 2 · A first table model", without its points)."""
    found = [line.lstrip("#").strip() for line in markdown.splitlines() if re.match(r"#{1,6}\s", line)]
    return POINTS.sub("", found[-1])[:80] if found else None


def select(load: Load) -> None:
    heading = ""
    for number, cell in enumerate(load.notebook["cells"], start=1):
        if isinstance(cell, dict) and cell.get("cell_type") == "markdown":
            heading = heading_of(_source(cell)) or heading
            continue
        if not isinstance(cell, dict) or cells.is_skipped_by_grader(cell):
            continue
        kept = Cell(number=number, source=_source(cell), grade_id=cells.grade_id(cell), heading=heading)
        PLACES[kept.filename] = kept.place
        load.cells.append(kept)
