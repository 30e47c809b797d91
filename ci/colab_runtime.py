"""Colab's published runtime (ci/colab/) as data: its versions, the pins that disagree, and a refresh.

    python -m ci.colab_runtime check     # list pins that differ from Colab without a written reason
    python -m ci.colab_runtime refresh   # fetch Colab's newest list (needs GitHub), then check
"""

from __future__ import annotations

import re
import sys
import urllib.request
from pathlib import Path

from utils.colab import PIN, canonical

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "ci" / "colab"
FREEZE = DATA / "pip-freeze.gpu.txt"
PINNED_FILES = (ROOT / "requirements.txt", ROOT / "requirements-dev.txt")
REASON = "# differs from Colab:"
SOURCE = "https://raw.githubusercontent.com/googlecolab/backend-info/main/"
FILES = ("pip-freeze.gpu.txt", "os-info-gpu.txt")


def colab_versions(freeze: Path = FREEZE) -> dict[str, str]:
    """Colab's version of each package, by canonical name; local tags dropped (2.11.0+cu128 -> 2.11.0).

    Packages Colab installs from a URL or a file (``name @ …``) have no version to compare and are left out.
    """
    out = {}
    for line in freeze.read_text().splitlines():
        m = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s+]+)", line.strip())
        if m:
            out[canonical(m.group(1))] = m.group(2)
    return out


def disagreements(files: tuple[Path, ...] = PINNED_FILES, freeze: Path = FREEZE) -> list[str]:
    """Pins of packages Colab has, at another version, whose line gives no reason (one message each)."""
    colab = colab_versions(freeze)
    bad = []
    for path in files:
        for n, line in enumerate(path.read_text().splitlines(), 1):
            m = PIN.match(line)
            if not m or canonical(m.group(1)) not in colab:
                continue
            name, version = canonical(m.group(1)), m.group(2)
            if version != colab[name] and REASON not in line:
                bad.append(
                    f"{path.name}:{n}: {name}=={version}, Colab has {colab[name]}: pin Colab's version, "
                    f"or say why not on the line ('{REASON} <why>')"
                )
    return bad


def refresh() -> None:
    for name in FILES:
        try:
            with urllib.request.urlopen(SOURCE + name, timeout=30) as r:
                text = r.read().decode()
        except OSError as err:
            sys.exit(f"Could not fetch {SOURCE + name} ({err}); nothing was changed. Run this where GitHub is reachable.")
        (DATA / name).write_text(text)
        print(f"fetched {name}")
    print("Now update the commit and date in ci/colab/README.md.")


def main(argv: list[str]) -> int:
    if argv[:1] == ["refresh"]:
        refresh()
    elif argv[:1] not in (["check"], []):
        sys.exit("usage: python -m ci.colab_runtime [check|refresh]")
    bad = disagreements()
    for line in bad:
        print(line)
    print(f"{len(bad)} pin(s) disagree with Colab's runtime without a reason.")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
