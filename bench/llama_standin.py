"""A stand-in for Llama 2 where the course's code depends on it, for the GPU check (no download, no licence).

The tokenizer looks like Llama 2's to the code that uses it: a byte-fallback BPE whose words start with ``▁``,
a vocabulary of 32,000, ``<unk>`` ``<s>`` ``</s>`` at ids 0, 1 and 2, the 256 byte tokens ``<0x00>``…``<0xFF>``
at ids 3–258, a BOS and no EOS added to every text, no pad token, and **no chat template**, as older copies of
the Llama 2 weights ship none (so ``models.load_tokenizer`` gives it the course's own). Its merges are learned
from the course's own datasets (about a second), so none of Meta's files is copied. The model is a small
randomly initialised Llama (grouped-query attention, dimensions bitsandbytes quantizes) over that vocabulary:
its answers are noise; what matters is that every cell runs.

    python bench/llama_standin.py DIR          # writes the tokenizer and the tiny model to DIR, and checks them
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VOCAB_SIZE = 32_000
SPECIAL = ("<unk>", "<s>", "</s>")  # Llama 2's ids 0, 1, 2
BYTES = tuple(f"<0x{b:02X}>" for b in range(256))  # Llama 2's ids 3–258
TINY_LLAMA = dict(hidden_size=256, intermediate_size=768, num_hidden_layers=4, num_attention_heads=8,
                  num_key_value_heads=4, max_position_embeddings=4096)


def course_text() -> list[str]:
    """Every line of the course's datasets: what the merges are learned from."""
    lines: list[str] = []
    for path in sorted((ROOT / "datasets").rglob("*")):
        if path.is_file() and path.suffix in (".md", ".jsonl", ".json", ".csv", ".txt"):
            lines += path.read_text(encoding="utf-8").splitlines()
    return lines


def train_tokenizer():
    """A ``tokenizers.Tokenizer`` laid out as Llama 2's tokenizer.json is."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    def llama_like(model):
        tok = Tokenizer(model)
        tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
        return tok

    learner = llama_like(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    learner.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="never")  # merges stay in words
    learner.train_from_iterator(course_text(), trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE - len(SPECIAL) - len(BYTES), limit_alphabet=1000, show_progress=False))
    learned = sorted(learner.get_vocab().items(), key=lambda kv: kv[1])
    vocab = {token: i for i, token in enumerate([*SPECIAL, *BYTES, *(t for t, _ in learned if t not in BYTES)])}
    if len(vocab) != VOCAB_SIZE:
        raise RuntimeError(f"the course's text gave {len(vocab)} tokens, not {VOCAB_SIZE}: add text to learn from")
    merges = [tuple(m.split(" ", 1) if isinstance(m, str) else m)
              for m in json.loads(learner.to_str())["model"]["merges"]]
    tok = llama_like(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(" ", 1, 0)])
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", 1)])
    tok.add_special_tokens(list(SPECIAL))
    return tok


def build_tokenizer(target: str | Path):
    """Save the stand-in tokenizer to ``target`` and return it, loaded as transformers loads Llama 2's."""
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    fast = PreTrainedTokenizerFast(tokenizer_object=train_tokenizer())
    fast.bos_token, fast.eos_token, fast.unk_token = "<s>", "</s>", "<unk>"
    fast.model_max_length, fast.chat_template = 4096, None
    fast.save_pretrained(str(target))
    return AutoTokenizer.from_pretrained(str(target))


def build_model(target: str | Path, tokenizer) -> None:
    """A tiny random Llama over the stand-in's vocabulary, saved as safetensors in fp16 beside the tokenizer."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(**TINY_LLAMA, vocab_size=len(tokenizer), bos_token_id=1, eos_token_id=2, pad_token_id=None)
    torch.manual_seed(0)
    model = LlamaForCausalLM(config).to(torch.float16)
    model.save_pretrained(str(target))
    print(f"tiny random Llama: {sum(p.numel() for p in model.parameters()) / 1e6:.1f} M parameters, "
          f"vocabulary {len(tokenizer):,}, saved to {target}")


def problems(tokenizer) -> list[str]:
    """What differs from Llama 2 where the course depends on it (empty: none)."""
    found = []
    if len(tokenizer) != VOCAB_SIZE:
        found.append(f"vocabulary {len(tokenizer)}, not {VOCAB_SIZE}")
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in (*SPECIAL, "<0x00>", "<0xFF>")}
    if ids != {"<unk>": 0, "<s>": 1, "</s>": 2, "<0x00>": 3, "<0xFF>": 258}:
        found.append(f"special and byte tokens at {ids}")
    if (tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.unk_token_id) != (1, 2, 0):
        found.append("BOS, EOS, UNK are not 1, 2, 0")
    text = "Hello world! 猫 🙂"
    enc = tokenizer(text)["input_ids"]
    if enc[0] != 1 or enc[-1] == 2:
        found.append("a BOS and no EOS should be added")
    tokens = tokenizer.convert_ids_to_tokens(enc)
    if not tokens[1].startswith("▁") or "<0xE7>" not in tokens:
        found.append(f"words should start with ▁ and unknown characters fall back to bytes: {tokens}")
    if tokenizer.decode(enc, skip_special_tokens=True) != text:
        found.append(f"decode(encode(x)) gives {tokenizer.decode(enc, skip_special_tokens=True)!r}")
    if tokenizer.chat_template:
        found.append("it has a chat template; Llama 2's older copies have none")
    if tokenizer.pad_token is not None:
        found.append("it has a pad token; Llama 2 has none")
    return found


def build(target: str | Path):
    tokenizer = build_tokenizer(target)
    wrong = problems(tokenizer)
    if wrong:
        raise RuntimeError("the stand-in tokenizer is not Llama-2-like: " + "; ".join(wrong))
    build_model(target, tokenizer)
    return tokenizer


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    build(sys.argv[1])
