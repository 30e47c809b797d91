"""utils.attention: the hand-written attention equals PyTorch's, masks mean what they say, bad input is a clear error."""

import math

import matplotlib
import pytest
import torch
import torch.nn.functional as F

from utils import attention

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

TOL = 1e-5


def rand(*shape, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g)


def max_diff(a, b):
    return (a - b).abs().max().item()


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("shape", [(5, 8), (1, 1, 1, 4), (2, 3, 7, 16), (4, 2, 11, 32), (3, 2, 2, 9, 8)])
def test_equals_pytorch_on_random_shapes(shape, causal):
    q, k, v = rand(*shape, seed=1), rand(*shape, seed=2), rand(*shape, seed=3)
    out, weights = attention.scaled_dot_product_attention(q, k, v, causal=causal)
    expected = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    assert out.shape == expected.shape and weights.shape == (*shape[:-1], shape[-2])
    assert max_diff(out, expected) <= TOL
    assert torch.allclose(weights.sum(-1), torch.ones(()), atol=1e-6)  # each row is a distribution
    if causal:
        assert (weights.triu(1) == 0).all()  # exactly zero above the diagonal, not just small


def test_batch_items_are_independent():
    q, k, v = rand(3, 4, 6, 8, seed=1), rand(3, 4, 6, 8, seed=2), rand(3, 4, 6, 8, seed=3)
    batched, _ = attention.scaled_dot_product_attention(q, k, v, causal=True)
    for b in range(3):
        alone, _ = attention.scaled_dot_product_attention(q[b : b + 1], k[b : b + 1], v[b : b + 1], causal=True)
        assert max_diff(batched[b : b + 1], alone) <= TOL


@pytest.mark.parametrize("q_len, k_len, dv", [(3, 7, 8), (9, 2, 5), (1, 12, 16)])
def test_cross_attention_with_different_lengths(q_len, k_len, dv):
    q, k, v = rand(2, 4, q_len, 8, seed=1), rand(2, 4, k_len, 8, seed=2), rand(2, 4, k_len, dv, seed=3)
    out, weights = attention.scaled_dot_product_attention(q, k, v)
    assert out.shape == (2, 4, q_len, dv) and weights.shape == (2, 4, q_len, k_len)
    assert max_diff(out, F.scaled_dot_product_attention(q, k, v)) <= TOL


def test_padding_mask_combined_with_causal_mask():
    seq = 6
    tokens = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0], [1, 1, 0, 0, 0, 0]])  # right padding
    q, k, v = rand(3, 2, seq, 8, seed=1), rand(3, 2, seq, 8, seed=2), rand(3, 2, seq, 8, seed=3)
    pad = attention.padding_mask(tokens)
    assert pad.shape == (3, 1, 1, seq) and pad.dtype == torch.bool
    combined = pad & attention.causal_mask(seq)
    assert combined.shape == (3, 1, seq, seq)

    out, weights = attention.scaled_dot_product_attention(q, k, v, mask=pad, causal=True)
    assert max_diff(out, F.scaled_dot_product_attention(q, k, v, attn_mask=combined)) <= TOL
    same, _ = attention.scaled_dot_product_attention(q, k, v, mask=combined)  # one mask or two: the same
    assert max_diff(out, same) <= TOL
    assert (weights[1, :, :, 4:] == 0).all() and (weights[2, :, :, 2:] == 0).all()  # padding gets nothing
    assert (weights.triu(1) == 0).all()


def test_float_mask_is_added_to_the_scores():
    q, k, v = rand(2, 3, 5, 8, seed=1), rand(2, 3, 5, 8, seed=2), rand(2, 3, 5, 8, seed=3)
    bias = rand(5, 5, seed=4)
    bias[0, 3:] = float("-inf")
    out, weights = attention.scaled_dot_product_attention(q, k, v, mask=bias)
    assert max_diff(out, F.scaled_dot_product_attention(q, k, v, attn_mask=bias)) <= TOL
    assert (weights[..., 0, 3:] == 0).all()


def test_fully_masked_rows_give_zeros_like_pytorch():
    q, k, v = rand(1, 1, 3, 4, seed=1), rand(1, 1, 3, 4, seed=2), rand(1, 1, 3, 4, seed=3)
    mask = torch.tensor([[False, False, False], [True, True, False], [True, True, True]])
    out, weights = attention.scaled_dot_product_attention(q, k, v, mask=mask)
    assert not out.isnan().any()
    assert (weights[..., 0, :] == 0).all() and (out[..., 0, :] == 0).all()
    assert max_diff(out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask)) <= TOL


def test_causal_with_fewer_queries_than_keys_is_one_step_of_generation():
    """With a cache, the new queries are the last positions: they equal the last rows of the full computation."""
    q, k, v = rand(2, 3, 8, 16, seed=1), rand(2, 3, 8, 16, seed=2), rand(2, 3, 8, 16, seed=3)
    full, _ = attention.scaled_dot_product_attention(q, k, v, causal=True)
    last3, weights = attention.scaled_dot_product_attention(q[..., -3:, :], k, v, causal=True)
    assert max_diff(last3, full[..., -3:, :]) <= TOL
    assert (weights[..., 0, 6:] == 0).all() and (weights[..., -1, :] > 0).all()
    bottom_right = torch.ones(3, 8, dtype=torch.bool).tril(diagonal=5)
    expected = F.scaled_dot_product_attention(q[..., -3:, :], k, v, attn_mask=bottom_right)
    assert max_diff(last3, expected) <= TOL


def test_grouped_query_attention_shares_key_value_heads():
    q = rand(2, 9, 5, 16, seed=1)  # 9 query heads
    k, v = rand(2, 3, 5, 16, seed=2), rand(2, 3, 5, 16, seed=3)  # 3 key/value heads, as in SmolLM2
    out, weights = attention.scaled_dot_product_attention(q, k, v, causal=True)
    assert out.shape == (2, 9, 5, 16) and weights.shape == (2, 9, 5, 5)
    assert max_diff(out, F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)) <= TOL
    # query heads 0, 1, 2 use key/value head 0; heads 3, 4, 5 use head 1; ...
    head4, _ = attention.scaled_dot_product_attention(q[:, 4:5], k[:, 1:2], v[:, 1:2], causal=True)
    assert max_diff(out[:, 4:5], head4) <= TOL


def test_scale_defaults_to_one_over_sqrt_d_and_can_be_set():
    q, k, v = rand(1, 2, 4, 64, seed=1), rand(1, 2, 4, 64, seed=2), rand(1, 2, 4, 64, seed=3)
    default, _ = attention.scaled_dot_product_attention(q, k, v)
    explicit, _ = attention.scaled_dot_product_attention(q, k, v, scale=1 / math.sqrt(64))
    assert max_diff(default, explicit) == 0
    custom, _ = attention.scaled_dot_product_attention(q, k, v, scale=0.5)
    assert max_diff(custom, F.scaled_dot_product_attention(q, k, v, scale=0.5)) <= TOL


def test_half_precision_keeps_its_dtype():
    q, k, v = (rand(1, 2, 4, 8, seed=s).to(torch.bfloat16) for s in (1, 2, 3))
    out, weights = attention.scaled_dot_product_attention(q, k, v, causal=True)
    assert out.dtype == weights.dtype == torch.bfloat16
    assert max_diff(out.float(), F.scaled_dot_product_attention(q, k, v, is_causal=True).float()) <= 2e-2


@pytest.mark.parametrize(
    "q_shape, k_shape, v_shape, message",
    [
        ((5,), (5, 8), (5, 8), r"query has shape \(5\); expected \(\.\.\., positions, features\)"),
        ((2, 5, 8), (2, 5, 4), (2, 5, 4), r"same last dimension d.*expected key \(\.\.\., S, 8\)"),
        ((2, 5, 8), (2, 5, 8), (2, 6, 8), r"key \(2, 5, 8\) and value \(2, 6, 8\).*expected value \(2, 5, dv\)"),
        ((2, 4, 5, 8), (3, 4, 5, 8), (3, 4, 5, 8), r"same leading \(batch, heads\).*expected key \(2, 4, S, d\)"),
        ((2, 4, 5, 8), (2, 3, 5, 8), (2, 3, 5, 8), r"grouped-query"),
        ((4, 5, 8), (5, 8), (5, 8), r"same leading"),
    ],
)
def test_bad_shapes_are_clear_errors(q_shape, k_shape, v_shape, message):
    with pytest.raises(ValueError, match=message):
        attention.scaled_dot_product_attention(torch.zeros(q_shape), torch.zeros(k_shape), torch.zeros(v_shape))


def test_bad_mask_and_types_are_clear_errors():
    q = k = v = rand(2, 3, 5, 8)
    with pytest.raises(ValueError, match=r"mask has shape \(4, 4\).*scores' shape \(2, 3, 5, 5\)"):
        attention.scaled_dot_product_attention(q, k, v, mask=torch.ones(4, 4, dtype=torch.bool))
    with pytest.raises(TypeError, match="mask must be a torch.Tensor"):
        attention.scaled_dot_product_attention(q, k, v, mask=[[1]])
    with pytest.raises(TypeError, match="query must be a torch.Tensor, not list"):
        attention.scaled_dot_product_attention([[1.0]], k, v)
    with pytest.raises(TypeError, match="key must be a floating-point tensor"):
        attention.scaled_dot_product_attention(q, torch.ones(2, 3, 5, 8, dtype=torch.long), v)
    with pytest.raises(ValueError, match="at least as many keys as queries: got 5 queries and 3 keys"):
        attention.scaled_dot_product_attention(q, k[..., :3, :], v[..., :3, :], causal=True)


def test_causal_mask_values_and_errors():
    assert attention.causal_mask(3).tolist() == [[True, False, False], [True, True, False], [True, True, True]]
    assert attention.causal_mask(2, 4).tolist() == [[True, True, True, False], [True, True, True, True]]
    for bad in (0, -1, 2.5, True, "3"):
        with pytest.raises(ValueError, match="q_len must be a positive int"):
            attention.causal_mask(bad)
    with pytest.raises(ValueError, match="at least as many keys as queries"):
        attention.causal_mask(4, 2)


def test_padding_mask_errors():
    assert attention.padding_mask([[1, 1, 0]]).tolist() == [[[[True, True, False]]]]
    with pytest.raises(ValueError, match=r"shape \(3\); expected \(batch, seq\)"):
        attention.padding_mask(torch.tensor([1, 1, 0]))
    with pytest.raises(ValueError, match="only 0 .padding. and 1"):
        attention.padding_mask(torch.tensor([[1, 2, 0]]))


def test_heatmap_draws_labels_and_masked_cells():
    scores = rand(4, 4)
    scores = scores.masked_fill(~attention.causal_mask(4), float("-inf"))
    tokens = ["Mary", "is", "happy", "."]
    ax = attention.heatmap(scores, tokens, title="masked scores")
    try:
        assert [t.get_text() for t in ax.get_xticklabels()] == tokens
        assert [t.get_text() for t in ax.get_yticklabels()] == tokens
        assert ax.get_title() == "masked scores"
        texts = [t.get_text() for t in ax.texts]
        assert texts.count("−∞") == 6 and len(texts) == 16  # annotated, masked cells marked
        assert len(ax.patches) == 6  # one hatched patch per masked cell
    finally:
        plt.close(ax.figure)


def test_heatmap_on_given_axes_rectangular_and_without_annotation():
    fig, axes = plt.subplots(1, 2)
    try:
        ax = attention.heatmap(torch.rand(2, 5), ["le", "chat"], list("abcde"), ax=axes[1], annotate=False,
                               colorbar=False, vmin=0, vmax=1)
        assert ax is axes[1] and not ax.texts
        assert len(ax.get_xticklabels()) == 5 and len(ax.get_yticklabels()) == 2
    finally:
        plt.close(fig)


@pytest.mark.parametrize(
    "matrix, rows, cols, message",
    [
        (torch.rand(2, 3, 3), ["a"] * 3, None, r"2-D \(queries, keys\) matrix, got shape \(2, 3, 3\)"),
        (torch.rand(3, 3), ["a", "b"], None, r"2 row labels and 2 column labels for shape \(3, 3\)"),
        (torch.rand(2, 3), ["a", "b"], ["x"], r"expected 2 and 3"),
    ],
)
def test_heatmap_bad_input_is_a_clear_error(matrix, rows, cols, message):
    with pytest.raises(ValueError, match=message):
        attention.heatmap(matrix, rows, cols)
