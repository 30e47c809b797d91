"""The Colab bootstrap cell, run here: the repository comes from this checkout instead of GitHub.

`tests/test_colab_install.py` covers `utils.colab.install` against this environment (dry run keeps
torch; a second install does nothing). This file covers the rest of the path a student takes:

1. the notebooks' bootstrap cell itself (`ci.nbspec.BOOTSTRAP`, which the linter holds every notebook to)
   executed with a fake `google.colab` module, the clone URL pointing at a local `git clone` source and the
   clone directory in a temporary folder: it clones once, installs once, makes `utils` and `datasets/`
   reachable from the notebook's working directory, and re-running it — in the same kernel, or after a
   restart — does nothing harmful. The pip commands are recorded, not run (their effect is item 2);
2. the install's pip commands dry-run (`pip install --dry-run --report`) inside a throw-away virtual
   environment whose torch is a *different* version from this one's, proving that the torch Colab already
   has is kept, with every other protected package (ipykernel among them) — and that the check notices when
   an install step would replace torch or ipykernel.

Why a fake torch: a real second torch (2.14.1 lies on this machine's disk) is a 554 MB wheel, 1.5 GB
unpacked, a minute of CPU to install. Pip decides what to install from distribution metadata alone, so a
tiny wheel named `torch` with version 2.12.0 (below the installed 2.13.0, above every `torch>=2.4` the stack
requires, under the machine's `torch<=2.14.1` cap) stands in exactly. The throw-away environment is created
without pip and sees this checkout's `.venv` packages through a `.pth` line placed *after* its own
site-packages, so its own fake torch shadows the real one while everything else counts as installed: the
dry run needs no download and no index (`PIP_NO_INDEX`, machine pip config ignored) and takes seconds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import textwrap
import venv
import zipfile
from pathlib import Path

import pytest

import utils
from ci import nbspec
from ci.colab_replica import write_wheel
from utils import colab

FAKE_TORCH = "2.12.0"  # what the throw-away environment holds
OTHER_TORCH = "2.13.0"  # a torch some faulty step would pull in
NEWER_IPYKERNEL = "7.4.0"  # what the old bootstrap moved Colab's ipykernel 6.17.1 to


# ------------------------------------------------------------------------------------------ helpers
def fake_wheel(directory: Path, version: str, dist_name: str = "torch") -> Path:
    """A minimal, valid wheel of a distribution named ``dist_name`` (a module that only knows its version)."""
    return write_wheel(directory, dist_name, version, {f"{dist_name}/__init__.py": f'__version__ = "{version}"\n'})


@pytest.fixture(scope="module")
def other_torch_env(tmp_path_factory):
    """A venv holding fake torch FAKE_TORCH and, behind it, this checkout's installed packages."""
    root = tmp_path_factory.mktemp("colab-env")
    env_dir = root / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    with zipfile.ZipFile(fake_wheel(root / "installed", FAKE_TORCH)) as z:
        z.extractall(site)  # a pure wheel's install is its unpacking (pip itself is not in this venv)
    (site / "zz-course-venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")  # after our own entries
    wheelhouse = root / "wheelhouse"
    fake_wheel(wheelhouse, OTHER_TORCH)  # the only torch an install could pick up
    fake_wheel(wheelhouse, NEWER_IPYKERNEL, dist_name="ipykernel")  # and the only other ipykernel
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheelhouse),
           "PIP_CONSTRAINT": "", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONNOUSERSITE": "1"}
    env.pop("PYTHONPATH", None)
    seen = subprocess.run([python, "-c", "import torch; print(torch.__version__)"], capture_output=True,
                          text=True, env=env, check=True).stdout.strip()
    assert seen == FAKE_TORCH, f"the throw-away env must import its own torch, got {seen}"
    return python, env


def dry_run(cmd: list[str], env: dict, report: Path) -> tuple[subprocess.CompletedProcess, dict]:
    """Run one of the install's pip commands with --dry-run; returns the process and pip's JSON report."""
    out = subprocess.run(cmd + ["--dry-run", "--no-input", "--report", str(report)], capture_output=True,
                         text=True, env=env, timeout=300)
    return out, json.loads(report.read_text()) if report.is_file() and out.returncode == 0 else {}


def changes_of(report: dict, name: str = "torch") -> list[str]:
    return [f"{i['metadata']['name']}=={i['metadata']['version']}" for i in report.get("install", [])
            if i["metadata"]["name"].lower() == name]


def constraint_in(python: Path, env: dict, course_dir: Path) -> str:
    """The install's constraints as the Colab kernel computes them: in the environment being installed into."""
    code = "import sys; sys.path.insert(0, sys.argv[1]); from pathlib import Path; from utils import colab; " \
           "print(colab.constraints_text(colab.protected(colab.pins(Path(sys.argv[1]) / 'requirements.txt'))), end='')"
    return subprocess.run([python, "-c", code, str(course_dir)], capture_output=True, text=True, env=env,
                          check=True).stdout


# ------------------------------------------------------------------------------ pip: torch is kept
def test_install_keeps_a_different_torch(other_torch_env, tmp_path):
    python, env = other_torch_env
    constraints = tmp_path / "keep-torch.txt"
    constraints.write_text(constraint_in(python, env, utils.ROOT))
    held = constraints.read_text().splitlines()
    assert f"torch=={FAKE_TORCH}" in held and any(h.startswith("ipykernel==") for h in held), held
    for n, cmd in enumerate(colab.pip_commands(utils.ROOT, constraints, python=str(python))):
        out, report = dry_run(cmd, env, tmp_path / f"report{n}.json")
        assert out.returncode == 0, out.stderr[-3000:]
        assert changes_of(report) == [], f"command {n + 1} would replace torch {FAKE_TORCH}"


@pytest.mark.parametrize("name, version", [("torch", OTHER_TORCH), ("ipykernel", NEWER_IPYKERNEL)])
def test_dry_run_catches_an_install_that_would_move_a_protected_package(other_torch_env, tmp_path, name, version):
    """Planted faults: the course asking for another torch, or for a newer ipykernel (as the old bootstrap's
    jupyterlab pin did) — seen being installed when nothing holds them, refused by pip when the constraints do."""
    python, env = other_torch_env
    course = tmp_path / "course"
    course.mkdir()
    (course / "requirements.txt").write_text(f"{name}=={version}\n")
    (course / "requirements-models.txt").write_text("")
    no_constraint = tmp_path / "empty.txt"
    no_constraint.write_text("")  # an install step that forgot to hold them
    out, report = dry_run(colab.pip_commands(course, no_constraint, python=str(python))[0], env, tmp_path / "a.json")
    assert out.returncode == 0, out.stderr[-3000:]
    assert changes_of(report, name) == [f"{name}=={version}"], f"the check must see {name} being replaced"

    keep = tmp_path / "keep.txt"
    keep.write_text(constraint_in(python, env, utils.ROOT))
    out, report = dry_run(colab.pip_commands(course, keep, python=str(python))[0], env, tmp_path / "b.json")
    assert out.returncode != 0 and name in out.stderr, f"with the constraints pip must refuse, not replace {name}"


# ------------------------------------------------------------------------ the bootstrap cell itself
DRIVER = textwrap.dedent('''
    """Run the bootstrap cell as Colab would: google.colab importable, pip recorded instead of run."""
    import json, os, subprocess, sys, types
    cell, runs, log = open(sys.argv[1]).read(), int(sys.argv[2]), sys.argv[3]
    google = types.ModuleType("google"); google.colab = types.ModuleType("google.colab")
    sys.modules.update({"google": google, "google.colab": google.colab})
    calls, real_run = [], subprocess.run
    def run(cmd, *a, **k):
        calls.append(list(map(str, cmd)))
        if cmd[1:3] == ["-m", "pip"]:
            return subprocess.CompletedProcess(cmd, 0)
        return real_run(cmd, *a, **k)
    subprocess.run = run
    for _ in range(runs):  # the same kernel: an instructor re-runs the cell
        exec(compile(cell, "bootstrap", "exec"), {"__name__": "__main__"})
    import datasets, utils
    from utils import data
    result = dict(calls=calls, cwd=os.getcwd(), utils_file=utils.__file__, datasets_dir=str(utils.DATASETS),
                  relative_datasets=sorted(p.name for p in __import__("pathlib").Path("../datasets").iterdir()),
                  hf_datasets=hasattr(datasets, "Dataset"),
                  sentiment={k: len(v) for k, v in data.load_sentiment().items()})
    open(log, "w").write(json.dumps(result))
''')


def bootstrap_cell(course_dir: Path, source_repo: Path) -> str:
    cell = nbspec.BOOTSTRAP
    assert nbspec.COLAB_DIR in cell and utils.REPO_URL in cell
    return cell.replace(nbspec.COLAB_DIR, str(course_dir)).replace(utils.REPO_URL, source_repo.as_uri())


def test_every_notebook_uses_the_tested_bootstrap():
    for path in sorted((utils.ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        src = "".join(cells[1]["source"]) if isinstance(cells[1]["source"], list) else cells[1]["source"]
        assert src == nbspec.BOOTSTRAP, f"{path.name}: cell 2 is not the bootstrap this test runs"


def test_bootstrap_clones_installs_once_and_reaches_utils_and_datasets(tmp_path):
    course = tmp_path / "content" / "course"
    cell_file, driver = tmp_path / "cell.py", tmp_path / "driver.py"
    cell_file.write_text(bootstrap_cell(course, utils.ROOT))
    driver.write_text(DRIVER)
    env = {**os.environ, "COURSE_PROFILE": "cpu", "HF_HUB_OFFLINE": "1", "GIT_TERMINAL_PROMPT": "0"}
    env.pop("PYTHONPATH", None)

    def kernel(runs: int, name: str) -> dict:
        log = tmp_path / f"{name}.json"
        out = subprocess.run([sys.executable, str(driver), str(cell_file), str(runs), str(log)], cwd=tmp_path,
                             capture_output=True, text=True, env=env, timeout=300)
        assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
        return json.loads(log.read_text())

    first = kernel(2, "first")  # a fresh runtime; the cell run twice
    git = [c for c in first["calls"] if c[0] == "git"]
    pip = [c for c in first["calls"] if c[1:3] == ["-m", "pip"]]
    assert len(git) == 1 and git[0][-1] == str(course), git  # cloned once, where the notebooks expect it
    assert len(pip) == 2, pip  # installed once: the re-run found the marker
    assert all(c[0] == sys.executable for c in pip)  # into the kernel's own Python
    assert any("-c" in c for c in pip) and all("torch" not in " ".join(c) for c in pip), pip
    assert (course / ".git").is_dir() and (course / colab.MARKER).is_file()

    assert Path(first["cwd"]) == course / "notebooks"  # the notebook's working directory
    assert Path(first["utils_file"]).is_relative_to(course), "utils must come from the clone"
    assert Path(first["datasets_dir"]) == course / "datasets"
    assert first["relative_datasets"] == sorted(p.name for p in (course / "datasets").iterdir())
    assert first["relative_datasets"], "datasets/ reached from the notebook's directory is empty"
    assert first["hf_datasets"], "`import datasets` must still be the Hugging Face library, not the course folder"
    assert first["sentiment"] and all(n > 0 for n in first["sentiment"].values()), first["sentiment"]

    again = kernel(1, "restarted")  # Runtime > Restart session, then run all again
    assert again["calls"] == [], "after a restart the bootstrap must neither clone nor install again"
    assert again["cwd"] == first["cwd"] and again["utils_file"] == first["utils_file"]

