"""ruff and mypy over utils/, ci/, bench/ and every notebook cell — and a planted fault they must catch."""

import json

from ci import static_check


def test_the_repository_passes_the_static_checks():
    failed, out = static_check.run([])
    assert failed == 0, out


def test_an_unknown_attribute_in_a_gpu_only_branch_fails(tmp_path):
    """What happened to notebook 00: `RUNTIME.vram_gb` (renamed `vram_gib`) on a line only a GPU executes."""
    nb = json.loads((static_check.ROOT / "notebooks" / "00_setup_check.ipynb").read_text())
    planted = "if RUNTIME.cuda:\n    print(f\"{RUNTIME.vram_gb:.1f} GB\")\n"
    nb["cells"].append({"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                        "source": planted})
    path = tmp_path / "planted.ipynb"
    path.write_text(json.dumps(nb))
    failed, out = static_check.run([str(path)])
    assert failed and '"Runtime" has no attribute "vram_gb"' in out, out
