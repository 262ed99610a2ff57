"""Do the README's commands work as documented?"""

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from skillbook.course import paths


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return reply.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.slow
def test_make_lab_serves_the_lessons():
    """Does `make lab` start JupyterLab with the repository as its root and the lessons one click away,
    without nbgrader's instructor UI (no formgrader, no Create Assignment panel, no Validate button)?"""
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
        base = f"http://127.0.0.1:{port}"
        assert _status(f"{base}/formgrader?token=t") == 404  # nbgrader's server extensions are off
        with urllib.request.urlopen(f"{base}/lab?token=t", timeout=10) as reply:
            page = reply.read().decode()
        config = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S)[1])
        assert "@jupyter/nbgrader" in config["disabledExtensions"]  # and its lab extension: all its panels
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


@pytest.mark.parametrize("arguments, answer", [
    (["hint", "E=l00.task_model", "LEVEL=1"], "Hint 1/"),  # lesson ids in any case
    (["hint", "E=L00.task_model", "LEVEL=0"], "LEVEL can be 1 to"),
    (["hint", "E=L00.task_model", "LEVEL=99"], "LEVEL can be 1 to"),
    (["hint", "E=L00.nope"], "its exercises: L00."),
    (["hint", "E=L99.nope"], "the course has L00"),
    (["check", "L=l99"], "the course has L00"),
])
def test_learner_commands_answer_in_one_line(arguments, answer):
    """Does a learner's make command take lesson ids in any case, and refuse bad input in one line that
    says what is valid (never a traceback)?"""
    done = subprocess.run(["make", "--no-print-directory", *arguments], cwd=paths.repo_root(),
                          capture_output=True, text=True, timeout=120)
    said = [line for line in (done.stdout + done.stderr).splitlines()
            if not re.match(r"make(\[\d+\])?: \*\*\*", line)]  # make's own "Error 2" (make[1] under make test)
    assert answer in "\n".join(said)
    assert "Traceback" not in done.stdout + done.stderr
    if done.returncode:
        assert len(said) == 1, said


def test_hint_names_the_command_for_the_next_level():
    done = subprocess.run(["make", "--no-print-directory", "hint", "E=L00.task_model"], cwd=paths.repo_root(),
                          capture_output=True, text=True, timeout=120)
    assert "make hint E=L00.task_model LEVEL=2" in done.stdout
