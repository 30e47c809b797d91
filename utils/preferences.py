"""Preference pairs (notebook 07): the data, the rule that judges an answer, and win rates.

- ``load_pairs``: ``datasets/preferences/pairs.jsonl``, every row checked against the data card;
- ``follows``: whether an answer follows its prompt's rule (the data card's rule, written as code), so wins
  can be counted without a human;
- ``win_rate``: model A against model B on the same prompts — a win where only A follows the rule, a loss where
  only B does, a tie otherwise — with ties counted half and a 95 % bootstrap interval over prompts.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from . import DATASETS

PAIRS = DATASETS / "preferences" / "pairs.jsonl"
FIELDS = ("id", "kind", "split", "prompt", "chosen", "rejected", "answer")
KINDS = ("one_word", "number", "list", "sentence", "grounded", "unknown")
SPLITS = ("train", "validation", "test")
MAX_SENTENCE_WORDS = 30
_REFUSAL = re.compile(r"\bi\s+do\s*n[o']?t\s+know\b")  # "I don't know", "I do not know", "I dont know"
_NUMBER = re.compile(r"^[-+]?\$?\d[\d,]*(\.\d+)?\.?$")


class PreferenceError(ValueError):
    """Bad input to a preference helper: a malformed pair, an unknown kind, mismatched lengths."""


def load_pairs(path: str | Path = PAIRS, split: str | None = None) -> list[dict]:
    """The pairs in file order (only ``split``'s when given), each checked: fields, kind, split, the rule."""
    if split is not None and split not in SPLITS:
        raise PreferenceError(f"unknown split {split!r}; choose from {', '.join(SPLITS)}")
    path = Path(path)
    if not path.is_file():
        raise PreferenceError(f"{path} not found: run `python datasets/preferences/generate.py` to write it")
    rows, problems = [], []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                problems.append(f"{path.name}:{n}: not JSON ({e.msg})")
                continue
            problem = _problem(row)
            if problem:
                problems.append(f"{path.name}:{n}: {problem}")
                continue
            rows.append(row)
    if problems:
        raise PreferenceError("; ".join(problems[:10]) + (f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""))
    return [r for r in rows if split is None or r["split"] == split]


def _problem(row) -> str | None:
    if not isinstance(row, dict) or set(row) != set(FIELDS):
        got = sorted(row) if isinstance(row, dict) else type(row).__name__
        return f"fields must be {list(FIELDS)}, got {got}"
    if row["kind"] not in KINDS:
        return f"kind {row['kind']!r} is not one of {', '.join(KINDS)}"
    if row["split"] not in SPLITS:
        return f"split {row['split']!r} is not one of {', '.join(SPLITS)}"
    for key in ("prompt", "chosen", "rejected"):
        if not isinstance(row[key], str) or not row[key].strip():
            return f"{key} must be a non-empty string"
    if row["kind"] == "grounded" and not row["answer"]:
        return "a grounded pair needs its answer (the span of the context the chosen answer must contain)"
    if not follows(row, row["chosen"]):
        return f"chosen answer {row['chosen']!r} breaks the {row['kind']} rule"
    if follows(row, row["rejected"]):
        return f"rejected answer {row['rejected']!r} follows the {row['kind']} rule: it must break it"
    return None


def follows(row: dict, answer: str) -> bool:
    """Whether ``answer`` follows the rule of ``row``'s kind (the data card states each rule in words)."""
    kind = row.get("kind")
    text = (answer or "").strip().replace("\u2019", "'")
    if kind == "one_word":
        return len(text.strip(".!\"'").split()) == 1
    if kind == "number":
        return bool(_NUMBER.match(text))
    if kind == "list":
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return len(lines) == 3 and all(line.startswith("- ") and len(line) > 2 for line in lines)
    if kind == "sentence":
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if s]
        return len(sentences) == 1 and len(text.split()) <= MAX_SENTENCE_WORDS
    refuses = bool(_REFUSAL.search(text.lower()))
    if kind == "grounded":
        gold = row.get("answer")
        if not gold:
            raise PreferenceError("a grounded row needs its 'answer' to be judged")
        # the answer as a whole token: "5" is not in "51 people", "9:00" is in "at 9:00."
        return not refuses and re.search(rf"(?<![\w:$]){re.escape(gold.lower())}(?![\w:])", text.lower()) is not None
    if kind == "unknown":
        return refuses
    raise PreferenceError(f"unknown kind {kind!r}; choose from {', '.join(KINDS)}")


@dataclass(frozen=True)
class WinRate:
    wins: int
    ties: int
    losses: int
    rate: float  # (wins + ties / 2) / n
    low: float
    high: float

    @property
    def n(self) -> int:
        return self.wins + self.ties + self.losses

    def __str__(self) -> str:
        return (f"{self.rate:.0%} (95 % CI {self.low:.0%}–{self.high:.0%}; {self.wins} wins, {self.ties} ties, "
                f"{self.losses} losses of {self.n})")


def win_rate(a_follows: Sequence[bool], b_follows: Sequence[bool], resamples: int = 2000, seed: int = 0) -> WinRate:
    """A against B, prompt by prompt: win = only A follows the rule, loss = only B does; ties count half."""
    if len(a_follows) != len(b_follows):
        raise PreferenceError(f"{len(a_follows)} judgements for A but {len(b_follows)} for B: judge the same prompts")
    if not a_follows:
        raise PreferenceError("no prompts to judge")
    scores = [1.0 if a and not b else 0.0 if b and not a else 0.5 for a, b in zip(a_follows, b_follows)]
    rng = random.Random(seed)
    n = len(scores)
    means = sorted(sum(rng.choices(scores, k=n)) / n for _ in range(resamples))
    wins = sum(s == 1.0 for s in scores)
    losses = sum(s == 0.0 for s in scores)
    return WinRate(wins, n - wins - losses, losses, sum(scores) / n,
                   means[int(0.025 * resamples)], means[int(0.975 * resamples) - 1])
