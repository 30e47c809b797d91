"""The sentiment loader accepts the shipped data and names every kind of broken row."""

import json
import shutil

import pytest

from utils import data
from utils.data import DatasetError


def test_shipped_dataset_is_valid_and_balanced():
    splits = data.load_sentiment()
    assert [len(splits[s]) for s in data.SPLITS] == [455, 63, 129]
    for rows in splits.values():
        counts = {label: sum(r["label"] == label for r in rows) for label in data.LABELS}
        assert max(counts.values()) - min(counts.values()) <= 2


@pytest.fixture
def copy(tmp_path):
    shutil.copytree(data.SENTIMENT_DIR, tmp_path, dirs_exist_ok=True)
    return tmp_path


def _append(path, line):
    with path.open("a", encoding="utf-8") as f:
        f.write(line + "\n")


def _lines(path):
    return len(path.read_text(encoding="utf-8").splitlines())


@pytest.mark.parametrize(
    "row, message",
    [
        ('{"id": "x1", "text": "fine day"}', "missing field label"),
        ('{"id": "x1", "text": "fine day", "label": "happy"}', "unknown label 'happy'; use one of positive, negative, neutral"),
        ('{"id": "x1", "text": "   ", "label": "neutral"}', "empty text"),
        ('{"id": "s0001", "text": "a brand new post", "label": "neutral"}', "duplicate id 's0001' (first at train.jsonl:1)"),
        ('{"id": "x1", "text": "fine day", "label": "neutral", "score": 1}', "unexpected field score"),
        ('{"id": "x1", "text": "fine day", "label": "neutral"', "not valid JSON"),
    ],
)
def test_each_broken_row_is_named_with_file_and_line(copy, row, message):
    path = copy / "validation.jsonl"
    _append(path, row)
    with pytest.raises(DatasetError) as err:
        data.load_sentiment(copy)
    assert f"validation.jsonl:{_lines(path)}: {message}" in str(err.value)


def test_overlap_between_splits_after_normalising(copy):
    first = json.loads((copy / "train.jsonl").read_text(encoding="utf-8").splitlines()[0])
    shouted = first["text"].upper().replace(" ", "   ") + "!!!"
    _append(copy / "test.jsonl", json.dumps({"id": "x9", "text": shouted, "label": first["label"]}))
    with pytest.raises(DatasetError, match=r"test.jsonl:\d+: same post as train.jsonl:1 \(across splits"):
        data.load_sentiment(copy)


def test_duplicate_within_a_split(copy):
    first = json.loads((copy / "test.jsonl").read_text(encoding="utf-8").splitlines()[0])
    _append(copy / "test.jsonl", json.dumps({"id": "x9", "text": first["text"].lower(), "label": first["label"]}))
    with pytest.raises(DatasetError, match=r"\(within after normalising"):
        data.load_sentiment(copy)


def test_missing_split_file_and_all_problems_reported_at_once(copy):
    (copy / "validation.jsonl").unlink()
    _append(copy / "test.jsonl", '{"id": "x1", "text": "", "label": "neutral"}')
    with pytest.raises(DatasetError) as err:
        data.load_sentiment(copy)
    assert "2 problem(s)" in str(err.value) and "validation.jsonl: file missing" in str(err.value)


def test_interleave_labels_takes_turns_and_keeps_every_row():
    rows = data.load_sentiment()["train"]
    out = data.interleave_labels(rows, seed=1)
    assert sorted(r["id"] for r in out) == sorted(r["id"] for r in rows)
    assert [r["label"] for r in out[:6]] == list(data.LABELS) * 2
    for start in range(0, 8 * 12, 8):  # every batch of 8 that notebook 04 reads holds each label 2 or 3 times
        batch = [r["label"] for r in out[start:start + 8]]
        assert {batch.count(label) for label in data.LABELS} <= {2, 3}
    assert out != data.interleave_labels(rows, seed=2) and out == data.interleave_labels(rows, seed=1)
    with pytest.raises(data.DatasetError, match="at least one row"):
        data.interleave_labels([])
