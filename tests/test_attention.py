"""lessons.attention (numpy) against hand-computed values and torch's own functions."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lessons import attention as A
from lessons.errors import EmptyInputError, ShapeError


def test_softmax_hand_values_and_stability():
    got = A.softmax(np.array([0.0, math.log(3.0)]))
    assert np.allclose(got, [0.25, 0.75])
    big = np.array([1000.0, 1000.0 + math.log(3.0)])
    assert np.allclose(A.softmax(big), [0.25, 0.75])
    with np.errstate(over="ignore", invalid="ignore"):
        assert np.isnan(A.naive_softmax(big)).all()
    # -inf entries get exactly zero; an all -inf row gives zeros, not NaN
    assert np.array_equal(A.softmax(np.array([[0.0, -np.inf], [-np.inf, -np.inf]])), [[1.0, 0.0], [0.0, 0.0]])


def test_attention_hand_example():
    # two keys; the query matches the first: scores [2, 0] / sqrt(2)
    q = np.array([[np.sqrt(2.0), 0.0]])
    k = np.array([[np.sqrt(2.0), 0.0], [0.0, 1.0]])
    v = np.array([[1.0], [0.0]])
    out, w = A.scaled_dot_product_attention(q, k, v)
    e = math.exp(math.sqrt(2.0))
    assert np.allclose(w, [[e / (e + 1), 1 / (e + 1)]])
    assert np.allclose(out, [[e / (e + 1)]])


@pytest.mark.parametrize("masked", ["none", "causal", "padding"])
def test_attention_matches_torch_float64(masked):
    rng = np.random.default_rng(0)
    q, k, v = rng.normal(size=(2, 3, 6, 8)), rng.normal(size=(2, 3, 6, 8)), rng.normal(size=(2, 3, 6, 5))
    mask = {"none": None, "causal": A.causal_mask(6),
            "padding": A.padding_mask(np.array([[1] * 6, [1] * 4 + [0] * 2]))[:, None]}[masked]
    out, w = A.scaled_dot_product_attention(q, k, v, mask)
    t = [torch.from_numpy(a) for a in (q, k, v)]
    ref = F.scaled_dot_product_attention(*t, attn_mask=None if mask is None else torch.from_numpy(mask))
    assert np.abs(out - ref.numpy()).max() <= 1e-10
    assert np.allclose(w.sum(-1), 1.0)
    if mask is not None:
        assert np.all(np.where(np.broadcast_to(mask, w.shape), 0, w) == 0)   # masked keys get weight 0


def test_bad_shapes_name_the_shapes():
    q = np.zeros((4, 8))
    with pytest.raises(ShapeError, match=r"\(4, 8\).*\(4, 7\)"):
        A.scaled_dot_product_attention(q, np.zeros((4, 7)), np.zeros((4, 3)))
    with pytest.raises(ShapeError, match="T_k"):
        A.scaled_dot_product_attention(q, np.zeros((5, 8)), np.zeros((4, 3)))
    with pytest.raises(ShapeError, match=r"mask of shape \(3, 3\)"):
        A.scaled_dot_product_attention(q, q, q, np.ones((3, 3), bool))
    with pytest.raises(EmptyInputError):
        A.scaled_dot_product_attention(np.zeros((0, 8)), q, q)
    with pytest.raises(ShapeError, match="divisible"):
        A.split_heads(np.zeros((1, 2, 10)), 3)


def test_split_merge_roundtrip_and_layout():
    x = np.arange(2 * 3 * 6).reshape(2, 3, 6)
    s = A.split_heads(x, 2)
    assert s.shape == (2, 2, 3, 3)
    assert np.array_equal(s[0, 1, 2], x[0, 2, 3:6])   # head 1 of token 2 = features 3..5
    assert np.array_equal(A.merge_heads(s), x)


def test_sinusoidal_positions_values():
    pe = A.sinusoidal_positions(4, 6)
    assert pe.shape == (4, 6)
    assert np.allclose(pe[0], [0, 1, 0, 1, 0, 1])
    assert np.isclose(pe[3, 2], math.sin(3 / 10000 ** (2 / 6)))
    assert np.isclose(pe[3, 5], math.cos(3 / 10000 ** (4 / 6)))


def test_layer_norm_and_gelu_match_torch():
    rng = np.random.default_rng(1)
    x, g, b = rng.normal(size=(3, 5)), rng.normal(size=5), rng.normal(size=5)
    ref = F.layer_norm(torch.from_numpy(x), (5,), torch.from_numpy(g), torch.from_numpy(b), eps=1e-5)
    assert np.allclose(A.layer_norm(x, g, b), ref.numpy(), atol=1e-12)
    assert np.allclose(A.gelu(x), F.gelu(torch.from_numpy(x)).numpy(), atol=1e-12)
    assert np.allclose(A.gelu_tanh(x), F.gelu(torch.from_numpy(x), approximate="tanh").numpy(), atol=1e-12)
    assert 1e-5 < np.abs(A.gelu(x) - A.gelu_tanh(x)).max() < 1e-3


def test_five_pipeline_steps():
    rng = np.random.default_rng(0)
    table = rng.normal(size=(10, 8))
    x = A.embedding_lookup([3, 1, 4], table, A.sinusoidal_positions(5, 8))
    assert x.shape == (3, 8) and np.allclose(x[1], table[1] + A.sinusoidal_positions(5, 8)[1])
    w = A.self_attention(x)
    assert w.shape == (3, 3) and np.allclose(w.sum(1), 1)
    ctx = A.weighted_sum(x, w)
    assert np.allclose(ctx[0], (w[0][:, None] * x).sum(0))
    layers = [A.init_layer_params(8, 2, 16, seed) for seed in (0, 1)]
    y = A.transformer_layers(ctx, layers, h=2)
    assert y.shape == (3, 8)
    assert np.allclose(y, A.encoder_layer(A.encoder_layer(ctx[None], layers[0], 2), layers[1], 2)[0])
    logits = A.task_specific_head(y, np.ones((8, 3)), np.zeros(3))
    assert np.allclose(logits, y.mean(0).sum())
    with pytest.raises(ShapeError, match=r"\[0, 10\)"):
        A.embedding_lookup([10], table)
    with pytest.raises(EmptyInputError):
        A.embedding_lookup([], table)


def test_float32_erf_and_gelu_accuracy():
    from scipy.special import erf

    x = np.linspace(-8, 8, 100001).astype(np.float32)
    assert np.abs(A.erf_float32(x).astype(np.float64) - erf(x.astype(np.float64))).max() < 5e-7
    g32 = A.gelu(x)
    assert g32.dtype == np.float32
    ref = F.gelu(torch.from_numpy(x.astype(np.float64))).numpy()
    assert np.abs(g32 - ref).max() < 2e-6


def test_integer_input_is_promoted():
    assert np.allclose(A.softmax([0, 0]), [0.5, 0.5])
    out, w = A.scaled_dot_product_attention(np.eye(2, dtype=int), np.eye(2, dtype=int), np.array([[1], [3]]))
    e = math.exp(1 / math.sqrt(2))
    assert np.allclose(w[0], [e / (e + 1), 1 / (e + 1)]) and np.allclose(out[0], [(e + 3) / (e + 1)])
