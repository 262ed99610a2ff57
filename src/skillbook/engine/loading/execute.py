"""Step 4: run the cells in one fresh module, top-level await included, each under a time limit.

A cell that fails is recorded and the next one runs, so one broken cell costs only the exercises
that need what it defines. Output is captured, never passed on.
"""

import ast
import builtins
import contextlib
import inspect
import io
import linecache
import sys
import time
import traceback
import types
import uuid

from skillbook.engine.limits import TimeLimitExceeded, out_of_memory, run_limited
from skillbook.engine.loading.state import Cell, CellError, Load, place_of

MAX_OUTPUT = 20_000


class _NoIPython:
    """Stands in for get_ipython(): magics and shell escapes do nothing while grading."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def _new_module() -> types.ModuleType:
    # A real module in sys.modules, like Jupyter's __main__, so dataclasses and pydantic
    # can resolve the notebook's own forward references.
    module = types.ModuleType(f"notebook_{uuid.uuid4().hex[:8]}")
    module.__dict__.update(__builtins__=builtins, get_ipython=_NoIPython)
    sys.modules[module.__name__] = module
    return module


def _learner_frame(tb) -> str:
    """' (in the cell under “Heading”, line 3)' for the innermost frame of the learner's code in a traceback."""
    where = ""
    for frame, lineno in traceback.walk_tb(tb):
        name = frame.f_code.co_filename
        if name.startswith("<notebook cell "):
            where = f" ({place_of(name)}, line {lineno})"
    return where


async def _run_cell(cell: Cell, module: types.ModuleType, seconds: float) -> None:
    linecache.cache[cell.filename] = (len(cell.source), None, cell.source.splitlines(True), cell.filename)
    code = compile(cell.source, cell.filename, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    what = cell.place
    if code.co_flags & inspect.CO_COROUTINE:
        await run_limited(eval(code, module.__dict__), seconds, what)
    else:
        async def _sync():
            exec(code, module.__dict__)

        await run_limited(_sync(), seconds, what)


async def execute(load: Load) -> None:
    load.module = _new_module()
    output = io.StringIO()
    started = time.monotonic()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        for cell in load.cells:
            left = load.total_seconds - (time.monotonic() - started)
            if left <= 0:
                load.errors.append(CellError(cell, "timeout", f"not run: the notebook used up its {load.total_seconds:g} s"))
                continue
            try:
                await _run_cell(cell, load.module, min(load.cell_seconds, left))
            except SyntaxError as exc:
                load.errors.append(CellError(cell, "syntax", f"SyntaxError: {exc.msg} ({cell.place}, line {exc.lineno})"))
            except TimeLimitExceeded as exc:
                load.errors.append(CellError(cell, "timeout", f"{cell.place} did not finish within {exc.seconds:g} s (an endless loop?)"))
            except SystemExit as exc:
                load.errors.append(CellError(cell, "exit", f"{cell.place} called sys.exit({exc.code!r}); the rest of that cell did not run"))
            except KeyboardInterrupt:
                raise
            except MemoryError:
                load.errors.append(CellError(cell, "memory", out_of_memory(f" in {cell.place}")))
            except NotImplementedError:
                load.errors.append(CellError(cell, "unanswered", f"{cell.exercise_name} is not answered yet: replace `raise NotImplementedError()` in its cell with your code"))
            except BaseException as exc:  # the learner's code may raise anything
                first_line = (str(exc).splitlines() or [""])[0][:300]
                load.errors.append(CellError(cell, "error", f"{type(exc).__name__}: {first_line}{_learner_frame(exc.__traceback__)}"))
            if output.tell() > MAX_OUTPUT:
                output.seek(0)
                output.truncate()
    load.output = output.getvalue()[-MAX_OUTPUT:]
