"""Ask a chat model for labels in batches, and score the answers.

Shared by notebook 03 (prompting baselines) and 04 (the fine-tuned model).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .data import LABELS

# Room to answer: "Neutral." is 2–3 tokens, "The sentiment is negative." about 6. A fine-tuned model stops at
# its end-of-turn token long before; an untuned one gets enough tokens to name its label in a sentence.
MAX_NEW_TOKENS = 10


def parse_label(answer: str, labels=LABELS) -> str | None:
    """The label an answer names: exactly one of ``labels`` as a whole word, else None (counted as wrong).

    "Neutral." and "The sentiment is negative" name one label; "Positive, negative" hedges between two
    and names none, like "You label the" or an empty answer. Repeating the same label is still one.
    """
    named = {w for w in re.findall(r"[a-z]+", answer.lower()) if w in labels}
    return named.pop() if len(named) == 1 else None


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval for a share ``successes / n`` (95 % by default).

    Unlike the textbook ±1.96·√(p(1−p)/n) it stays inside [0, 1] and is honest near 0 % and 100 %.
    """
    if n <= 0:
        raise ValueError("a confidence interval needs at least one trial (n ≥ 1)")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n = {n}, got {successes}")
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def generate_answers(model, tokenizer, conversations: list[list[dict]], max_new_tokens: int = MAX_NEW_TOKENS,
                     batch_size: int = 16, progress: bool = True) -> list[str]:
    """Greedy answers to each conversation (ending with a user turn), in batches.

    The tokens every conversation starts with (the system prompt, and any few-shot examples) go
    through the model once; each batch continues from a copy of that KV cache, so only each post's
    own tokens are computed again. Rows are padded *between* that shared prefix and their own
    tokens, and the attention mask hides the padding (positions come from the mask). Conversations
    are batched by length, so a batch pads little; the answers come back in the order asked.
    """
    return [tokenizer.decode(ids, skip_special_tokens=True).strip()
            for ids, _ in _generate(model, tokenizer, conversations, max_new_tokens, batch_size, progress, False)]


def generate_with_logps(model, tokenizer, conversations: list[list[dict]], max_new_tokens: int = MAX_NEW_TOKENS,
                        batch_size: int = 16) -> list[tuple[str, list[int], float]]:
    """``generate_answers``, and for each answer its token ids and the model's log-probability of them.

    Each row is (answer text, the generated ids up to and including the first end token, the sum of
    log p(token) over those ids). The log-probabilities come from the logits ``generate`` computes
    anyway, so scoring the model's own answers costs no second forward pass.
    """
    return [(tokenizer.decode(ids, skip_special_tokens=True).strip(), ids, logp)
            for ids, logp in _generate(model, tokenizer, conversations, max_new_tokens, batch_size, False, True)]


def _generate(model, tokenizer, conversations, max_new_tokens, batch_size, progress, want_logps):
    """(generated ids up to the first end token, their summed log-prob or None) per conversation, in order."""
    import copy

    import torch
    from tqdm.std import tqdm  # a text bar: its final state is what a saved notebook shows

    if not conversations:
        return []
    texts = [tokenizer.apply_chat_template(c, add_generation_prompt=True, tokenize=False) for c in conversations]
    ids = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts]
    shared = _common_prefix_length(ids)  # ≥ 1 token of its own stays in every row
    prefix = ids[0][:shared]
    cache = None
    if shared:
        with torch.no_grad():
            cache = model(input_ids=torch.tensor([prefix], device=model.device), use_cache=True,
                          logits_to_keep=1).past_key_values  # only the cache is wanted, not the prefix's logits
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    ends = model.generation_config.eos_token_id
    ends = set(ends if isinstance(ends, list) else [ends if ends is not None else tokenizer.eos_token_id])
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    results: list = [None] * len(ids)
    for start in tqdm(range(0, len(order), batch_size), desc="generating", disable=not progress):
        rows = order[start:start + batch_size]
        width = max(len(ids[i]) for i in rows)
        input_ids = torch.tensor([prefix + [pad] * (width - len(ids[i])) + ids[i][shared:] for i in rows])
        mask = torch.tensor([[1] * shared + [0] * (width - len(ids[i])) + [1] * (len(ids[i]) - shared)
                             for i in rows])
        past = None
        if cache is not None:
            past = copy.deepcopy(cache)
            past.batch_repeat_interleave(len(rows))
        with torch.no_grad():
            out = model.generate(input_ids=input_ids.to(model.device), attention_mask=mask.to(model.device),
                                 past_key_values=past, max_new_tokens=max_new_tokens, do_sample=False,
                                 pad_token_id=pad, output_logits=want_logps, return_dict_in_generate=True)
            new = out.sequences[:, width:]
            if want_logps:  # log p of each chosen token, from the logits of the step that chose it
                logits = torch.stack(out.logits, dim=1).float()
                token_logps = torch.log_softmax(logits, -1).gather(-1, new[..., None]).squeeze(-1).cpu()
        for row, i in enumerate(rows):
            kept = new[row].tolist()
            n = next((k + 1 for k, t in enumerate(kept) if t in ends), len(kept))  # through the first end token
            results[i] = (kept[:n], float(token_logps[row, :n].sum()) if want_logps else None)
    return results


def _common_prefix_length(ids: list[list[int]]) -> int:
    """Length of the token prefix all sequences share, leaving each at least one token of its own."""
    limit = min(len(x) for x in ids) - 1
    n = 0
    while n < limit and all(x[n] == ids[0][n] for x in ids):
        n += 1
    return n


@dataclass
class Scores:
    n: int
    accuracy: float
    unparsed: float  # share of answers that named no label
    f1: dict[str, float]
    confusion: list[list[int]]  # rows: true label, columns: predicted label + "other"

    @property
    def interval(self) -> tuple[float, float]:
        """95 % Wilson interval of the accuracy."""
        return wilson_interval(round(self.accuracy * self.n), self.n)

    def summary(self, name: str) -> str:
        f1 = ", ".join(f"{k} {v:.2f}" for k, v in self.f1.items())
        low, high = self.interval
        return (f"{name}: accuracy {self.accuracy:.1%} (95% CI {low:.0%}–{high:.0%}) on {self.n} posts "
                f"({self.unparsed:.0%} answers named no label) · F1 {f1}")


def score(gold: list[str], answers: list[str], labels=LABELS) -> Scores:
    from sklearn.metrics import confusion_matrix, f1_score

    if not gold or len(gold) != len(answers):
        raise ValueError(f"score needs one answer per gold label, and at least one: got {len(gold)} labels "
                         f"and {len(answers)} answers")
    pred = [parse_label(a, labels) or "other" for a in answers]
    f1 = f1_score(gold, pred, labels=list(labels), average=None, zero_division=0)
    return Scores(
        n=len(gold),
        accuracy=sum(g == p for g, p in zip(gold, pred)) / len(gold),
        unparsed=pred.count("other") / len(pred),
        f1={label: round(float(v), 3) for label, v in zip(labels, f1)},
        confusion=confusion_matrix(gold, pred, labels=[*labels, "other"])[: len(labels)].tolist(),
    )


def plot_confusions(results: dict[str, Scores], labels=LABELS):
    """Confusion matrices side by side, one per named result."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(3.6 * len(results), 3.3), squeeze=False)
    cols = [*labels, "other"]
    for ax, (name, s) in zip(axes[0], results.items()):
        ax.imshow(s.confusion, cmap="Blues", vmin=0)
        for i, row in enumerate(s.confusion):
            for j, v in enumerate(row):
                ax.text(j, i, v, ha="center", va="center", color="white" if v > max(map(max, s.confusion)) / 2 else "black")
        ax.set_xticks(range(len(cols)), cols, rotation=30)
        ax.set_yticks(range(len(labels)), labels)
        ax.set(title=f"{name}\naccuracy {s.accuracy:.0%} (n={s.n})", xlabel="predicted", ylabel="true")
    fig.tight_layout()
    return fig


def majority_label(train_labels: list[str]) -> str:
    """The most frequent training label: what a model that ignores the post would always answer."""
    if not train_labels:
        raise ValueError("the majority baseline needs at least one training label")
    return max(sorted(set(train_labels)), key=train_labels.count)


def plot_accuracies(results: dict[str, Scores], gold: list[str], train_labels: list[str], labels=LABELS, ax=None):
    """Accuracy bars with 95 % Wilson intervals, beside two lines no model should fall below unnoticed:
    chance (a uniform guess among the labels) and the majority class of the training split, scored on ``gold``."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(1.6 + 1.3 * len(results), 3.2))
    names = list(results)
    acc = [results[n].accuracy for n in names]
    low, high = zip(*(results[n].interval for n in names))
    ax.bar(range(len(names)), acc, color="#4c72b0",
           yerr=[[a - lo for a, lo in zip(acc, low)], [hi - a for a, hi in zip(acc, high)]], capsize=4)
    for i, (a, hi) in enumerate(zip(acc, high)):
        ax.text(i, hi + 0.02, f"{a:.0%}", ha="center", fontsize=9)
    majority = majority_label(train_labels)
    chance, always = 1 / len(labels), gold.count(majority) / len(gold)
    if abs(chance - always) < 0.005:  # balanced labels: the two lines coincide, so draw one
        ax.axhline(chance, color="red", ls="--", label=f"chance = always '{majority}' ({chance:.0%})")
    else:
        ax.axhline(chance, color="grey", ls=":", label=f"chance ({chance:.0%})")
        ax.axhline(always, color="red", ls="--", label=f"always '{majority}' ({always:.0%})")
    ax.set_xticks(range(len(names)), [n.replace(", ", ",\n") for n in names], fontsize=8)
    ax.set(ylim=(0, 1), ylabel="accuracy", title=f"Accuracy on {len(gold)} posts, 95% Wilson intervals")
    ax.legend(fontsize=8, loc="upper left")
    return ax
