"""Ask a chat model for labels in batches, and score the answers.

Shared by notebook 03 (prompting baselines) and 04 (the fine-tuned model).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .data import LABELS


def parse_label(answer: str, labels=LABELS) -> str | None:
    """The label an answer gives: its first word if that is a label, else None (counted as wrong)."""
    words = re.findall(r"[a-z]+", answer.lower())
    return words[0] if words and words[0] in labels else None


def generate_answers(model, tokenizer, conversations: list[list[dict]], max_new_tokens: int = 4,
                     batch_size: int = 16, progress: bool = True) -> list[str]:
    """Greedy answers to each conversation (ending with a user turn), in batches.

    The tokens every conversation starts with (the system prompt, and any few-shot examples) go
    through the model once; each batch continues from a copy of that KV cache, so only each post's
    own tokens are computed again. Rows are padded *between* that shared prefix and their own
    tokens, and the attention mask hides the padding (positions come from the mask). Conversations
    are batched by length, so a batch pads little; the answers come back in the order asked.
    """
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
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    answers: list[str] = [""] * len(ids)
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
                                 pad_token_id=pad)
        for i, answer in zip(rows, tokenizer.batch_decode(out[:, width:], skip_special_tokens=True)):
            answers[i] = answer.strip()
    return answers


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

    def summary(self, name: str) -> str:
        f1 = ", ".join(f"{k} {v:.2f}" for k, v in self.f1.items())
        return (f"{name}: accuracy {self.accuracy:.1%} on {self.n} posts "
                f"({self.unparsed:.0%} answers named no label) · F1 {f1}")


def score(gold: list[str], answers: list[str], labels=LABELS) -> Scores:
    from sklearn.metrics import confusion_matrix, f1_score

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
