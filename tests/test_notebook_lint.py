"""The linter passes every course notebook, and fails on each kind of broken one."""

import copy

import nbformat
import pytest

from ci import lint_notebooks as lint
from ci.lint_notebooks import NOTEBOOKS

FAKE_TOKEN = "hf_" + "A" * 34  # planted fake token


def test_there_are_notebooks():
    assert NOTEBOOKS and NOTEBOOKS[0].name == "00_setup_check.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_course_notebook_is_clean(path):
    assert lint.lint(path) == []


@pytest.fixture
def good():
    return nbformat.read(NOTEBOOKS[0], as_version=4)


def _problems(nb, tmp_path, name=None):
    path = tmp_path / (name or NOTEBOOKS[0].name)
    nbformat.write(nb, path)
    # lint as if the file lived in notebooks/ (the badge check uses the path)
    return lint.lint(path)


def _code(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def test_secret_in_source_fails(good, tmp_path):
    _code(good)[-1].source += f'\nHF_TOKEN = "{FAKE_TOKEN}"'
    assert any("Hugging Face token" in p for p in _problems(good, tmp_path))


def test_secret_in_output_fails(good, tmp_path):
    _code(good)[-1].outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"token={FAKE_TOKEN}\n")]
    assert any("Hugging Face token" in p for p in _problems(good, tmp_path))


def test_private_key_fails(good, tmp_path):
    good.cells[-1].source += "\n-----BEGIN RSA " + "PRIVATE KEY-----"  # planted, split so scanners skip this file
    assert any("private key" in p for p in _problems(good, tmp_path))


def test_wrong_badge_path_fails(good, tmp_path):
    assert any("Colab badge" in p for p in _problems(good, tmp_path, name="01_renamed.ipynb"))


def test_stale_outputs_fail(good, tmp_path):
    code = _code(good)
    code[3].execution_count, code[4].execution_count = code[4].execution_count, code[3].execution_count
    assert any("one clean top-to-bottom run" in p for p in _problems(good, tmp_path))


def test_unexecuted_cell_fails(good, tmp_path):
    _code(good)[-1].execution_count = None
    assert any("one clean top-to-bottom run" in p for p in _problems(good, tmp_path))


def test_stored_error_fails(good, tmp_path):
    _code(good)[-1].outputs.append(nbformat.v4.new_output("error", ename="ValueError", evalue="x", traceback=[]))
    assert any("stored error (ValueError)" in p for p in _problems(good, tmp_path))


def test_missing_parameters_tag_fails(good, tmp_path):
    good.cells[2].metadata["tags"] = []
    assert any("parameters" in p for p in _problems(good, tmp_path))


def test_edited_bootstrap_fails(good, tmp_path):
    good.cells[1].source = good.cells[1].source.replace("--depth=1", "")
    assert any("bootstrap" in p for p in _problems(good, tmp_path))


def test_gpu_notebook_without_colab_metadata_fails(good, tmp_path):
    bad = copy.deepcopy(good)
    bad.metadata.pop("accelerator", None)
    assert any("Colab GPU metadata" in p for p in _problems(bad, tmp_path))


def test_invalid_notebook_fails(tmp_path):
    path = tmp_path / "broken.ipynb"
    path.write_text("{not json")
    assert lint.lint(path)[0].startswith("not a valid notebook")


def test_readme_badges_point_at_the_one_repository_address():
    from ci.nbspec import badge
    from ci.sync_notebooks import README_BADGE_RE

    readme = (lint.ROOT / "README.md").read_text(encoding="utf-8")
    for path in NOTEBOOKS:
        assert badge(f"notebooks/{path.name}") in readme, f"README lacks the badge of {path.name}; run make sync"
    assert len(README_BADGE_RE.findall(readme)) == len(NOTEBOOKS)
