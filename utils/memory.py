"""How much memory does fine-tuning need? An estimator, component by component.

Conventions (stated so the numbers can be checked by hand):

- Full fine-tuning, as in the lecture's arithmetic: weights, gradients and the two Adam moments
  all in the compute precision (2 bytes for fp16/bf16): 2 + 2 + 2×2 = 8 bytes per parameter.
  70B parameters → 140 + 140 + 280 = 560 GB.
- LoRA / QLoRA: the base is frozen (no gradients, no optimizer state). Adapters are kept in
  float32 (PEFT's default), with float32 gradients and two float32 Adam moments: 16 bytes per
  trainable parameter. QLoRA stores the frozen linear weights in NF4 with double quantization:
  4.127 bits per parameter (QLoRA paper); embeddings and the output layer stay in compute precision.
- Activations of a decoder layer, per token: about 34·h bytes in 16-bit precision (Korthikanti et
  al., 2022), plus 5·heads·seq bytes for the attention matrix when it is materialised (eager
  attention; SDPA/flash kernels don't store it). With gradient checkpointing only each layer's
  input (2·h bytes per token) is kept, and one layer is recomputed at a time. The logits for the
  loss are float32: batch·seq·vocab·4 bytes, twice (values and gradient).
- ``estimate`` counts tensors only. On a GPU, ``with_cuda_overhead`` adds the CUDA context and the
  caching allocator's slack (the constants below say where their values come from).
- Real mixed-precision Adam keeps more than the lecture's 8 bytes: 16-bit weights and gradients,
  a float32 master copy of the weights and two float32 moments, 2 + 2 + 4 + 8 = 16 bytes per
  parameter (``MIXED_PRECISION_ADAM_BYTES``).
"""

from __future__ import annotations

from dataclasses import dataclass

GB = 1e9
NF4_DQ_BYTES = 4.127 / 8
MIXED_PRECISION_ADAM_BYTES = 16  # fp16/bf16 weights 2 + gradients 2 + float32 master weights 4 + Adam moments 4 + 4
# The CUDA context (driver, cuBLAS handles, loaded kernels): memory a process holds before its first tensor,
# which torch.cuda.max_memory_allocated() never shows; commonly 0.3-0.5 GB with PyTorch, more with more kernels.
CUDA_CONTEXT_GB = 0.4
# The caching allocator reserves memory in blocks; reserved / allocated at the peak of this course's QLoRA run
# was 6.40 / 5.64 GB on an L4 and 6.43 / 5.64 on a T4's arithmetic (bench/RESULTS.md): 13-14 % on top.
ALLOCATOR_SLACK = 0.135


@dataclass(frozen=True)
class Shape:
    """A Llama-style decoder: the numbers that decide its size."""

    layers: int
    hidden: int
    intermediate: int
    vocab: int
    heads: int
    kv_heads: int
    tied_embeddings: bool = False

    @classmethod
    def from_config(cls, config) -> Shape:
        return cls(config.num_hidden_layers, config.hidden_size, config.intermediate_size, config.vocab_size,
                   config.num_attention_heads, config.num_key_value_heads, bool(config.tie_word_embeddings))

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads

    def linear_shapes(self) -> dict[str, tuple[int, int]]:
        """(in, out) of each linear layer in one decoder layer."""
        h, i, kv = self.hidden, self.intermediate, self.kv_heads * self.head_dim
        return {"q_proj": (h, h), "k_proj": (h, kv), "v_proj": (h, kv), "o_proj": (h, h),
                "gate_proj": (h, i), "up_proj": (h, i), "down_proj": (i, h)}

    @property
    def linear_params(self) -> int:
        return self.layers * sum(a * b for a, b in self.linear_shapes().values())

    @property
    def embedding_params(self) -> int:
        return self.vocab * self.hidden * (1 if self.tied_embeddings else 2)

    @property
    def params(self) -> int:  # norms are a rounding error and left out
        return self.linear_params + self.embedding_params

    def lora_params(self, r: int, targets=("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")) -> int:
        """Trainable parameters of rank-``r`` adapters (A: r×in, B: out×r) on the ``targets`` of every layer."""
        shapes = self.linear_shapes()
        unknown = set(targets) - set(shapes)
        if unknown:
            raise ValueError(f"unknown target module(s) {sorted(unknown)}; choose from {sorted(shapes)}")
        return self.layers * sum(r * (shapes[t][0] + shapes[t][1]) for t in targets)


LLAMA2_7B = Shape(layers=32, hidden=4096, intermediate=11008, vocab=32000, heads=32, kv_heads=32)
LLAMA2_70B = Shape(layers=80, hidden=8192, intermediate=28672, vocab=32000, heads=64, kv_heads=8)

METHODS = ("full", "lora", "qlora")


def estimate(shape: Shape, method: str, batch: int = 1, seq_len: int = 512, r: int = 16,
             gradient_checkpointing: bool = True, compute_bytes: int = 2, eager_attention: bool = False,
             targets=None) -> dict[str, float]:
    """Memory in GB per component for training ``shape`` with ``method`` (see the module docstring)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    if min(batch, seq_len, r, compute_bytes) <= 0:
        raise ValueError("batch, seq_len, r and compute_bytes must be positive")
    targets = targets or tuple(shape.linear_shapes())
    if method == "full":
        weights: float = shape.params * compute_bytes
        trainable = shape.params
    else:
        per_linear = NF4_DQ_BYTES if method == "qlora" else compute_bytes
        weights = shape.linear_params * per_linear + shape.embedding_params * compute_bytes
        trainable = shape.lora_params(r, targets)
        weights += trainable * 4  # fp32 adapters (their gradients and Adam's two moments count below)
    tokens = batch * seq_len
    scale = compute_bytes / 2  # the 34·h rule is for 16-bit activations
    per_layer = tokens * shape.hidden * 34 * scale
    if eager_attention:
        per_layer += 5 * shape.heads * seq_len * tokens * scale
    if gradient_checkpointing:
        activations = shape.layers * tokens * shape.hidden * 2 * scale + per_layer
    else:
        activations = shape.layers * per_layer
    logits = 2 * tokens * shape.vocab * 4
    parts = {
        "weights": weights,
        "gradients": trainable * (compute_bytes if method == "full" else 4),
        "optimizer": trainable * (2 * compute_bytes if method == "full" else 8),
        "activations": activations + logits,
    }
    return {k: v / GB for k, v in parts.items()}


def with_cuda_overhead(parts: dict[str, float]) -> dict[str, float]:
    """``parts`` plus what a GPU needs beyond the tensors: the CUDA context and the allocator's slack."""
    if "CUDA context + allocator" in parts:
        raise ValueError("these parts already include the CUDA overhead")
    return {**parts, "CUDA context + allocator": CUDA_CONTEXT_GB + ALLOCATOR_SLACK * total(parts)}


def total(parts: dict[str, float]) -> float:
    return sum(parts.values())


STRATEGIES = ("ddp", "fsdp")


def per_gpu(parts: dict[str, float], gpus: int, strategy: str) -> dict[str, float]:
    """Each GPU's share of an ``estimate`` when training runs on ``gpus`` GPUs with the same per-GPU batch.

    ``ddp`` (data parallel): every GPU holds the whole model, its gradients and optimizer state; only the
    data is split, so the memory per GPU does not fall. ``fsdp`` (fully sharded, ZeRO-3): weights,
    gradients and optimizer state are split evenly across the GPUs; activations (of the GPU's own batch)
    are not. Not counted: the full-size copy of one block FSDP gathers at a time, and communication buffers.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose from {', '.join(STRATEGIES)}")
    if gpus < 1:
        raise ValueError(f"gpus must be at least 1, got {gpus}")
    if strategy == "ddp":
        return dict(parts)
    return {k: v if k == "activations" else v / gpus for k, v in parts.items()}


def estimate_dpo(shape: Shape, batch_pairs: int, seq_len: int, r: int = 16, gradient_checkpointing: bool = True,
                 compute_bytes: int = 2, targets=None) -> dict[str, float]:
    """Memory in GB for DPO with QLoRA, the reference being the same 4-bit base with its adapters switched off.

    The policy's step sees the chosen and the rejected answer of every pair: 2 × ``batch_pairs`` sequences. The
    reference costs no weights of its own (it *is* the base) and runs without gradients, so it keeps only one
    layer's activations and its logits at a time; counted on top of the policy's (conservative: TRL runs it before
    the policy's forward pass, whose activations it does not overlap).
    """
    if batch_pairs <= 0:
        raise ValueError("batch_pairs must be positive")
    parts = estimate(shape, "qlora", batch=2 * batch_pairs, seq_len=seq_len, r=r,
                     gradient_checkpointing=gradient_checkpointing, compute_bytes=compute_bytes, targets=targets)
    tokens = 2 * batch_pairs * seq_len
    parts["reference forward"] = (tokens * shape.hidden * 34 * compute_bytes / 2 + tokens * shape.vocab * 4) / GB
    return parts
