"""Does `make test`'s `--dist loadgroup` keep an xdist_group on one worker (tests/conftest.py)?"""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_a_group_runs_on_one_worker(tmp_path):
    """With two workers, do all six tests of one group land on the same worker, and ungrouped ones still spread?"""
    (tmp_path / "conftest.py").write_text(
        f"import sys\nsys.path.insert(0, {str(REPO)!r})\n"
        "from tests.conftest import _tag_xdist_groups\n\n"
        "def pytest_collection_modifyitems(config, items):\n    _tag_xdist_groups(config, items)\n"
    )
    (tmp_path / "test_grouped.py").write_text(
        "import os, pytest\n\n"
        "@pytest.mark.xdist_group('shared')\n@pytest.mark.parametrize('i', range(6))\n"
        "def test_grouped(i):\n    open(f'grouped-{i}', 'w').write(os.environ['PYTEST_XDIST_WORKER'])\n\n"
        "@pytest.mark.parametrize('i', range(6))\n"
        "def test_free(i):\n    import time; time.sleep(0.2)\n"
    )
    done = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-q", "-p", "no:cacheprovider",
                           "-p", "no:randomly", "--rootdir", str(tmp_path), str(tmp_path)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    workers = {(tmp_path / f"grouped-{i}").read_text() for i in range(6)}
    assert len(workers) == 1, f"the group ran on {sorted(workers)}"
