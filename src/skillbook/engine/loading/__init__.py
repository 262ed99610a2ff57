"""Run a learner's notebook without a kernel: a pipeline of small steps, each in its own module.

    learner = await load_notebook(path)
    learner.Task          # what the notebook defined, or a clear failure naming the cell that broke
"""

from pathlib import Path

from skillbook.engine.loading.execute import execute
from skillbook.engine.loading.learner import Learner
from skillbook.engine.loading.read import read
from skillbook.engine.loading.select import select
from skillbook.engine.loading.state import Load
from skillbook.engine.loading.transform import transform

# The order matters: read validates the file, select drops cells the grader must not run
# (tests, demonstrations, reflect), transform turns IPython syntax into Python, execute runs
# what is left in one fresh module namespace under time limits.
SYNC_STEPS = (read, select, transform)


async def load_notebook(path: Path, *, cell_seconds: float = 30, total_seconds: float = 120) -> Learner:
    load = Load(path=Path(path), cell_seconds=cell_seconds, total_seconds=total_seconds)
    for step in SYNC_STEPS:
        step(load)
        if load.fatal:
            return Learner(load)
    await execute(load)
    return Learner(load)


__all__ = ["Learner", "load_notebook"]
