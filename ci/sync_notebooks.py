"""Stamp the canonical Colab badge, bootstrap cell and Colab metadata into every notebook.

    python -m ci.sync_notebooks            # rewrite notebooks/ in place (outputs kept)

Run it after changing `utils.REPO_URL` or the bootstrap; the linter tells you when it is needed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

from ci import nbspec
from ci.lint_notebooks import NOTEBOOKS, ROOT, is_gpu_notebook

BADGE_RE = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)")


def sync(path: Path) -> bool:
    nb = nbformat.read(path, as_version=4)
    before = nbformat.writes(nb)
    header, boot = nb.cells[0], nb.cells[1]
    badge = nbspec.badge(path.resolve().relative_to(ROOT).as_posix())
    header.source = BADGE_RE.sub(badge, header.source) if BADGE_RE.search(header.source) else header.source + "\n\n" + badge
    boot.source = nbspec.BOOTSTRAP
    boot.metadata["tags"] = sorted(set(boot.metadata.get("tags", [])) | {nbspec.BOOTSTRAP_TAG})
    if is_gpu_notebook(nb):
        nb.metadata["accelerator"] = "GPU"
        nb.metadata.setdefault("colab", {})["gpuType"] = "T4"
    nb.metadata.setdefault("colab", {})["provenance"] = []
    after = nbformat.writes(nb)
    if after != before:
        path.write_text(after + "\n")
    return after != before


README_BADGE_RE = re.compile(r"https://colab\.research\.google\.com/github/[^/]+/[^/]+/blob/[^/]+/notebooks/")


def sync_readme() -> bool:
    """Point the README's Colab badges at the repository named in utils.REPO_SLUG."""
    readme = ROOT / "README.md"
    before = readme.read_text(encoding="utf-8")
    after = README_BADGE_RE.sub(f"https://colab.research.google.com/github/{nbspec.REPO_SLUG}/blob/{nbspec.BRANCH}/notebooks/", before)
    if after != before:
        readme.write_text(after, encoding="utf-8")
    return after != before


if __name__ == "__main__":
    paths = [Path(p) for p in sys.argv[1:]] or NOTEBOOKS
    for p in paths:
        print(("updated  " if sync(p) else "unchanged ") + str(p))
    print(("updated  " if sync_readme() else "unchanged ") + "README.md")
