"""lessons.attention_torch against torch's F.scaled_dot_product_attention, MultiheadAttention
and TransformerEncoderLayer on shared weights; and the numpy layer against the torch one."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lessons import attention as A
from lessons import attention_torch as AT

TOL = {torch.float64: 1e-10, torch.float32: 1e-5}


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_sdpa_matches_functional(dtype):
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 4, 7, 16, generator=g, dtype=dtype) for _ in range(3))
    mask = torch.ones(7, 7, dtype=torch.bool).tril()
    out, w = AT.scaled_dot_product_attention(q, k, v, mask)
    ref = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert (out - ref).abs().max().item() <= TOL[dtype]
    assert torch.all(w.masked_select(~mask) == 0)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_mha_matches_library(dtype):
    torch.manual_seed(0)
    lib = nn.MultiheadAttention(32, 4, batch_first=True, dtype=dtype).eval()
    mine = AT.MultiHeadAttention(32, 4).to(dtype).copy_from_torch(lib).eval()
    x = torch.randn(3, 9, 32, dtype=dtype)
    keep = torch.ones(3, 9, dtype=torch.bool)
    keep[2, 6:] = False
    with torch.no_grad():
        ref, ref_w = lib(x, x, x, key_padding_mask=~keep, average_attn_weights=False)  # torch: True = ignore
        out, w = mine(x, keep[:, None, :])                                            # ours: True = attend
    assert (out - ref).abs().max().item() <= TOL[dtype]
    assert (w - ref_w).abs().max().item() <= TOL[dtype]


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_encoder_layer_matches_library_and_numpy(norm_first, dtype):
    torch.manual_seed(1)
    lib = nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, activation="gelu", batch_first=True,
                                     norm_first=norm_first, dtype=dtype).eval()
    mine = AT.EncoderLayer(32, 4, 64).to(dtype).copy_from_torch(lib).eval()
    x = torch.randn(2, 8, 32, dtype=dtype)
    keep = torch.ones(2, 8, dtype=torch.bool)
    keep[1, 5:] = False
    with torch.no_grad():
        ref = lib(x, src_key_padding_mask=~keep)
        out = mine(x, keep[:, None, :])
    real = keep  # the library's fast path may zero padded rows: compare real tokens
    assert (out - ref).abs()[real].max().item() <= TOL[dtype]
    np_out = A.encoder_layer(x.numpy(), AT.numpy_params(mine), 4, keep[:, None, :].numpy(), norm_first=norm_first)
    assert np.abs(np_out - ref.numpy())[real.numpy()].max() <= TOL[dtype]
    # post-LN output rows are normalised; pre-LN output rows are not
    if not norm_first:
        ln = mine.ln2
        assert torch.allclose(((out - ln.bias) / ln.weight).mean(-1), torch.zeros((), dtype=dtype), atol=1e-4)


def test_bad_shapes():
    from lessons.errors import ShapeError
    with pytest.raises(ShapeError, match=r"\(2, 8\)"):
        AT.scaled_dot_product_attention(torch.zeros(2, 8), torch.zeros(2, 4), torch.zeros(2, 4))
    with pytest.raises(ShapeError, match="divisible"):
        AT.MultiHeadAttention(10, 3)
