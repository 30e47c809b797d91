"""utils.training.sft_trainer: TRL's SFTTrainer with the LoRA adapters kept in float32.

Found by running notebook 04 on a GPU with a T4's arithmetic (bench/gpu_notebook.py, as a T4): TRL
casts a 4-bit model's adapters to bf16, and fp16 mixed precision then fails on the first optimizer
step. The GPU failure itself cannot be reproduced on CPU; the dtypes that cause it can.

On CPU the helper also has TRL's LM head score only the labelled positions (TRL does so on CUDA
only): the loss and the gradients must come out the same as TRL's own.
"""

from __future__ import annotations

import pytest
import torch

from utils import data, models, prompts, runtime, training


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    profile = runtime.resolve_profile("cpu")
    args = training.sft_config(profile, tmp_path_factory.mktemp("sft"), learning_rate=1e-4, max_steps=1,
                               batch_size=2, max_length=80, report_to="none")
    kwargs = dict(train_dataset=prompts.sentiment_dataset(data.load_sentiment()["train"][:2]),
                  processing_class=models.load_tokenizer(profile), peft_config=training.lora_config(4, 8, 0.0))
    return profile, args, kwargs


def trainable_dtypes(trainer):
    return {p.dtype for p in trainer.model.parameters() if p.requires_grad}


def test_trl_alone_casts_4bit_adapters_to_bf16(setup):
    # The reason for the helper. If this fails, TRL stopped doing it and the helper can go.
    from trl import SFTTrainer

    profile, args, kwargs = setup
    assert trainable_dtypes(SFTTrainer(model=models.load_model(profile), args=args, **kwargs)) == {torch.bfloat16}


def test_sft_trainer_keeps_adapters_float32_and_base_4bit(setup):
    profile, args, kwargs = setup
    trainer = training.sft_trainer(models.load_model(profile), args, **kwargs)
    assert trainable_dtypes(trainer) == {torch.float32}
    assert any(p.dtype == torch.uint8 for p in trainer.model.parameters()), "the base must stay 4-bit"
    trainer.train()  # one step: the optimizer accepts them
    assert trainable_dtypes(trainer) == {torch.float32}


def test_scoring_labelled_positions_only_changes_no_number(setup, monkeypatch):
    from trl.kernels import chunked_logprob
    from trl.trainer import utils as trl_utils

    profile, args, kwargs = setup
    trainer = training.sft_trainer(models.load_model(profile), args, **kwargs)  # applies the patch
    batch = trainer._prepare_inputs(next(iter(trainer.get_train_dataloader())))
    labelled = int((batch["labels"][:, 1:] != -100).sum())
    real, rows = trl_utils._ChunkedLogProbFunction, []

    class Spy:
        @staticmethod
        def apply(hidden, *rest):
            rows.append(hidden.shape[0])
            return real.apply(hidden, *rest)

    monkeypatch.setattr(trl_utils, "_ChunkedLogProbFunction", Spy)

    def loss_and_grads():
        trainer.model.zero_grad()
        loss = trainer.compute_loss(trainer.model, dict(batch))
        loss.backward()
        return loss.item(), [p.grad.clone() for p in trainer.model.parameters() if p.requires_grad]

    patched = loss_and_grads()
    monkeypatch.setattr(trl_utils, "_use_triton", chunked_logprob._use_triton)  # TRL as shipped
    shipped = loss_and_grads()
    # TRL as shipped scores every position on CPU: the reason for the patch. If the second count drops to
    # `labelled`, TRL does this by itself and _score_labelled_positions_only can go.
    assert rows == [labelled, batch["input_ids"].numel() - len(batch["input_ids"])], "only labelled positions scored"
    assert labelled < rows[1] / 5
    assert patched[0] == pytest.approx(shipped[0], rel=1e-5)
    # the same up to float32 summation order (measured: relative differences ~5e-5)
    assert all(torch.linalg.norm(a - b) <= 1e-3 * torch.linalg.norm(b) for a, b in zip(patched[1], shipped[1]))
    assert any(torch.linalg.norm(b) > 0 for b in shipped[1])


def test_sft_trainer_can_keep_adapters_in_the_storage_dtype_fsdp_needs(setup):
    # scripts/train_sft.py under FSDP: one dtype per flattened block, so the adapters take the base's storage dtype
    profile, args, kwargs = setup
    trainer = training.sft_trainer(models.load_model(profile), args, adapter_dtype=torch.bfloat16, **kwargs)
    assert trainable_dtypes(trainer) == {torch.bfloat16}


def test_max_length_is_the_longest_example_rounded_up(setup):
    profile, _, kwargs = setup
    tok, ds = kwargs["processing_class"], kwargs["train_dataset"]
    longest = max(len(tok.apply_chat_template(ex["prompt"] + ex["completion"], tokenize=True,
                                              return_dict=True)["input_ids"]) for ex in ds)
    assert training.max_length(tok, ds) % 8 == 0
    assert longest <= training.max_length(tok, ds) < longest + 8


def test_notebook_training_progress_is_printed_text(setup, monkeypatch, capsys):
    # In Jupyter transformers shows an HTML table, stored as "<IPython.core.display.HTML object>".
    import transformers.trainer as trainer_module
    from transformers.utils.notebook import NotebookProgressCallback

    profile, args, kwargs = setup
    monkeypatch.setattr(trainer_module, "DEFAULT_PROGRESS_CALLBACK", NotebookProgressCallback)  # as in Jupyter
    trainer = training.sft_trainer(models.load_model(profile), args, **kwargs)
    kinds = {type(cb).__name__ for cb in trainer.callback_handler.callbacks}
    assert "NotebookProgressCallback" not in kinds and "TextProgress" in kinds
    trainer.train()
    assert "step 1/1 · loss" in capsys.readouterr().out


def test_generation_before_training_leaves_the_gradients_intact(setup):
    # bitsandbytes repacks 4-bit weights for CPU inference (on AVX-512 BF16 CPUs) and then backpropagates
    # through nothing: models.load_model turns that off. Same loss and gradients with or without a generation first.
    from peft import get_peft_model

    profile, args, kwargs = setup
    tok = kwargs["processing_class"]
    batch = tok(["Rate this: great phone.", "Rate this: it broke."], return_tensors="pt", padding=True)

    def lora_grad_norm(generate_first: bool) -> tuple[float, float]:
        torch.manual_seed(0)
        model = get_peft_model(models.load_model(profile), training.lora_config(4, 8, 0.0))
        if generate_first:
            model.eval()
            with torch.no_grad():
                model.generate(**batch, max_new_tokens=2, do_sample=False, pad_token_id=tok.pad_token_id)
        model.train()
        loss = model(**batch, labels=batch["input_ids"]).loss
        loss.backward()
        grads = [p.grad.norm() for p in model.parameters() if p.requires_grad and p.grad is not None]
        return loss.item(), torch.stack(grads).norm().item()

    assert lora_grad_norm(True) == pytest.approx(lora_grad_norm(False), rel=1e-5)


# ---------------------------------------------------------------------------------------- notebook 07
def test_dpo_and_reward_configs_take_the_profile_and_refuse_bad_values(tmp_path):
    profile = runtime.resolve_profile("cpu")
    args = training.dpo_config(profile, tmp_path, beta=0.1, learning_rate=2e-4, max_steps=3, batch_size=2, max_length=64)
    assert (args.fp16, args.bf16, args.use_cpu, args.beta) == (False, False, True, 0.1)  # TRL's default bf16=True is overridden
    assert args.loss_type == ["sigmoid"] and not args.activation_checkpointing
    with pytest.raises(ValueError, match="beta must be positive"):
        training.dpo_config(profile, tmp_path, beta=0.0, learning_rate=2e-4, max_steps=3, batch_size=2, max_length=64)
    rm = training.reward_config(profile, tmp_path, learning_rate=1e-4, max_steps=3, batch_size=2, max_length=64)
    assert (rm.fp16, rm.bf16, rm.use_cpu) == (False, False, True)
    with pytest.raises(ValueError, match="must be positive"):
        training.reward_config(profile, tmp_path, learning_rate=1e-4, max_steps=0, batch_size=2, max_length=64)


@pytest.mark.parametrize("has_bf16", [True, False])
def test_cpu_bf16_mixed_precision_only_where_the_cpu_has_it(has_bf16, tmp_path, monkeypatch):
    monkeypatch.setattr(models, "cpu_has_bf16", lambda: has_bf16)
    profile = runtime.resolve_profile("cpu")
    dpo = training.dpo_config(profile, tmp_path, beta=0.1, learning_rate=2e-4, max_steps=3, batch_size=2, max_length=64,
                              cpu_bf16=True)
    rm = training.reward_config(profile, tmp_path, learning_rate=1e-4, max_steps=3, batch_size=2, max_length=64, cpu_bf16=True)
    assert (dpo.bf16, dpo.fp16, rm.bf16, rm.fp16) == (has_bf16, False, has_bf16, False)
    assert dpo.use_cpu and rm.use_cpu  # autocast on the CPU: the weights and adapters stay float32


def tiny_dpo_setup():
    """The cpu profile's SmolLM2 with small adapters, and two identical preference pairs."""
    from peft import get_peft_model

    import datasets

    profile = runtime.resolve_profile("cpu")
    tok = models.load_tokenizer(profile)
    model = get_peft_model(models.load_model(profile), training.lora_config(4, 8, 0.0))
    pairs = datasets.Dataset.from_list([{"prompt": [{"role": "user", "content": "Capital of France? One word."}],
                                         "chosen": [{"role": "assistant", "content": "Paris"}],
                                         "rejected": [{"role": "assistant", "content": "It is Paris."}]}] * 2)
    return profile, tok, model, pairs


def test_after_mixed_precision_training_the_model_computes_as_before(tmp_path, monkeypatch):
    """accelerate wraps forward in autocast for bf16 training and leaves it wrapped; dpo_trainer undoes that, so
    what runs on the model afterwards (notebook 07's judging) is float32 again. Without it the logits are bf16."""
    monkeypatch.setattr(models, "cpu_has_bf16", lambda: True)  # autocast bf16 runs on any CPU, only slower
    profile, tok, model, pairs = tiny_dpo_setup()
    args = training.dpo_config(profile, tmp_path, beta=0.1, learning_rate=1e-3, max_steps=1, batch_size=2, max_length=64,
                               cpu_bf16=True)
    ids = tok("The capital of France is", return_tensors="pt")
    trainer = training.dpo_trainer(model, args, train_dataset=pairs, processing_class=tok)
    trainer.train()
    assert not hasattr(model, "_original_forward")  # accelerate's autocast wrapper is gone
    with torch.no_grad():
        logits = model(**ids).logits
    assert logits.dtype == torch.float32
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        rounded = model(**ids).logits
    assert not torch.equal(logits, rounded.float())  # so the float32 pass above was not autocast


def test_dpo_trainer_keeps_adapters_float32_and_the_reference_is_adapters_off(tmp_path):
    """On a PeftModel TRL adds a 'ref' copy of the adapters; dpo_trainer drops it, so a run that continues from
    trained adapters is still held to the model before DPO. Loss at the start (adapters = reference) is log 2."""
    import math

    profile, tok, model, pairs = tiny_dpo_setup()
    args = training.dpo_config(profile, tmp_path, beta=0.1, learning_rate=1e-3, max_steps=1, batch_size=2, max_length=64)
    for _ in range(2):  # a second trainer on the same PeftModel must not fail on an existing 'ref' adapter
        trainer = training.dpo_trainer(model, args, train_dataset=pairs, processing_class=tok)
        assert "ref" not in trainer.model.peft_config
        assert {p.dtype for p in trainer.model.parameters() if p.requires_grad} == {torch.float32}
    batch = trainer._prepare_inputs(next(iter(trainer.get_train_dataloader())))
    with torch.no_grad():
        assert trainer.compute_loss(trainer.model, batch).item() == pytest.approx(math.log(2), abs=1e-5)
