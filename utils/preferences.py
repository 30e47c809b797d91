"""Preference pairs (notebook 07): the data, the rules that judge an answer, and win rates.

- ``load_pairs``: ``datasets/preferences/pairs.jsonl``, every row checked against the data card;
- ``follows``: whether an answer follows its prompt's FORMAT rule (one word, a number only, three dash lines, ...);
- ``correct``: whether an answer has the right CONTENT (the gold word, number, list members, key idea, ...);
- ``good``: both — the joint judge the notebook counts wins with;
- ``win_rate``: model A against model B on the same prompts — a win where only A is good, a loss where only B
  is, a tie otherwise — with ties counted half and a 95 % bootstrap interval over prompts.

Which answer of a pair is better: compare ``(correct, follows)``; correctness first, then format. Each row's
``failure`` says how the rejected answer fails (``FAILURE_SHAPES`` gives the two pairs it implies).
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
FIELDS = ("id", "kind", "failure", "split", "prompt", "chosen", "rejected", "answer")
KINDS = ("one_word", "number", "list", "sentence", "grounded", "unknown")
FAILURES = ("format", "wrong_content", "invented", "wrong_number", "verbose_vs_wrong")
SPLITS = ("train", "validation", "test")
MAX_SENTENCE_WORDS = 30
# failure -> ((correct, follows) of chosen, (correct, follows) of rejected)
FAILURE_SHAPES = {
    "format": ((True, True), (True, False)),
    "wrong_content": ((True, True), (False, True)),
    "wrong_number": ((True, True), (False, True)),
    "invented": ((True, True), (False, False)),
    "verbose_vs_wrong": ((True, False), (False, True)),
}
FAILURE_KINDS = {"invented": ("unknown",), "wrong_number": ("grounded",)}  # failures limited to some kinds
_REFUSAL = re.compile(r"\bi\s+do\s*n[o']?t\s+know\b")  # "I don't know", "I do not know", "I dont know"
_NUMBER = re.compile(r"^[-+]?\$?\d[\d,]*(\.\d+)?\.?$")
_NUMBER_TOKEN = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?!\w)")
_ARTICLE = re.compile(r"^(?:a|an|the)\s+")


class PreferenceError(ValueError):
    """Bad input to a preference helper: a malformed pair, an unknown kind, mismatched lengths."""


def load_pairs(path: str | Path = PAIRS, split: str | None = None) -> list[dict]:
    """The pairs in file order (only ``split``'s when given), each checked: fields, kind, failure, the rules."""
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
            problem = check_row(row)
            if problem:
                problems.append(f"{path.name}:{n}: {problem}")
                continue
            rows.append(row)
    if problems:
        raise PreferenceError("; ".join(problems[:10]) + (f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""))
    return [r for r in rows if split is None or r["split"] == split]


def check_row(row) -> str | None:
    """What is wrong with one row (the data card's rules), or None."""
    if not isinstance(row, dict):
        return f"a row must be a JSON object with fields {list(FIELDS)}, got {type(row).__name__}"
    if set(row) != set(FIELDS):
        missing = [f for f in FIELDS if f not in row]
        extra = sorted(set(row) - set(FIELDS))
        return (f"row {row.get('id')!r}: fields must be {list(FIELDS)}"
                + (f"; add the missing {', '.join(map(repr, missing))}" if missing else "")
                + (f"; remove the unknown {', '.join(map(repr, extra))}" if extra else ""))
    name = f"row {row['id']!r}"
    if row["kind"] not in KINDS:
        return f"{name}: kind {row['kind']!r} is not one of {', '.join(KINDS)}"
    if row["failure"] not in FAILURES:
        return f"{name}: failure {row['failure']!r} is not one of {', '.join(FAILURES)}"
    if row["kind"] not in FAILURE_KINDS.get(row["failure"], KINDS):
        return (f"{name}: failure {row['failure']!r} is only for kind {' or '.join(FAILURE_KINDS[row['failure']])}, "
                f"not {row['kind']!r}")
    if row["split"] not in SPLITS:
        return f"{name}: split {row['split']!r} is not one of {', '.join(SPLITS)}"
    for key in ("prompt", "chosen", "rejected"):
        if not isinstance(row[key], str) or not row[key].strip():
            return f"{name}: {key} must be a non-empty string"
    answer = row["answer"]
    if not isinstance(answer, list) or not answer or not all(isinstance(a, str) and a.strip() for a in answer):
        return (f"{name}: answer must be a non-empty list of accepted gold strings, got {answer!r} "
                f"(for {row['kind']!r}: {_GOLD_HINT[row['kind']]})")
    want_chosen, want_rejected = FAILURE_SHAPES[row["failure"]]
    got_chosen = (correct(row, row["chosen"]), follows(row, row["chosen"]))
    got_rejected = (correct(row, row["rejected"]), follows(row, row["rejected"]))
    if (got_chosen, got_rejected) != (want_chosen, want_rejected):
        return (f"{name}: failure {row['failure']!r} expects (correct, follows) = {want_chosen} for chosen and "
                f"{want_rejected} for rejected, found {got_chosen} for chosen {row['chosen']!r} and {got_rejected} "
                f"for rejected {row['rejected']!r}: fix the answers or the failure label")
    return None


_GOLD_HINT = {
    "one_word": "the word and its accepted variants",
    "number": "the number as a string",
    "list": "the category's accepted members",
    "sentence": "key words, any of which a correct sentence contains",
    "grounded": "the value stated in the context",
    "unknown": "[\"I don't know\"]",
}


def _text(answer: str | None) -> str:
    return (answer or "").strip().replace("\u2019", "'").replace("\u2018", "'")


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s]


def _refuses(text: str) -> bool:
    return bool(_REFUSAL.search(text.lower()))


def follows(row: dict, answer: str) -> bool:
    """Whether ``answer`` follows the FORMAT rule of ``row``'s kind (content is ``correct``'s business)."""
    kind = row.get("kind")
    text = _text(answer)
    if kind == "one_word":
        return len(text.strip(".!\"'").split()) == 1
    if kind == "number":
        return bool(_NUMBER.match(text))
    if kind == "list":
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return len(lines) == 3 and all(line.startswith("- ") and len(line) > 2 for line in lines)
    if kind in ("sentence", "grounded"):
        one = len(_sentences(text)) == 1 and len(text.split()) <= MAX_SENTENCE_WORDS
        return one and (kind == "sentence" or not _refuses(text))
    if kind == "unknown":
        return _refuses(text)
    raise PreferenceError(f"unknown kind {kind!r}; choose from {', '.join(KINDS)}")


def _gold(row: dict) -> list[str]:
    gold = row.get("answer")
    if isinstance(gold, str):
        gold = [gold]
    if not gold:
        raise PreferenceError(f"a {row.get('kind')} row needs its 'answer' (a list of accepted gold strings) to be "
                              f"judged for content: {_GOLD_HINT.get(str(row.get('kind')), 'see the data card')}")
    return [_text(g).lower() for g in gold]


def _body(gold: str) -> str:
    return "(?:" + r"\s+".join(re.escape(w) for w in gold.rstrip(".").split()) + ")"


def _word(gold: str, plural: bool = False) -> str:
    """A pattern for ``gold`` as whole words (any whitespace between them), optionally with a plural (s, es, ies)."""
    body = _body(gold)
    if plural and re.search(r"[^aeiou]y$", gold.rstrip(".")):
        body = body[:-2] + "(?:y|ies))"  # "strawberry" or "strawberries"
    elif plural:
        body += "(?:e?s)?"
    return rf"(?<!\w){body}(?!\w)"


def _number(token: str) -> float | None:
    try:
        return float(token.replace(",", ""))
    except ValueError:
        return None


def _member(item: str, members: list[str]) -> str | None:
    """The gold member a dash line's text names (articles, a trailing period and a plural s/es tolerated)."""
    item = _ARTICLE.sub("", item.strip().rstrip(".").strip().lower())
    for m in members:
        if re.fullmatch(_word(m, plural=True), item):
            return m
    return None


def correct(row: dict, answer: str) -> bool:
    """Whether ``answer`` has the right CONTENT for ``row`` (its format is ``follows``' business)."""
    kind = row.get("kind")
    if kind not in KINDS:
        raise PreferenceError(f"unknown kind {kind!r}; choose from {', '.join(KINDS)}")
    text = _text(answer).lower()
    if kind == "unknown":
        return _refuses(text)
    gold = _gold(row)
    if kind in ("one_word", "sentence"):
        return any(re.search(_word(g, plural=kind == "sentence"), text) for g in gold)
    if kind == "number":
        wanted = {_number(g.lstrip("$")) for g in gold} - {None}
        return any(_number(t) in wanted for t in _NUMBER_TOKEN.findall(text))
    if kind == "grounded":
        # a whole token: "5" is not in "51 people", "9:00" is not in "19:00", "$12" is not in "$12.50"
        found = any(re.search(rf"(?<![\w:$.]){_body(g)}(?![\w:]|[.,]\d)", text) for g in gold)
        return found and not _refuses(text)
    # list
    lines = [line.strip() for line in text.splitlines()]
    dashed = [line[2:] for line in lines if line.startswith("- ")]
    named = [_member(item, gold) for item in dashed]
    if None in named or len(set(named)) != len(named):
        return False  # a dash line that is not a member, or a member twice
    rest, members = text, 0
    for m in sorted(gold, key=len, reverse=True):  # longest first: "herbal tea" before "tea"
        rest, hits = re.subn(_word(m, plural=True), " ", rest)
        members += 1 if hits else 0
    return members >= 3


def good(row: dict, answer: str) -> bool:
    """The joint judge: the answer follows the format rule AND has the right content."""
    return follows(row, answer) and correct(row, answer)


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


def win_rate(a_good: Sequence[bool], b_good: Sequence[bool], resamples: int = 2000, seed: int = 0) -> WinRate:
    """A against B, prompt by prompt: win = only A's answer is good, loss = only B's is; ties count half."""
    if len(a_good) != len(b_good):
        raise PreferenceError(f"{len(a_good)} judgements for A but {len(b_good)} for B: judge the same prompts")
    if not a_good:
        raise PreferenceError("no prompts to judge")
    scores = [1.0 if a and not b else 0.0 if b and not a else 0.5 for a, b in zip(a_good, b_good)]
    rng = random.Random(seed)
    n = len(scores)
    means = sorted(sum(rng.choices(scores, k=n)) / n for _ in range(resamples))
    wins = sum(s == 1.0 for s in scores)
    losses = sum(s == 0.0 for s in scores)
    return WinRate(wins, n - wins - losses, losses, sum(scores) / n,
                   means[int(0.025 * resamples)], means[int(0.975 * resamples) - 1])
