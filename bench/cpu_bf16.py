"""bf16 against float32 matmuls in the cpu profile's 4-bit layers (``models.load_model(..., cpu_bf16=True)``).

On a CPU with bf16 in hardware (AVX-512 BF16), three figures, each float32 then bf16: a matmul of SmolLM2's MLP
shape (5,120 tokens × 576 → 1,536) in GFLOP/s; notebook 08's zero-shot pass over its 327 test listings (seconds,
MAE, and how many answers are the same both ways); notebook 08's 12 training steps (seconds, and the losses).

    .venv/bin/python bench/cpu_bf16.py     # about 5 minutes on 2 idle CPU cores

Reports figures; asserts nothing.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> None:
    import numpy as np
    import price_seeds
    import torch
    from peft import get_peft_model, prepare_model_for_kbit_training

    import datasets
    from utils import evaluate, models, price, runtime, training

    datasets.disable_progress_bars()
    if not models.cpu_has_bf16():
        sys.exit("This CPU has no bf16 in hardware (AVX-512 BF16): cpu_bf16=True changes nothing here.")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads", flush=True)
    for dtype in (torch.float32, torch.bfloat16):
        x, w = torch.randn(5120, 576, dtype=dtype), torch.randn(1536, 576, dtype=dtype)
        for _ in range(3):
            torch.nn.functional.linear(x, w)
        start = time.perf_counter()
        for _ in range(20):
            torch.nn.functional.linear(x, w)
        seconds = (time.perf_counter() - start) / 20
        print(f"matmul {str(dtype):<14} {2 * x.shape[0] * x.shape[1] * w.shape[0] / seconds / 1e9:5.0f} GFLOP/s", flush=True)

    p = price_seeds.notebook_parameters()
    profile = runtime.resolve_profile("cpu")
    tokenizer = models.load_tokenizer(profile)
    splits = price.curate(price.load_listings(), tokenizer, p["DESCRIPTION_TOKENS"], outlier_factor=p["OUTLIER_FACTOR"],
                          shares=p["SHARES"])
    train, test = splits["train"], splits["test"]
    truth = [r["price"] for r in test]
    median = float(np.median([r["price"] for r in train]))
    vec, X = price_seeds.tfidf(train)
    train_ds = datasets.Dataset.from_list(
        [{"prompt": price_seeds.price_messages(r, similar=s),
          "completion": [{"role": "assistant", "content": price_seeds.answer(r["price"])}]}
         for r, s in zip(train, price_seeds.most_similar(vec, X, train, train, p["NEIGHBOURS"], exclude_self=True))])
    answers = {}
    for bf16 in (False, True):
        label = "bf16" if bf16 else "float32"
        model = models.load_model(profile, cpu_bf16=bf16)
        assert models.uses_cpu_bf16(model) == bf16
        start = time.perf_counter()
        answers[bf16] = evaluate.generate_answers(model, tokenizer, [price_seeds.price_messages(r) for r in test],
                                                  max_new_tokens=8, batch_size=price_seeds.GENERATION_BATCH, progress=False)
        seconds = time.perf_counter() - start
        print(f"zero-shot {label:<8} {len(test)} answers in {seconds:.1f} s · "
              f"{price.score([price.parse_price(a) for a in answers[bf16]], truth, fallback=median)}", flush=True)
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=profile.gradient_checkpointing)
        model = get_peft_model(model, training.lora_config(p["LORA_R"], p["LORA_ALPHA"], dropout=0.05))
        with tempfile.TemporaryDirectory() as out:
            args = training.sft_config(profile, out, learning_rate=p["LEARNING_RATE"], max_steps=profile.max_steps,
                                       batch_size=profile.batch_size, grad_accum=profile.grad_accum,
                                       max_length=training.max_length(tokenizer, train_ds), logging_steps=1, seed=0,
                                       report_to="none")
            training.fresh_adapters(model, 0)
            model.config.use_cache = False
            trainer = training.sft_trainer(model, args, train_dataset=train_ds, processing_class=tokenizer)
            start = time.perf_counter()
            trainer.train()
            print(f"training  {label:<8} {profile.max_steps} steps in {time.perf_counter() - start:.1f} s · losses "
                  f"{[round(h['loss'], 3) for h in trainer.state.log_history if 'loss' in h]}", flush=True)
    same = sum(a == b for a, b in zip(answers[False], answers[True]))
    print(f"zero-shot answers the same both ways: {same} of {len(test)}")


if __name__ == "__main__":
    main()
