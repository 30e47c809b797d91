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


@pytest.mark.parametrize("text", ["/root/.cache/llm-course/model", "/home/ana/venv/lib/python3.13/site-packages/x.py:3: "
                                  "FutureWarning", "C:\\Users\\ana\\course\\x.py", "/tmp/tmpab12/adapter",
                                  "/usr/local/lib/python3.12/dist-packages/trl/x.py", "/content/course/outputs"])
def test_machine_path_in_an_output_fails(good, tmp_path, text):
    _code(good)[-1].outputs = [nbformat.v4.new_output("stream", name="stderr", text=f"warning from {text}\n")]
    assert any("path on the machine" in p for p in _problems(good, tmp_path))


def test_relative_paths_and_urls_pass(good, tmp_path):
    _code(good)[-1].outputs = [nbformat.v4.new_output(
        "stream", name="stdout", text="outputs in outputs/04_qlora_cpu · see https://example.org/home/page\n")]
    assert not any("path on the machine" in p for p in _problems(good, tmp_path))


def test_saved_widget_state_fails(good, tmp_path):
    good.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    assert any("widget state" in p for p in _problems(good, tmp_path))


def test_stale_progress_widget_fails(good, tmp_path):
    _code(good)[-1].outputs = [nbformat.v4.new_output("display_data", data={
        "application/vnd.jupyter.widget-view+json": {"model_id": "x"}, "text/plain": "Batches:   0%|  | 0/11"})]
    assert any("progress widget" in p for p in _problems(good, tmp_path))


def test_html_only_output_fails(good, tmp_path):
    _code(good)[-1].outputs = [nbformat.v4.new_output("display_data", data={
        "text/html": "<b>table</b>", "text/plain": "<IPython.core.display.HTML object>"})]
    assert any("only text" in p for p in _problems(good, tmp_path))


def test_oversized_image_fails(good, tmp_path):
    import base64
    import os

    png = base64.b64encode(b"\x89PNG" + os.urandom((lint.MAX_IMAGE_KB + 10) * 1024)).decode()
    _code(good)[-1].outputs = [nbformat.v4.new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"})]
    assert any("KB image" in p for p in _problems(good, tmp_path))


def test_header_time_that_disagrees_with_the_readme_fails(good, tmp_path):
    stated = lint.course_map_cpu_times()[NOTEBOOKS[0].name]
    assert f"**Time:** CPU {stated} (" in good.cells[0].source
    good.cells[0].source = good.cells[0].source.replace(f"CPU {stated} (", "CPU ≈ 1 min (")
    assert any("README's course map says" in p for p in _problems(good, tmp_path))


def test_stale_text_progress_bar_fails(good, tmp_path):
    _code(good)[-1].outputs = [nbformat.v4.new_output("stream", name="stderr",
                                                      text="Loading weights:   0%|          | 0/103 [00:00<?, ?it/s]")]
    assert any("progress bar at 0 %" in p for p in _problems(good, tmp_path))
    _code(good)[-1].outputs = [nbformat.v4.new_output("stream", name="stderr", text="gen:   0%|  | 0/9\rgen: 100%|█| 9/9")]
    assert not any("progress bar at 0 %" in p for p in _problems(good, tmp_path))
