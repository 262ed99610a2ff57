"""What the loading steps pass along."""

from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType


# Where each compiled cell is, in words a learner can find in JupyterLab (which shows no cell numbers):
# filename -> "the cell under “Exercise 2 · A first table model”". Filled as cells are selected.
PLACES: dict[str, str] = {}


@dataclass
class Cell:
    number: int  # 1-based position in the notebook (JupyterLab does not show it: say `place` to a learner)
    source: str
    grade_id: str | None = None
    heading: str = ""  # the nearest markdown heading above the cell

    @property
    def filename(self) -> str:
        return f"<notebook cell {self.number}>"

    @property
    def place(self) -> str:
        return f"the cell under “{self.heading}”" if self.heading else f"cell {self.number}"

    @property
    def exercise_name(self) -> str:
        """How to name the exercise this cell answers: its heading."""
        return f"“{self.heading}”" if self.heading else f"cell {self.number}"


def place_of(filename: str) -> str:
    """The place of a compiled cell's filename ("<notebook cell 12>"), for tracebacks."""
    return PLACES.get(filename) or (f"cell {filename[15:-1]}" if filename.startswith("<notebook cell ") else filename)


@dataclass
class CellError:
    cell: Cell
    kind: str  # "syntax", "error", "timeout", "exit", "memory", "unanswered"
    message: str


@dataclass
class Load:
    path: Path
    cell_seconds: float
    total_seconds: float
    notebook: dict | None = None  # the notebook's JSON
    cells: list[Cell] = field(default_factory=list)
    module: ModuleType | None = None
    errors: list[CellError] = field(default_factory=list)
    output: str = ""
    fatal: str | None = None  # set when nothing could be run at all
