"""utils.price: the listings against their data card and generator, the answer parser, the shared metrics."""

import json
import subprocess
import sys

import pytest

import utils
from utils import price


def test_listings_are_what_the_seeded_generator_writes():
    out = subprocess.run([sys.executable, "datasets/products/generate.py", "--check"], cwd=utils.ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr


def test_listings_match_the_data_card():
    rows = price.load_listings()
    assert len(rows) >= 2000 and len({r["id"] for r in rows}) == len(rows)
    cats = {r["category"] for r in rows}
    assert cats == {"Electronics", "Appliances", "Home", "Automotive", "Garden"}
    mess = {m for r in rows for m in r["mess"]}
    assert mess == {"html", "long", "short", "no price", "zero price", "absurd price", "exact duplicate",
                    "near duplicate"}
    assert any(r["price"] is None for r in rows) and any(r["price"] == 0 for r in rows)
    assert all(r["noise_free_price"] > 0 for r in rows)


def test_a_malformed_listing_is_a_clear_error(tmp_path):
    bad = tmp_path / "listings.jsonl"
    bad.write_text(json.dumps({"id": "p1", "title": "x", "price": 3}) + "\n")
    with pytest.raises(price.PriceError, match="line 1: fields"):
        price.load_listings(bad)
    row = dict.fromkeys(price.FIELDS, "")
    bad.write_text(json.dumps({**row, "price": "$12"}) + "\n")
    with pytest.raises(price.PriceError, match="neither a number nor null"):
        price.load_listings(bad)
    bad.write_text("\n")
    with pytest.raises(price.PriceError, match="no listings"):
        price.load_listings(bad)


@pytest.mark.parametrize("answer, expected", [
    ("Price is $1,299.99", 1299.99),
    ("Price is $45", 45.0),
    ("It costs about 45 dollars.", 45.0),
    ("USD 30", 30.0),
    ("$ 12.50 plus shipping", 12.5),
    ("$20-$30", 20.0),
    ("A 4K monitor, 27 inch: $310", 310.0),  # the dollar amount beats earlier bare numbers
    ("I would say 89.", 89.0),
    ("Between 2nd and 4K models", None),  # numbers glued to letters are not prices
    ("I cannot tell.", None),
    ("", None),
])
def test_parse_price(answer, expected):
    assert price.parse_price(answer) == expected


def test_parse_price_bad_input():
    with pytest.raises(TypeError, match="as a str"):
        price.parse_price(None)


def test_score_by_hand():
    s = price.score([110.0, 50.0, 10.0, 1000.0], [100.0, 80.0, 25.0, 600.0])
    assert s.mae == pytest.approx((10 + 30 + 15 + 400) / 4)
    assert s.within == pytest.approx(2 / 4)  # 110 vs 100 (10 %), 10 vs 25 ($15); not 50 vs 80, not 1000 vs 600
    assert s.by_band == pytest.approx({"$25–50": 15.0, "$50–100": 30.0, "$100–250": 10.0, "$500+": 400.0})
    assert s.errors == (10.0, 30.0, 15.0, 400.0) and s.unparsed == 0
    assert "MAE $113.75" in str(s)


def test_unparsed_answers_need_a_fallback_and_are_counted():
    with pytest.raises(price.PriceError, match="pass fallback="):
        price.score([None, 10.0], [20.0, 10.0])
    s = price.score([None, 10.0], [20.0, 10.0], fallback=15.0)
    assert (s.unparsed, s.mae) == (1, 2.5) and "1 unparsed" in str(s)


@pytest.mark.parametrize("estimates, truths, match", [
    ([], [], "split is empty"),
    ([1.0], [1.0, 2.0], "one estimate per true price"),
    ([1.0], [None], "positive number"),
    ([1.0], [0.0], "positive number"),
    ([float("nan")], [3.0], "finite"),
])
def test_score_bad_input(estimates, truths, match):
    with pytest.raises(price.PriceError, match=match):
        price.score(estimates, truths)


def test_bootstrap_interval_brackets_the_mean_and_narrows_with_n():
    values = [float(v % 17) for v in range(400)]
    low, high = price.bootstrap_interval(values, seed=1)
    mean = sum(values) / len(values)
    assert low < mean < high
    low_small, high_small = price.bootstrap_interval(values[:40], seed=1)
    assert high_small - low_small > high - low
    assert price.bootstrap_interval([5.0, 5.0, 5.0]) == (5.0, 5.0)
    with pytest.raises(price.PriceError, match="at least one value"):
        price.bootstrap_interval([])
    with pytest.raises(price.PriceError, match="level"):
        price.bootstrap_interval([1.0], level=95)
