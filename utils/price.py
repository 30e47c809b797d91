"""Price estimation from a product description (notebook 08): the listings, a robust price parser, the metrics.

- ``load_listings``: ``datasets/products/listings.jsonl`` with every row checked against the data card;
- ``parse_price``: the dollar amount in a model's free-form answer ("Price is $1,299.99", "about 45 dollars"),
  or None when it names none;
- ``score``: the measures every model in the notebook is judged by — mean absolute error in dollars, the share
  of estimates within 20 % or $20 of the true price, and the error by price band — one function for all;
- ``bootstrap_interval``: a 95 % interval for any of those figures, by resampling the test rows.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Callable, Sequence
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


def bootstrap_interval(values: Sequence[float], statistic: Callable[[Sequence[float]], float] | None = None,
                       n_resamples: int = 2000, seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """A percentile bootstrap interval for ``statistic`` (the mean by default) of ``values``, e.g. ``Scores.errors``."""
    if not values:
        raise PriceError("a bootstrap needs at least one value")
    if not 0 < level < 1:
        raise PriceError(f"level is a probability in (0, 1), not {level!r}")
    statistic = statistic or (lambda v: sum(v) / len(v))
    rng = random.Random(seed)
    n = len(values)
    stats = sorted(statistic([values[rng.randrange(n)] for _ in range(n)]) for _ in range(n_resamples))
    tail = (1 - level) / 2
    return stats[int(tail * n_resamples)], stats[min(n_resamples - 1, int((1 - tail) * n_resamples))]
