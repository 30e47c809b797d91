"""utils.preferences: the shipped pairs, the rule that judges answers, win rates — bad input included."""

import json
import subprocess
import sys

import pytest

import utils
from utils import preferences as P


def test_shipped_pairs_match_the_generator_and_the_card():
    out = subprocess.run([sys.executable, "datasets/preferences/generate.py", "--check"], cwd=utils.ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    rows = P.load_pairs()
    assert len(rows) >= 400
    assert {r["kind"] for r in rows} == set(P.KINDS)
    assert [len(P.load_pairs(split=s)) for s in P.SPLITS] == [374, 80, 82]


def test_no_item_crosses_the_splits():
    rows = P.load_pairs()
    by_prompt = {}
    for r in rows:
        item = r["prompt"].split("\nQuestion:")[0] if r["kind"] in ("grounded", "unknown") else r["prompt"]
        if r["kind"] == "list":
            item = r["prompt"].split(".")[0]  # "List three fruits"
        by_prompt.setdefault(item, set()).add(r["split"])
    assert all(len(splits) == 1 for splits in by_prompt.values())


def test_fourth_phrasing_is_test_only():
    rows = P.load_pairs()
    fourth = "Answer with one word"  # first phrasing, in every split
    assert any(fourth in r["prompt"] for r in rows if r["split"] == "train")
    test_only = "Give just one word as your answer."
    assert {r["split"] for r in rows if test_only in r["prompt"]} == {"test"}


@pytest.mark.parametrize("kind, answer, expected", [
    ("one_word", "Paris.", True),
    ("one_word", "\"Paris\"", True),
    ("one_word", "The capital is Paris.", False),
    ("one_word", "", False),
    ("number", "1,440", True),
    ("number", "12.", True),
    ("number", "$5", True),
    ("number", "The answer is 12.", False),
    ("number", "twelve", False),
    ("list", "- a\n- b\n- c", True),
    ("list", "- a\n\n- b\n- c\n", True),
    ("list", "1. a\n2. b\n3. c", False),
    ("list", "- a\n- b\n- c\n- d", False),
    ("list", "- a - b - c", False),
    ("list", "- a\n- \n- c", False),
    ("sentence", "A noun is a word that names a thing.", True),
    ("sentence", "A noun names a thing. It is a word.", False),
    ("sentence", " ".join(["word"] * 31) + ".", False),
    ("unknown", "I don't know.", True),
    ("unknown", "I don\u2019t know", True),
    ("unknown", "I do not know what time it opens.", True),
    ("unknown", "It opens at 9:00.", False),
])
def test_rule_by_kind(kind, answer, expected):
    assert P.follows({"kind": kind, "answer": None}, answer) is expected


@pytest.mark.parametrize("answer, expected", [
    ("It opened in 1987.", True),
    ("1987", True),
    ("It opened in 19870.", False),   # a whole token, not a substring
    ("It opened in 1988.", False),
    ("I don't know, maybe 1987.", False),  # a refusal is not an answer
])
def test_grounded_needs_the_context_answer_as_a_token(answer, expected):
    assert P.follows({"kind": "grounded", "answer": "1987"}, answer) is expected


def test_grounded_money_and_time_answers():
    assert P.follows({"kind": "grounded", "answer": "$5"}, "A ticket costs $5.")
    assert not P.follows({"kind": "grounded", "answer": "$5"}, "A ticket costs $51.")
    assert P.follows({"kind": "grounded", "answer": "9:00"}, "It opens at 9:00.")
    assert not P.follows({"kind": "grounded", "answer": "9:00"}, "It opens at 19:00.")


def test_unknown_kind_and_missing_gold_are_clear_errors():
    with pytest.raises(P.PreferenceError, match="unknown kind 'poem'"):
        P.follows({"kind": "poem", "answer": None}, "x")
    with pytest.raises(P.PreferenceError, match="needs its 'answer'"):
        P.follows({"kind": "grounded", "answer": None}, "x")


def _write(tmp_path, rows):
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join((json.dumps(r) if isinstance(r, dict) else r) + "\n" for r in rows), encoding="utf-8")
    return path


GOOD = {"id": "one_word-000", "kind": "one_word", "split": "train", "prompt": "Capital of France? One word.",
        "chosen": "Paris", "rejected": "It is Paris.", "answer": None}


def test_broken_rows_are_all_named_with_line_numbers(tmp_path):
    rows = [GOOD, "{not json", {**GOOD, "chosen": "It is Paris."}, {**GOOD, "rejected": "Paris"},
            {k: v for k, v in GOOD.items() if k != "answer"}, {**GOOD, "split": "dev"}, {**GOOD, "prompt": " "}]
    with pytest.raises(P.PreferenceError) as e:
        P.load_pairs(_write(tmp_path, rows))
    message = str(e.value)
    for expected in ("pairs.jsonl:2: not JSON", "pairs.jsonl:3: chosen answer", "pairs.jsonl:4: rejected answer",
                     "pairs.jsonl:5: fields must be", "pairs.jsonl:6: split 'dev'", "pairs.jsonl:7: prompt must be"):
        assert expected in message


def test_missing_file_and_unknown_split(tmp_path):
    with pytest.raises(P.PreferenceError, match="generate.py"):
        P.load_pairs(tmp_path / "nope.jsonl")
    with pytest.raises(P.PreferenceError, match="unknown split 'dev'"):
        P.load_pairs(split="dev")


def test_win_rate_counts_ties_half_and_brackets_the_rate():
    a = [True, True, True, False, False, True]
    b = [False, False, True, False, True, False]
    w = P.win_rate(a, b)
    assert (w.wins, w.ties, w.losses) == (3, 2, 1)
    assert w.rate == pytest.approx(4 / 6)
    assert w.low <= w.rate <= w.high
    assert P.win_rate(b, a).rate == pytest.approx(1 - w.rate)
    assert "3 wins, 2 ties, 1 losses of 6" in str(w)


def test_win_rate_bad_input():
    with pytest.raises(P.PreferenceError, match="3 judgements for A but 2 for B"):
        P.win_rate([True] * 3, [True] * 2)
    with pytest.raises(P.PreferenceError, match="no prompts"):
        P.win_rate([], [])
