"""The Colab bootstrap's install step, run here against this environment."""

import subprocess
from importlib import metadata
from pathlib import Path

import utils
from utils import colab


def test_keeps_the_installed_torch(tmp_path):
    constraints = tmp_path / "keep-torch.txt"
    constraints.write_text(colab.torch_constraint())
    assert constraints.read_text() == f"torch=={metadata.version('torch')}\n"
    cmd = colab.pip_commands(utils.ROOT, constraints)[0] + ["--dry-run", "--no-input"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    would = [line for line in out.stdout.splitlines() if line.startswith("Would install")]
    assert not any("torch-" in line for line in would), would  # torch is neither replaced nor upgraded


def test_second_install_does_nothing(tmp_path, monkeypatch):
    for name in ("requirements.txt", "requirements-models.txt"):
        (tmp_path / name).write_text((Path(utils.ROOT) / name).read_text())
    calls = []
    monkeypatch.setattr(colab.subprocess, "run", lambda cmd, check: calls.append(cmd))
    assert colab.install(tmp_path) is True
    assert len(calls) == 2 and all("--no-deps" in c for c in calls[1:])
    assert colab.install(tmp_path) is False and len(calls) == 2
    (tmp_path / "requirements.txt").write_text("transformers==0.0.0\n")  # pins moved: install again
    assert colab.install(tmp_path) is True
