"""Notebook 04 builds its fine-tuning objects in its own cells; what `utils` builds for notebook 05, bench/
and scripts/train_sft.py must equal them. And the notebook's cells are safe to run again.

- Equality: the notebook's BitsAndBytesConfig, tokenizer, 4-bit model, LoraConfig, SFTConfig and trainer
  (with its two corrections to TRL) against `Profile.quantization_config`, `models.load_tokenizer`,
  `models.load_model`, `training.lora_config`, `training.sft_config` and `training.sft_trainer`.
- Re-running: the baselines, training and evaluation cells executed twice in one namespace give the same
  answers and the same losses the second time (fresh adapters on the untouched base; baselines with the
  adapters switched off), and an interrupt at a step that is not a save step still leaves its checkpoint.
"""

from __future__ import annotations

import json

import pytest
import torch

import utils

NOTEBOOK = utils.ROOT / "notebooks" / "04_qlora_llama2.ipynb"


def cells() -> list[tuple[list[str], str]]:
    nb = json.loads(NOTEBOOK.read_text())
    return [(c.get("metadata", {}).get("tags", []), "".join(c["source"]))
            for c in nb["cells"] if c["cell_type"] == "code"]


def cell(marker: str) -> str:
    found = [src for tags, src in cells() if marker in tags] or [src for _, src in cells() if marker in src]
    assert len(found) == 1, f"expected one cell of notebook 04 with {marker!r}, found {len(found)}"
    return found[0]


def run_cells(ns: dict, *markers: str) -> None:
    for marker in markers:
        exec(cell(marker), ns)


SMALL = """
MAX_STEPS, BATCH_SIZE, EVAL_EVERY, SAVE_EVERY, VALIDATION_POSTS = 3, 4, 2, 2, 8
INTERRUPT_AT = 0.4    # step 1: not a save step
"""


@pytest.fixture(scope="module")
def notebook(tmp_path_factory):
    """Notebook 04's cells up to the trainer, small settings, outputs in a temporary directory."""
    ns: dict = {}
    exec(cell("bootstrap"), ns)
    exec(cell("parameters") + SMALL, ns)
    exec(cell("profile = runtime.resolve_profile(PROFILE"), ns)
    ns["OUTPUT_DIR"] = tmp_path_factory.mktemp("nb04") / "out"
    ns["ADAPTER_DIR"] = ns["OUTPUT_DIR"] / "adapter"
    ns["INTERRUPT_STEP"] = int(ns["MAX_STEPS"] * ns["INTERRUPT_AT"])
    ns["splits"]["test"] = ns["splits"]["test"][:12]
    run_cells(ns, "bnb_config = BitsAndBytesConfig(", "model = AutoModelForCausalLM.from_pretrained(",
              "peft_config = LoraConfig(", "args = SFTConfig(", "def adapters_in_float32(trainer):")
    return ns


def test_quantization_and_tokenizer_equal_utils(notebook):
    from utils import models

    profile = notebook["profile"]
    assert notebook["bnb_config"].to_dict() == profile.quantization_config().to_dict()
    ours, theirs = notebook["tokenizer"], models.load_tokenizer(profile)
    for attr in ("pad_token", "pad_token_id", "eos_token_id", "padding_side", "chat_template"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert ours.pad_token_id != ours.eos_token_id


def test_model_equals_utils_load_model(notebook):
    """The same 4-bit weights (the NF4 cache utils reads was quantized the same way), the same CPU fix."""
    import bitsandbytes as bnb

    from utils import models

    theirs = models.load_model(notebook["profile"]).state_dict()
    base = notebook["model"].get_base_model()
    ours = {k.replace("base_layer.", ""): v for k, v in base.state_dict().items() if "lora_" not in k}
    assert set(ours) == set(theirs)
    for key, value in theirs.items():
        assert torch.equal(ours[key].cpu(), value.cpu()), key
    layers = [m for m in base.modules() if isinstance(m, bnb.nn.Linear4bit)]
    assert layers and not any(m.support_avx512bf16_for_cpu for m in layers)


def test_lora_and_sft_configs_equal_utils(notebook):
    from utils import training

    nb = notebook
    ours = nb["peft_config"].to_dict()
    ours.pop("base_model_name_or_path")  # filled in by get_peft_model
    theirs = training.lora_config(nb["LORA_R"], nb["LORA_ALPHA"], nb["LORA_DROPOUT"], nb["TARGET_MODULES"]).to_dict()
    theirs.pop("base_model_name_or_path")
    assert ours == theirs
    args = training.sft_config(nb["profile"], nb["OUTPUT_DIR"], learning_rate=nb["LEARNING_RATE"],
                               max_steps=nb["MAX_STEPS"], batch_size=nb["BATCH_SIZE"], grad_accum=nb["GRAD_ACCUM"],
                               max_length=training.max_length(nb["tokenizer"], nb["train_ds"]), warmup=nb["WARMUP"],
                               scheduler=nb["SCHEDULER"], weight_decay=nb["WEIGHT_DECAY"], eval_steps=nb["EVAL_EVERY"],
                               save_steps=nb["SAVE_EVERY"], seed=nb["SEED"], train_sampling_strategy="sequential")
    assert args.to_dict() == nb["args"].to_dict()


def test_trainer_and_corrections_equal_utils(notebook):
    from trl.trainer import utils as trl_utils

    from utils import training

    nb = notebook
    ours = nb["make_trainer"]()
    theirs = training.sft_trainer(nb["model"], nb["args"], train_dataset=nb["train_ds"], eval_dataset=nb["val_ds"],
                                  processing_class=nb["tokenizer"])
    for trainer in (ours, theirs):
        trainable = [p for p in trainer.model.parameters() if p.requires_grad]
        assert trainable and {p.dtype for p in trainable} == {torch.float32}
    assert getattr(trl_utils._use_triton, "labelled_positions_only", False)
    assert trl_utils._use_triton(torch.device("cpu"))
    assert [type(c).__name__ for c in ours.callback_handler.callbacks] == \
        [type(c).__name__ for c in theirs.callback_handler.callbacks]


def test_fresh_adapters_equal_the_notebooks_reset(notebook):
    from utils import training

    model = notebook["model"]
    lora = lambda: {k: v.clone() for k, v in model.state_dict().items() if "lora_" in k}  # noqa: E731
    training.fresh_adapters(model, seed=5)
    theirs = lora()
    torch.manual_seed(5)
    src = cell("elif TRAIN:")
    reset = src[src.index("    for module in model.modules():"):src.index("    model.config.use_cache = False")]
    exec("from peft.tuners.lora import LoraLayer\n" + "\n".join(line[4:] for line in reset.splitlines()), notebook)
    ours = lora()
    assert all(torch.equal(ours[k], theirs[k]) for k in theirs)
    assert all(not v.any() for k, v in ours.items() if "lora_B" in k), "B must start at zero"


def test_cells_run_twice_give_the_same_results(notebook):
    ns = notebook
    baselines, training_cell, tuned = (cell("baseline_prompts = {"), cell("elif TRAIN:"),
                                       cell('name = "fine-tuned (QLoRA)"'))
    runs = []
    for _ in range(2):
        exec(baselines, ns)
        first_answers = {k: list(v) for k, v in ns["answers"].items()}
        exec(training_cell, ns)
        assert (ns["OUTPUT_DIR"] / f"checkpoint-{ns['INTERRUPT_STEP']}").is_dir(), \
            "the interrupt must leave a checkpoint of its own step"
        losses = [h["loss"] for h in json.loads((ns["OUTPUT_DIR"] / "log_history.json").read_text()) if "loss" in h]
        exec(tuned, ns)
        runs.append((first_answers, losses, list(ns["answers"][ns["name"]])))
    (base1, loss1, tuned1), (base2, loss2, tuned2) = runs
    assert base1 == base2, "the baselines must be the untuned model's, before and after training"
    assert len(loss1) == ns["MAX_STEPS"] and loss1 == loss2, (loss1, loss2)
    assert tuned1 == tuned2
