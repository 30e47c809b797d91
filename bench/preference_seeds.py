"""Notebook 07 over several seeds: the reward models and baselines on held-out pairs, DPO against the reference.

For each seed, notebook 07 runs top to bottom exactly as a student with ``SEED = seed`` would run it (the
parameters cell is the only thing changed), and its closing cell's ``results.json`` is collected: each judge's
test pairwise accuracy (the shorter answer, the bag of words, the reward model trained on format-only pairs and on
all pairs), DPO's joint win rate over the reference (format and correctness together) with its lower 95 % bound,
the paired difference in correct answers, and format / correctness / both at every judged step of the one DPO run.
The seed sets the reward heads' start, the adapters' start and the order of the training pairs; the split is the
data card's. Reports each figure per seed and mean ± sd; asserts nothing.

    .venv/bin/python bench/preference_seeds.py              # seeds 0 1 2, 9-14 minutes each on the CI machine kind
    .venv/bin/python bench/preference_seeds.py --seeds 0 1 2 3 4
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "07_preference_tuning.ipynb"


def with_seed(nb: dict, seed: int) -> dict:
    """The notebook with its parameters cell's ``SEED = ...`` line set to ``seed`` (and its stored outputs dropped)."""
    cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    source = "".join(cell["source"])
    if not re.search(r"^SEED = .*$", source, flags=re.M):
        raise SystemExit(f"{NOTEBOOK.name}: no 'SEED = ...' line in the parameters cell")
    cell["source"] = re.sub(r"^SEED = .*$", f"SEED = {seed}", source, flags=re.M)
    for c in nb["cells"]:
        if c["cell_type"] == "code":
            c["outputs"], c["execution_count"] = [], None
    return nb


def run(seed: int) -> dict:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.reads(json.dumps(with_seed(json.loads(NOTEBOOK.read_text(encoding="utf-8")), seed)), as_version=4)
    os.environ.setdefault("COURSE_PROFILE", "cpu")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    start = time.perf_counter()
    NotebookClient(nb, timeout=1800, resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    results_cell = next(c for c in nb.cells if c.cell_type == "code" and "results.json" in c.source)
    text = "".join(o.get("text", "") for o in results_cell.outputs if o.get("output_type") == "stream")
    results = json.loads(text[text.index("{"):])
    results["minutes"] = round((time.perf_counter() - start) / 60, 1)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = ap.parse_args()
    rows = {}
    for seed in args.seeds:
        rows[seed] = run(seed)
        print(f"seed {seed}: {json.dumps(rows[seed])}", flush=True)
    keys = [k for k, v in rows[args.seeds[0]].items() if isinstance(v, (int, float))]
    print("\n| figure | " + " | ".join(f"seed {s}" for s in args.seeds) + " | mean ± sd |")
    print("| --- |" + " --- |" * (len(args.seeds) + 1))
    for k in keys:
        values = [rows[s][k] for s in args.seeds]
        sd = statistics.stdev(values) if len(values) > 1 else 0.0
        print(f"| {k} | " + " | ".join(f"{v:g}" for v in values) + f" | {statistics.mean(values):.3g} ± {sd:.2g} |")


if __name__ == "__main__":
    main()
