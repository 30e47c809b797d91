"""Re-execute notebooks in place on the cpu profile so their stored outputs come from one clean run.

    python -m ci.refresh_notebooks                 # every notebook
    python -m ci.refresh_notebooks notebooks/00_setup_check.ipynb
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbval.plugin import coalesce_streams

from ci.lint_notebooks import NOTEBOOKS
from ci.sync_notebooks import sync


def refresh(path: Path) -> float:
    sync(path)
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=1200, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    took = time.perf_counter() - start
    for cell in nb.cells:  # stored as nbval compares them: consecutive stream pieces merged
        if cell.cell_type == "code":
            cell.outputs = coalesce_streams(cell.outputs)
    nb.metadata.pop("widgets", None)  # saved widget state shows stale progress bars on GitHub
    nbformat.write(nb, path)
    return took


if __name__ == "__main__":
    os.environ["COURSE_PROFILE"] = "cpu"
    os.environ["HF_HUB_OFFLINE"] = "1"
    for p in [Path(a) for a in sys.argv[1:]] or NOTEBOOKS:
        print(f"{refresh(p):7.1f} s  {p}", flush=True)
