"""benchmarks/check_latency.py's drivers, for tests: a kernel driven as JupyterLab drives it (every
execute request names its cell) and a reader of what `skillbook watch` prints."""

import importlib.util

from skillbook.course import paths

_spec = importlib.util.spec_from_file_location("check_latency", paths.repo_root() / "benchmarks" / "check_latency.py")
check_latency = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_latency)

Kernel = check_latency.Kernel
read_until = check_latency.read_until
