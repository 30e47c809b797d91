"""Scaled dot-product attention written out by hand, its masks, and an attention heatmap.

The reference the attention notebook builds step by step and then checks against
``torch.nn.functional.scaled_dot_product_attention`` and against a real model:

    >>> from utils import attention
    >>> out, weights = attention.scaled_dot_product_attention(q, k, v, causal=True)

Shapes follow PyTorch: ``query (..., L, d)``, ``key (..., S, d)``, ``value (..., S, dv)``,
output ``(..., L, dv)``, weights ``(..., L, S)``. Masks are boolean with **True = may attend**
(PyTorch's convention), or float and added to the scores (0 = keep, -inf = block).
"""

from __future__ import annotations

import math

import torch

__all__ = ["scaled_dot_product_attention", "causal_mask", "padding_mask", "heatmap"]


def _shape(t) -> str:
    return "(" + ", ".join(str(n) for n in t.shape) + ")"


def _check_tensor(name: str, t, min_dim: int = 2, expected: str = "(..., positions, features)") -> None:
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, not {type(t).__name__}")
    if t.dim() < min_dim:
        raise ValueError(f"{name} has shape {_shape(t)}; expected {expected} with at least {min_dim} dimensions")
    if not t.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, not {t.dtype}")


def causal_mask(q_len: int, k_len: int | None = None, *, device=None) -> torch.Tensor:
    """Boolean ``(q_len, k_len)`` mask, True where a query may look at a key.

    Query ``i`` sits at position ``i + k_len - q_len`` of the sequence and sees every key up to
    that position: lower-triangular when ``q_len == k_len``; when a cache already holds the
    first ``k_len - q_len`` keys (generation), the new queries see all of them.
    """
    k_len = q_len if k_len is None else k_len
    for name, n in (("q_len", q_len), ("k_len", k_len)):
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"{name} must be a positive int, got {n!r}")
    if q_len > k_len:
        raise ValueError(
            f"a causal mask needs at least as many keys as queries: got {q_len} queries and {k_len} keys "
            "(queries are the last q_len positions of the keys' sequence)"
        )
    return torch.ones(q_len, k_len, dtype=torch.bool, device=device).tril(diagonal=k_len - q_len)


def padding_mask(attention_mask: torch.Tensor) -> torch.Tensor:
    """A tokenizer's ``(batch, seq)`` attention mask (1 = token, 0 = padding) as a boolean
    ``(batch, 1, 1, seq)`` key mask that broadcasts over heads and queries.

    Combine it with a causal mask with ``&``: ``padding_mask(m) & causal_mask(seq)``.
    """
    if not isinstance(attention_mask, torch.Tensor):
        attention_mask = torch.as_tensor(attention_mask)
    if attention_mask.dim() != 2:
        raise ValueError(
            f"attention_mask has shape {_shape(attention_mask)}; expected (batch, seq), as a tokenizer returns it"
        )
    if attention_mask.dtype != torch.bool and not ((attention_mask == 0) | (attention_mask == 1)).all():
        raise ValueError("attention_mask must hold only 0 (padding) and 1 (token)")
    return attention_mask.bool()[:, None, None, :]


def scaled_dot_product_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    mask: torch.Tensor | None = None,
    *,
    causal: bool = False,
    scale: float | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``softmax(query @ key.T * scale + mask) @ value``, returning ``(output, weights)``.

    - ``scale`` defaults to ``1 / sqrt(d)``.
    - ``causal=True`` blocks every key after the query's own position (see ``causal_mask``).
    - ``mask``: boolean (True = may attend) or float (added to the scores), broadcastable to
      the scores' shape ``(..., L, S)``; it is applied together with ``causal``.
    - Grouped-query attention: when the query has more heads (dimension -3) than key and
      value, and a multiple of them, each key/value head serves that many query heads in turn
      (heads 0..g-1 use key head 0, and so on), as in Llama-style models.
    - A query row whose keys are all masked gets weights of 0 (and an output of 0), as PyTorch does.
    """
    _check_tensor("query", query)
    _check_tensor("key", key)
    _check_tensor("value", value)
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(
            f"query {_shape(query)} and key {_shape(key)} must have the same last dimension d "
            f"(the dot product of a query and a key needs equal lengths): expected key (..., S, {query.shape[-1]})"
        )
    if key.shape[:-1] != value.shape[:-1]:
        raise ValueError(
            f"key {_shape(key)} and value {_shape(value)} must agree on all but the last dimension: "
            f"expected value ({', '.join(map(str, key.shape[:-1]))}, dv) — one value per key"
        )
    lead_q, lead_k = query.shape[:-2], key.shape[:-2]
    if lead_q != lead_k:
        gqa = (
            len(lead_q) == len(lead_k) >= 1
            and lead_q[:-1] == lead_k[:-1]
            and lead_k[-1] > 0
            and lead_q[-1] % lead_k[-1] == 0
        )
        if not gqa:
            raise ValueError(
                f"query {_shape(query)} and key {_shape(key)} must have the same leading (batch, heads) "
                f"dimensions: expected key ({', '.join(map(str, lead_q))}, S, d), or — grouped-query "
                "attention — a number of key heads (dimension -3) that divides the query's"
            )
        groups = lead_q[-1] // lead_k[-1]
        key = key.repeat_interleave(groups, dim=-3)
        value = value.repeat_interleave(groups, dim=-3)

    q_len, k_len = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.transpose(-2, -1)) * scale  # (..., L, S)

    if mask is not None:
        if not isinstance(mask, torch.Tensor):
            raise TypeError(f"mask must be a torch.Tensor (bool or float), not {type(mask).__name__}")
        try:
            torch.broadcast_shapes(mask.shape, scores.shape)
        except RuntimeError:
            raise ValueError(
                f"mask has shape {_shape(mask)}, which does not broadcast to the scores' shape "
                f"{_shape(scores)} (..., queries, keys)"
            ) from None
        if mask.dtype == torch.bool:
            scores = scores.masked_fill(~mask, float("-inf"))
        else:
            scores = scores + mask.to(scores.dtype)
    if causal:
        scores = scores.masked_fill(~causal_mask(q_len, k_len, device=scores.device), float("-inf"))

    # Softmax in float32 (as the models' own eager attention does), then back to the input dtype.
    weights = torch.softmax(scores.float(), dim=-1)
    blocked = torch.isneginf(scores).all(dim=-1, keepdim=True)  # rows with nothing to attend to
    weights = weights.masked_fill(blocked, 0.0).to(query.dtype)
    return weights @ value, weights


def heatmap(
    weights,
    row_labels,
    col_labels=None,
    *,
    ax=None,
    title: str | None = None,
    annotate: bool | None = None,
    cmap: str = "viridis",
    vmin: float | None = None,
    vmax: float | None = None,
    colorbar: bool = True,
    xlabel: str = "key (attended to)",
    ylabel: str = "query (attending)",
):
    """Draw a ``(queries, keys)`` matrix with tokens on both axes and return the matplotlib Axes.

    Cells that are ``-inf`` (masked scores) are drawn grey and hatched and, when annotated,
    marked ``−∞``. ``annotate`` writes each value in its cell (default: for up to 12 × 12).
    """
    import matplotlib.pyplot as plt
    import numpy as np

    data = weights.detach().float().cpu().numpy() if isinstance(weights, torch.Tensor) else np.asarray(weights, float)
    if data.ndim != 2:
        raise ValueError(
            f"heatmap needs a 2-D (queries, keys) matrix, got shape {tuple(data.shape)}; "
            "pick one batch item and head first, e.g. weights[0, head]"
        )
    col_labels = row_labels if col_labels is None else col_labels
    if len(row_labels) != data.shape[0] or len(col_labels) != data.shape[1]:
        raise ValueError(
            f"labels do not match the matrix: {len(row_labels)} row labels and {len(col_labels)} column "
            f"labels for shape {tuple(data.shape)} (expected {data.shape[0]} and {data.shape[1]})"
        )
    if ax is None:
        side = max(3.0, 0.45 * max(data.shape) + 1.5)
        _, ax = plt.subplots(figsize=(side * data.shape[1] / max(data.shape) + 1.0, side * data.shape[0] / max(data.shape)))
    blocked = np.isneginf(data)
    shown: np.ma.MaskedArray = np.ma.masked_array(data, mask=~np.isfinite(data))
    colours = plt.get_cmap(cmap).with_extremes(bad="#d9d9d9")
    image = ax.imshow(shown, cmap=colours, vmin=vmin, vmax=vmax, aspect="auto", interpolation="nearest")
    for i, j in zip(*np.nonzero(blocked)):
        ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///", edgecolor="#9a9a9a", lw=0))
    ax.set_xticks(range(data.shape[1]), [str(c) for c in col_labels], rotation=60, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(data.shape[0]), [str(r) for r in row_labels])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if annotate is None:
        annotate = max(data.shape) <= 12
    if annotate:
        for i in range(data.shape[0]):
            for j in range(data.shape[1]):
                v = data[i, j]
                text = "−∞" if blocked[i, j] else ("" if not np.isfinite(v) else f"{v:.2f}")
                r, g, b, _ = image.cmap(image.norm(v)) if np.isfinite(v) else (1, 1, 1, 1)
                dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5  # white text on dark cells, whatever the colormap
                ax.text(j, i, text, ha="center", va="center", fontsize=8, color="white" if dark else "black")
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return ax
