"""Load the course's datasets, validating every row.

A malformed row is reported with its file and line number and what to fix; all
problems in all files are collected first, so one run shows them all.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from . import DATASETS

LABELS = ("positive", "negative", "neutral")
SPLITS = ("train", "validation", "test")
SENTIMENT_DIR = DATASETS / "sentiment"


class DatasetError(ValueError):
    """One or more rows of a dataset are malformed; the message lists each with file and line."""


def _normalise(text: str) -> str:
    """Case, spacing and punctuation removed: two posts equal after this are duplicates."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def load_sentiment(directory: str | Path = SENTIMENT_DIR) -> dict[str, list[dict]]:
    """The sentiment splits as ``{"train": [{"id", "text", "label"}, ...], ...}``, validated.

    Raises ``DatasetError`` listing every problem: unreadable JSON, missing or extra
    fields, unknown label, empty text, duplicate id, and a post appearing twice within
    or across splits (after normalising case, spaces and punctuation).
    """
    directory = Path(directory)
    problems: list[str] = []
    splits: dict[str, list[dict]] = {}
    seen_ids: dict[str, str] = {}
    seen_text: dict[str, str] = {}
    for split in SPLITS:
        path = directory / f"{split}.jsonl"
        if not path.is_file():
            problems.append(f"{path}: file missing (expected one file per split: {', '.join(SPLITS)})")
            continue
        rows = []
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            where = f"{path.name}:{lineno}"
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                problems.append(f"{where}: not valid JSON ({err.msg})")
                continue
            if not isinstance(row, dict):
                problems.append(f"{where}: expected an object with id, text, label")
                continue
            missing = [k for k in ("id", "text", "label") if k not in row]
            if missing:
                problems.append(f"{where}: missing field {', '.join(missing)}")
                continue
            extra = sorted(set(row) - {"id", "text", "label"})
            if extra:
                problems.append(f"{where}: unexpected field {', '.join(extra)}")
            if row["label"] not in LABELS:
                problems.append(f"{where}: unknown label {row['label']!r}; use one of {', '.join(LABELS)}")
            if not isinstance(row["text"], str) or not row["text"].strip():
                problems.append(f"{where}: empty text")
                continue
            if row["id"] in seen_ids:
                problems.append(f"{where}: duplicate id {row['id']!r} (first at {seen_ids[row['id']]})")
            seen_ids.setdefault(row["id"], where)
            key = _normalise(row["text"])
            if key in seen_text:
                first = seen_text[key]
                kind = "within" if first.split(":")[0] == path.name else "across splits, overlapping"
                problems.append(f"{where}: same post as {first} ({kind} after normalising case and punctuation)")
            seen_text.setdefault(key, where)
            rows.append({"id": row["id"], "text": row["text"], "label": row["label"]})
        splits[split] = rows
    if problems:
        raise DatasetError(f"{len(problems)} problem(s) in {directory}:\n  " + "\n  ".join(problems))
    return splits


def interleave_labels(rows: list[dict], seed: int = 0) -> list[dict]:
    """The rows reordered so the labels take turns (positive, negative, neutral, positive, ...).

    Each label's rows are shuffled with ``seed`` first. Read in this order (no further shuffling), every
    training batch holds the labels in nearly equal shares: no step pulls the model towards one label
    just because its batch happened to hold more of it. Once a label runs out, the others continue.
    """
    import random

    if not rows:
        raise DatasetError("interleave_labels needs at least one row")
    by_label: dict[str, list[dict]] = {}
    for row in rows:
        by_label.setdefault(row["label"], []).append(row)
    rng = random.Random(seed)
    queues = []
    for label in sorted(by_label, key=lambda lab: LABELS.index(lab) if lab in LABELS else len(LABELS)):
        queue = list(by_label[label])
        rng.shuffle(queue)
        queues.append(queue)
    out = []
    for i in range(max(map(len, queues))):
        out += [q[i] for q in queues if i < len(q)]
    return out
