"""Execute every cell of the course notebooks on the gpu profile, with a stand-in for Llama 2.

CI runs only the cpu profile. This runs the gpu profile's CUDA code paths through the very cells a
student runs: 4-bit NF4 on the GPU, fp16 or bf16 mixed precision, the paged optimizer, gradient
checkpointing, peak-memory reporting. The stand-in (bench/llama_standin.py) is a tiny random Llama with a
tokenizer laid out as Llama 2's (``<unk>`` ``<s>`` ``</s>`` at 0, 1, 2, byte-fallback BPE with ``▁``, 32,000
tokens, no chat template), handed to the notebooks through ``COURSE_GPU_MODEL``; the embedder is the packaged
all-MiniLM-L6-v2 (``COURSE_GPU_EMBEDDER``). No download, no token.

Two kinds of failure. A claim about what the model *answers* (``runtime.expect_answer``: it knows Paris, it
names the team in the context) fails with a stand-in that answers noise: its cell is recorded as "needs the
real model" and the run goes on with the next cell. Any other exception (device, dtype, API, shape) fails
the notebook, and its run stops there.

    python bench/gpu_notebook.py                      # every notebook, as on a T4 (fp16) and natively (bf16 on 8.0+)
    python bench/gpu_notebook.py --jobs 18            # all at once (a large GPU; each notebook is its own kernel)
    python bench/gpu_notebook.py --arith t4 notebooks/04_qlora_llama2.ipynb

Prints every cell's text output and its time, then one table row per notebook and arithmetic (passed, or the
failing cell and its error; the cells that need the real model; seconds) to paste into bench/RESULTS.md;
writes the executed notebooks to --out-dir.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

KIND_ONE = "AnswerCheckFailed"  # utils.runtime.expect_answer's exception: the claim needs the real model
INJECTED = "injected-by-gpu-check"
AS_T4 = """\
# Injected by bench/gpu_notebook.py --arith t4: a T4's arithmetic on this GPU (compute capability 7.5: fp16, no bf16).
import dataclasses
RUNTIME = dataclasses.replace(RUNTIME, gpu_name=f"{RUNTIME.gpu_name} as a T4", capability=(7, 5))
print(RUNTIME.summary())"""


def execute(nb, cwd: str, timeout: int = 1800) -> tuple[str, list[int]]:
    """Run ``nb``'s code cells in order in one kernel; returns ("passed" or the failure, cells needing the real model).

    Cell numbers count the notebook's own cells from 0, as stored (a cell this script injected is not counted).
    """
    from nbclient import NotebookClient

    injected = [INJECTED in c.metadata.get("tags", []) for c in nb.cells]
    number = [i - sum(injected[:i]) for i in range(len(nb.cells))]
    # allow_errors: the errors are read from each cell's outputs below. Without it nbclient asks the kernel to stop on
    # errors, and ipykernel then drops requests that reach it just after one: the cell after a needs-the-real-model
    # check sometimes did not run at all (tests/test_gpu_check.py failed 1 run in 4).
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": cwd}})
    needs_real_model: list[int] = []
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            client.execute_cell(cell, index)
            error = next((o for o in cell.outputs if o.output_type == "error"), None)
            if error is None:
                continue
            if error.ename == KIND_ONE:
                needs_real_model.append(number[index])
                continue
            return f"FAILED in cell {number[index]}: {error.ename}: {str(error.evalue)[:200]}", needs_real_model
    return "passed", needs_real_model


def text_of(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type in ("execute_result", "display_data") and "text/plain" in out.get("data", {}):
            parts.append(out.data["text/plain"] + "\n")
        elif out.output_type == "error":
            parts.append(f"{out.ename}: {out.evalue}\n")
    return "".join(parts)


def run_notebook(path: Path, as_t4: bool, out_dir: Path) -> tuple[str, list[int], float, str]:
    """Execute one notebook; returns (result, cells that need the real model, seconds, every cell's text output)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:  # no stored cpu-profile output may pass for this run's
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    if as_t4:
        at = next(i for i, c in enumerate(nb.cells) if "bootstrap" in c.metadata.get("tags", [])) + 1
        nb.cells.insert(at, nbformat.v4.new_code_cell(AS_T4, metadata={"tags": [INJECTED]}))
    start = time.perf_counter()
    result, needs_real_model = execute(nb, str(path.parent))
    took = time.perf_counter() - start
    out = out_dir / f"{path.stem}.{'t4' if as_t4 else 'native'}.ipynb"
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)
    log = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.get("outputs"):
            timing = cell.metadata.get("execution", {})
            began, ended = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
            secs = ""
            if began and ended:
                seconds = (datetime.fromisoformat(ended.rstrip("Z")) - datetime.fromisoformat(began.rstrip("Z"))).total_seconds()
                secs = f" · {seconds:.1f} s"
            log.append(f"--- {out.name} cell {i}{secs}\n{text_of(cell)}")
    return result, needs_real_model, took, "".join(log)


def row(name: str, mode: str, result: str, needs_real_model: list[int], took: float) -> str:
    needs = ", ".join(map(str, needs_real_model)) or "none"
    return f"| {name} | {mode} | {result} | {needs} | {took:.0f} s |"


def main() -> None:
    import torch

    ap = argparse.ArgumentParser()
    ap.add_argument("notebooks", nargs="*", help="default: every notebook in notebooks/")
    ap.add_argument("--arith", choices=("t4", "native", "both"), default="both",
                    help="t4: fp16 as on a T4, whatever this GPU is; native: this GPU's own (bf16 on 8.0+)")
    ap.add_argument("--jobs", type=int, default=1, help="notebooks run at once, each in its own kernel (default 1)")
    ap.add_argument("--out-dir", default=str(ROOT / "outputs" / "gpu_notebooks"))
    args = ap.parse_args()
    if not torch.cuda.is_available():
        sys.exit("No CUDA GPU here: this runs the gpu profile's CUDA code paths and needs a GPU.")
    import llama_standin

    from utils import models, runtime

    paths = [Path(p).resolve() for p in args.notebooks] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    runs = [(path, as_t4) for path in paths for as_t4 in {"t4": [True], "native": [False], "both": [True, False]}[args.arith]]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as model_dir:
        llama_standin.build(model_dir)
        embedder = models.embedder_source(runtime.resolve_profile("cpu"))
        os.environ.update(COURSE_PROFILE="gpu", COURSE_GPU_MODEL=model_dir, COURSE_GPU_EMBEDDER=embedder,
                          HF_HUB_OFFLINE="1",
                          PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        with ProcessPoolExecutor(max_workers=args.jobs, mp_context=get_context("spawn")) as pool:
            futures = [pool.submit(run_notebook, path, as_t4, Path(args.out_dir)) for path, as_t4 in runs]
            results = []
            for (path, as_t4), future in zip(runs, futures):
                result, needs_real_model, took, log = future.result()
                print(log, end="", flush=True)
                results.append(row(path.name, "fp16 as a T4" if as_t4 else "native", result, needs_real_model, took))
    print(f"\n=== gpu profile, Llama 2 stand-in (bench/llama_standin.py), on {torch.cuda.get_device_name(0)}, "
          f"{datetime.now():%Y-%m-%d}, {args.jobs} at once, {time.perf_counter() - started:.0f} s in all")
    print("| notebook | arithmetic | result | cells that need the real model | time |\n| --- | --- | --- | --- | --- |")
    print("\n".join(results))
    if any("| passed |" not in r for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
