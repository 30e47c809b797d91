"""scripts/train_sft.py under `accelerate launch` on this machine's GPUs, with a tiny random Llama.

The GPU check of the training script: each configuration in scripts/accelerate/ that fits this machine —
one GPU; DDP over every GPU (over one process when there is one GPU); FSDP with the 4-bit weights sharded
(over one process when there is one GPU) — trains the gpu profile for a few steps, on bench/llama_standin.py's
tiny random Llama with a Llama-2-like tokenizer (no download, no token). Prints each run's losses, time and peak CUDA memory, and one table
row per configuration to paste into bench/RESULTS.md with the GPU named.

    python bench/gpu_script.py [--steps 6]

Needs a CUDA GPU. Reports figures; fails only when a run fails.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> None:
    import torch

    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=6)
    args = ap.parse_args()
    if not torch.cuda.is_available():
        sys.exit("No CUDA GPU here: this runs scripts/train_sft.py on GPUs and needs at least one.")
    import llama_standin

    gpus = torch.cuda.device_count()
    accelerate = str(Path(sys.executable).with_name("accelerate"))
    configs = [("single_gpu.yaml", 1), ("ddp.yaml", gpus), ("fsdp_qlora.yaml", gpus)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = os.path.join(tmp, "tiny")
        llama_standin.build(model_dir)
        env = {**os.environ, "COURSE_PROFILE": "gpu", "COURSE_GPU_MODEL": model_dir, "HF_HUB_OFFLINE": "1"}
        for config, processes in configs:
            cmd = [accelerate, "launch", "--config_file", str(ROOT / "scripts" / "accelerate" / config),
                   "--num_processes", str(processes), str(ROOT / "scripts" / "train_sft.py"), "--profile", "gpu",
                   "--max-steps", str(args.steps), "--save-every", str(max(args.steps // 2, 1)),
                   "--report-to", "none", "--output-dir", os.path.join(tmp, config)]
            out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
            lines = [line for line in out.stdout.splitlines() if line.startswith("RESULT ")]
            if out.returncode or not lines:
                print(f"--- {config} × {processes} FAILED\n{out.stdout[-3000:]}\n{out.stderr[-5000:]}")
                rows.append((config, processes, "FAILED", "", "", ""))
                continue
            r = json.loads(lines[-1].removeprefix("RESULT "))
            print(f"--- {config} × {processes}: {r}")
            rows.append((config, processes, "passed", " → ".join(f"{x:.3f}" for x in r["losses"][::2]),
                         f"{r['train_seconds']} s", f"{r.get('peak_cuda_gb', float('nan')):.2f} GB"))
    name = torch.cuda.get_device_name(0)
    print(f"\n=== scripts/train_sft.py, Llama 2 stand-in (tiny, random), {gpus} × {name}, {datetime.now():%Y-%m-%d}")
    for row in rows:
        print("| " + " | ".join(str(x) for x in row) + " |")
    if any(row[2] != "passed" for row in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
