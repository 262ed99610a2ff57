"""`skillbook runs L05`: does the lesson notebook run from the top in a fresh kernel?

nbval runs the notebook in a child process (`--nbval-lax`: a cell tagged `raises-exception` may fail,
and only cells marked `# NBVAL_CHECK_OUTPUT` have their output compared, where the notebook holds an
expected output, as solutions/ does). That pytest run loads this module as a plugin too: its report
hook writes one JSON line per cell, which `run` reads back as `CellRun`s. `summarize` puts them in the
learner's terms: an exercise that still holds nbgrader's stub is "not answered yet", named by its
heading; every other failure is one line, the error's name and message, without the traceback.

The same runner checks the solutions' expected outputs in the kit's tests and records them
(`skillbook dev record-outputs`): `run_in_scratch` runs a copy on a database of its own.
"""

import ast
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from skillbook.course import cells, manifest

CELL_SECONDS = 120  # a cell waiting on a lock should fail, not hang the command
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class CellRun:
    """What nbval made of one code cell."""

    cell_id: str
    outcome: str  # "passed", "failed" or "skipped"
    problem: str = ""  # for a failure: "error" (the cell raised), "output" (it printed something else), "timeout"
    ename: str = ""
    evalue: str = ""
    frames: list[str] = field(default_factory=list)  # the functions the error passed through, outermost first
    diff: str = ""  # for "output": a unified diff of the expected and the new output, both sanitized
    outputs: list[dict] = field(default_factory=list)  # what the cell printed in this run


class RunError(Exception):
    """nbval could not run the notebook at all (no kernel, unreadable notebook)."""


def run(notebook: Path, *, env: dict[str, str] | None = None, skip: tuple[str, ...] = (), compare: bool = True,
        sanitize: Path | None = None, cell_seconds: float = CELL_SECONDS) -> list[CellRun]:
    """Run `notebook` with nbval in a fresh kernel whose working folder is the notebook's, leaving out
    the cells whose ids are in `skip`. `compare=False` checks only that cells run (a learner's saved
    outputs are no expectation); `sanitize` is nbval's file of regex/replace pairs. `env` is the
    kernel's environment (default: this process's)."""
    with tempfile.TemporaryDirectory(prefix="skillbook-runs-") as scratch:
        report = Path(scratch) / "cells.jsonl"
        ini = Path(scratch) / "pytest.ini"
        ini.write_text("[pytest]\n", encoding="utf-8")  # none of the course's own pytest settings
        command = [
            sys.executable, "-m", "pytest", str(notebook), "-c", str(ini), "--rootdir", str(Path(notebook).parent),
            "-p", "nbval.plugin", "-p", "skillbook.learner.runs", "-p", "no:cacheprovider", "-p", "no:warnings",
            "--nbval-lax", "--nbval-current-env", f"--nbval-cell-timeout={cell_seconds:g}",
            "--runs-report", str(report), "-q", "--no-header",
        ]
        command += ["--nbval-sanitize-with", str(sanitize)] if sanitize else []
        command += [] if compare else ["--runs-no-compare"]
        for cell_id in skip:
            command += ["--runs-skip", cell_id]
        # Only the two plugins: the environment's others (xdist, asyncio, timeout) have no business here.
        child_env = {k: v for k, v in (os.environ if env is None else env).items() if k != "PYTEST_ADDOPTS"}
        child_env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        done = subprocess.run(command, env=child_env, capture_output=True, text=True, cwd=scratch)
        if not report.exists():
            last = (done.stdout + done.stderr).strip().splitlines()[-1:] or ["no output"]
            raise RunError(f"nbval could not run {notebook}: {_ANSI.sub('', last[0])}")
        return [CellRun(**json.loads(line)) for line in report.read_text(encoding="utf-8").splitlines()]


def run_in_scratch(nb, lesson: manifest.Lesson, *, database_url: str | None, skip: tuple[str, ...] = (),
                   compare: bool = True, sanitize: Path | None = None) -> list[CellRun]:
    """Run a copy of notebook `nb` in a scratch folder named like the lesson's, with a database of its
    own (a SQLite file, or a new database on the PostgreSQL server `database_url`) and a scratch skill."""
    from skillbook.engine.databases import isolated_database

    with tempfile.TemporaryDirectory(prefix="skillbook-nbval-") as scratch:
        folder = Path(scratch) / lesson.dir
        folder.mkdir()
        nbformat.write(nb, folder / lesson.notebook_name)
        with isolated_database(database_url, Path(scratch)) as url:
            env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
            env.update(DATABASE_URL=url, SKILLBOOK_SKILL_DIR=str(Path(scratch) / "skill"),
                       SKILLBOOK_CACHE_DIR=str(Path(scratch) / "cache"))
            if database_url:
                env["TEST_DATABASE_URL"] = database_url
            return run(folder / lesson.notebook_name, env=env, skip=skip, compare=compare, sanitize=sanitize)


# --- the plugin side: these hooks run in nbval's pytest process -------------------------------

def pytest_addoption(parser):
    parser.addoption("--runs-report", help="write one JSON line per notebook cell here")
    parser.addoption("--runs-skip", action="append", default=[], help="id of a cell not to run")
    parser.addoption("--runs-no-compare", action="store_true", help="compare no outputs, even in marked cells")


def pytest_collection_modifyitems(config, items):
    import pytest

    skip = set(config.getoption("runs_skip"))
    for item in items:
        if getattr(item, "cell", None) is None:
            continue
        if item.cell.get("id") in skip:
            item.add_marker(pytest.mark.skip(reason="left out"))
        if config.getoption("runs_no_compare"):
            item.options["check"] = False  # nbval's own switch for comparing this cell's output


def _error_frames(traceback: list[str]) -> list[str]:
    """Function names in an IPython traceback (`Cell In[7], line 3, in make_sessionmaker`)."""
    names = []
    for entry in traceback:
        names += re.findall(r", in (\w+)\b", _ANSI.sub("", entry))
    return names


def _output_diff(item) -> str:
    """Expected and new output of a cell as a unified diff, both sanitized as nbval compared them."""
    import difflib

    from nbval.plugin import coalesce_streams

    def text(outputs) -> list[str]:
        shown = []
        for output in coalesce_streams([nbformat.from_dict(o) for o in outputs]):
            if output.output_type == "stream":
                shown.append(output.text if output.name == "stdout" else f"[{output.name}] {output.text}")
            elif output.output_type == "error":
                shown.append(f"{output.ename}: {output.evalue}\n")
            else:
                shown.append(str(output.get("data", {}).get("text/plain", "")) + "\n")
        return item.sanitize("".join(shown)).splitlines()

    diff = list(difflib.unified_diff(text(item.cell.outputs), text(item.test_outputs or []),
                                     "expected", "printed now", lineterm="", n=2))
    return "\n".join(diff) or _ANSI.sub("", "\n".join(getattr(item, "comparison_traceback", [])))


def _cell_record(item, report) -> dict:
    outputs = [dict(output) for output in item.test_outputs or []]
    record = {"cell_id": item.cell.get("id", ""), "outcome": report.outcome, "outputs": outputs}
    if report.failed:
        error = next((o for o in outputs if o.get("output_type") == "error"), None)
        message = _ANSI.sub("", str(getattr(report, "longrepr", "") or ""))
        if "Failed to interrupt kernel" in message or "waiting for output" in message:  # nbval: the kernel is gone
            record.update(problem="error", ename="KernelError",
                          evalue="the kernel stopped answering (did the cell end the process, or run out of memory?)")
        elif "Timeout" in message and "exceeded" in message:
            record["problem"] = "timeout"
        elif "Cell outputs differ" in message:
            record.update(problem="output", diff=_output_diff(item))
        elif error:
            record.update(problem="error", ename=error["ename"], evalue=_ANSI.sub("", error["evalue"]),
                          frames=_error_frames(error.get("traceback", [])))
        else:  # the kernel died or never started
            lines = [line for line in message.splitlines() if line.strip()]
            record.update(problem="error", ename="KernelError", evalue=lines[-1] if lines else "the kernel stopped")
    return record


_items: dict = {}  # nodeid -> nbval's cell item, for the report hook


def pytest_itemcollected(item):
    if getattr(item, "cell", None) is not None:
        _items[item.nodeid] = item


def pytest_runtest_logreport(report):
    item = _items.get(report.nodeid)
    if item is None or not (report.when == "call" or (report.when == "setup" and not report.passed)):
        return
    path = item.config.getoption("runs_report")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(_cell_record(item, report), default=str) + "\n")


# --- the learner's report ----------------------------------------------------------------------

# What nbgrader leaves of an answer (nbgrader_config.py's code_stub), indented inside a function or not.
STUB = re.compile(r"# YOUR CODE HERE\s*\n\s*raise NotImplementedError\(\)")


def _headings(nb) -> dict[str, str]:
    """Each code cell's id -> the markdown heading above it, without its points (`Exercise 2 · get_task`)."""
    found, current = {}, ""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    current = re.sub(r"\s*\(\d+(\.\d+)? points?\)$", "", line.lstrip("#").strip().replace("`", ""))
        else:
            found[cell.get("id", "")] = current
    return found


def _defined_names(source: str) -> set[str]:
    """The names a cell binds at its top level."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        else:
            names |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return names


def _exercise_of(lesson: manifest.Lesson, cell) -> manifest.Exercise | None:
    """The exercise a solution cell belongs to (an exercise may span cells: L08-alembic_project-due_date)."""
    grade_id = cells.grade_id(cell) or ""
    if not cells.is_solution(cell):
        return None
    return next((e for e in lesson.exercises if grade_id == e.grade_id or grade_id.startswith(e.grade_id + "-")), None)


def answer_names(lesson: manifest.Lesson, solution: Path) -> dict[str, manifest.Exercise]:
    """The names each exercise's answer defines (`Task` for L00.task_model), read from the solution
    notebook when the course has it: a NameError for one of them means "not answered yet"."""
    if not solution.is_file():
        return {}
    names: dict[str, manifest.Exercise] = {}
    for cell in nbformat.read(solution, as_version=4).cells:
        if (exercise := _exercise_of(lesson, cell)) is not None:
            # Only what the answer itself defines at the top level: the region nbgrader replaces by the stub.
            for region in re.findall(r"(?m)^### BEGIN SOLUTION\n(.*?)^### END SOLUTION", cell.source, re.DOTALL):
                for name in _defined_names(region):
                    names.setdefault(name, exercise)
    return names


@dataclass(frozen=True)
class Failure:
    """One failed cell, in words: the heading it sits under, and why."""

    where: str
    why: str


@dataclass
class Summary:
    """A run in the learner's terms."""

    unanswered: list[str] = field(default_factory=list)  # headings of the exercises not answered yet
    broken: list[Failure] = field(default_factory=list)  # failed above every unanswered exercise: real problems
    following: list[Failure] = field(default_factory=list)  # failed below one: may only follow from it
    ran: int = 0

    @property
    def ok(self) -> bool:
        return not self.broken


def summarize(nb, lesson: manifest.Lesson, runs: list[CellRun], answers: dict[str, manifest.Exercise] | None = None) -> Summary:
    """Condense a run. An exercise is "not answered yet" while its cell holds nbgrader's stub, or when its
    stub raised NotImplementedError in any cell; a NameError for a name that such an exercise (or a
    cell it stopped) would have defined counts with it. `answers` maps the names answers define to
    their exercises (`answer_names`). Other failures below an unanswered exercise are listed apart."""
    by_id = {cell.get("id", ""): cell for cell in nb.cells}
    positions = {cell.get("id", ""): n for n, cell in enumerate(nb.cells)}
    headings = _headings(nb)
    by_name = {e.name: e for e in lesson.exercises}
    unanswered: dict[manifest.Exercise, int] = {}  # exercise -> the first cell where it showed
    for position, cell in enumerate(nb.cells):
        exercise = _exercise_of(lesson, cell)
        if exercise is not None and STUB.search(cell.source):
            unanswered.setdefault(exercise, position)
    missing = {name: e for name, e in (answers or {}).items() if e in unanswered}
    summary = Summary(ran=sum(r.outcome != "skipped" for r in runs))
    for cell_run in runs:
        if cell_run.outcome != "failed":
            continue
        cell = by_id.get(cell_run.cell_id, nbformat.v4.new_code_cell())
        position = positions.get(cell_run.cell_id, 0)
        own = _exercise_of(lesson, cell)
        cause = None
        if cell_run.ename == "NotImplementedError":
            named = [by_name[f] for f in cell_run.frames if f in by_name]
            cause = named[-1] if named else own
        elif cell_run.ename == "NameError" and (name := re.search(r"name '(\w+)' is not defined", cell_run.evalue)):
            cause = missing.get(name.group(1))
        if cause is not None:
            unanswered.setdefault(cause, position)
            for name in _defined_names(cell.source):  # what this cell did not get to define
                missing.setdefault(name, cause)
            if own is not None:
                missing.setdefault(own.name, own if own in unanswered else cause)
            continue
        failure = Failure(headings.get(cell_run.cell_id) or "the top of the notebook", _why(cell_run))
        below = any(first <= position for first in unanswered.values())
        (summary.following if below else summary.broken).append(failure)
    order = list(lesson.exercises)
    summary.unanswered = [_exercise_heading(e, nb, headings) for e in sorted(unanswered, key=order.index)]
    return summary


def _why(cell_run: CellRun) -> str:
    if cell_run.problem == "timeout":
        return "still running when its time was up (a loop that never ends, or a lock nobody releases?)"
    if cell_run.problem == "output":
        return "printed something else than the notebook expects:\n" + cell_run.diff.strip()
    return f"{cell_run.ename}: {_first_line(cell_run.evalue)}"


def _exercise_heading(exercise: manifest.Exercise, nb, headings: dict[str, str]) -> str:
    for cell in nb.cells:
        if cells.grade_id(cell) == exercise.grade_id:
            heading = headings.get(cell.get("id", ""), "")
            return f"{heading} ({exercise.id})" if heading else exercise.id
    return exercise.id


def _first_line(text: str) -> str:
    line = next((each for each in text.strip().splitlines() if each.strip()), "")
    return line if len(line) <= 160 else line[:157] + "..."


def left_out(nb, *, checks: bool = False) -> tuple[str, ...]:
    """The cells not to run: Reflect, which writes into the learner's skill; with `checks`, the check
    cells too (the kit's tests run them elsewhere, and a solution's outputs do not depend on them)."""
    return tuple(cell.get("id", "") for cell in nb.cells if cells.is_reflect(cell) or (checks and cells.is_test_cell(cell)))


FOLLOWING_SHOWN = 3


def report(notebook: Path, summary: Summary, database: str) -> str:
    lines = [f"Ran {notebook} from the top in a fresh kernel (nbval) on {database}: {summary.ran} code cells; "
             "the Reflect cell was left out (it writes your skill)."]
    for failure in summary.broken:
        lines.append(f"  ✗ {failure.where}: " + failure.why.replace("\n", "\n      "))
    for heading in summary.unanswered:
        lines.append(f"  · {heading}: not answered yet")
    if summary.following:
        lines.append(f"  {len(summary.following)} cell(s) below an unanswered exercise failed, maybe only because of it:")
        for failure in summary.following[:FOLLOWING_SHOWN]:
            lines.append(f"      {failure.where}: {_first_line(failure.why)}")
        if len(summary.following) > FOLLOWING_SHOWN:
            lines.append(f"      ... and {len(summary.following) - FOLLOWING_SHOWN} more")
    if summary.broken:
        lines.append(f"✗ {len(summary.broken)} cell(s) failed; fix the first one first, the others may follow from it.")
    elif summary.following:
        lines.append(f"✓ Nothing failed above them; answer the {len(summary.unanswered)} exercise(s), then run again.")
    elif summary.unanswered:
        lines.append(f"✓ Nothing else failed; {len(summary.unanswered)} exercise(s) not answered yet.")
    else:
        lines.append("✓ Every cell ran.")
    return "\n".join(lines)


def runs_lesson(lesson: manifest.Lesson, notebook: Path, nb, database_url: str | None = None) -> tuple[str, bool]:
    """`skillbook runs`: run the learner's notebook `nb`, saved at `notebook` (on `database_url`, else
    on DATABASE_URL as the lessons read it), and say what failed. True when nothing failed but
    unanswered exercises and what follows from them."""
    from skillbook.course import paths

    env = dict(os.environ)
    if database_url:
        env["DATABASE_URL"] = database_url
    url = env.get("DATABASE_URL")
    if url:
        from sqlalchemy.engine import make_url

        database = make_url(url).render_as_string(hide_password=True)
    else:
        database = "SQLite (DATABASE_URL is not set)"
    results = run(notebook, env=env, skip=left_out(nb), compare=False)
    answers = answer_names(lesson, paths.solutions_dir() / lesson.dir / lesson.notebook_name)
    summary = summarize(nb, lesson, results, answers)
    return report(notebook, summary, database), summary.ok
