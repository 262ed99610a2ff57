"""Step 1: read the notebook file, with a clear message for anything that is not a notebook."""

import json

from skillbook.engine.loading.state import Load

MAX_BYTES = 20 * 1024 * 1024


def read(load: Load) -> None:
    try:
        size = load.path.stat().st_size
    except OSError as exc:
        load.fatal = f"cannot read {load.path.name}: {exc.strerror or exc}"
        return
    if size > MAX_BYTES:
        load.fatal = f"{load.path.name} is {size // 1024 // 1024} MB; notebooks over {MAX_BYTES // 1024 // 1024} MB are not graded"
        return
    try:
        text = load.path.read_text(encoding="utf-8")
        raw = json.loads(text)
    except UnicodeDecodeError:
        load.fatal = f"{load.path.name} is not a text file (not UTF-8)"
        return
    except RecursionError:  # [[[[... nested deeper than the parser goes: no notebook is
        load.fatal = f"{load.path.name} is not valid JSON for a notebook (nested too deeply)"
        return
    except json.JSONDecodeError as exc:
        load.fatal = (
            f"{load.path.name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}). "
            "Was it cut short or edited outside Jupyter? Copy back Jupyter's last checkpoint from "
            "the .ipynb_checkpoints/ folder beside it, or restore it with git."
        )
        return
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        load.fatal = f"{load.path.name} is JSON but not a notebook (no list of cells)"
        return
    if raw.get("nbformat", 4) < 4:
        load.fatal = f"{load.path.name} is an old (version {raw.get('nbformat')}) notebook: open it in JupyterLab and save it"
        return
    # Plain JSON on purpose: importing nbformat costs over a second (its schema validator), in every run.
    load.notebook = raw
