"""pytest glue for the notebooks (nbval).

1. Re-run pass: after nbval has run a notebook's cells top to bottom, every cell not tagged
   `long-running` runs a second time in the same kernel — instructors re-run cells, so each
   must survive it. The long-running cells (training, full evaluations) are skipped there.
2. Under pytest-xdist (the Colab replica runs two notebooks at a time), the notebooks are ordered by their
   stored cell times, longest first, so the longest one never starts last.
3. Per-notebook durations are printed at the end of the run, so every change sees where time goes.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import pytest

from ci.nbspec import LONG_TAG

_durations: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])  # [first pass, re-run]


def pytest_addoption(parser):
    parser.addoption("--no-rerun", action="store_true", help="skip the notebooks' second (re-run) pass")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    if not config.getoption("--no-rerun"):
        add_reruns(items)
    if hasattr(config, "workerinput"):  # an xdist worker: every worker sorts the same way
        items.sort(key=lambda item: -stored_seconds(Path(str(item.fspath))))


def add_reruns(items):
    from nbval.plugin import IPyNbCell

    out, by_parent = [], defaultdict(list)
    for item in items:
        if isinstance(item, IPyNbCell):
            by_parent[item.parent].append(item)
    seen = set()
    for item in items:
        out.append(item)
        parent = getattr(item, "parent", None)
        if parent in by_parent and item is by_parent[parent][-1] and parent not in seen:
            seen.add(parent)
            for cell_item in by_parent[parent]:
                if LONG_TAG in cell_item.cell.metadata.get("tags", []):
                    continue
                out.append(
                    IPyNbCell.from_parent(
                        parent,
                        name=f"{cell_item.name} (re-run)",
                        cell_num=cell_item.cell_num,
                        cell=cell_item.cell,
                        options=cell_item.options,
                    )
                )
    items[:] = out


def stored_seconds(path: Path, _cache: dict = {}) -> float:  # noqa: B006 - a per-process cache
    """The sum of a notebook's stored cell times (its execution metadata); 0 for any other file."""
    if path not in _cache:
        total = 0.0
        if path.suffix == ".ipynb":
            for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
                meta = cell.get("metadata", {}).get("execution", {})
                if "iopub.execute_input" in meta and "shell.execute_reply" in meta:
                    start, end = (datetime.fromisoformat(meta[k]) for k in ("iopub.execute_input", "shell.execute_reply"))
                    total += (end - start).total_seconds()
        _cache[path] = total
    return _cache[path]


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        _durations[path][report.nodeid.endswith("(re-run)")] += report.duration


def pytest_terminal_summary(terminalreporter):
    if not _durations:
        return
    tr = terminalreporter
    tr.section("notebook durations")
    tr.write_line(f"{'first run':>10}  {'re-run':>8}  notebook")
    for nb, (first, again) in sorted(_durations.items()):
        tr.write_line(f"{first:9.1f}s  {again:7.1f}s  {nb}")
    total = [sum(d[i] for d in _durations.values()) for i in (0, 1)]
    tr.write_line(f"{total[0]:9.1f}s  {total[1]:7.1f}s  total")
