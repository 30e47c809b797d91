"""What every course notebook must start with: the canonical header badge and bootstrap cell.

`ci/sync_notebooks.py` writes these into the notebooks; `ci/lint_notebooks.py` checks them.
Both take the repository address from `utils.REPO_URL`, its one hand-written home.
"""

from __future__ import annotations

from utils import BRANCH, REPO_SLUG, REPO_URL  # noqa: F401 (re-exported for ci/)

BADGE_IMG = "https://colab.research.google.com/assets/colab-badge.svg"
COLAB_DIR = "/content/course"


def badge(nb_relpath: str) -> str:
    """The Colab badge for the notebook at ``nb_relpath`` (e.g. ``notebooks/00_setup_check.ipynb``)."""
    return f"[![Open In Colab]({BADGE_IMG})](https://colab.research.google.com/github/{REPO_SLUG}/blob/{BRANCH}/{nb_relpath})"


BOOTSTRAP = f'''\
# Bootstrap. In Colab: fetch the course and add its pinned packages; Colab's own (torch, numpy, pandas,
# the kernel) stay as they are.
# Locally, after `make lab`, everything is installed already and this only imports the helpers.
import sys

if "google.colab" in sys.modules:
    import os, subprocess
    if not os.path.isdir("{COLAB_DIR}/.git"):
        subprocess.run(["git", "clone", "--depth=1", "--branch={BRANCH}", "{REPO_URL}", "{COLAB_DIR}"], check=True)
    sys.path.insert(0, "{COLAB_DIR}")
    from utils.colab import install
    install("{COLAB_DIR}")
    os.chdir("{COLAB_DIR}/notebooks")

from utils import runtime

RUNTIME = runtime.detect()
print(RUNTIME.summary())
print(runtime.resolve_profile(rt=RUNTIME).describe())  # PROFILE, below, can still override it'''

BOOTSTRAP_TAG = "bootstrap"
PARAMETERS_TAG = "parameters"
LONG_TAG = "long-running"  # exempt from the re-run pass (training, full evaluations)
