"""Does `skillbook watch` check the notebook again when it is saved, and stop at the first failing exercise?"""

import os
import shutil
import signal
import subprocess
import sys
import time

from tests.builders import lesson_path, solution_path
from tests.learner.drive import read_until


def _save(source, notebook):
    """Save the way Jupyter does: write a temporary file, then rename it over the notebook."""
    temporary = notebook.with_name(f".~{notebook.name}")
    if isinstance(source, str):
        temporary.write_text(source)
    else:
        shutil.copy(source, temporary)
    os.replace(temporary, notebook)


def test_watch_rechecks_on_save(tmp_path):
    notebook = tmp_path / "L00_build_skill.ipynb"
    shutil.copy(lesson_path("L00"), notebook)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    process = subprocess.Popen([sys.executable, "-m", "skillbook", "watch", "l00", "--notebook", str(notebook)],
                               stdout=subprocess.PIPE, start_new_session=True,
                               env=dict(env, SKILLBOOK_CACHE_DIR=str(tmp_path / "cache")))
    try:
        first = read_until(process, "The rest:", 120)
        # Only the first failing exercise, with its message and hint; the other one in the summary line.
        assert "0/7 points on SQLite" in first
        assert first.count("What was wrong:") == 1 and first.count("Hint:") == 1
        assert "The rest: of the 1 after it, 0 pass and 1 fail (make check L=L00 lists every one)." in first
        time.sleep(1)  # let the watcher settle; a save during the first check is caught by the mtime check
        _save('{"cells": [', notebook)  # cut short: said in one line, and watch goes on
        broken = read_until(process, "Could not check:", 120)
        assert "not a whole notebook" in broken and "Traceback" not in broken
        time.sleep(1)
        _save(solution_path("L00"), notebook)
        output = read_until(process, "7/7 points", 120)
        assert "saved; checking again" in output
        assert "✓ L00 Build your skill: all 2 exercises pass on SQLite" in output
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        process.stdout.close()
