"""How long the cpu profile's models take to load and generate, on this machine.

    .venv/bin/python bench/model_load.py            # uses the model cache as it is
    .venv/bin/python bench/model_load.py --cold     # into an empty temporary cache (first-use cost)

Reports figures; asserts nothing.
"""

import argparse
import os
import tempfile
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cold", action="store_true", help="start from an empty model cache")
    args = ap.parse_args()
    if args.cold:
        os.environ["COURSE_CACHE"] = tempfile.mkdtemp(prefix="course-cache-")
    t = time.perf_counter()
    import bitsandbytes  # noqa: F401
    import torch
    import transformers  # noqa: F401

    from utils import models, runtime

    print(f"{'imports (torch, transformers…)':<32} {time.perf_counter() - t:6.1f} s")
    profile = runtime.resolve_profile("cpu")
    for label in ("load 4-bit model + tokenizer", "again (same process)"):
        t = time.perf_counter()
        tok = models.load_tokenizer(profile)
        model = models.load_model(profile)
        print(f"{label:<32} {time.perf_counter() - t:6.1f} s")
    t = time.perf_counter()
    models.load_embedder(profile)
    print(f"{'load embedder':<32} {time.perf_counter() - t:6.1f} s")
    msgs = [{"role": "user", "content": "What is the capital of France?"}]
    inputs = tok.apply_chat_template(msgs, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    for label, m in (("4-bit NF4", model), ("float32", models.load_model(profile, quantize=False))):
        t = time.perf_counter()
        with torch.no_grad():
            m.generate(**inputs.to(m.device), max_new_tokens=32, min_new_tokens=32, do_sample=False)
        s = time.perf_counter() - t
        print(f"{'generate 32 tokens, ' + label:<32} {s:6.1f} s  ({32 / s:.1f} tokens/s, {torch.get_num_threads()} threads)")


if __name__ == "__main__":
    main()
