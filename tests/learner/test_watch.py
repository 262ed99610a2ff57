"""Does `skillbook watch` check the notebook again when it is saved?"""

import os
import selectors
import shutil
import signal
import subprocess
import sys
import time

from tests.builders import lesson_path, solution_path


def _read_until(process, text: str, seconds: float) -> str:
    seen = ""
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + seconds
    while text not in seen:
        assert time.monotonic() < deadline, f"did not see {text!r} in:\n{seen}"
        if selector.select(timeout=0.5):
            line = process.stdout.readline()
            assert line, f"watch exited:\n{seen}"
            seen += line
    return seen


def test_watch_rechecks_on_save(tmp_path):
    notebook = tmp_path / "L00_build_skill.ipynb"
    shutil.copy(lesson_path("L00"), notebook)
    process = subprocess.Popen([sys.executable, "-m", "skillbook", "watch", "L00", "--notebook", str(notebook)],
                               stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _read_until(process, "0/7 points", 120)
        time.sleep(1)  # let the watcher settle; a save during the first check is caught by the mtime check
        # Save the way Jupyter does: write a temporary file, then rename it over the notebook.
        shutil.copy(solution_path("L00"), tmp_path / ".~L00_build_skill.ipynb")
        os.replace(tmp_path / ".~L00_build_skill.ipynb", notebook)
        output = _read_until(process, "7/7 points", 120)
        assert "saved; checking again" in output
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        process.stdout.close()
