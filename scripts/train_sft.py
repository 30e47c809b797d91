"""Notebook 04's QLoRA fine-tune as a script: one process, several GPUs, or several machines.

The same recipe as notebook 04 — the profile's 4-bit model, the tokenizer with its pad token, LoRA on
every linear layer, TRL's ``SFTTrainer`` with the loss on the answer only — built by the same ``utils``
calls from the same parameters (the defaults below are notebook 04's parameters cell;
``tests/test_train_script.py`` fails when they drift apart). Run it directly on one device, or let
Hugging Face ``accelerate`` start one process per GPU::

    python scripts/train_sft.py                                  # one device (GPU if there is one, else CPU)
    accelerate launch --config_file scripts/accelerate/single_gpu.yaml scripts/train_sft.py
    accelerate launch --config_file scripts/accelerate/ddp.yaml --num_processes 8 scripts/train_sft.py
    accelerate launch --config_file scripts/accelerate/fsdp_qlora.yaml --num_processes 2 scripts/train_sft.py
    accelerate launch --config_file scripts/accelerate/multi_node.yaml --machine_rank 0 scripts/train_sft.py

``--batch-size`` is per process: the global batch is batch × accumulation × processes, printed at the start.
Nothing in the script depends on the number of processes: ``accelerate`` (through the Trainer) shards the
data, averages the gradients (DDP) or shards the model (FSDP). Under FSDP the 4-bit weights are stored in
bf16 so they can be sharded (``Profile.fsdp_storage_dtype``; GPUs without bf16, such as T4s, are refused).

On a machine without a GPU every process joins a CPU (gloo) process group: that is how the test suite runs
it with two processes (``scripts/accelerate/cpu_2proc.yaml``). Prints one JSON line, ``RESULT {...}``,
with the per-step losses, for a caller to read.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the course's utils, when run from anywhere

# Notebook 04's parameters cell (the None defaults are filled from the profile, as the notebook does).
DEFAULTS = dict(
    LORA_R=16, LORA_ALPHA=32, LORA_DROPOUT=0.05,
    TARGET_MODULES=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    LEARNING_RATE=5e-4, SCHEDULER="cosine", WARMUP=0.1, MAX_STEPS=None, BATCH_SIZE=None, GRAD_ACCUM=None,
    WEIGHT_DECAY=0.0, EVAL_EVERY=None, VALIDATION_POSTS=63, SAVE_EVERY=None, SEED=0,
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    d = DEFAULTS
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--profile", choices=("cpu", "gpu"), default=None, help="None: chosen by the hardware")
    ap.add_argument("--output-dir", type=Path, default=None, help="default: outputs/train_sft_<profile>")
    ap.add_argument("--lora-r", type=int, default=d["LORA_R"])
    ap.add_argument("--lora-alpha", type=int, default=d["LORA_ALPHA"])
    ap.add_argument("--lora-dropout", type=float, default=d["LORA_DROPOUT"])
    ap.add_argument("--target-modules", nargs="+", default=d["TARGET_MODULES"])
    ap.add_argument("--learning-rate", type=float, default=d["LEARNING_RATE"])
    ap.add_argument("--scheduler", default=d["SCHEDULER"])
    ap.add_argument("--warmup", type=float, default=d["WARMUP"], help="share of the steps (< 1) or a count")
    ap.add_argument("--max-steps", type=int, default=d["MAX_STEPS"], help="None: the profile's")
    ap.add_argument("--batch-size", type=int, default=d["BATCH_SIZE"], help="per process; None: the profile's")
    ap.add_argument("--grad-accum", type=int, default=d["GRAD_ACCUM"], help="None: the profile's")
    ap.add_argument("--weight-decay", type=float, default=d["WEIGHT_DECAY"])
    ap.add_argument("--eval-every", type=int, default=d["EVAL_EVERY"], help="None: every quarter of the run; 0: never")
    ap.add_argument("--validation-posts", type=int, default=d["VALIDATION_POSTS"])
    ap.add_argument("--save-every", type=int, default=d["SAVE_EVERY"], help="None: at every evaluation; 0: never")
    ap.add_argument("--seed", type=int, default=d["SEED"])
    ap.add_argument("--resume", action="store_true", help="continue from the last checkpoint in --output-dir")
    ap.add_argument("--no-save", action="store_true", help="don't write the adapter at the end")
    ap.add_argument("--report-to", default="tensorboard", help='"none" for no logs')
    return ap.parse_args(argv)


def uses_fsdp() -> bool:
    """``accelerate launch`` with an FSDP configuration says so in the environment of every process."""
    return os.environ.get("ACCELERATE_USE_FSDP", "false").lower() in ("1", "true")


def settings(a: argparse.Namespace, profile) -> dict:
    """Every value the run uses, with the profile's defaults filled in as notebook 04 fills them."""
    max_steps = a.max_steps or profile.max_steps
    eval_every = max(max_steps // 4, 1) if a.eval_every is None else a.eval_every
    return dict(
        max_steps=max_steps, batch_size=a.batch_size or profile.batch_size,
        grad_accum=a.grad_accum or profile.grad_accum,
        eval_every=eval_every, save_every=eval_every if a.save_every is None else a.save_every,
    )


def datasets_for(a: argparse.Namespace):
    """The training posts (labels taking turns, shuffled within each label by the seed) and the first
    ``--validation-posts`` validation posts, as notebook 04 takes them."""
    from utils import data, prompts

    splits = data.load_sentiment()
    return (prompts.sentiment_dataset(data.interleave_labels(splits["train"], a.seed)),
            prompts.sentiment_dataset(splits["validation"][: a.validation_posts]))


def build(a: argparse.Namespace, profile, tokenizer, train_ds, output_dir: Path):
    """The LoRA configuration and the SFTConfig, exactly as notebook 04 builds them."""
    from utils import training

    s = settings(a, profile)
    peft_config = training.lora_config(a.lora_r, a.lora_alpha, a.lora_dropout, a.target_modules)
    args = training.sft_config(
        profile, output_dir, learning_rate=a.learning_rate, max_steps=s["max_steps"], batch_size=s["batch_size"],
        grad_accum=s["grad_accum"], max_length=training.max_length(tokenizer, train_ds), warmup=a.warmup,
        scheduler=a.scheduler, weight_decay=a.weight_decay, eval_steps=s["eval_every"] or None,
        save_steps=s["save_every"] or None, seed=a.seed, report_to=a.report_to,
        train_sampling_strategy="sequential",  # in the interleaved order: every batch holds each label 2-3 times
    )
    return peft_config, args


def train(a: argparse.Namespace):
    """Load, build and train as notebook 04 does; returns ``(model, tokenizer, trainer, result)``."""
    import torch
    from accelerate import PartialState
    from peft import get_peft_model, prepare_model_for_kbit_training

    import datasets
    import utils
    from utils import models, runtime, training

    datasets.disable_progress_bars()
    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*")  # PEFT calls a renamed API

    profile = runtime.resolve_profile(a.profile)
    fsdp = uses_fsdp()
    if fsdp and profile.name != "gpu":
        raise SystemExit("FSDP shards a 4-bit model across GPUs; the cpu profile has none. "
                         "Use scripts/accelerate/cpu_2proc.yaml (data parallel) on CPU.")
    if fsdp:
        profile.fsdp_storage_dtype  # noqa: B018 — refuses fp16 GPUs (T4) with the fix, before anything loads
    output_dir = a.output_dir or utils.ROOT / "outputs" / f"train_sft_{profile.name}"

    tokenizer = models.load_tokenizer(profile)
    train_ds, val_ds = datasets_for(a)
    peft_config, args = build(a, profile, tokenizer, train_ds, output_dir)
    # The process group, set up by the SFTConfig: under `accelerate launch` each process learns its rank
    # here; with the cpu profile (use_cpu) the processes join a gloo group on the CPU.
    state = PartialState(cpu=args.use_cpu)
    per_step = args.per_device_train_batch_size * args.gradient_accumulation_steps * state.num_processes
    say = state.print  # the main process only
    say(profile.describe())
    say(f"{state.num_processes} process(es), {state.distributed_type}{' (FSDP)' if fsdp else ''} · "
        f"global batch {args.per_device_train_batch_size} × {args.gradient_accumulation_steps} × "
        f"{state.num_processes} = {per_step} posts per step · {args.max_steps} steps")

    # Each process loads its own copy on its own GPU (DDP), or FSDP shards one copy (no device map:
    # rank 0 reads the weights, the others receive their shards).
    model = models.load_model(profile, local_rank=state.local_process_index, fsdp=fsdp)
    if fsdp:
        # FSDP flattens each block's parameters into one buffer of one dtype: prepare_model_for_kbit_training
        # would upcast the norms and embeddings to float32, so it is skipped, and the adapters take the 4-bit
        # weights' storage dtype, bf16 (as TRL itself keeps QLoRA adapters): updates are rounded to bf16,
        # the price of sharding. (TRL enables input gradients for checkpointing on PEFT models itself.)
        model = get_peft_model(model, peft_config)
        adapter_dtype = profile.fsdp_storage_dtype
    else:
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=profile.gradient_checkpointing)
        model = get_peft_model(model, peft_config)
        adapter_dtype = torch.float32
    training.fresh_adapters(model, a.seed)  # A random from the seed, B = 0: notebook 04's training cell
    model.config.use_cache = False  # the KV cache is for generation; off while training
    trainer = training.sft_trainer(model, args, train_dataset=train_ds, eval_dataset=val_ds,
                                   processing_class=tokenizer, adapter_dtype=adapter_dtype)
    start = time.perf_counter()
    trainer.train(resume_from_checkpoint=True if a.resume else None)
    seconds = time.perf_counter() - start

    history = trainer.state.log_history
    result = dict(
        processes=state.num_processes, distributed_type=str(state.distributed_type), fsdp=fsdp,
        global_batch=per_step, steps=trainer.state.global_step,
        losses=[h["loss"] for h in history if "loss" in h],
        grad_norms=[h["grad_norm"] for h in history if "grad_norm" in h],
        eval_losses=[h["eval_loss"] for h in history if "eval_loss" in h], train_seconds=round(seconds, 1),
    )
    if torch.cuda.is_available():
        result["peak_cuda_gb"] = round(torch.cuda.max_memory_allocated() / 1e9, 3)  # this process's GPU
    if state.is_main_process:
        output_dir.mkdir(parents=True, exist_ok=True)
        (output_dir / "log_history.json").write_text(json.dumps(history))
    if not a.no_save:
        if fsdp:  # a sharded checkpoint (fsdp_qlora.yaml) would not be a loadable adapter: gather it first
            trainer.accelerator.state.fsdp_plugin.set_state_dict_type("FULL_STATE_DICT")
        trainer.save_model(str(output_dir / "adapter"))  # safetensors; every process takes part under FSDP
        if state.is_main_process:
            tokenizer.save_pretrained(output_dir / "adapter")
    return model, tokenizer, trainer, result


def main(argv: list[str] | None = None) -> dict:
    from accelerate import PartialState

    *_, result = train(parse_args(argv))
    PartialState().print("RESULT " + json.dumps(result))
    return result


if __name__ == "__main__":
    main()
