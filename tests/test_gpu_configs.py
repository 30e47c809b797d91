"""The `gpu` profile's complete training setup, built on CPU for a mocked T4, L4 and A100.

CI has no GPU, so what a student gets in Colab is constructed here from the same code —
`runtime.resolve_profile("gpu", rt)` with a hand-made `Runtime`, `profile.quantization_config()`,
`training.lora_config(...)` and `training.sft_config(...)` with notebook 04's settings (the "course" row
of `bench/qlora_gpu.py`, which benchmarks exactly that configuration on a real GPU) — and checked by
`problems()`: fp16 and never bf16 on a T4 (compute capability 7.5), bf16 on 8.0+; NF4 4-bit base with double
quantization computing in that dtype; a paged optimizer; activation checkpointing with the KV cache off;
LoRA on every linear layer; right padding with a pad token distinct from EOS, and EOS kept in the labels;
the memory estimator's total within the card, leaving MARGIN_GB for the CUDA context and allocator slack.
The planted-fault tests prove `problems()` catches each mistake.

No CUDA is touched. One thing needs care: `TrainingArguments.__post_init__` refuses `bf16=True` when
`transformers.training_args.is_torch_bf16_gpu_available()` is False, which it is on every CPU. We patch that
one function to True for the L4 and A100 — exactly the answer an L4 gives — instead of passing
`use_cpu=True` (that would build a *different* config from the student's) or skipping `__post_init__`
(which also derives fields we check, such as `gradient_checkpointing` from `activation_checkpointing`).
`fp16=True` needs no patch: transformers only checks fp16 against the device when training starts.

The tokenizer rules are checked on the cpu profile's tokenizer: `models.load_tokenizer` applies the same
pad/padding-side rules to both profiles, and the gpu tokenizer would need the Hub.
"""

from __future__ import annotations

import importlib.util
import inspect

import pytest

import utils
from utils import memory, models, runtime, training

GIB = 1024**3  # torch reports total_memory in bytes; Runtime.vram_gib is that / 1024**3
MARGIN_GB = 1.0  # CUDA context (~0.3-0.5 GB) + allocator fragmentation, not in memory.estimate

CARDS = {  # what torch.cuda.get_device_properties reports in Colab
    "T4": runtime.Runtime("colab", "3.11", "2.x+cu", True, "Tesla T4", 14.7, (7, 5)),
    "L4": runtime.Runtime("colab", "3.11", "2.x+cu", True, "NVIDIA L4", 22.2, (8, 9)),
    "A100": runtime.Runtime("colab", "3.11", "2.x+cu", True, "NVIDIA A100-SXM4-40GB", 39.6, (8, 0)),
}


def _bench_configs() -> dict:
    spec = importlib.util.spec_from_file_location("bench_qlora_gpu", utils.ROOT / "bench" / "qlora_gpu.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.CONFIGS


CONFIGS = _bench_configs()
COURSE = "course (notebook 04)"


@pytest.fixture
def cuda_bf16(monkeypatch):
    """Make transformers believe the (mocked) GPU does bf16, as an L4 or A100 would answer."""
    import transformers.training_args as ta

    def set_for(rt: runtime.Runtime) -> None:
        monkeypatch.setattr(ta, "is_torch_bf16_gpu_available", lambda *a, **k: rt.bf16)

    return set_for


def build(rt: runtime.Runtime, cuda_bf16, tmp_path, config: str = COURSE, profile=None):
    """Everything the gpu profile's training uses: (profile, quantization config, LoRA config, SFTConfig)."""
    r, alpha, dropout, batch, accum, seq_len, by_length = CONFIGS[config]
    profile = profile or runtime.resolve_profile("gpu", rt)
    cuda_bf16(rt)
    extra = {"train_sampling_strategy": "group_by_length"} if by_length else {}
    args = training.sft_config(profile, tmp_path / "out", learning_rate=2e-4, max_steps=profile.max_steps,
                               batch_size=batch, grad_accum=accum, max_length=seq_len, report_to="none", **extra)
    return profile, profile.quantization_config(), training.lora_config(r, alpha, dropout), args


def memory_gb(args, lora, profile) -> float:
    parts = memory.estimate(memory.LLAMA2_7B, "qlora", batch=args.per_device_train_batch_size,
                            seq_len=args.max_length, r=lora.r, targets=tuple(lora.target_modules),
                            gradient_checkpointing=bool(args.activation_checkpointing),
                            compute_bytes=2 if (args.fp16 or args.bf16) else 4)
    return memory.total(parts)


def problems(rt: runtime.Runtime, profile, quant, lora, args) -> list[str]:
    """Everything wrong with this setup for this card (empty: a student can run it)."""
    import torch

    out = []
    want = torch.bfloat16 if rt.capability >= (8, 0) else torch.float16
    if rt.capability < (8, 0) and args.bf16:
        out.append("bf16 on a card without bf16 hardware (emulated: slow, or fails)")
    if rt.capability < (8, 0) and not args.fp16:
        out.append("no fp16 mixed precision on a pre-Ampere card")
    if rt.capability >= (8, 0) and not args.bf16:
        out.append("bf16 not used on a card that has it")
    if args.fp16 and args.bf16:
        out.append("fp16 and bf16 both on")
    if profile.compute_dtype != want or quant.bnb_4bit_compute_dtype != want:
        out.append(f"compute dtype {quant.bnb_4bit_compute_dtype} (profile {profile.compute_dtype}), want {want}")
    if not (quant.load_in_4bit and quant.bnb_4bit_quant_type == "nf4" and quant.bnb_4bit_use_double_quant):
        out.append("base is not 4-bit NF4 with double quantization")
    if "paged" not in str(getattr(args.optim, "value", args.optim)):
        out.append(f"optimizer {args.optim} is not paged (spikes would run out of memory)")
    if not (args.activation_checkpointing and args.gradient_checkpointing):
        out.append("activation checkpointing is off")
    if args.use_cache:
        out.append("use_cache on while training with checkpointing")
    if set(lora.target_modules) != set(training.LORA_TARGETS) or lora.task_type != "CAUSAL_LM":
        out.append(f"LoRA targets {sorted(lora.target_modules)}, task {lora.task_type}")
    need = memory_gb(args, lora, profile)
    card = rt.vram_gib * GIB / memory.GB
    if need + MARGIN_GB > card:
        out.append(f"estimated {need:.1f} GB + {MARGIN_GB} GB margin exceeds the card's {card:.1f} GB")
    return out


# ---------------------------------------------------------------------------------------- the real setup
@pytest.mark.parametrize("card", CARDS)
def test_gpu_profile_setup_is_right_for_the_card(card, cuda_bf16, tmp_path):
    rt = CARDS[card]
    profile, quant, lora, args = build(rt, cuda_bf16, tmp_path)
    assert profile.name == "gpu"
    assert problems(rt, profile, quant, lora, args) == []
    assert (args.fp16, args.bf16) == ((True, False) if card == "T4" else (False, True))
    assert args.max_length == CONFIGS[COURSE][5] and args.gradient_accumulation_steps == CONFIGS[COURSE][4]
    assert args.completion_only_loss is True and args.save_only_model is False


@pytest.mark.parametrize("card", CARDS)
def test_memory_estimate_fits_with_margin(card, cuda_bf16, tmp_path):
    rt = CARDS[card]
    profile, _, lora, args = build(rt, cuda_bf16, tmp_path)
    need = memory_gb(args, lora, profile)
    card_gb = rt.vram_gib * GIB / memory.GB
    assert 4.0 < need < card_gb - MARGIN_GB, f"{card}: {need:.1f} GB needed, {card_gb:.1f} GB on the card"


def test_reference_mlabonne_config_builds_on_t4(cuda_bf16, tmp_path):
    """The comparison row of bench/qlora_gpu.py builds as well (group_by_length via train_sampling_strategy)."""
    rt = CARDS["T4"]
    _, _, lora, args = build(rt, cuda_bf16, tmp_path, config="mlabonne Colab")
    assert args.train_sampling_strategy == "group_by_length" and lora.r == 64 and args.fp16 and not args.bf16


def test_kv_cache_is_off_during_training():
    """Where use_cache=False comes from in the pinned stack: TrainingArguments.use_cache (False by default) is
    copied into model.config by Trainer, and TRL's SFTTrainer passes use_cache=False on every loss computation."""
    from transformers import Trainer, TrainingArguments
    from trl import SFTTrainer

    assert TrainingArguments(output_dir="x", report_to="none").use_cache is False
    assert "config.use_cache = self.args.use_cache" in inspect.getsource(Trainer.__init__)
    assert 'inputs["use_cache"] = False' in inspect.getsource(SFTTrainer.compute_loss)


# ---------------------------------------------------------------------------------------- planted faults
def test_bf16_on_a_t4_is_caught(cuda_bf16, tmp_path):
    t4 = CARDS["T4"]
    as_if_ampere = runtime.resolve_profile("gpu", CARDS["L4"])  # a profile that ignored the capability
    cuda_bf16(CARDS["L4"])  # recent torch answers is_bf16_supported() True on a T4 too (emulation)
    _, quant, lora, args = build(t4, lambda rt: None, tmp_path, profile=as_if_ampere)
    found = problems(t4, as_if_ampere, quant, lora, args)
    assert any("bf16 on a card without bf16" in p for p in found), found
    assert any("compute dtype" in p for p in found), found


def test_other_faults_are_caught(cuda_bf16, tmp_path):
    import dataclasses

    rt = CARDS["T4"]
    profile, quant, lora, args = build(rt, cuda_bf16, tmp_path)
    unpaged = dataclasses.replace(profile, optim="adamw_torch", gradient_checkpointing=False)
    # mlabonne's r=64 at 1024 tokens, without checkpointing: activations overflow a T4 (≈ 26 GB estimated)
    _, _, lora2, args2 = build(rt, cuda_bf16, tmp_path, config="mlabonne Colab", profile=unpaged)
    found = problems(rt, unpaged, quant, lora2, args2)
    assert any("not paged" in p for p in found) and any("checkpointing is off" in p for p in found), found
    assert any("exceeds the card" in p for p in found), found
    big = training.lora_config(16, 32, 0.05, targets=("q_proj", "v_proj"))
    assert any("LoRA targets" in p for p in problems(rt, profile, quant, big, args))


# ---------------------------------------------------------------------------------------- tokenizer rules
@pytest.fixture(scope="module")
def tokenizer():
    return models.load_tokenizer(runtime.resolve_profile("cpu"))


def tokenizer_problems(tok) -> list[str]:
    out = []
    if tok.padding_side != "right":
        out.append(f"padding side {tok.padding_side!r} for training")
    if tok.pad_token_id is None or tok.pad_token_id == tok.eos_token_id:
        out.append("pad token missing or equal to EOS: a collator masking pads would mask the real EOS")
    return out


def test_tokenizer_pads_right_with_a_pad_distinct_from_eos(tokenizer):
    assert tokenizer_problems(tokenizer) == []
    batch = tokenizer(["Hi", "A longer sentence here"], padding=True)
    short = batch["input_ids"][0]
    assert short[-1] == tokenizer.pad_token_id and batch["attention_mask"][0][-1] == 0


def test_eos_stays_in_the_labels(tokenizer):
    """TRL's collator (what SFTTrainer uses) pads with the pad token and keeps EOS as a label.

    TRL 1.16 masks the prompt while preparing the dataset and pads labels with -100 itself; the pad ≠ EOS rule
    protects any collator that masks by token id (``labels[input_ids == pad_token_id] = -100``), checked last."""
    from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

    msgs = [{"role": "user", "content": "Sentiment: great!"}]
    prompt = tokenizer.apply_chat_template(msgs, add_generation_prompt=True, tokenize=True, return_dict=True)["input_ids"]
    full = tokenizer.apply_chat_template(msgs + [{"role": "assistant", "content": "positive"}], tokenize=True,
                                         return_dict=True)["input_ids"]
    eos_at = max(i for i, t in enumerate(full) if t == tokenizer.eos_token_id)
    assert eos_at >= len(prompt), "the completion must end with EOS"
    labels = [-100] * len(prompt) + full[len(prompt):]
    examples = [{"input_ids": full, "labels": labels}, {"input_ids": full[:-3], "labels": labels[:-3]}]
    batch = DataCollatorForLanguageModeling(pad_token_id=tokenizer.pad_token_id)(examples)
    assert batch["labels"][0, eos_at].item() == tokenizer.eos_token_id, "EOS masked out of the loss"
    assert (batch["labels"][1, len(full) - 3:] == -100).all()
    assert (batch["input_ids"][1, len(full) - 3:] == tokenizer.pad_token_id).all()  # right padding
    by_id = batch["input_ids"][0] == tokenizer.pad_token_id
    assert not by_id[eos_at], "masking labels by pad id would remove the EOS label"


def test_left_padding_or_pad_eq_eos_is_caught(tokenizer):
    import copy

    bad = copy.deepcopy(tokenizer)
    bad.padding_side = "left"
    bad.pad_token = bad.eos_token
    found = tokenizer_problems(bad)
    assert len(found) == 2, found


@pytest.mark.parametrize("card", CARDS)
def test_fsdp_stores_4bit_weights_in_bf16_and_refuses_fp16_cards(card, cuda_bf16, tmp_path):
    # scripts/train_sft.py under scripts/accelerate/fsdp_qlora.yaml: the packed NF4 weights share the dtype the
    # model is loaded in, bf16 = the compute dtype; a T4 (fp16 only) is refused with the fix named.
    import torch

    profile, quant, _, _ = build(CARDS[card], cuda_bf16, tmp_path)
    assert quant.bnb_4bit_quant_storage == torch.uint8, "one GPU: the default packing"
    if card == "T4":
        with pytest.raises(runtime.ProfileError, match="ddp.yaml"):
            profile.quantization_config(fsdp=True)
        return
    sharded = profile.quantization_config(fsdp=True)
    assert sharded.bnb_4bit_quant_storage == sharded.bnb_4bit_compute_dtype == torch.bfloat16
    assert {k: v for k, v in sharded.to_dict().items() if k != "bnb_4bit_quant_storage"} == \
        {k: v for k, v in quant.to_dict().items() if k != "bnb_4bit_quant_storage"}, "FSDP changes the storage only"


def test_fsdp_load_has_no_device_map_and_bf16_storage(monkeypatch, cuda_bf16):
    # what models.load_model hands from_pretrained, on a mocked L4: FSDP places the shards itself
    import torch
    from transformers import AutoModelForCausalLM

    seen: dict = {}
    monkeypatch.setattr(AutoModelForCausalLM, "from_pretrained", lambda source, **kw: seen.update(kw) or _Stub())
    monkeypatch.setattr(models, "lm_source", lambda profile: "meta-llama/Llama-2-7b-chat-hf")
    profile = runtime.resolve_profile("gpu", CARDS["L4"])
    models.load_model(profile, fsdp=True)
    assert "device_map" not in seen and seen["dtype"] == torch.bfloat16
    assert seen["quantization_config"].bnb_4bit_quant_storage == torch.bfloat16
    seen.clear()
    models.load_model(profile, local_rank=3)  # DDP: each process on its own GPU
    assert seen["device_map"] == {"": 3} and seen["quantization_config"].bnb_4bit_quant_storage == torch.uint8


class _Stub:
    def eval(self):
        return self


def test_70b_qlora_needs_sharding_on_24gb_cards():
    # notebook 04, section 8: Llama 2 70B in 4-bit does not fit an L4 (24 GB) copied whole, but does in 8 shards
    parts = memory.estimate(memory.LLAMA2_70B, "qlora", batch=4, seq_len=512, r=16)
    l4_gb = CARDS["L4"].vram_gib * GIB / 1e9
    assert memory.total(parts) + MARGIN_GB > l4_gb
    assert memory.total(memory.per_gpu(parts, 8, "fsdp")) + MARGIN_GB < l4_gb


# ---------------------------------------------------------------------------------------- notebook 07: DPO
def build_dpo(rt: runtime.Runtime, cuda_bf16, tmp_path):
    """Notebook 07's DPO setup for the gpu profile: its defaults, its max_length, notebook 04's LoRA."""
    profile = runtime.resolve_profile("gpu", rt)
    cuda_bf16(rt)
    d = training.DPO_DEFAULTS["gpu"]
    args = training.dpo_config(profile, tmp_path / "dpo", beta=0.1, learning_rate=2e-4, max_steps=d["max_steps"],
                               batch_size=d["batch_size"], grad_accum=d["grad_accum"], max_length=256)
    return profile, profile.quantization_config(), training.lora_config(16, 32, 0.0), args


@pytest.mark.parametrize("card", ["T4", "L4"])
def test_dpo_setup_is_right_for_the_card_and_fits(card, cuda_bf16, tmp_path):
    rt = CARDS[card]
    profile, quant, lora, args = build_dpo(rt, cuda_bf16, tmp_path)
    found = [p for p in problems(rt, profile, quant, lora, args) if "estimated" not in p]
    assert found == []
    assert (args.fp16, args.bf16) == ((True, False) if card == "T4" else (False, True))
    assert args.beta == 0.1 and args.loss_type == ["sigmoid"] and not args.use_cpu and args.learning_rate == 2e-4
    as_notebook = training.dpo_config(profile, tmp_path / "dpo", beta=0.1, learning_rate=2e-4, max_steps=args.max_steps,
                                      batch_size=args.per_device_train_batch_size,
                                      grad_accum=args.gradient_accumulation_steps, max_length=256, cpu_bf16=True)
    assert as_notebook.to_dict() == args.to_dict()  # notebook 07's cpu_bf16=True changes nothing on a GPU
    parts = memory.with_cuda_overhead(memory.estimate_dpo(memory.LLAMA2_7B, args.per_device_train_batch_size,
                                                          args.max_length, r=lora.r))
    card_gb = rt.vram_gib * GIB / memory.GB
    assert 4.0 < memory.total(parts) < card_gb, f"{card}: {memory.total(parts):.1f} GB for {card_gb:.1f} GB"


def test_dpo_estimate_counts_both_answers_and_the_reference():
    one = memory.estimate(memory.LLAMA2_7B, "qlora", batch=4, seq_len=256)
    dpo = memory.estimate_dpo(memory.LLAMA2_7B, batch_pairs=2, seq_len=256)
    assert dpo["weights"] == one["weights"]  # the reference shares the 4-bit base: no second copy
    assert dpo["activations"] == one["activations"] and dpo["reference forward"] > 0
    too_big = memory.with_cuda_overhead(memory.estimate_dpo(memory.LLAMA2_7B, batch_pairs=8, seq_len=1024,
                                                            gradient_checkpointing=False))
    assert memory.total(too_big) > CARDS["T4"].vram_gib * GIB / memory.GB  # a planted fault is caught
    with pytest.raises(ValueError, match="batch_pairs"):
        memory.estimate_dpo(memory.LLAMA2_7B, batch_pairs=0, seq_len=256)


def test_dpo_trainer_reference_is_the_adapters_switched_off():
    """TRL 1.16 copies a PeftModel's adapters as a 'ref' adapter; training.adapt_dpo_trainer removes it so that the
    reference is the model before DPO. The code path it relies on is TRL's own: no 'ref' adapter -> adapters off."""
    from trl import DPOTrainer

    source = inspect.getsource(DPOTrainer)
    assert 'adapter_name="ref" if "ref" in' in source
    assert 'trainer.model.delete_adapter("ref")' in inspect.getsource(training.adapt_dpo_trainer)
