"""Price estimation from a product description (notebook 08): the listings, a robust price parser, the metrics.

- ``load_listings``: ``datasets/products/listings.jsonl`` with every row checked against the data card;
- ``parse_price``: the dollar amount in a model's free-form answer ("Price is $1,299.99", "about 45 dollars"),
  or None when it names none;
- ``score``: the measures every model in the notebook is judged by — mean absolute error in dollars, the share
  of estimates within 20 % or $20 of the true price, and the error by price band — one function for all;
- ``bootstrap_interval``: a 95 % interval for a mean (the MAE, a paired difference), by resampling the test rows.
"""

from __future__ import annotations

import html
import json
import math
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import DATASETS

LISTINGS = DATASETS / "products" / "listings.jsonl"
FIELDS = ("id", "title", "category", "description", "price", "noise_free_price", "mess")
BANDS = ((0, 25), (25, 50), (50, 100), (100, 250), (250, 500), (500, math.inf))


class PriceError(ValueError):
    """Bad input to a price helper: a malformed listing, an empty split, mismatched lengths."""


def load_listings(path: str | Path = LISTINGS) -> list[dict]:
    """Every listing, in file order, each with exactly the data card's fields (a price may be None or 0: the mess)."""
    path = Path(path)
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            row = json.loads(line)
            if set(row) != set(FIELDS):
                raise PriceError(f"{path.name} line {n}: fields {sorted(row)}, expected {sorted(FIELDS)}")
            if row["price"] is not None and not isinstance(row["price"], (int, float)):
                raise PriceError(f"{path.name} line {n}: price {row['price']!r} is neither a number nor null")
            rows.append(row)
    if not rows:
        raise PriceError(f"{path} holds no listings")
    return rows


_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_AMOUNT = re.compile(rf"\$\s*({_NUMBER})|({_NUMBER})\s*(?:us\s*)?(?:dollars?|usd|bucks)\b|(?:usd|us\$)\s*({_NUMBER})",
                     re.I)
_BARE = re.compile(rf"(?<![\w.])({_NUMBER})(?!\w|\.\d)")


def parse_price(answer: str) -> float | None:
    """The first dollar amount in ``answer``; failing that, its first number; None if it has neither.

    "Price is $1,299.99" -> 1299.99; "about 45 dollars" -> 45.0; "USD 30" -> 30.0; "$20-$30" -> 20.0 (the first
    amount, not a guess between); "I cannot tell" -> None. A number glued to letters ("4K", "2nd") is no price.
    """
    if not isinstance(answer, str):
        raise TypeError(f"expected the model's answer as a str, not {type(answer).__name__}")
    match = _AMOUNT.search(answer) or _BARE.search(answer)
    if match is None:
        return None
    number = next(g for g in match.groups() if g)
    return float(number.replace(",", ""))


@dataclass(frozen=True)
class Scores:
    n: int
    mae: float  # mean absolute error, dollars
    within: float  # share of estimates within 20 % or $20 of the truth, whichever is larger
    unparsed: int  # estimates that were None and were replaced by the fallback
    by_band: dict[str, float] = field(default_factory=dict)  # MAE per true-price band ("$25–50": ...)
    errors: tuple[float, ...] = ()  # absolute error per row, for intervals and plots

    def __str__(self) -> str:
        extra = f", {self.unparsed} unparsed" if self.unparsed else ""
        return f"MAE ${self.mae:,.2f}, within 20 % or $20: {self.within:.0%} (n={self.n}{extra})"


def band_name(low: float, high: float) -> str:
    return f"${low:g}+" if math.isinf(high) else f"${low:g}–{high:g}"


def is_close(estimate: float, truth: float) -> bool:
    """Within 20 % of the true price or within $20, whichever is more generous (cheap items get the $20)."""
    return abs(estimate - truth) <= max(0.2 * truth, 20.0)


def score(estimates: Sequence[float | None], truths: Sequence[float], fallback: float | None = None) -> Scores:
    """The notebook's measures for one model. ``None`` estimates (an answer with no number) need a ``fallback``.

    The fallback (e.g. the training median) is what a system would show when the model gives no number, so
    unparsed answers are scored as that, and counted, never dropped.
    """
    if len(estimates) != len(truths):
        raise PriceError(f"need one estimate per true price: {len(estimates)} estimates, {len(truths)} prices")
    if not truths:
        raise PriceError("nothing to score: the split is empty")
    if any(t is None or not t > 0 for t in truths):
        raise PriceError("every true price must be a positive number: drop listings without a price first")
    unparsed = sum(e is None for e in estimates)
    if unparsed and fallback is None:
        raise PriceError(f"{unparsed} estimates are None (no number in the answer): pass fallback=, e.g. the "
                         "training split's median price")
    default = 0.0 if fallback is None else float(fallback)  # only used when fallback was given
    filled = [default if e is None else float(e) for e in estimates]
    if any(not math.isfinite(e) for e in filled):
        raise PriceError("an estimate is not a finite number")
    errors = [abs(e - t) for e, t in zip(filled, truths)]
    by_band = {}
    for low, high in BANDS:
        band = [err for err, t in zip(errors, truths) if low <= t < high]
        if band:
            by_band[band_name(low, high)] = sum(band) / len(band)
    within = sum(is_close(e, t) for e, t in zip(filled, truths)) / len(truths)
    return Scores(len(truths), sum(errors) / len(errors), within, unparsed, by_band, tuple(errors))


def bootstrap_interval(values: Sequence[float], n_resamples: int = 2000, seed: int = 0,
                       level: float = 0.95) -> tuple[float, float]:
    """A percentile bootstrap interval for the mean of ``values`` (e.g. ``Scores.errors``, or paired differences):
    resample them with replacement ``n_resamples`` times, and take the middle ``level`` of the resamples' means."""
    import numpy as np

    if len(values) == 0:
        raise PriceError("a bootstrap needs at least one value")
    if not 0 < level < 1:
        raise PriceError(f"level is a probability in (0, 1), not {level!r}")
    v = np.asarray(values, dtype=float)
    picks = np.random.default_rng(seed).integers(0, len(v), size=(n_resamples, len(v)))
    stats = np.sort(v[picks].mean(axis=1)).tolist()  # all resamples at once: milliseconds, not a second per call
    tail = (1 - level) / 2
    return stats[int(tail * n_resamples)], stats[min(n_resamples - 1, int((1 - tail) * n_resamples))]


# ---- curation (notebook 08's steps, in one place for bench/price_seeds.py; the notebook asserts it agrees) ----

_TAG = re.compile(r"<[^>]+>")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_PROMO = re.compile(r"^\s*new!\s*|\s*-\s*free shipping\s*$", re.I)


def clean_text(text: str) -> str:
    """A description as plain text: HTML tags and entities out, whitespace collapsed, repeated sentences once.

    "<p>Holds 2 L.</p><p>Holds 2 L.</p>&nbsp;" -> "Holds 2 L." (a paragraph pasted nine times is read once).
    """
    if not isinstance(text, str):
        raise TypeError(f"expected a description as a str, not {type(text).__name__}")
    text = html.unescape(_TAG.sub(" ", text)).replace("\xa0", " ")
    text = re.sub(r"\s+", " ", text).strip()
    sentences = list(dict.fromkeys(s for s in _SENTENCE.split(text) if s))  # first occurrence of each, in order
    return " ".join(sentences)


def dedupe_key(row: dict) -> str:
    """What two copies of one listing share: the title without shop promotions, and the cleaned description,
    lower-cased, with only letters and digits. Price and id play no part (a re-listing changes both)."""
    title = _PROMO.sub("", row["title"])
    return re.sub(r"[^a-z0-9]+", " ", f"{title} {clean_text(row['description'])}".lower()).strip()


def price_outliers(rows: Sequence[dict], factor: float = 10.0, neighbours: int = 10) -> list[bool]:
    """For each row, whether its price is under $1 or more than ``factor`` × off the median price of the
    ``neighbours`` listings whose titles are most alike (TF-IDF cosine): a lost decimal point, a placeholder.

    Comparing with look-alikes, not with the category, matters: a lawn mower at 25× the garden median is normal.
    """
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    if any(not r.get("price") or r["price"] <= 0 for r in rows):
        raise PriceError("price_outliers needs positive prices: drop the listings without one first")
    if len(rows) <= neighbours:
        raise PriceError(f"need more than {neighbours} listings to compare each with its {neighbours} neighbours")
    titles = TfidfVectorizer(ngram_range=(1, 2)).fit_transform([r["title"] for r in rows])
    similar = (titles @ titles.T).toarray()
    np.fill_diagonal(similar, -1.0)  # a listing is not its own neighbour
    log_price = np.log([r["price"] for r in rows])
    nearest = np.argsort(-similar, axis=1, kind="stable")[:, :neighbours]
    off = np.abs(log_price - np.median(log_price[nearest], axis=1))
    return [bool(r["price"] < 1.0 or o > math.log(factor)) for r, o in zip(rows, off.tolist())]


def cap_tokens(tokenizer, text: str, max_tokens: int) -> str:
    """``text`` cut after its first ``max_tokens`` tokens of ``tokenizer``, at a character boundary (unchanged if
    shorter): what fits the context, measured in the units the model reads."""
    if max_tokens < 0:
        raise PriceError(f"max_tokens must be 0 or more, not {max_tokens}")
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    if len(enc["input_ids"]) <= max_tokens:
        return text
    return text[:enc["offset_mapping"][max_tokens - 1][1]].rstrip() if max_tokens else ""


SPLITS = ("train", "validation", "test")


def split_by_category(rows: Sequence[dict], shares: tuple[float, float, float] = (0.7, 0.15, 0.15),
                      seed: int = 0) -> dict[str, list[dict]]:
    """Train / validation / test with each category in the same proportions (shuffled by ``seed``, per category).

    De-duplicate *before* calling this: a copy on each side of a split is a test answer seen in training.
    """
    if len(shares) != 3 or any(s <= 0 for s in shares) or not math.isclose(sum(shares), 1.0):
        raise PriceError(f"shares are three positive fractions that sum to 1 (train, validation, test), not {shares}")
    out: dict[str, list[dict]] = {name: [] for name in SPLITS}
    rng = random.Random(seed)
    for category in sorted({r["category"] for r in rows}):
        group = sorted((r for r in rows if r["category"] == category), key=lambda r: r["id"])
        rng.shuffle(group)
        n_train, n_val = round(shares[0] * len(group)), round(shares[1] * len(group))
        out["train"] += group[:n_train]
        out["validation"] += group[n_train:n_train + n_val]
        out["test"] += group[n_train + n_val:]
    for name in SPLITS:
        if not out[name]:
            raise PriceError(f"the {name} split is empty: {len(rows)} listings are too few for shares {shares}")
        rng.shuffle(out[name])  # categories mixed, not in blocks
    return out


def crossing_duplicates(splits: Mapping[str, Sequence[dict]]) -> list[str]:
    """The ``dedupe_key``s found in more than one split (should be none)."""
    seen: dict[str, set[str]] = {}
    for name, rows in splits.items():
        for r in rows:
            seen.setdefault(dedupe_key(r), set()).add(name)
    return sorted(k for k, names in seen.items() if len(names) > 1)


def curate(rows: Sequence[dict], tokenizer, max_description_tokens: int, seed: int = 0,
           outlier_factor: float = 10.0, shares: tuple[float, float, float] = (0.7, 0.15, 0.15)
           ) -> dict[str, list[dict]]:
    """Notebook 08's curation in one call: priced rows only, no price outliers, cleaned and capped descriptions,
    one copy of each listing (first kept), then ``split_by_category``. The notebook does it step by step."""
    priced = [r for r in rows if r["price"] is not None and r["price"] > 0]
    kept = [r for r, bad in zip(priced, price_outliers(priced, outlier_factor)) if not bad]
    cleaned = [{**r, "description": clean_text(r["description"])} for r in kept]
    unique: dict[str, dict] = {}
    for r in cleaned:
        unique.setdefault(dedupe_key(r), r)  # the first copy of each listing
    capped = [{**r, "description": cap_tokens(tokenizer, r["description"], max_description_tokens)}
              for r in unique.values()]
    return split_by_category(capped, shares=shares, seed=seed)
