"""Notebook linter: the course conventions, checked.

    python -m ci.lint_notebooks [NOTEBOOK ...]     # all of notebooks/ by default; exit 1 on problems

Checks, per notebook: valid nbformat; a header cell with a title, compartments, timings and a
Colab badge pointing at this very file; the canonical bootstrap cell; a `parameters` cell;
Colab GPU metadata on notebooks that load the language model; stored outputs from one clean
top-to-bottom run (execution counts 1..n, no errors); no secrets in sources or outputs. Stored outputs a
reader can trust: no machine paths, no saved widget state or stale progress widgets, no output whose only
text is "<IPython.core.display.HTML object>", images small enough to read (MAX_IMAGE_KB each, MAX_NOTEBOOK_KB
in all); and the header's CPU time is the README course map's figure for the notebook (one figure, one place).
"""

from __future__ import annotations

import base64
import re
import sys
from pathlib import Path

import nbformat

from ci import nbspec

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

SECRET_PATTERNS = {
    "Hugging Face token": re.compile(r"\bhf_[A-Za-z0-9]{30,}\b"),
    "OpenAI-style API key": re.compile(r"\bsk-[A-Za-z0-9_-]{20,}\b"),
    "AWS access key id": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
}


# An absolute path on somebody's machine (a home directory, a virtual environment, a temporary folder).
MACHINE_PATH = re.compile(r"(?<![\w.~])(?:/(?:root|home|Users|tmp|work|private|var/folders|content|opt|usr/lib|usr/local)"
                          r"/[^\s'\"]+|[A-Za-z]:\\(?:Users|Windows)\\\S+|\S*(?:site|dist)-packages\S*)")
# A text progress bar (tqdm) stored before it moved: "  0%|" with no "100%|" after it in the same output.
STALE_TEXT_BAR = re.compile(r"(?<!\d)0%\|")
HTML_ONLY = "<IPython.core.display.HTML object>"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
MAX_IMAGE_KB = 150
MAX_NOTEBOOK_KB = 700
README = ROOT / "README.md"
HEADER_CPU_TIME = re.compile(r"\*\*Time:\*\* CPU ([^(·\n]+?) \(")


def course_map_cpu_times(readme: Path = README) -> dict[str, str]:
    """The CPU column of the README's course map, by notebook file name."""
    times = {}
    for line in readme.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        link = re.search(r"\(notebooks/([^)]+\.ipynb)\)", cells[1]) if len(cells) >= 7 else None
        if link:
            times[link.group(1)] = cells[-2]
    return times


def is_gpu_notebook(nb) -> bool:
    """A notebook that loads the language model is one students should run on a Colab GPU."""
    return any(c.cell_type == "code" and "models.load_model(" in c.source for c in nb.cells)


def _tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def _output_text(output) -> str:
    parts = [output.get("text", ""), output.get("evalue", ""), *output.get("traceback", [])]
    for key, value in output.get("data", {}).items():
        if key.startswith("text/") or key.endswith("json"):
            parts.append(value if isinstance(value, str) else "".join(value) if isinstance(value, list) else str(value))
    return "\n".join(p if isinstance(p, str) else "".join(p) for p in parts)


def lint(path: Path) -> list[str]:
    """Every convention ``path`` breaks, as human-readable sentences (empty when clean)."""
    path = Path(path)
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as err:  # unreadable or invalid: nothing else can be checked
        return [f"not a valid notebook: {err}"]
    problems: list[str] = []
    cells = nb.cells
    if len(cells) < 3:
        return ["needs at least a header cell, a bootstrap cell and a parameters cell"]

    header = cells[0]
    if header.cell_type != "markdown" or not header.source.lstrip().startswith("# "):
        problems.append("cell 1 must be a markdown header starting with a '# Title'")
    else:
        try:
            rel = path.resolve().relative_to(ROOT).as_posix()
        except ValueError:
            rel = f"notebooks/{path.name}"
        if nbspec.badge(rel) not in header.source:
            problems.append(f"cell 1 lacks the Colab badge for this file ({rel}); run `python -m ci.sync_notebooks`")
        for word in ("Compartments", "Time"):
            if f"**{word}" not in header.source:
                problems.append(f"cell 1 lacks the **{word}…** line of the header")
        stated, mapped = HEADER_CPU_TIME.search(header.source), course_map_cpu_times().get(path.name)
        if "**Time" in header.source and mapped and (not stated or stated.group(1).strip() != mapped):
            problems.append(f"cell 1 states CPU time {stated.group(1).strip() if stated else '(none)'!r} but the "
                            f"README's course map says {mapped!r}: write the measured figure in both")

    boot = cells[1]
    if boot.cell_type != "code" or boot.source != nbspec.BOOTSTRAP:
        problems.append("cell 2 is not the canonical bootstrap cell; run `python -m ci.sync_notebooks`")
    params = cells[2]
    if params.cell_type != "code" or nbspec.PARAMETERS_TAG not in _tags(params):
        problems.append("cell 3 must be a code cell tagged 'parameters'")

    if is_gpu_notebook(nb):
        if nb.metadata.get("accelerator") != "GPU" or nb.metadata.get("colab", {}).get("gpuType") != "T4":
            problems.append("loads the language model but lacks Colab GPU metadata (accelerator GPU, gpuType T4)")

    code = [c for c in cells if c.cell_type == "code" and c.source.strip()]
    counts = [c.get("execution_count") for c in code]
    if counts != list(range(1, len(code) + 1)):
        problems.append(
            "stored outputs are not from one clean top-to-bottom run "
            f"(execution counts {counts}); refresh with `make refresh`"
        )
    if "widgets" in nb.metadata:
        problems.append("the notebook metadata holds saved widget state: refresh with `make refresh` (it drops it)")
    image_kb = 0.0
    for i, cell in enumerate(cells, start=1):
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.get("output_type") == "error":
                problems.append(f"cell {i} has a stored error ({out.get('ename')})")
            data = out.get("data", {})
            if WIDGET_VIEW in data:
                problems.append(f"cell {i} stores a progress widget, which shows as a stale bar: use text progress")
            stream = out.get("text", "") if out.get("output_type") == "stream" else ""
            stream = stream if isinstance(stream, str) else "".join(stream)
            if STALE_TEXT_BAR.search(stream) and "100%|" not in stream:
                problems.append(f"cell {i} stores a progress bar at 0 %: turn the bar off for a load this short")
            # (%tensorboard's live iframe has no text form: its cell is exempt)
            if "".join(data.get("text/plain", "")).strip() == HTML_ONLY and "%tensorboard" not in cell.source:
                problems.append(f"cell {i} has an output whose only text is {HTML_ONLY}: give it a text form")
            if MACHINE_PATH.search(_output_text(out)):
                found = MACHINE_PATH.search(_output_text(out)).group(0)  # type: ignore[union-attr]
                problems.append(f"cell {i} output shows a path on the machine that ran it ({found[:80]}): "
                                "print paths relative to the course folder, or filter the warning at its source")
            for kind in ("image/png", "image/jpeg"):
                if kind in data:
                    kb = len(base64.b64decode("".join(data[kind]))) / 1024
                    image_kb += kb
                    if kb > MAX_IMAGE_KB:
                        problems.append(f"cell {i} has a {kb:.0f} KB image (limit {MAX_IMAGE_KB} KB): make the "
                                        "figure smaller or lower its dpi, keeping it legible")
        texts = [cell.source] + [_output_text(o) for o in cell.get("outputs", [])]
        for kind, pattern in SECRET_PATTERNS.items():
            if any(pattern.search(t) for t in texts):
                problems.append(f"cell {i} contains something that looks like a {kind}: remove it (and revoke it if real)")
    if image_kb > MAX_NOTEBOOK_KB:
        problems.append(f"the notebook's images take {image_kb:.0f} KB (limit {MAX_NOTEBOOK_KB} KB): shrink the largest")
    return problems


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or NOTEBOOKS
    failed = 0
    for path in paths:
        problems = lint(path)
        failed += bool(problems)
        print(f"{'FAIL' if problems else 'ok  '} {path}")
        for p in problems:
            print(f"     - {p}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
