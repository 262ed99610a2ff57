"""Writing files whole or not at all: a sibling temporary file, then a rename over the target.

A reader (a spreadsheet open on grades.csv, formgrader, Claude Code reading the skill) sees the old
file or the new one, never half of one. The rename also replaces files nbgrader made read-only, and
a replaced file keeps its permissions.
"""

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary path beside `path` to write; it replaces `path` when the block ends without error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        yield tmp
        if path.exists():
            shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write(path: Path, data: str | bytes) -> None:
    with replacing(path) as tmp:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding="utf-8")


def atomic_copy(source: Path, target: Path) -> None:
    with replacing(target) as tmp:
        shutil.copyfile(source, tmp)
