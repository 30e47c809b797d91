"""CPU fine-tuning throughput of notebook 04's setup, against this machine's own matmul speed.

Trains the cpu profile's 4-bit SmolLM2 with the notebook's LoRA configuration on the sentiment
training posts for a few steps and reports tokens/s. In the same run it measures the machine's
float32 matrix-multiplication throughput, and reports which fraction of it training reaches,
counting ≈ 4·N FLOPs per trained token for LoRA (forward 2·N, backward through the frozen
weights 2·N; the adapters' own gradients are negligible).

    .venv/bin/python bench/train_cpu.py [--steps 6] [--batch 8]

Reports figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import tempfile
import time


def matmul_gflops(n: int = 2048, repeats: int = 5) -> float:
    import torch

    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * n**3 * repeats / (time.perf_counter() - start) / 1e9


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--batch", type=int, default=None)
    ap.add_argument("--trl-default", action="store_true",
                    help="TRL's SFTTrainer as shipped (adapters cast to bf16, LM head over every position), "
                         "to compare with the course's sft_trainer")
    args = ap.parse_args()

    import torch
    from transformers import TrainerCallback
    from trl import SFTTrainer

    import datasets
    from utils import data, models, prompts, runtime, training

    datasets.disable_progress_bars()
    profile = runtime.resolve_profile("cpu")
    batch = args.batch or profile.batch_size
    tokenizer = models.load_tokenizer(profile)
    model = models.load_model(profile)
    n_params = model.num_parameters()
    train = prompts.sentiment_dataset(data.load_sentiment()["train"])

    class Clock(TrainerCallback):
        def __init__(self):
            self.times, self.tokens = [], 0

        def on_step_begin(self, args, state, control, **kw):
            self.t = time.perf_counter()

        def on_step_end(self, args, state, control, **kw):
            self.times.append(time.perf_counter() - self.t)

    clock = Clock()
    with tempfile.TemporaryDirectory() as out:
        cfg = training.sft_config(profile, out, learning_rate=5e-4, max_steps=args.steps, batch_size=batch,
                                  max_length=80, report_to="none", logging_steps=args.steps)
        build = SFTTrainer if args.trl_default else training.sft_trainer
        trainer = build(model, cfg, train_dataset=train, processing_class=tokenizer,
                        peft_config=training.lora_config(16, 32, 0.05), callbacks=[clock])
        adapters = {p.dtype for p in trainer.model.parameters() if p.requires_grad}
        lengths = [len(x) for x in trainer.train_dataset["input_ids"]]
        trainer.train()
    steady = clock.times[1:] or clock.times  # the first step includes one-off warm-up
    tokens_per_step = batch * sum(lengths) / len(lengths)  # mean real (unpadded) tokens per step
    tps = tokens_per_step / (sum(steady) / len(steady))
    peak = matmul_gflops()
    achieved = 4 * n_params * tps / 1e9
    print(f"machine: {torch.get_num_threads()} threads, float32 matmul {peak:.0f} GFLOP/s")
    print(f"model: {n_params / 1e6:.0f} M parameters, 4-bit NF4 base, LoRA r=16 on all linear layers, "
          f"adapters in {', '.join(str(d).removeprefix('torch.') for d in adapters)}")
    print(f"steps: {len(clock.times)} × batch {batch} × ~{tokens_per_step / batch:.0f} tokens; "
          f"{sum(steady) / len(steady):.2f} s per step (first step {clock.times[0]:.2f} s)")
    print(f"throughput: {tps:.0f} trained tokens/s → {achieved:.1f} GFLOP/s = {achieved / peak:.0%} of matmul peak")


if __name__ == "__main__":
    main()
