"""Does CI stop, saying why, when bubblewrap is installed but cannot build the grading sandbox?"""

import os
import stat
import subprocess

from skillbook.course import paths

REFUSAL = "bwrap: No permissions to creating new namespace, likely because the kernel does not allow non-privileged user namespaces."


def _fake_bwrap(folder, exit_code: int, says: str = "") -> dict:
    """PATH with a `bwrap` that answers as bubblewrap does in a container without user namespaces (or works)."""
    script = folder / "bwrap"
    script.write_text(f"#!/bin/sh\n[ \"$1\" = --version ] && {{ echo 'bubblewrap 0.8.0'; exit 0; }}\n"
                      f"echo '{says}' >&2\nexit {exit_code}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return {**os.environ, "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}


def _sandbox_check(env) -> subprocess.CompletedProcess:
    return subprocess.run([str(paths.repo_root() / ".ci" / "sandbox-check")], env=env, capture_output=True,
                          text=True, timeout=300)


def test_a_bwrap_that_cannot_build_namespaces_fails_ci_with_its_reason(tmp_path):
    done = _sandbox_check(_fake_bwrap(tmp_path, 1, REFUSAL))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "cannot build the grading sandbox here: " + REFUSAL in done.stderr


def test_a_working_bwrap_passes(tmp_path):
    done = _sandbox_check(_fake_bwrap(tmp_path, 0))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "bubblewrap builds the grading sandbox: bubblewrap 0.8.0" in done.stdout


def test_ci_runs_the_check_before_the_tests():
    run = (paths.repo_root() / ".ci" / "run").read_text()
    assert run.index(".ci/sandbox-check") < run.index("make test")
