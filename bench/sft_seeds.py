"""Notebook 04's fine-tune with several seeds: how much of its result is the recipe, how much luck.

Trains the configuration of notebook 04's parameters cell (``scripts/train_sft.py``'s defaults, which a
test holds equal to the notebook) once per seed on the profile's model, and scores each adapter on the
validation and test posts with the notebook's own evaluation (``utils.evaluate``: up to 10 new tokens,
exactly one label word). Beside them, the untuned model's zero-shot and few-shot answers (3 orders of
the examples), which do not depend on the seed. Reports mean ± sd and each class's F1.

    .venv/bin/python bench/sft_seeds.py [--seeds 0 1 2] [train_sft.py's flags, e.g. --learning-rate 2e-4]

Reports figures; asserts nothing.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))


def main() -> None:
    import argparse

    import train_sft

    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--no-baselines", action="store_true")
    own, rest = ap.parse_known_args()

    from utils import data, evaluate, models, prompts, runtime

    splits = data.load_sentiment()
    gold = {split: [r["label"] for r in splits[split]] for split in ("validation", "test")}
    profile = runtime.resolve_profile(train_sft.parse_args(rest).profile)
    print(profile.describe(), flush=True)

    def scores(model, tokenizer, shots=()):
        """Validation and test scores of one model, with ``shots`` as few-shot examples in every prompt."""
        return {split: evaluate.score(gold[split], evaluate.generate_answers(
            model, tokenizer, [prompts.sentiment_messages(r["text"], examples=shots) for r in splits[split]],
            max_new_tokens=evaluate.MAX_NEW_TOKENS, progress=False)) for split in gold}

    baselines = {}
    if not own.no_baselines:
        tokenizer, model = models.load_tokenizer(profile), models.load_model(profile)
        baselines["zero-shot"] = scores(model, tokenizer)
        for order in prompts.FEW_SHOT_ORDERS:
            baselines[f"few-shot ({', '.join(order)})"] = scores(
                model, tokenizer, prompts.few_shot_examples(splits["train"], order))
        for name, res in baselines.items():
            print(f"{name:<40} validation {res['validation'].accuracy:.1%} · test {res['test'].accuracy:.1%} "
                  f"· test F1 {res['test'].f1}", flush=True)
        del model

    tuned = []
    for seed in own.seeds:
        with tempfile.TemporaryDirectory() as out:
            a = train_sft.parse_args([*rest, "--seed", str(seed), "--output-dir", out, "--report-to", "none",
                                      "--no-save"])
            start = time.perf_counter()
            model, tokenizer, trainer, result = train_sft.train(a)
            seconds = time.perf_counter() - start
            model.eval()
            res = scores(model, tokenizer)
            tuned.append(res)
            print(f"seed {seed}: validation {res['validation'].accuracy:.1%} · test {res['test'].accuracy:.1%} "
                  f"· test F1 {res['test'].f1} · losses {[round(x, 2) for x in result['losses']]} "
                  f"· eval {[round(x, 3) for x in result['eval_losses']]} · {result['train_seconds']:.0f} s training, "
                  f"{seconds:.0f} s with load", flush=True)
            del model, trainer

    def mean_sd(values):
        return statistics.mean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)

    summary = {"seeds": own.seeds, "flags": rest}
    for split in ("validation", "test"):
        acc = mean_sd([r[split].accuracy for r in tuned])
        summary[split] = {"accuracy_mean": acc[0], "accuracy_sd": acc[1],
                          "accuracy_min": min(r[split].accuracy for r in tuned),
                          "accuracy_max": max(r[split].accuracy for r in tuned),
                          "f1_min": {k: min(r[split].f1[k] for r in tuned) for k in data.LABELS},
                          "f1_mean": {k: round(statistics.mean(r[split].f1[k] for r in tuned), 3) for k in data.LABELS}}
        print(f"tuned, {split}: accuracy {acc[0]:.1%} ± {acc[1]:.1%} (min {summary[split]['accuracy_min']:.1%}, "
              f"max {summary[split]['accuracy_max']:.1%}) · F1 mean {summary[split]['f1_mean']} · "
              f"F1 min {summary[split]['f1_min']}")
    summary["baselines"] = {k: {s: v[s].accuracy for s in v} for k, v in baselines.items()}
    print("SUMMARY " + json.dumps(summary))


if __name__ == "__main__":
    main()
