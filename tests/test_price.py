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


# ---- curation ----

def test_clean_text_strips_html_and_repeated_boilerplate():
    assert price.clean_text("<ul><li>Holds 2 L</li><li>Quiet</li></ul>&nbsp;<br/>") == "Holds 2 L Quiet"
    padded = "Holds 2 L. " + "Returns within 30 days. Keep your receipt. " * 5
    assert price.clean_text(padded) == "Holds 2 L. Returns within 30 days. Keep your receipt."
    assert price.clean_text("  a  &amp;  b ") == "a & b"
    assert price.clean_text("") == ""
    with pytest.raises(TypeError, match="as a str"):
        price.clean_text(None)


def test_dedupe_key_joins_the_generators_near_duplicates_and_nothing_else():
    row = {"title": "Voltrix Power Bank 5000mAh", "description": "<p>Holds 5000mAh.</p>", "price": 13.0}
    for title in ("VOLTRIX POWER BANK 5000MAH", "NEW! Voltrix Power Bank 5000mAh", "Voltrix  Power  Bank 5000mAh",
                  "Voltrix Power Bank 5000mAh - Free Shipping"):
        assert price.dedupe_key({**row, "title": title, "price": 13.13}) == price.dedupe_key(row)
    assert price.dedupe_key({**row, "title": "Voltrix Power Bank 10000mAh"}) != price.dedupe_key(row)


def test_the_curated_dataset_keeps_one_copy_of_each_listing_and_no_bad_price():
    rows = price.load_listings()
    tokenizer = _word_tokenizer()
    splits = price.curate(rows, tokenizer, max_description_tokens=48, seed=0)
    kept = [r for s in splits.values() for r in s]
    by_id = {r["id"]: r for r in rows}
    assert not price.crossing_duplicates(splits)
    assert all(r["price"] and "absurd price" not in r["mess"] for r in kept)  # every bad price is gone
    # one row per original listing: the generator's copies share its raw description and noise-free price
    def original(r):
        return by_id[r["id"]]["description"], by_id[r["id"]]["noise_free_price"], _plain_title(r["title"])

    priced = [r for r in rows if r["price"] and "absurd price" not in r["mess"]]
    assert len({original(r) for r in kept}) == len(kept) == len({original(r) for r in priced})
    clean = [r for r in rows if not r["mess"]]
    assert len(kept) >= 0.97 * len(clean)  # little that is clean is lost
    assert all(len(r["description"].split()) <= 48 for r in kept)
    sizes = {n: len(s) for n, s in splits.items()}
    assert sizes["train"] > 4 * sizes["test"] > 0 and abs(sizes["validation"] - sizes["test"]) <= 5
    assert splits == price.curate(rows, tokenizer, max_description_tokens=48, seed=0)  # the same every time


def test_price_outliers_compare_with_look_alikes():
    rows = [{"title": f"Acme Lamp {w} W", "price": 20.0 + w} for w in range(5, 30)]
    rows += [{"title": "Acme Lamp 12 W", "price": 3200.0}, {"title": "Acme Lamp 13 W", "price": 0.01}]
    assert price.price_outliers(rows) == [False] * 25 + [True, True]
    with pytest.raises(price.PriceError, match="drop the listings without one"):
        price.price_outliers([*rows, {"title": "x", "price": None}])
    with pytest.raises(price.PriceError, match="more than 10 listings"):
        price.price_outliers(rows[:5])


def test_split_by_category_keeps_the_mix_and_rejects_bad_shares():
    rows = [{"id": f"p{i:03d}", "category": "AB"[i % 2], "title": str(i), "description": ""} for i in range(200)]
    splits = price.split_by_category(rows, seed=1)
    assert [len(splits[n]) for n in price.SPLITS] == [140, 30, 30]
    assert sum(r["category"] == "A" for r in splits["test"]) == 15
    assert sorted(r["id"] for s in splits.values() for r in s) == sorted(r["id"] for r in rows)
    with pytest.raises(price.PriceError, match="sum to 1"):
        price.split_by_category(rows, shares=(0.8, 0.3, 0.1))
    with pytest.raises(price.PriceError, match="validation split is empty"):
        price.split_by_category(rows[:2], seed=1)


def test_crossing_duplicates_finds_a_copy_on_both_sides():
    a = {"title": "Acme Lamp", "description": "Bright."}
    assert price.crossing_duplicates({"train": [a], "test": [{**a, "title": "NEW! Acme Lamp"}]}) == ["acme lamp bright"]
    assert price.crossing_duplicates({"train": [a], "test": []}) == []


def test_cap_tokens_cuts_at_a_token_boundary():
    tokenizer = _word_tokenizer()
    assert price.cap_tokens(tokenizer, "one two three four", 2) == "one two"
    assert price.cap_tokens(tokenizer, "one two", 5) == "one two"
    assert price.cap_tokens(tokenizer, "one two", 0) == ""
    with pytest.raises(price.PriceError, match="0 or more"):
        price.cap_tokens(tokenizer, "one", -1)


def _plain_title(title):
    return " ".join(title.lower().removeprefix("new! ").removesuffix(" - free shipping").split())


def _word_tokenizer():
    """A stand-in with the fast tokenizers' call signature: one token per whitespace-separated word."""
    import re

    def tokenize(text, add_special_tokens=False, return_offsets_mapping=False):
        spans = [m.span() for m in re.finditer(r"\S+", text)]
        return {"input_ids": list(range(len(spans))), "offset_mapping": spans}

    return tokenize
