"""ruff and mypy over utils/, ci/, bench/ and every notebook cell — and a planted fault they must catch."""

import json

import pytest

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


def test_no_model_call_gets_a_tensor_left_on_the_cpu():
    from ci import device_check

    assert device_check.check() == []


def test_notebook_05s_gpu_crash_is_caught_without_a_gpu(tmp_path):
    """The bug the GPU check found: the loss-by-length cell fed `lm` a tokenizer's output never moved to its device."""
    from ci import device_check

    path = static_check.ROOT / "notebooks" / "05_tensorboard_loss_curves.ipynb"
    text = path.read_text(encoding="utf-8")
    fixed = 'add_special_tokens=False).to(lm.device)\\n'
    assert text.count(fixed) == 1
    planted = tmp_path / path.name
    planted.write_text(text.replace(fixed, 'add_special_tokens=False)\\n'), encoding="utf-8")
    found = device_check.check([planted])
    assert [f.call for f in found] == ["lm(… enc …)"], found
    cell = next(i for i, c in enumerate(json.loads(text)["cells"]) if "lm(**enc)" in "".join(c["source"]))
    assert found[0].where.startswith(f"{planted} cell {cell}, line "), found[0].where
    failed, out = static_check.run([str(planted)])  # and the static checks fail on it
    assert failed and "never moved to the model's device" in out


@pytest.mark.parametrize("source, caught", [
    ('enc = tokenizer(texts, return_tensors="pt")\nout = model(**enc)', True),
    ('enc = tokenizer(texts, return_tensors="pt").to(model.device)\nout = model(**enc)', False),
    ('out = model.generate(**tokenizer(texts, return_tensors="pt"), max_new_tokens=4)', True),
    ('ids = tok.apply_chat_template(m, return_tensors="pt", return_dict=True)["input_ids"]\nmodel.generate(ids)', True),
    ('ids = tok.apply_chat_template(m, return_tensors="pt", return_dict=True)["input_ids"].to(model.device)\n'
     'model.generate(ids)', False),
    ('enc = tokenizer(t, return_tensors="pt")\nlabels = enc["input_ids"].clone()\n'
     'model(input_ids=enc["input_ids"].to(model.device), labels=labels)', True),
    ('ids = torch.tensor([[1, 2, 3]])\nreward_model(ids)', True),
    ('ids = torch.tensor([[1, 2, 3]], device=model.device)\nreward_model(ids)', False),
    ('ids = torch.tensor([[1, 2]])\nmodel.generate(input_ids=ids.to(model.device))', False),
    ('def score(texts):\n    enc = tok(texts, return_tensors="pt")\n    return policy(**enc).logits', True),
    ('enc = tokenizer(texts, return_tensors="pt")\nenc = enc.to(model.device)\nmodel(**enc)', False),
    ('enc = tokenizer(texts, return_tensors="pt")\nsaved = dict(**enc)\nprint(len(enc["input_ids"]))', False),
    ('ids = tokenizer(texts)["input_ids"]\nmodel(ids)', False),  # lists, not tensors: fails on a CPU as well
], ids=["kwargs", "moved", "inline", "chat-template", "chat-template-moved", "derived", "torch.tensor",
        "torch.tensor-device", "moved-at-call", "in-a-function", "rebound", "builtins", "no-tensors"])
def test_the_device_check_follows_tensors_from_where_they_are_made(source, caught):
    from ci import device_check

    assert bool(device_check.check_source(source, "x.py")) == caught
