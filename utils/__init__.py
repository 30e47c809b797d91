"""Shared helpers for the course notebooks.

Kept deliberately small: one module per concern, imported explicitly
(``from utils import runtime``). Importing ``utils`` itself is cheap and
imports neither torch nor transformers, so the Colab bootstrap can use it
before the course stack is installed.
"""

from pathlib import Path

# The repository's public address. This is the only place it is written by hand:
# ``python -m ci.sync_notebooks`` stamps it into every notebook's Colab badge and
# bootstrap cell, and the notebook linter fails when a notebook disagrees with it.
REPO_SLUG = "llm-course/transformers-finetuning-course"
REPO_URL = f"https://github.com/{REPO_SLUG}"
BRANCH = "main"

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT / "datasets"

__all__ = ["REPO_SLUG", "REPO_URL", "BRANCH", "ROOT", "DATASETS"]
