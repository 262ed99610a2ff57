"""What the loading steps pass along."""

from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType


@dataclass
class Cell:
    number: int  # 1-based position in the notebook, as a learner counts cells
    source: str
    grade_id: str | None = None

    @property
    def filename(self) -> str:
        return f"<notebook cell {self.number}>"


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
