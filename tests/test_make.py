"""Do the README's commands work as documented?"""

import os
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from skillbook.course import paths


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_make_lab_serves_the_lessons():
    """Does `make lab` start JupyterLab with the repository as its root and the lessons one click away?"""
    port = _free_port()
    process = subprocess.Popen(
        ["make", "--no-print-directory", "lab", f"LAB_ARGS=--no-browser --port {port} --ServerApp.token=t"],
        cwd=paths.repo_root(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        env={k: v for k, v in os.environ.items() if k != "JUPYTER_TOKEN"},
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents/lessons/L00_build_skill?token=t", timeout=5) as reply:
                    listing = reply.read().decode()
                break
            except OSError:
                assert process.poll() is None, "make lab exited early"
                assert time.monotonic() < deadline, "JupyterLab did not answer within 90 s"
                time.sleep(0.5)
        assert "L00_build_skill.ipynb" in listing
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_make_check_prints_results_with_hints():
    """Does `make check L=L00` on the untouched lesson say what is wrong and give a hint for each exercise?"""
    done = subprocess.run(["make", "--no-print-directory", "check", "L=L00"], cwd=paths.repo_root(),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "L00 Build your skill: 0/7 points" in done.stdout
    assert done.stdout.count("Hint:") == 2 and done.stdout.count("What was wrong:") == 2
    assert "Traceback" not in done.stdout + done.stderr


def test_hint_is_progressive():
    done = subprocess.run(["make", "--no-print-directory", "hint", "E=L00.task_model", "LEVEL=2"], cwd=paths.repo_root(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0
    assert "Hint 1/3" in done.stdout and "Hint 2/3" in done.stdout and "Hint 3/3" not in done.stdout
