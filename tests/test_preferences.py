"""utils.preferences: the shipped pairs, the format and content rules, win rates — bad input included."""

import json
import re
import subprocess
import sys
from collections import Counter

import pytest

import utils
from utils import preferences as P


@pytest.fixture(scope="module")
def rows():
    return P.load_pairs()


def test_shipped_pairs_match_the_generator_and_the_card(rows):
    out = subprocess.run([sys.executable, "datasets/preferences/generate.py", "--check"], cwd=utils.ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert len(rows) == 540
    assert Counter(r["kind"] for r in rows) == {k: 90 for k in P.KINDS}
    assert [len(P.load_pairs(split=s)) for s in P.SPLITS] == [377, 79, 84]
    assert all(isinstance(r["answer"], list) and r["answer"] for r in rows)


def test_no_duplicate_prompts(rows):
    counts = Counter(r["prompt"] for r in rows)
    assert [p for p, n in counts.items() if n > 1] == []


def _item(r):
    if r["kind"] in ("grounded", "unknown"):
        return r["prompt"].split("\nQuestion:")[0]
    if r["kind"] == "list":
        return re.match(r"(?:List|Name) three (.*?)\. ", r["prompt"]).group(1)  # the category
    if r["kind"] == "number":
        return tuple(sorted(re.findall(r"\d+", r["prompt"].split("?")[0])))  # "9 minus 3" however worded
    return r["prompt"].split("?")[0]


def test_no_item_crosses_the_splits(rows):
    splits = {}
    for r in rows:
        splits.setdefault((r["kind"], _item(r)), set()).add(r["split"])
    crossing = {k: v for k, v in splits.items() if len(v) > 1 and k[0] != "number"}
    assert crossing == {}


def test_every_failure_type_appears_in_train_and_test(rows):
    for split in ("train", "test"):
        assert {r["failure"] for r in rows if r["split"] == split} == set(P.FAILURES)


def test_test_wording_is_held_out(rows):
    test_only = "Give just one word as your answer."
    assert {r["split"] for r in rows if test_only in r["prompt"]} == {"test"}
    assert any("Answer with one word" in r["prompt"] for r in rows if r["split"] == "train")
    # a held-out closer or refusal appears in test and never in train
    for phrase in ("Have a great day!", "I don't know. The passage leaves that out."):
        seen = {r["split"] for r in rows if phrase in r["chosen"] or phrase in r["rejected"]}
        assert "train" not in seen


def test_failure_labels_agree_with_the_judges(rows):
    for r in rows:
        want_chosen, want_rejected = P.FAILURE_SHAPES[r["failure"]]
        assert (P.correct(r, r["chosen"]), P.follows(r, r["chosen"])) == want_chosen, r["id"]
        assert (P.correct(r, r["rejected"]), P.follows(r, r["rejected"])) == want_rejected, r["id"]
        assert P.good(r, r["chosen"]) or r["failure"] == "verbose_vs_wrong"
        assert not P.good(r, r["rejected"])


PERU = {"kind": "one_word", "answer": ["Lima"]}
SUM = {"kind": "number", "answer": ["5"]}
FRUITS = {"kind": "list", "answer": ["apple", "banana", "orange", "grape", "strawberry", "pear", "ice cream"]}
VOLCANO = {"kind": "sentence", "answer": ["lava", "molten", "magma", "erupt"]}
YEAR = {"kind": "grounded", "answer": ["1987"]}
UNKNOWN = {"kind": "unknown", "answer": ["I don't know"]}


@pytest.mark.parametrize("row, answer, is_correct, is_following", [
    (PERU, "Lima", True, True),
    (PERU, "lima.", True, True),
    (PERU, "The capital of Peru is Lima.", True, False),
    (PERU, "Quito", False, True),
    (PERU, "Limassol", False, True),
    (PERU, "", False, False),
    (SUM, "5", True, True),
    (SUM, "51", False, True),
    (SUM, "5.5", False, True),
    (SUM, "The answer is 5.", True, False),
    (SUM, "It is 15 or 51.", False, False),
    ({"kind": "number", "answer": ["12"]}, "$12", True, True),
    ({"kind": "number", "answer": ["1440"]}, "1,440", True, True),
    (FRUITS, "- apple\n- grape\n- Strawberries", True, True),
    (FRUITS, "- An orange\n- pear.\n- ice cream", True, True),
    (FRUITS, "- apple\n- pear\n- apple", False, True),          # a repeat
    (FRUITS, "- apple\n- apples\n- pear", False, True),         # a repeat, plural
    (FRUITS, "- carrot\n- leek\n- onion", False, True),         # the wrong category
    (FRUITS, "- apple\n- pear\n- carrot", False, True),         # one intruder
    (FRUITS, "1. apple\n2. pear\n3. grape", True, False),
    (FRUITS, "Apples, pears and grapes.", True, False),
    (FRUITS, "- apple\n- pear", False, False),                  # two members only
    (FRUITS, "- apple - pear - grape", False, False),           # one dash line that is not a member
    (FRUITS, "Here are three:\n- apple\n- pear\n- grape", True, False),
    (VOLCANO, "A volcano is a mountain where molten rock erupts.", True, True),
    (VOLCANO, "A volcano spews lava. It is hot.", True, False),
    (VOLCANO, "A volcano is a tall mountain.", False, True),
    (VOLCANO, " ".join(["lava"] * 31) + ".", True, False),
    (YEAR, "It opened in 1987.", True, True),
    (YEAR, "1987", True, True),
    (YEAR, "It opened in 19870.", False, True),
    (YEAR, "It opened in 1988.", False, True),
    (YEAR, "I don't know, maybe 1987.", False, False),
    (YEAR, "Good question. It opened in 1987.", True, False),
    ({"kind": "grounded", "answer": ["$5"]}, "A ticket costs $51.", False, True),
    ({"kind": "grounded", "answer": ["$5"]}, "A ticket costs $5.", True, True),
    ({"kind": "grounded", "answer": ["9:00"]}, "It opens at 19:00.", False, True),
    ({"kind": "grounded", "answer": ["Tonves Larmi"]}, "It is run by Tonves  Larmi.", True, True),
    (UNKNOWN, "I don\u2019t know.", True, True),
    (UNKNOWN, "I do not know: the context does not say.", True, True),
    (UNKNOWN, "It opens at 9:00.", False, False),
])
def test_correct_follows_and_good_by_kind(row, answer, is_correct, is_following):
    assert P.correct(row, answer) is is_correct
    assert P.follows(row, answer) is is_following
    assert P.good(row, answer) is (is_correct and is_following)


def test_unknown_kind_and_missing_gold_are_clear_errors():
    with pytest.raises(P.PreferenceError, match="unknown kind 'poem'"):
        P.follows({"kind": "poem", "answer": ["x"]}, "x")
    with pytest.raises(P.PreferenceError, match="unknown kind 'poem'"):
        P.correct({"kind": "poem", "answer": ["x"]}, "x")
    with pytest.raises(P.PreferenceError, match="needs its 'answer'"):
        P.correct({"kind": "grounded", "answer": None}, "x")


def _write(tmp_path, rows):
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join((json.dumps(r) if isinstance(r, dict) else r) + "\n" for r in rows), encoding="utf-8")
    return path


GOOD = {"id": "one_word-000", "kind": "one_word", "failure": "format", "split": "train",
        "prompt": "What is the capital of Peru? One word.", "chosen": "Lima", "rejected": "It is Lima.",
        "answer": ["Lima"]}


def test_a_good_row_loads(tmp_path):
    assert P.load_pairs(_write(tmp_path, [GOOD])) == [GOOD]


def test_broken_rows_are_all_named_with_line_numbers(tmp_path):
    rows = [GOOD, "{not json",
            {**GOOD, "failure": "wrong_content"},                   # the label disagrees with the answers
            {k: v for k, v in GOOD.items() if k != "answer"},      # no answer
            {**GOOD, "kind": "poem"},
            {**GOOD, "split": "dev"},
            {**GOOD, "prompt": " "},
            {**GOOD, "answer": []},
            {**GOOD, "failure": "invented"},                        # unknown only
            {**GOOD, "chosen": "It is Lima.", "rejected": "Lima"}]  # swapped
    with pytest.raises(P.PreferenceError) as e:
        P.load_pairs(_write(tmp_path, rows))
    message = str(e.value)
    for expected in ("pairs.jsonl:2: not JSON",
                     "pairs.jsonl:3: row 'one_word-000': failure 'wrong_content' expects (correct, follows) = "
                     "(True, True) for chosen and (False, True) for rejected, found (True, True) for chosen 'Lima' "
                     "and (True, False)",
                     "fix the answers or the failure label",
                     "pairs.jsonl:4: row 'one_word-000': fields must be", "add the missing 'answer'",
                     "pairs.jsonl:5: row 'one_word-000': kind 'poem' is not one of",
                     "pairs.jsonl:6: row 'one_word-000': split 'dev'",
                     "pairs.jsonl:7: row 'one_word-000': prompt must be a non-empty string",
                     "pairs.jsonl:8: row 'one_word-000': answer must be a non-empty list",
                     "pairs.jsonl:9: row 'one_word-000': failure 'invented' is only for kind unknown",
                     "pairs.jsonl:10: row 'one_word-000': failure 'format' expects"):
        assert expected in message


def test_verbose_vs_wrong_rows_prefer_the_right_verbose_answer(tmp_path):
    row = {**GOOD, "failure": "verbose_vs_wrong", "chosen": "The capital of Peru is Lima.", "rejected": "Quito"}
    assert P.load_pairs(_write(tmp_path, [row])) == [row]
    with pytest.raises(P.PreferenceError, match="verbose_vs_wrong"):
        P.load_pairs(_write(tmp_path, [{**row, "chosen": "Quito", "rejected": "The capital of Peru is Lima."}]))


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
    assert P.win_rate(a, b, seed=1).rate == w.rate


def test_win_rate_bad_input():
    with pytest.raises(P.PreferenceError, match="3 judgements for A but 2 for B"):
        P.win_rate([True] * 3, [True] * 2)
    with pytest.raises(P.PreferenceError, match="no prompts"):
        P.win_rate([], [])
