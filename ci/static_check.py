"""Static checks over every line of course code, GPU-only branches included: ruff, mypy and the device check.

CI executes only the `cpu` profile, so a line under `if RUNTIME.cuda:` runs for the first time on a
student's T4 — unless a checker reads it first. mypy reads utils/, ci/, bench/, scripts/ and every notebook cell (via
nbqa, which turns notebooks into Python for it); ruff lints the same, notebooks included. ci/device_check.py reads
the same code for model calls on tensors never moved to the model's device (fine on a CPU, a crash on a T4).

    python -m ci.static_check                 # the whole repository (tests/test_static_checks.py runs this)
    python -m ci.static_check path.ipynb ...  # given notebooks only
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ci import device_check

ROOT = Path(__file__).resolve().parent.parent
PY_TARGETS = ("utils", "ci", "bench", "scripts", "conftest.py")
# Notebook cells rebind names as a lesson moves on (`source` is a string, later a dict of words).
NOTEBOOK_MYPY = ("--allow-redefinition", "--no-color-output", "--no-error-summary")


def commands(notebooks: list[str]) -> list[list[str]]:
    py = sys.executable
    cmds = [[py, "-m", "ruff", "check", "--no-cache", "--quiet", *(notebooks or ["."])]]
    if not notebooks:
        cmds.append([py, "-m", "mypy", "--no-color-output", *PY_TARGETS])
    cmds.append([py, "-m", "nbqa", "mypy", *(notebooks or ["notebooks"]), *NOTEBOOK_MYPY])
    return cmds


def run(notebooks: list[str]) -> tuple[int, str]:
    """Run every check; returns (number of failing checks, their combined output)."""
    failed, out = 0, []
    env = {**os.environ, "MYPY_FORCE_COLOR": "0", "NO_COLOR": "1"}
    for cmd in commands(notebooks):
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
        if proc.returncode:
            failed += 1
            out.append(f"$ {' '.join(cmd[1:])}\n{proc.stdout}{proc.stderr}")
    found = device_check.check([Path(n).resolve() for n in notebooks] or None)
    if found:
        failed += 1
        out.append("$ python -m ci.device_check\n" + "\n".join(map(str, found)))
    return failed, "\n".join(out)


if __name__ == "__main__":
    n, text = run(sys.argv[1:])
    print(text or "static checks passed (ruff, mypy, mypy over notebooks, device check)")
    sys.exit(1 if n else 0)
