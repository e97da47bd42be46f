"""Self-attention and the transformer encoder layer, from scratch in numpy.

Introduced in notebooks/02_attention. Names follow "Attention Is All You Need"
(Vaswani et al. 2017, https://arxiv.org/abs/1706.03762): ``d_model``, ``h``
heads of width ``d_k = d_model // h``, ``d_ff`` for the feed-forward width.
Shapes use ``B`` (batch), ``T`` (tokens), ``h`` (heads).

Weights are plain dicts of arrays with the convention ``y = x @ W + b`` and
``W`` of shape ``(d_in, d_out)`` (torch's ``nn.Linear`` stores the transpose).

Mask semantics, everywhere in this module: ``True`` (or 1) means "this query
may attend to this key", ``False`` (or 0) means "never look here". A mask must
broadcast to the scores' shape ``(..., T_q, T_k)``. A query row that may attend
to nothing gets all-zero weights and a zero output (torch returns NaN there).

The seed article's pipeline is spelled out at the end as five small functions:
:func:`embedding_lookup`, :func:`self_attention`, :func:`weighted_sum`,
:func:`transformer_layers`, :func:`task_specific_head`.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erf

from .errors import EmptyInputError, ShapeError

# ---------------------------------------------------------------- softmax


def naive_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """``exp(x) / sum(exp(x))`` as written on paper: overflows to NaN for scores above ~709 (float64).

    Introduced in notebooks/02_attention to show why :func:`softmax` subtracts the max.
    """
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax along ``axis``: returns an array of the same shape, rows summing to 1.

    Introduced in notebooks/02_attention. Subtracting each row's max leaves the
    result unchanged (it cancels in the ratio) but keeps ``exp`` at most 1, so it
    never overflows. Entries equal to ``-inf`` get weight 0; a row that is all
    ``-inf`` gets all zeros instead of NaN.
    """
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)           # an all -inf row: avoid inf - inf
    e = x - m                                      # a new array: safe to overwrite below
    np.exp(e, out=e)
    s = e.sum(axis=axis, keepdims=True)
    e /= np.where(s == 0, 1.0, s)
    return e


# ---------------------------------------------------------------- masks


def causal_mask(T: int) -> np.ndarray:
    """``(T, T)`` bool mask, True on and below the diagonal: token ``i`` may see tokens ``0..i``.

    Introduced in notebooks/02_attention (GPT-style decoders use it; BERT does not).
    """
    return np.tril(np.ones((T, T), dtype=bool))


def padding_mask(attention_mask: np.ndarray) -> np.ndarray:
    """From a tokenizer's ``(B, T)`` attention mask (1 = real token, 0 = padding) to a ``(B, 1, T)`` bool mask.

    Introduced in notebooks/02_attention. The ``1`` axis broadcasts over the
    queries: every query may attend to the real tokens only.
    """
    a = np.asarray(attention_mask)
    if a.ndim != 2:
        raise ShapeError(f"attention_mask must be (B, T) with 1 for real tokens; got shape {a.shape}.")
    return (a != 0)[:, None, :]


# ---------------------------------------------------------------- attention


def _check_qkv(q, k, v, mask):
    q, k, v = (np.asarray(t) for t in (q, k, v))
    q, k, v = (t if np.issubdtype(t.dtype, np.floating) else t.astype(np.float64) for t in (q, k, v))
    for name, t in (("q", q), ("k", k), ("v", v)):
        if t.ndim < 2:
            raise ShapeError(f"{name} must have shape (..., T, d); got shape {t.shape}.")
        if t.shape[-2] == 0 or t.shape[-1] == 0:
            raise EmptyInputError(f"{name} has no tokens or no dimensions (shape {t.shape}).")
    if q.shape[-1] != k.shape[-1]:
        raise ShapeError(f"q and k must have the same last dimension d_k: q {q.shape}, k {k.shape}.")
    if k.shape[-2] != v.shape[-2]:
        raise ShapeError(f"k and v must have the same number of tokens T_k: k {k.shape}, v {v.shape}.")
    scores_shape = np.broadcast_shapes(q.shape[:-2], k.shape[:-2]) + (q.shape[-2], k.shape[-2])
    if mask is not None:
        mask = np.asarray(mask)
        try:
            if np.broadcast_shapes(mask.shape, scores_shape) != scores_shape:
                raise ValueError
        except ValueError:
            raise ShapeError(f"mask of shape {mask.shape} does not broadcast to the scores' shape "
                             f"{scores_shape} (..., T_q, T_k) for q {q.shape}, k {k.shape}.") from None
        mask = mask.astype(bool)
    return q, k, v, mask


def scaled_dot_product_attention(q, k, v, mask=None):
    """``softmax(q k^T / sqrt(d_k)) v`` for arrays of shape ``(..., T, d)``: returns ``(output, weights)``.

    Introduced in notebooks/02_attention. ``q`` is ``(..., T_q, d_k)``, ``k`` is
    ``(..., T_k, d_k)``, ``v`` is ``(..., T_k, d_v)``; ``output`` is
    ``(..., T_q, d_v)`` and ``weights`` is ``(..., T_q, T_k)`` with rows summing
    to 1. ``mask`` (optional) broadcasts to ``(..., T_q, T_k)``: True/1 = may
    attend, False/0 = may not. Raises :class:`~lessons.errors.ShapeError` naming
    the shapes when they do not fit.
    """
    q, k, v, mask = _check_qkv(q, k, v, mask)
    d_k = q.shape[-1]
    scale = q.dtype.type(1.0 / math.sqrt(d_k))                  # scaling q is cheaper than scaling the scores
    scores = (q * scale) @ np.swapaxes(k, -1, -2)               # (..., T_q, T_k)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    weights = softmax(scores, axis=-1)                          # (..., T_q, T_k)
    return weights @ v, weights                                 # (..., T_q, d_v)


# ---------------------------------------------------------------- heads


def split_heads(x: np.ndarray, h: int) -> np.ndarray:
    """``(B, T, d_model)`` -> ``(B, h, T, d_k)``: cut the feature axis into ``h`` heads of ``d_k = d_model // h``.

    Introduced in notebooks/02_attention.
    """
    x = np.asarray(x)
    if x.ndim != 3 or x.shape[-1] % h:
        raise ShapeError(f"split_heads needs (B, T, d_model) with d_model divisible by h={h}; got {x.shape}.")
    B, T, d_model = x.shape
    return x.reshape(B, T, h, d_model // h).transpose(0, 2, 1, 3)


def merge_heads(x: np.ndarray) -> np.ndarray:
    """``(B, h, T, d_k)`` -> ``(B, T, h * d_k)``: the inverse of :func:`split_heads`.

    Introduced in notebooks/02_attention.
    """
    x = np.asarray(x)
    if x.ndim != 4:
        raise ShapeError(f"merge_heads needs (B, h, T, d_k); got {x.shape}.")
    B, h, T, d_k = x.shape
    return x.transpose(0, 2, 1, 3).reshape(B, T, h * d_k)


def multi_head_attention(x: np.ndarray, p: dict, h: int, mask=None):
    """Self-attention with ``h`` heads: returns ``(output (B, T, d_model), weights (B, h, T, T))``.

    Introduced in notebooks/02_attention. ``p`` holds ``w_q, b_q, w_k, b_k, w_v,
    b_v, w_o, b_o`` (``(d_model, d_model)`` and ``(d_model,)``). ``mask``
    broadcasts to ``(B, T, T)`` (e.g. :func:`padding_mask`) and is shared by all heads.
    """
    q = split_heads(x @ p["w_q"] + p["b_q"], h)                 # (B, h, T, d_k)
    k = split_heads(x @ p["w_k"] + p["b_k"], h)
    v = split_heads(x @ p["w_v"] + p["b_v"], h)
    if mask is not None:
        mask = np.asarray(mask)[..., None, :, :]                # (B, 1, T, T): same for every head
    out, weights = scaled_dot_product_attention(q, k, v, mask)  # (B, h, T, d_k), (B, h, T, T)
    return merge_heads(out) @ p["w_o"] + p["b_o"], weights


# ---------------------------------------------------------------- positions, norms, activations


def sinusoidal_positions(T: int, d_model: int) -> np.ndarray:
    """The paper's fixed positional encoding, ``(T, d_model)``: sin on even features, cos on odd.

    Introduced in notebooks/02_attention. ``PE[pos, 2i] = sin(pos / 10000^(2i/d_model))``,
    ``PE[pos, 2i+1] = cos(...)``. BERT and MiniLM learn a ``(512, d_model)`` table instead.
    """
    pos = np.arange(T)[:, None]                                 # (T, 1)
    freq = 10000.0 ** (-np.arange(0, d_model, 2) / d_model)     # (ceil(d_model/2),)
    pe = np.zeros((T, d_model))
    pe[:, 0::2] = np.sin(pos * freq)
    pe[:, 1::2] = np.cos(pos * freq[: d_model // 2])
    return pe


def layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Normalise each token's features to mean 0, variance 1, then scale and shift: same shape as ``x``.

    Introduced in notebooks/02_attention (Ba et al. 2016). Variance is the biased one, as in torch.
    """
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * gamma + beta


# Eigen's float32 rational approximation of erf on [-4, 4] (erf is +-1 in float32 beyond):
# x * P(x^2) / Q(x^2), max error 4e-7 against float64 erf, and ~5x faster than scipy's erf.
_ERF_P = (-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06, -5.69250639462346e-05,
          -7.34990630326855e-04, -2.95459980854025e-03, -1.60960333262415e-02)
_ERF_Q = (-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03, -7.37332916720468e-03,
          -1.42647390514189e-02)


def erf_float32(x: np.ndarray) -> np.ndarray:
    """erf for float32 arrays, accurate to about 4e-7 (float32 rounding): a rational function, numpy only."""
    x = np.clip(np.asarray(x, dtype=np.float32), -4.0, 4.0)
    x2 = x * x
    p = x2 * np.float32(_ERF_P[0])
    p += np.float32(_ERF_P[1])
    for c in _ERF_P[2:]:
        p *= x2
        p += np.float32(c)
    q = x2 * np.float32(_ERF_Q[0])
    q += np.float32(_ERF_Q[1])
    for c in _ERF_Q[2:]:
        q *= x2
        q += np.float32(c)
    p *= x
    return p / q


def gelu(x: np.ndarray) -> np.ndarray:
    """Exact GELU, ``x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2))``, as BERT and torch's default use.

    Introduced in notebooks/02_attention. float64 input uses scipy's erf; float32
    input uses :func:`erf_float32` (float32-accurate and much faster, as torch does).
    """
    x = np.asarray(x)
    if x.dtype == np.float32:
        e = erf_float32(x * np.float32(1 / math.sqrt(2.0)))
        e += 1.0
        e *= x
        e *= 0.5
        return e
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def gelu_tanh(x: np.ndarray) -> np.ndarray:
    """The tanh approximation of GELU (GPT-2); differs from :func:`gelu` by at most about 5e-4."""
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def feed_forward(x: np.ndarray, p: dict) -> np.ndarray:
    """Position-wise feed-forward ``gelu(x W1 + b1) W2 + b2``: ``(B, T, d_model)`` -> same shape.

    Introduced in notebooks/02_attention. The paper used ReLU; BERT uses GELU.
    """
    return gelu(x @ p["w_1"] + p["b_1"]) @ p["w_2"] + p["b_2"]


def encoder_layer(x: np.ndarray, p: dict, h: int, mask=None, *, norm_first: bool = False,
                  eps: float = 1e-5) -> np.ndarray:
    """One transformer encoder layer: ``(B, T, d_model)`` -> same shape.

    Introduced in notebooks/02_attention. Post-LN (``norm_first=False``, the
    paper and BERT): ``x = LN(x + MHA(x)); x = LN(x + FFN(x))``. Pre-LN
    (``norm_first=True``, GPT-2 and most modern models):
    ``x = x + MHA(LN(x)); x = x + FFN(LN(x))``. ``p`` holds the
    :func:`multi_head_attention` and :func:`feed_forward` weights plus
    ``ln1_g, ln1_b, ln2_g, ln2_b``.
    """
    def ln1(t):
        return layer_norm(t, p["ln1_g"], p["ln1_b"], eps)

    def ln2(t):
        return layer_norm(t, p["ln2_g"], p["ln2_b"], eps)

    if norm_first:
        x = x + multi_head_attention(ln1(x), p, h, mask)[0]
        return x + feed_forward(ln2(x), p)
    x = ln1(x + multi_head_attention(x, p, h, mask)[0])
    return ln2(x + feed_forward(x, p))


def init_layer_params(d_model: int, h: int, d_ff: int, rng: np.random.Generator | int = 0,
                      dtype=np.float64) -> dict:
    """Random weights for :func:`encoder_layer` (Glorot-like scale), as a dict of arrays.

    Introduced in notebooks/02_attention. LayerNorm scales start near 1.
    """
    if d_model % h:
        raise ShapeError(f"d_model={d_model} must be divisible by h={h}.")
    rng = np.random.default_rng(rng)
    p = {}
    for name, (i, o) in {"q": (d_model, d_model), "k": (d_model, d_model), "v": (d_model, d_model),
                         "o": (d_model, d_model), "1": (d_model, d_ff), "2": (d_ff, d_model)}.items():
        p[f"w_{name}"] = rng.normal(0, 1 / math.sqrt(i), (i, o)).astype(dtype)
        p[f"b_{name}"] = rng.normal(0, 0.02, o).astype(dtype)
    for n in ("ln1", "ln2"):
        p[f"{n}_g"] = (1 + rng.normal(0, 0.05, d_model)).astype(dtype)
        p[f"{n}_b"] = rng.normal(0, 0.05, d_model).astype(dtype)
    return p


# ---------------------------------------------------------------- the seed's five steps


def embedding_lookup(token_ids, table: np.ndarray, positions: np.ndarray | None = None) -> np.ndarray:
    """Step 1, ``EmbeddingLookup``: rows of ``table`` ``(vocab, d)`` for ``token_ids`` ``(T,)`` -> ``(T, d)``.

    Introduced in notebooks/02_attention. ``positions`` ``(>=T, d)``, if given, is added row by row.
    """
    ids = np.asarray(token_ids)
    if ids.size == 0:
        raise EmptyInputError("embedding_lookup got no token ids.")
    if ids.min() < 0 or ids.max() >= len(table):
        raise ShapeError(f"token ids must lie in [0, {len(table)}); got min {ids.min()}, max {ids.max()}.")
    x = table[ids]
    if positions is not None:
        x = x + positions[: ids.shape[-1]]
    return x


def self_attention(embeddings: np.ndarray, w_q: np.ndarray | None = None, w_k: np.ndarray | None = None,
                   mask=None) -> np.ndarray:
    """Step 2, ``SelfAttention``: attention weights ``(T, T)`` of the tokens on each other.

    Introduced in notebooks/02_attention. Queries and keys are ``x W_q`` and
    ``x W_k`` (identity when not given, so raw embedding similarity decides).
    """
    x = np.asarray(embeddings)
    q = x if w_q is None else x @ w_q
    k = x if w_k is None else x @ w_k
    return scaled_dot_product_attention(q, k, k, mask)[1]


def weighted_sum(values: np.ndarray, attention_weights: np.ndarray) -> np.ndarray:
    """Step 3, ``WeightedSum``: each token becomes ``sum_j weights[i, j] * values[j]``; ``(T, d)``.

    Introduced in notebooks/02_attention.
    """
    values, attention_weights = np.asarray(values), np.asarray(attention_weights)
    if attention_weights.shape[-1] != values.shape[-2]:
        raise ShapeError(f"weights {attention_weights.shape} must have as many columns as values "
                         f"{values.shape} has rows.")
    return attention_weights @ values


def transformer_layers(x: np.ndarray, layers: list[dict], h: int, mask=None, *, norm_first: bool = False,
                       eps: float = 1e-5) -> np.ndarray:
    """Step 4, ``TransformerLayers``: apply :func:`encoder_layer` for each weight dict in ``layers``.

    Introduced in notebooks/02_attention. Accepts ``(T, d)`` or ``(B, T, d)``; returns the same shape.
    """
    x = np.asarray(x)
    single = x.ndim == 2
    x = x[None] if single else x
    for p in layers:
        x = encoder_layer(x, p, h, mask, norm_first=norm_first, eps=eps)
    return x[0] if single else x


def task_specific_head(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Step 5, ``TaskSpecificHead``: mean-pool the tokens ``(..., T, d)`` and map to class scores ``(..., C)``.

    Introduced in notebooks/02_attention.
    """
    return np.asarray(x).mean(axis=-2) @ w + b
