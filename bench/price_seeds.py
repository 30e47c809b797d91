"""Notebook 08's price models over several seeds, and its fine-tune trained for longer.

Notebook 08 as a student with ``SEED = seed`` would run it, for each seed. The curation and the split are the
notebook's (``utils.price.curate``, which the notebook asserts equal to its own steps; the split's shuffle is seed 0
whatever ``SEED`` is), so every seed is judged on the same 327 test listings. What does not depend on the seed runs
once: the median of the category, TF-IDF + ridge with its penalty picked on validation, the median price of the
most similar training listings, the language model prompted zero-shot (greedy). What ``SEED`` changes runs per
seed: the few-shot examples, and the notebook's QLoRA fine-tune (the adapters' start and the batches), which
reads the most similar training listings' prices. Every model is scored on the test split by
``utils.price.score``; reports each model's test MAE per seed and mean ± sd.

``--steps 12 48 192`` trains one seed for the largest number of steps instead, scoring the adapter on the test
split at each of the steps given: how much the fine-tune gains from training longer than the notebook can.

    .venv/bin/python bench/price_seeds.py                  # 3 seeds (about 13 minutes on 2 idle CPU cores)
    .venv/bin/python bench/price_seeds.py --steps 12 48 96 192 --seed 0
    .venv/bin/python bench/price_seeds.py --zero-shot-tokens 8 24   # zero-shot's answer budget (about 3 minutes)

``--zero-shot-tokens`` scores only the zero-shot prompt, once per budget of new tokens, and prints the answers
that hold a number only with the larger budgets: is the notebook's 8 what keeps zero-shot unparsed?

The notebook's parameters (cut length, learning rate, LoRA shape, few-shot count) are read from its parameters
cell and its steps and batch are the profile's, as in the notebook, so the two cannot drift apart; the prompt and the answer format are this file's, and tests/test_bench.py
holds them equal to the notebook's. Reports figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NOTEBOOK = ROOT / "notebooks" / "08_price_curation.ipynb"
QUESTION = "How much does this cost? Answer with a price in dollars."
GENERATION_BATCH = 64  # the notebook's GENERATION_BATCH on the cpu profile (answers depend a little on the batching)


def notebook_parameters() -> dict:
    """The values of notebook 08's parameters cell."""
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    source = next("".join(c["source"]) for c in cells if "parameters" in c.get("metadata", {}).get("tags", []))
    values: dict = {}
    exec(source, values)  # the course's own cell: plain assignments
    return {k: v for k, v in values.items() if k.isupper()}


def price_messages(r: dict, shots=(), similar=()) -> list[dict]:
    turns = [{"role": "system", "content": QUESTION}]
    for s in shots:
        turns += [{"role": "user", "content": f"{s['title']}\n{s['description']}"},
                  {"role": "assistant", "content": answer(s["price"])}]
    listing = f"{r['title']}\n{r['description']}"
    if similar:
        known = ", ".join(f"${p:.0f}" for p in sorted(s["price"] for s in similar))
        listing = f"Prices of the most similar listings: {known}\n\n{listing}"
    return turns + [{"role": "user", "content": listing}]


def listing_text(r: dict) -> str:
    return f"{r['title']} {r['category']} {r['description']}"


def tfidf(train: list[dict]):
    """Notebook 08's TF-IDF vectorizer fitted on the training split, and the training matrix."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"[A-Za-z]+|\d[\d,.]*")
    return vec, vec.fit_transform([listing_text(r) for r in train])


def most_similar(vec, X_train, train: list[dict], rows: list[dict], k: int, exclude_self: bool = False) -> list[list[dict]]:
    """Notebook 08's ``most_similar``: each row's k most similar training listings (TF-IDF cosine), nearest first."""
    import numpy as np

    similarity = (vec.transform([listing_text(r) for r in rows]) @ X_train.T).toarray()
    if exclude_self:
        np.fill_diagonal(similarity, -1.0)
    return [[train[j] for j in np.argsort(-row, kind="stable")[:k]] for row in similarity]


def answer(p: float) -> str:
    return f"Price is ${p:.0f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--steps", type=int, nargs="+", help="train one seed (--seed) this long, scoring at each")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--zero-shot-tokens", type=int, nargs="+", help="score only zero-shot, with each answer budget")
    a = ap.parse_args()

    import numpy as np
    from peft import get_peft_model, prepare_model_for_kbit_training
    from sklearn.linear_model import Ridge
    from transformers import TrainerCallback

    import datasets
    from utils import evaluate, models, price, runtime, training

    datasets.disable_progress_bars()
    p = notebook_parameters()
    profile = runtime.resolve_profile("cpu")
    tokenizer = models.load_tokenizer(profile)
    raw = price.load_listings()
    print(profile.describe(), "·", {k: p[k] for k in ("DESCRIPTION_TOKENS", "LEARNING_RATE", "LORA_R", "FEW_SHOT",
                                                         "NEIGHBOURS")},
          flush=True)

    splits = price.curate(raw, tokenizer, p["DESCRIPTION_TOKENS"], outlier_factor=p["OUTLIER_FACTOR"],
                          shares=p["SHARES"])  # the notebook's split: seed 0, whatever SEED is
    train, validation, test = (splits[n] for n in price.SPLITS)
    truth = [r["price"] for r in test]
    median = float(np.median([r["price"] for r in train]))
    vec, X = tfidf(train)
    test_similar = most_similar(vec, X, train, test, p["NEIGHBOURS"])
    train_ds = datasets.Dataset.from_list(
        [{"prompt": price_messages(r, similar=s), "completion": [{"role": "assistant", "content": answer(r["price"])}]}
         for r, s in zip(train, most_similar(vec, X, train, train, p["NEIGHBOURS"], exclude_self=True))])

    def judge(maes, label, name, estimates):
        s = price.score(estimates, truth, fallback=median)
        maes[name] = s.mae
        print(f"{label} · {name:<28} {s}", flush=True)

    def generate(model, conversations, max_new_tokens):
        return [price.parse_price(x) for x in evaluate.generate_answers(
            model, tokenizer, conversations, max_new_tokens=max_new_tokens, batch_size=GENERATION_BATCH, progress=False)]

    # what no seed changes: the baselines and the zero-shot prompt (greedy answers)
    fixed: dict[str, float] = {}
    by_category = {c: float(np.median([r["price"] for r in train if r["category"] == c]))
                   for c in {r["category"] for r in train}}
    judge(fixed, "any seed", "median of the category", [by_category[r["category"]] for r in test])
    y = np.log([r["price"] for r in train])
    val_truth = [r["price"] for r in validation]
    alpha = min((0.1, 0.3, 1.0, 3.0), key=lambda al: price.score(np.exp(Ridge(alpha=al).fit(X, y).predict(
        vec.transform([listing_text(r) for r in validation]))).tolist(), val_truth).mae)
    judge(fixed, "any seed", "TF-IDF + ridge",
          np.exp(Ridge(alpha=alpha).fit(X, y).predict(vec.transform([listing_text(r) for r in test]))).tolist())
    judge(fixed, "any seed", "median of the most similar",
          [float(np.median([s["price"] for s in similar])) for similar in test_similar])
    model = models.load_model(profile, cpu_bf16=True)  # as the notebook: bf16 matmuls where the CPU has them
    if a.zero_shot_tokens:
        budgets = sorted(a.zero_shot_tokens)
        answers = {}
        for n in budgets:
            start = time.perf_counter()
            answers[n] = evaluate.generate_answers(model, tokenizer, [price_messages(r) for r in test],
                                                   max_new_tokens=n, batch_size=GENERATION_BATCH, progress=False)
            judge(fixed, f"{time.perf_counter() - start:.0f} s", f"LLM zero-shot, {n} tokens",
                  [price.parse_price(x) for x in answers[n]])
        for n in budgets[1:]:
            gained = [(r, x) for r, x, y in zip(test, answers[n], answers[budgets[0]])
                      if price.parse_price(x) is not None and price.parse_price(y) is None]
            print(f"\n{len(gained)} answers hold a number with {n} new tokens but not with {budgets[0]}:")
            for r, x in gained:
                print(f"  true ${r['price']:.0f} · parsed {price.parse_price(x)} · {x!r}")
        return
    judge(fixed, "any seed", "LLM zero-shot", generate(model, [price_messages(r) for r in test], 8))
    seeds = [a.seed] if a.steps else a.seeds
    per_seed: dict[int, dict[str, float]] = {seed: {} for seed in seeds}
    for seed in seeds:  # what SEED changes, part 1: the few-shot examples (the untuned model, as in the notebook)
        shots = random.Random(seed).sample(train, p["FEW_SHOT"])
        judge(per_seed[seed], f"seed {seed}", "LLM few-shot", generate(model, [price_messages(r, shots) for r in test], 8))
    model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=profile.gradient_checkpointing)
    model = get_peft_model(model, training.lora_config(p["LORA_R"], p["LORA_ALPHA"], dropout=0.05))

    def run(seed: int, steps: list[int]) -> None:
        """What SEED changes, part 2: the adapters' start and the batches."""
        maes = per_seed[seed]

        def score_tuned(step: int) -> None:
            model.eval()
            model.config.use_cache = True
            judge(maes, f"seed {seed}", f"fine-tuned, {step} steps",
                  generate(model, [price_messages(r, similar=sim) for r, sim in zip(test, test_similar)], 7))
            model.train()
            model.config.use_cache = False

        class ScoreAt(TrainerCallback):
            def on_step_end(self, args, state, control, **kwargs):
                if state.global_step in steps[:-1]:
                    score_tuned(state.global_step)

        with tempfile.TemporaryDirectory() as out:
            args = training.sft_config(profile, out, learning_rate=p["LEARNING_RATE"], max_steps=max(steps),
                                       batch_size=profile.batch_size, grad_accum=profile.grad_accum, max_length=training.max_length(tokenizer, train_ds),
                                       logging_steps=5, seed=seed, report_to="none")
            training.fresh_adapters(model, seed)
            model.config.use_cache = False
            trainer = training.sft_trainer(model, args, train_dataset=train_ds, processing_class=tokenizer,
                                           callbacks=[ScoreAt()])
            start = time.perf_counter()
            trainer.train()
            print(f"seed {seed}: {max(steps)} steps in {time.perf_counter() - start:.0f} s (with scoring) · losses "
                  f"{[round(h['loss'], 3) for h in trainer.state.log_history if 'loss' in h]}", flush=True)
        score_tuned(max(steps))

    if a.steps:
        run(a.seed, sorted(a.steps))
        return
    for seed in seeds:
        run(seed, [profile.max_steps])  # the notebook's steps and batch: the profile's
    print(f"\ntest MAE over seeds {seeds} (cpu profile, {profile.max_steps} steps × {profile.batch_size}; "
          f"{len(test)} test listings, the same for every seed):")
    for name, mae in fixed.items():
        print(f"  {name:<28} ${mae:.2f} for every seed")
    for name in per_seed[seeds[0]]:
        values = [per_seed[seed][name] for seed in seeds]
        sd = statistics.stdev(values) if len(values) > 1 else 0.0
        print(f"  {name:<28} " + " · ".join(f"${v:.2f}" for v in values)
              + f" → mean ${statistics.mean(values):.2f} ± {sd:.2f} ({sd / statistics.mean(values):.0%})")


if __name__ == "__main__":
    main()
