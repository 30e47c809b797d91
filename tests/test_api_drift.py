"""API drift (ci/api_drift.py): every keyword the notebooks, utils and bench pass to the HF stack exists.

The first test is the check itself on the whole course — every notebook present now or added later. The
others plant removed/renamed arguments in throw-away notebooks and files and check the failure names the
notebook, the cell, the line and the argument.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import utils
from ci import api_drift
from ci.lint_notebooks import NOTEBOOKS


@pytest.fixture(scope="module")
def course_report():
    return api_drift.check()


def test_the_course_has_no_api_drift(course_report):
    report, calls = course_report
    assert not report.failures, "API drift against the pinned versions:\n" + "\n".join(map(str, report.failures))
    seen = {c.unit for c in calls}
    notebooks = {api_drift._rel(nb, utils.ROOT) for nb in NOTEBOOKS}
    assert notebooks <= seen, f"notebooks with no library call found: {sorted(notebooks - seen)}"
    assert "utils/training.py" in seen and "utils/runtime.py" in seen  # SFTConfig, LoraConfig, BitsAndBytesConfig
    callees = {c.callee for c in calls}
    assert {"trl.SFTConfig", "peft.LoraConfig", "transformers.BitsAndBytesConfig",
            "transformers.AutoModelForCausalLM.from_pretrained", "kind:tokenizer.apply_chat_template",
            "kind:model.generate"} <= callees
    assert report.checked > 100


def notebook(tmp_path: Path, *cells: str, name: str = "99_planted.ipynb") -> Path:
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
          "cells": [{"cell_type": "markdown", "metadata": {}, "source": "# Planted"}]
          + [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": c} for c in cells]}
    path = tmp_path / "notebooks" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(nb))
    return path


def failures(*units) -> list[str]:
    report, _ = api_drift.check(list(units), root=utils.ROOT)
    return [str(f) for f in report.failures]


def test_removed_arguments_are_named_with_notebook_cell_and_line(tmp_path):
    path = notebook(
        tmp_path,
        "%matplotlib inline\n!pip install nothing\nfrom transformers import TrainingArguments\n",
        "import trl\n\nargs = TrainingArguments(output_dir='o', evaluation_strategy='steps')\n"
        "cfg = trl.SFTConfig(output_dir='o',\n                    max_seq_length=512)\n",
    )
    found = failures(api_drift.notebook_unit(path, tmp_path))
    assert len(found) == 2, found
    assert found[0].startswith("notebooks/99_planted.ipynb, cell 3, line 3: argument 'evaluation_strategy' of "
                               "transformers.TrainingArguments: not accepted"), found[0]
    assert "eval_strategy" in found[0]  # the suggestion
    assert found[1].startswith("notebooks/99_planted.ipynb, cell 3, line 4: argument 'max_seq_length' of trl.SFTConfig")


def test_deprecated_arguments_and_bad_choices_fail(tmp_path):
    path = notebook(
        tmp_path,
        "from transformers import AutoModelForCausalLM, TrainingArguments\nimport torch\n"
        "m = AutoModelForCausalLM.from_pretrained('x', torch_dtype=torch.float16)\n"
        "a = TrainingArguments(output_dir='o', gradient_checkpointing=True, optim='paged_adamw_64bit',\n"
        "                      train_sampling_strategy='group_by_lenght')\n",
    )
    found = failures(api_drift.notebook_unit(path, tmp_path))
    assert any("'torch_dtype'" in f and "deprecated" in f and "dtype" in f for f in found), found
    assert any("'gradient_checkpointing'" in f and "deprecated" in f for f in found), found
    assert any("'optim'" in f and "'paged_adamw_64bit' is not one of" in f for f in found), found
    assert any("'train_sampling_strategy'" in f and "group_by_lenght" in f for f in found), found
    assert len(found) == 4, found


def test_kwargs_are_followed_for_the_calls_the_course_makes(tmp_path):
    ok = notebook(
        tmp_path,
        "from utils import models, runtime\nfrom transformers import AutoTokenizer, AutoModelForCausalLM\n"
        "profile = runtime.resolve_profile('cpu')\ntokenizer = models.load_tokenizer(profile)\n"
        "model = AutoModelForCausalLM.from_pretrained('x', dtype='auto', device_map={'': 0}, attn_implementation='eager',\n"
        "    quantization_config=None, token=None, tie_word_embeddings=True)\n"
        "tok = AutoTokenizer.from_pretrained('x', add_bos_token=True, padding_side='left', token=None)\n"
        "ids = tokenizer.apply_chat_template([], add_generation_prompt=True, return_dict=True, bos_token='<s>')\n"
        "out = model.generate(**ids, max_new_tokens=3, do_sample=False, pad_token_id=0, attention_mask=None,\n"
        "    temperature=0.7, logits_to_keep=1)\n"
        "logits = model(ids, output_attentions=True, logits_to_keep=1)\n",
        name="98_ok.ipynb",
    )
    assert failures(api_drift.notebook_unit(ok, tmp_path)) == []
    bad = notebook(
        tmp_path,
        "from utils import models, runtime\nprofile = runtime.resolve_profile('cpu')\n"
        "tokenizer = models.load_tokenizer(profile)\nmodel = models.load_model(profile)\n"
        "ids = tokenizer.apply_chat_template([], add_generation_promt=True)\n"
        "out = model.generate(**ids, max_new_token=3)\n"
        "enc = tokenizer('x', add_special_token=False)\n"
        "model.generate_text(ids)\n",
    )
    found = failures(api_drift.notebook_unit(bad, tmp_path))
    assert any("'add_generation_promt'" in f and "did you mean add_generation_prompt" in f for f in found), found
    assert any("'max_new_token'" in f and "max_new_tokens" in f for f in found), found
    assert any("'add_special_token'" in f for f in found), found
    assert any("no method 'generate_text' on a model" in f for f in found), found
    assert len(found) == 4, found


def test_course_functions_and_what_they_forward(tmp_path):
    path = notebook(
        tmp_path,
        "from utils import models, runtime, training\nprofile = runtime.resolve_profile('cpu')\n"
        "args = training.sft_config(profile, 'o', learning_rate=1e-4, max_steps=1, batch_size=1, max_length=8,\n"
        "                           group_by_length=True, train_sampling_strategy='group_by_length')\n"
        "model = models.load_model(profile, quantise=True)\n",
    )
    found = failures(api_drift.notebook_unit(path, tmp_path))
    assert any("'group_by_length' of trl.SFTConfig (through utils.training.sft_config)" in f for f in found), found
    assert any("'quantise'" in f and "utils.models.load_model() has no parameter" in f for f in found), found
    assert len(found) == 2, found


def test_python_files_parameters_by_name_and_missing_callees(tmp_path):
    src = tmp_path / "bench" / "planted.py"
    src.parent.mkdir()
    src.write_text(
        "def answer(model, tokenizer, text):\n"
        "    ids = tokenizer(text, return_tensors='pt')\n"
        "    return model.generate(**ids, max_length_new=5)\n\n"
        "def build():\n"
        "    from trl import SFTTrainerThatWasRemoved\n"
        "    return SFTTrainerThatWasRemoved(model=None)\n"
    )
    found = failures(api_drift.file_unit(src, tmp_path))
    assert any(f.startswith("bench/planted.py, line 3: argument 'max_length_new'") for f in found), found
    assert any("line 7" in f and "trl.SFTTrainerThatWasRemoved" in f and "no longer exists" in f for f in found), found


def test_magics_are_blanked_keeping_line_numbers():
    src = "%time x = 1\n!ls\nfiles = !ls\nimport os\nif True:\n    %debug\n"
    out = api_drift.strip_magics(src)
    assert out.splitlines()[3] == "import os" and len(out.splitlines()) == 6
    compile(out, "cell", "exec")
    assert api_drift.strip_magics("%%bash\necho hi\n") is None
    assert api_drift.strip_magics("%%time\nx = 1\n").splitlines()[1] == "x = 1"


def test_cli_exit_status(tmp_path, capsys):
    bad = notebook(tmp_path, "from peft import LoraConfig\nLoraConfig(r=8, lora_alpha=16, lora_dropouts=0.1)\n")
    assert api_drift.main([str(bad)]) == 1
    assert "DRIFT:" in capsys.readouterr().out
