"""Step 3: turn IPython syntax (%magics, !shell) into plain Python, as the kernel would."""

from IPython.core.inputtransformer2 import TransformerManager

from skillbook.engine.loading.state import Load


def transform(load: Load) -> None:
    manager = TransformerManager()
    for cell in load.cells:
        try:
            cell.source = manager.transform_cell(cell.source)
        except Exception:  # leave it; executing it will report the syntax error with its line
            pass
