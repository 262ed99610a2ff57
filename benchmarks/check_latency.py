"""How long a learner waits for a check, against `nbgrader validate` on the same notebook, in one run.

    .venv/bin/python benchmarks/check_latency.py [--lesson L05] [--repeat 5]

Every measure grades the lesson's solution notebook (a learner who finished it), with its own empty
check cache, and is repeated; the medians are compared with validate's median:

- validate:         `nbgrader validate NOTEBOOK`, a fresh command (the Validate button runs the same)
- first check:      in a running kernel that ran the lesson's cells up to the first check cell, as a
                    learner does (execute requests carry JupyterLab's cellId), that check cell
- repeated check:   the same check cell again, the notebook unchanged
- watch:            `skillbook watch`, running: from a save (Jupyter's write-then-rename) to the result
- make check:       `skillbook check` as a fresh command (what `make check L=...` runs)

Targets (issue 15): first check <= 0.25x validate, repeated check < 0.1 s, watch <= 0.3x validate.
"""

import argparse
import json
import os
import queue
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from skillbook.course import cells, manifest, paths

BIN = Path(sys.executable).parent


def _env(tmp: Path) -> dict[str, str]:
    """The learner's environment: SQLite (no DATABASE_URL), a skill folder and a check cache of its own."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL")}
    env.update(SKILLBOOK_SKILL_DIR=str(tmp / "skill"), SKILLBOOK_CACHE_DIR=str(tmp / "cache"),
               PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    return env


def _copy(lesson, tmp: Path) -> Path:
    notebook = tmp / lesson.dir / lesson.notebook_name
    notebook.parent.mkdir(parents=True)
    shutil.copy(paths.solutions_dir() / lesson.dir / lesson.notebook_name, notebook)
    return notebook


def _timed(command, env, cwd) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


class Kernel:
    """A Jupyter kernel driven as JupyterLab drives it: each execute request names its cell."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        from jupyter_client.manager import start_new_kernel

        self.manager, self.client = start_new_kernel(kernel_name="python3", cwd=str(cwd), env=env)
        self.displays: list[str] = []  # the text of every display and display update of the last cell

    def run(self, cell: dict, source: str | None = None, *, while_running=None) -> tuple[float, str]:
        """Run the cell (with `source` in place of its own, as after an edit): (seconds from request to
        idle, what it printed). `while_running(seconds)` is called while waiting for its output."""
        client = self.client
        content = {"code": "".join(cell["source"]) if source is None else source, "silent": False,
                   "store_history": True, "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}
        msg = client.session.msg("execute_request", content)
        msg["metadata"]["cellId"] = cell["id"]
        started = time.perf_counter()
        client.shell_channel.send(msg)
        printed, self.displays = [], []
        while True:
            try:
                reply = client.get_iopub_msg(timeout=0.5)
            except queue.Empty:
                if time.perf_counter() - started > 600:
                    raise TimeoutError(f"cell {cell['id']} did not finish") from None
                if while_running:
                    while_running(time.perf_counter() - started)
                continue
            if reply["parent_header"].get("msg_id") != msg["header"]["msg_id"]:
                continue
            if reply["msg_type"] == "stream":
                printed.append(reply["content"]["text"])
            elif reply["msg_type"] in ("display_data", "update_display_data"):
                self.displays.append(reply["content"]["data"].get("text/plain", ""))
            elif reply["msg_type"] == "error":
                printed.append(f"{reply['content']['ename']}: {reply['content']['evalue']}\n")
            elif reply["msg_type"] == "status" and reply["content"]["execution_state"] == "idle":
                return time.perf_counter() - started, "".join(printed)

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


def kernel_checks(lesson, tmp: Path) -> tuple[float, float]:
    """(first check, repeated check) in a kernel that ran the cells before the first check cell."""
    notebook = _copy(lesson, tmp)
    saved = json.loads(notebook.read_text())
    kernel = Kernel(notebook.parent, _env(tmp))
    try:
        for cell in saved["cells"]:
            if not cells.is_code(cell) or cells.is_reflect(cell):
                continue
            seconds, printed = kernel.run(cell)
            if cells.is_test_cell(cell):
                assert "✓" in printed, f"the check did not pass:\n{printed}"
                again, printed = kernel.run(cell)
                assert "✓" in printed, printed
                return seconds, again
    finally:
        kernel.close()
    raise AssertionError(f"{lesson.id} has no check cell")


def read_until(process, text: str, seconds: float) -> str:
    """What the process writes until `text` appears (read from the pipe itself: a line buffer would
    hide lines that arrived together from select)."""
    seen = ""
    deadline = time.monotonic() + seconds
    while text not in seen:
        if time.monotonic() > deadline:
            raise TimeoutError(f"did not see {text!r} in:\n{seen}")
        ready, _, _ = select.select([process.stdout], [], [], 0.5)
        if ready:
            chunk = os.read(process.stdout.fileno(), 65536)
            if not chunk:
                raise RuntimeError(f"the process exited:\n{seen}")
            seen += chunk.decode()
    return seen


def watch_latencies(lesson, tmp: Path, saves: int) -> list[float]:
    """From a save to watch's result, `saves` times, each save a new version of the notebook."""
    notebook = _copy(lesson, tmp)
    process = subprocess.Popen([BIN / "skillbook", "watch", lesson.id, "--notebook", str(notebook)], env=_env(tmp),
                               cwd=paths.repo_root(), stdout=subprocess.PIPE, start_new_session=True)
    try:
        done = "exercises pass"
        read_until(process, done, 300)
        raw = json.loads(notebook.read_text())
        times = []
        for number in range(saves):
            time.sleep(1)
            raw["metadata"]["saved"] = number  # a new version: never an answer from the cache
            temporary = notebook.with_name(f".~{notebook.name}")
            temporary.write_text(json.dumps(raw, indent=1))
            started = time.perf_counter()
            os.replace(temporary, notebook)  # as Jupyter saves: write, then rename over the notebook
            read_until(process, done, 300)
            times.append(time.perf_counter() - started)
        return times
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        process.stdout.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lesson", default="L05")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    lesson = manifest.lesson(args.lesson)
    runs: dict[str, list[float]] = {"validate": [], "first check": [], "repeated check": [], "watch": [], "make check": []}
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
            tmp = Path(tmp)
            notebook = _copy(lesson, tmp / "validate")
            runs["validate"].append(_timed([BIN / "nbgrader", "validate", str(notebook)], _env(tmp / "validate"),
                                           notebook.parent))
            first, again = kernel_checks(lesson, tmp / "kernel")
            runs["first check"].append(first)
            runs["repeated check"].append(again)
            notebook = _copy(lesson, tmp / "cli")
            runs["make check"].append(_timed([BIN / "skillbook", "check", lesson.id, "--notebook", str(notebook)],
                                             _env(tmp / "cli"), paths.repo_root()))
            runs["watch"].extend(watch_latencies(lesson, tmp / "watch", saves=2))
    median = {name: statistics.median(times) for name, times in runs.items()}
    validate = median["validate"]
    print(f"{lesson.id} ({len(lesson.exercises)} exercises), {args.repeat} rounds; median seconds, ratio to validate")
    for name, seconds in median.items():
        print(f"  {name:15} {seconds:7.3f} s  {seconds / validate:5.2f}x   (runs: {', '.join(f'{t:.2f}' for t in runs[name])})")
    targets = {"first check": median["first check"] <= 0.25 * validate, "repeated check": median["repeated check"] < 0.1,
               "watch": median["watch"] <= 0.3 * validate}
    print("  targets (first <= 0.25x, repeated < 0.1 s, watch <= 0.3x): "
          + ", ".join(f"{name} {'met' if ok else 'MISSED'}" for name, ok in targets.items()))
    return 0 if all(targets.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
