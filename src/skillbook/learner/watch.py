"""`skillbook watch L05`: check the learner's notebook again every time it is saved, as rustlings does."""

import threading
from collections.abc import Callable
from pathlib import Path

from watchfiles import watch as watch_folder


def watch(notebook: Path, check: Callable[[], None], stop_event: threading.Event | None = None) -> None:
    """Run `check` now and after each save of `notebook`, until Ctrl+C or `stop_event` is set."""
    print(f"Watching {notebook}: every save is checked again (Ctrl+C to stop).", flush=True)
    checked = None
    while checked != notebook.stat().st_mtime_ns:  # a save during the check is checked too
        checked = notebook.stat().st_mtime_ns
        check()
    try:
        # Jupyter saves by writing a new file and renaming it: watch the folder, keep our file's events.
        for changes in watch_folder(notebook.parent, stop_event=stop_event, debounce=400):
            if any(Path(path).name == notebook.name for _, path in changes):
                print("\n— saved; checking again —", flush=True)
                check()
    except KeyboardInterrupt:
        pass
