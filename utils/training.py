"""Training objects for notebooks 05, 07 and 08, bench/ and scripts/train_sft.py — the ones notebook 04 builds, and DPO's.

Notebook 04 writes its BitsAndBytesConfig, LoraConfig, SFTConfig and SFTTrainer (with its two corrections
to TRL) in its own cells, where a student can read and copy them; this module builds the same objects
from the same parameters, and ``tests/test_notebook04.py`` holds the two equal. The settings that must
*not* vary by hand: precision chosen from the GPU's capability (fp16 on a T4, bf16 from compute
capability 8.0, float32 on CPU), activation checkpointing with the KV cache off, a paged optimizer on
GPU, safetensors checkpoints, the best checkpoint kept by validation loss.
"""

from __future__ import annotations

from pathlib import Path

from .runtime import Profile

LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def lora_config(r: int, alpha: int, dropout: float, targets=LORA_TARGETS):
    from peft import LoraConfig

    return LoraConfig(r=r, lora_alpha=alpha, lora_dropout=dropout, target_modules=list(targets),
                      bias="none", task_type="CAUSAL_LM")


def sft_config(profile: Profile, output_dir: str | Path, *, learning_rate: float, max_steps: int,
               batch_size: int, grad_accum: int = 1, max_length: int, warmup: float = 0.1,
               scheduler: str = "cosine", weight_decay: float = 0.0, eval_steps: int | None = None,
               save_steps: int | None = None, logging_steps: int = 1, seed: int = 0,
               report_to: str = "tensorboard", **extra):
    """An ``SFTConfig`` for prompt/completion data with the profile's precision and memory settings."""
    from trl import SFTConfig

    if max_steps <= 0 or batch_size <= 0 or learning_rate <= 0:
        raise ValueError("max_steps, batch_size and learning_rate must be positive")
    extra.setdefault("completion_only_loss", True)  # loss on the answer only (labels −100 on the prompt)
    return SFTConfig(
        output_dir=str(output_dir),
        max_steps=max_steps,
        per_device_train_batch_size=batch_size,
        per_device_eval_batch_size=max(batch_size, 16),
        gradient_accumulation_steps=grad_accum,
        learning_rate=learning_rate,
        lr_scheduler_type=scheduler,
        warmup_steps=warmup,
        weight_decay=weight_decay,
        optim=profile.optim,
        fp16=profile.fp16,
        bf16=profile.bf16,
        activation_checkpointing=profile.gradient_checkpointing,
        max_length=max_length,
        logging_steps=logging_steps,
        eval_strategy="steps" if eval_steps else "no",
        eval_steps=eval_steps,
        save_strategy="steps" if save_steps else "no",
        save_steps=save_steps,
        save_only_model=False,  # keep optimizer + scheduler state so a run can resume
        load_best_model_at_end=bool(eval_steps and save_steps),  # end on the lowest validation loss
        metric_for_best_model="eval_loss" if eval_steps and save_steps else None,
        report_to=report_to,
        seed=seed,
        disable_tqdm=False,
        dataloader_pin_memory=profile.name == "gpu",
        ddp_find_unused_parameters=False,  # every adapter takes part in every forward pass (DDP)
        use_cpu=profile.name == "cpu",  # the cpu profile trains on CPU even where a GPU exists; under
        # `accelerate launch` without CUDA this makes the processes join a CPU (gloo) group
        **extra,
    )


def max_length(tokenizer, dataset, multiple: int = 8) -> int:
    """The longest prompt + completion of a conversational dataset in tokens, rounded up to ``multiple``."""
    longest = max(len(tokenizer.apply_chat_template(ex["prompt"] + ex["completion"], tokenize=True,
                                                    return_dict=True)["input_ids"]) for ex in dataset)
    return -(-longest // multiple) * multiple


def sft_trainer(model, args, adapter_dtype=None, **kwargs):
    """TRL's ``SFTTrainer(model=model, args=args, **kwargs)``, with the LoRA adapters kept in float32.

    TRL 1.16 casts the trainable adapter weights of a 4-bit model to bf16 whatever the precision
    settings. Under fp16 mixed precision (a T4) the gradient scaler then fails on the first step
    ("_amp_foreach_non_finite_check_and_unscale_cuda" not implemented for 'BFloat16'), and on CPU
    every update would be rounded to bf16's 8 significant bits. Trainable weights in float32 are
    the mixed-precision rule (and PEFT's own default); the frozen 4-bit base is untouched.

    ``adapter_dtype`` overrides float32 where the adapters must share the base's storage dtype: FSDP
    flattens each block's parameters into one buffer of a single dtype (``scripts/train_sft.py``).

    On CPU it also lets TRL's LM head skip the positions without a label (``_score_labelled_positions_only``).
    """
    import torch
    from trl import SFTTrainer

    adapter_dtype = adapter_dtype or torch.float32
    _score_labelled_positions_only()
    trainer = SFTTrainer(model=model, args=args, **kwargs)
    text_progress(trainer)
    _cast_trainable(trainer.model, adapter_dtype)
    return trainer


def fresh_adapters(model, seed: int) -> None:
    """Put every LoRA adapter back at its untrained start, as notebook 04's training cell does.

    B = 0 (the model computes exactly the base model again) and A random from ``seed``; the 4-bit base is
    not touched. Training from here is the same whichever run came before.
    """
    import torch
    from peft.tuners.lora import LoraLayer

    torch.manual_seed(seed)
    for module in model.modules():
        if isinstance(module, LoraLayer):
            module.reset_lora_parameters("default", init_lora_weights=True)


def text_progress(trainer) -> None:
    """In Jupyter, one printed line per log instead of transformers' HTML progress table.

    The HTML table is live but stores as "<IPython.core.display.HTML object>", which is all a reader
    of the committed notebook (or a terminal) would see; a printed line reads the same everywhere.
    """
    from transformers.trainer_callback import TrainerCallback

    try:
        from transformers.utils.notebook import NotebookProgressCallback
    except ImportError:  # no IPython: the terminal's progress bar is already text
        return
    if not any(isinstance(cb, NotebookProgressCallback) for cb in trainer.callback_handler.callbacks):
        return

    class TextProgress(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if state.is_world_process_zero and logs:
                shown = {k: v for k, v in logs.items() if k in ("loss", "eval_loss", "learning_rate", "grad_norm")}
                if shown:
                    print(f"step {state.global_step}/{state.max_steps} · "
                          + " · ".join(f"{k} {v:.4g}" for k, v in shown.items()), flush=True)

    trainer.remove_callback(NotebookProgressCallback)
    trainer.add_callback(TextProgress())


def _score_labelled_positions_only() -> None:
    """Let TRL's LM head score only the positions that have a label, on CPU as it does on CUDA.

    TRL 1.16 replaces the model's LM head with its own chunked one (log-probabilities, entropy and
    token accuracy without materialising all logits). On CUDA it first drops the positions whose
    label is -100; on other devices it projects *every* position onto the 49k-token vocabulary and
    zeroes the ignored ones afterwards (fixed shapes for compiled back-ends such as Neuron). With the
    loss on a one-word answer, that is ~20x the projections needed: a quarter of each CPU step. The
    numbers are the same either way (tests/test_training.py checks it); only the time differs.
    """
    from trl.trainer import utils as trl_utils

    original = trl_utils._use_triton
    if getattr(original, "labelled_positions_only", False):  # patched already (here or by notebook 04)
        return

    def labelled_only(device) -> bool:
        return device.type == "cpu" or original(device)

    setattr(labelled_only, "labelled_positions_only", True)  # noqa: B010 (a marker on a function object)
    trl_utils._use_triton = labelled_only



# Preference tuning (notebook 07). DPO steps of the judged policy, pairs per device step and accumulation by profile;
# the notebook's run goes on for as many steps again (its Goodhart section). On CPU a step of 8 pairs (16 sequences,
# plus the reference's forward pass) takes 7-9 s on 2 cores in bf16 (cpu_bf16), ~10.5 s in float32. On a T4, 2 pairs
# of Llama 2 7B per device step × 8 accumulated keep the memory estimate under the card (tests/test_gpu_configs.py);
# 2 × 20 steps of 16 pairs (~2,600 tokens each) take an estimated 9–13 min at 180–270 training tokens/s: the H100's
# measured 2,662 tokens/s (bench/RESULTS.md) over a T4's 10–15× lower memory bandwidth and fp16 peak. An estimate
# until a T4 measures it.
DPO_DEFAULTS = {"cpu": {"max_steps": 12, "batch_size": 8, "grad_accum": 1},
                "gpu": {"max_steps": 20, "batch_size": 2, "grad_accum": 8}}


def mixed_bf16(profile: Profile, cpu_bf16: bool = False) -> bool:
    """Whether a trainer should compute in bf16 mixed precision: on a GPU with bf16 in hardware (the profile's
    ``bf16``), and with ``cpu_bf16`` on the cpu profile where the CPU has bf16 in hardware (AVX-512 BF16, as the CI
    machines): there autocast multiplies in bf16 while the weights, the adapters and their updates stay float32.
    Measured on notebook 07's DPO steps (SmolLM2-135M, 8 pairs, one thread): 17.6 → 11.5 s a step."""
    from . import models

    return profile.bf16 or (cpu_bf16 and profile.name == "cpu" and models.cpu_has_bf16())


def dpo_config(profile: Profile, output_dir: str | Path, *, beta: float, learning_rate: float, max_steps: int,
               batch_size: int, grad_accum: int = 1, max_length: int,
               logging_steps: int = 1, seed: int = 0, report_to: str = "none", cpu_bf16: bool = False, **extra):
    """A ``DPOConfig`` with the profile's precision and memory settings (TRL's own defaults differ: bf16 on, a
    learning rate of 1e-6, checkpointing on). The loss is plain DPO (``loss_type`` sigmoid).

    ``cpu_bf16=True``: on the cpu profile, bf16 mixed precision (autocast) where the CPU multiplies bf16 in
    hardware (``mixed_bf16``); elsewhere it changes nothing."""
    from trl import DPOConfig

    if max_steps <= 0 or batch_size <= 0 or learning_rate <= 0 or beta <= 0:
        raise ValueError("max_steps, batch_size, learning_rate and beta must be positive")
    return DPOConfig(
        output_dir=str(output_dir), beta=beta, learning_rate=learning_rate, max_steps=max_steps,
        per_device_train_batch_size=batch_size, gradient_accumulation_steps=grad_accum, max_length=max_length,
        lr_scheduler_type="constant", warmup_steps=0, optim=profile.optim, fp16=profile.fp16,
        bf16=mixed_bf16(profile, cpu_bf16), activation_checkpointing=profile.gradient_checkpointing,
        logging_steps=logging_steps, save_strategy="no",
        report_to=report_to, seed=seed, disable_tqdm=False, dataloader_pin_memory=profile.name == "gpu",
        use_cpu=profile.name == "cpu", loss_type=["sigmoid"], **extra)


def dpo_trainer(model, args, **kwargs):
    """TRL's ``DPOTrainer(model=model, ref_model=None, args=args, **kwargs)`` with ``adapt_dpo_trainer``'s changes."""
    from trl import DPOTrainer

    return adapt_dpo_trainer(DPOTrainer(model=model, ref_model=None, args=args, **kwargs))


def adapt_dpo_trainer(trainer):
    """The course's changes to a ``DPOTrainer`` built on a PEFT model with ``ref_model=None`` (notebook 07 builds it).

    - The reference is the model with its adapters switched off. Given a PeftModel, TRL copies the current adapters
      as a "ref" adapter to serve as the reference; that would hold a run that continues from trained adapters to
      those adapters instead of to the model before DPO, so the copy is dropped.
    - Adapters are kept in float32, as in ``sft_trainer``.
    - One printed line per log (``text_progress``), and TRL's LM head scores only labelled positions on CPU too.
    - After training, the model's own ``forward`` again, without accelerate's autocast
      (``plain_forward_after_training``).
    """
    import torch

    _score_labelled_positions_only()
    if "ref" in getattr(trainer.model, "peft_config", {}):
        trainer.model.delete_adapter("ref")
    text_progress(trainer)
    _cast_trainable(trainer.model, torch.float32)
    return plain_forward_after_training(trainer)


def plain_forward_after_training(trainer):
    """Give the model back its own ``forward`` when training ends.

    Under fp16/bf16 mixed precision, accelerate wraps ``model.forward`` in autocast when training starts and leaves
    it wrapped, so everything run on the model afterwards (generation, scoring) silently computes in the training
    precision, and autocast converts every frozen weight again at each forward pass (it caches only weights that
    are trained). Measured in notebook 07 (bf16 training on CPU): with the wrapper left in place, the reference
    model's greedy answers changed (45.2 % → 44.0 % of test prompts correct)."""
    from transformers import TrainerCallback

    class _PlainForward(TrainerCallback):
        def on_train_end(self, args, state, control, **kwargs):
            # accelerate saved the forward it wrapped: put it back (what accelerator.unwrap_model does, without
            # unwrapping anything else)
            original = trainer.model.__dict__.pop("_original_forward", None)
            if original is not None:
                trainer.model.forward = original

    trainer.add_callback(_PlainForward())
    return trainer


def reward_config(profile: Profile, output_dir: str | Path, *, learning_rate: float, max_steps: int, batch_size: int,
                  max_length: int, logging_steps: int = 5, seed: int = 0, cpu_bf16: bool = False, **extra):
    """A ``RewardConfig`` (Bradley–Terry on pairs) with the profile's precision settings (``cpu_bf16`` as in
    ``dpo_config``)."""
    from trl import RewardConfig

    if max_steps <= 0 or batch_size <= 0 or learning_rate <= 0:
        raise ValueError("max_steps, batch_size and learning_rate must be positive")
    return RewardConfig(
        output_dir=str(output_dir), learning_rate=learning_rate, max_steps=max_steps,
        per_device_train_batch_size=batch_size, max_length=max_length, optim="adamw_torch", fp16=profile.fp16,
        bf16=mixed_bf16(profile, cpu_bf16), activation_checkpointing=False, logging_steps=logging_steps,
        save_strategy="no",
        report_to="none", seed=seed, disable_tqdm=False, use_cpu=profile.name == "cpu", **extra)


def _cast_trainable(model, dtype) -> None:
    for param in model.parameters():
        if param.requires_grad and param.dtype != dtype:
            param.data = param.data.to(dtype)
