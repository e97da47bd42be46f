"""The same attention and encoder layer as :mod:`lessons.attention`, as torch ``nn.Module``s.

Introduced in notebooks/02_attention. Each piece is checked in the notebook and
the tests against torch's own: :func:`torch.nn.functional.scaled_dot_product_attention`,
:class:`torch.nn.MultiheadAttention` and :class:`torch.nn.TransformerEncoderLayer`
(the ``copy_from_*`` helpers load their weights into ours). Mask semantics as in
the numpy module: True = may attend.

References: Vaswani et al. 2017; karpathy/minGPT ``mingpt/model.py`` (a fused
q/k/v projection, shapes ``# (B, h, T, d_k)``).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .errors import ShapeError


def scaled_dot_product_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask=None):
    """``softmax(q k^T / sqrt(d_k)) v`` for tensors ``(..., T, d)``: returns ``(output, weights)``.

    Introduced in notebooks/02_attention. ``mask`` broadcasts to ``(..., T_q, T_k)``, True = may attend.
    """
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ShapeError(f"q {tuple(q.shape)}, k {tuple(k.shape)}, v {tuple(v.shape)} do not fit: "
                         f"q and k need the same d_k, k and v the same T_k.")
    scores = (q * (1.0 / math.sqrt(q.shape[-1]))) @ k.transpose(-2, -1)  # (..., T_q, T_k); scaling q is cheaper

    if mask is not None:
        scores = scores.masked_fill(~mask.bool(), float("-inf"))
    weights = torch.softmax(scores, dim=-1)                     # (..., T_q, T_k)
    return weights @ v, weights                                 # (..., T_q, d_v)


class MultiHeadAttention(nn.Module):
    """Multi-head self-attention with one fused q/k/v projection; ``forward`` returns ``(out, weights)``."""

    def __init__(self, d_model: int, h: int, bias: bool = True):
        super().__init__()
        if d_model % h:
            raise ShapeError(f"d_model={d_model} must be divisible by h={h}.")
        self.h, self.d_k = h, d_model // h
        self.qkv = nn.Linear(d_model, 3 * d_model, bias=bias)
        self.out = nn.Linear(d_model, d_model, bias=bias)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None):
        B, T, C = x.shape                                       # (B, T, d_model)
        q, k, v = self.qkv(x).split(C, dim=-1)                  # 3 x (B, T, d_model)
        q, k, v = (t.view(B, T, self.h, self.d_k).transpose(1, 2) for t in (q, k, v))  # (B, h, T, d_k)
        if mask is not None:
            mask = mask.unsqueeze(-3)                           # (B, 1, T, T): shared by the heads
        y, weights = scaled_dot_product_attention(q, k, v, mask)  # (B, h, T, d_k), (B, h, T, T)
        y = y.transpose(1, 2).reshape(B, T, C)                  # (B, T, d_model)
        return self.out(y), weights

    @torch.no_grad()
    def copy_from_torch(self, mha: nn.MultiheadAttention) -> "MultiHeadAttention":
        """Load the weights of a ``nn.MultiheadAttention`` (same d_model and heads) into this module."""
        self.qkv.weight.copy_(mha.in_proj_weight)
        self.out.weight.copy_(mha.out_proj.weight)
        if self.qkv.bias is not None:
            self.qkv.bias.copy_(mha.in_proj_bias)
            self.out.bias.copy_(mha.out_proj.bias)
        return self


class FeedForward(nn.Module):
    """Position-wise ``Linear -> GELU -> Linear``: ``(B, T, d_model)`` -> same shape."""

    def __init__(self, d_model: int, d_ff: int):
        super().__init__()
        self.lin1, self.lin2 = nn.Linear(d_model, d_ff), nn.Linear(d_ff, d_model)

    def forward(self, x):
        return self.lin2(F.gelu(self.lin1(x)))


class EncoderLayer(nn.Module):
    """One encoder layer, post-LN (paper, BERT) or pre-LN (``norm_first=True``); shape-preserving."""

    def __init__(self, d_model: int, h: int, d_ff: int, norm_first: bool = False, eps: float = 1e-5):
        super().__init__()
        self.attn, self.ff = MultiHeadAttention(d_model, h), FeedForward(d_model, d_ff)
        self.ln1, self.ln2 = nn.LayerNorm(d_model, eps=eps), nn.LayerNorm(d_model, eps=eps)
        self.norm_first = norm_first

    def forward(self, x, mask=None):
        if self.norm_first:
            x = x + self.attn(self.ln1(x), mask)[0]
            return x + self.ff(self.ln2(x))
        x = self.ln1(x + self.attn(x, mask)[0])
        return self.ln2(x + self.ff(x))

    @torch.no_grad()
    def copy_from_torch(self, layer: nn.TransformerEncoderLayer) -> "EncoderLayer":
        """Load a ``nn.TransformerEncoderLayer`` (batch_first, GELU) into this module."""
        self.attn.copy_from_torch(layer.self_attn)
        for mine, theirs in ((self.ff.lin1, layer.linear1), (self.ff.lin2, layer.linear2),
                             (self.ln1, layer.norm1), (self.ln2, layer.norm2)):
            mine.load_state_dict(theirs.state_dict())
        self.norm_first = layer.norm_first
        return self


def numpy_params(layer: EncoderLayer) -> dict:
    """The weights of an :class:`EncoderLayer` as the dict :func:`lessons.attention.encoder_layer` takes.

    Introduced in notebooks/02_attention: torch stores ``(out, in)``, numpy code uses ``x @ W`` with ``(in, out)``.
    """
    sd = {k: v.detach().cpu().numpy() for k, v in layer.state_dict().items()}
    wq, wk, wv = (w.T for w in sd["attn.qkv.weight"].reshape(3, -1, sd["attn.qkv.weight"].shape[1]))
    bq, bk, bv = sd["attn.qkv.bias"].reshape(3, -1)
    return {"w_q": wq, "b_q": bq, "w_k": wk, "b_k": bk, "w_v": wv, "b_v": bv,
            "w_o": sd["attn.out.weight"].T, "b_o": sd["attn.out.bias"],
            "w_1": sd["ff.lin1.weight"].T, "b_1": sd["ff.lin1.bias"],
            "w_2": sd["ff.lin2.weight"].T, "b_2": sd["ff.lin2.bias"],
            "ln1_g": sd["ln1.weight"], "ln1_b": sd["ln1.bias"], "ln2_g": sd["ln2.weight"], "ln2_b": sd["ln2.bias"]}
