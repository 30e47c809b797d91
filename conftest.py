"""pytest glue for the notebooks (nbval).

1. Re-run pass: after nbval has run a notebook's cells top to bottom, every cell not tagged
   `long-running` runs a second time in the same kernel — instructors re-run cells, so each
   must survive it. The long-running cells (training, full evaluations) are skipped there.
2. Per-notebook durations are printed at the end of the run, so every change sees where time goes.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from ci.nbspec import LONG_TAG

_durations: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])  # [first pass, re-run]


def pytest_addoption(parser):
    parser.addoption("--no-rerun", action="store_true", help="skip the notebooks' second (re-run) pass")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    if config.getoption("--no-rerun"):
        return
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
