"""Notebook 02 figures: attention accuracy against torch, speed against nn.MultiheadAttention,
and the numpy MiniLM against sentence-transformers (accuracy and throughput, side by side)."""

from __future__ import annotations

import time

import numpy as np


def _best(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def attention_accuracy() -> tuple[float, float]:
    import torch
    import torch.nn.functional as F
    from torch import nn

    from lessons import attention as A
    from lessons import attention_torch as AT

    rng = np.random.default_rng(0)
    q, k, v = (rng.normal(size=(8, 8, 128, 64)) for _ in range(3))
    err64 = 0.0
    for mask in (None, A.causal_mask(128), A.padding_mask(rng.integers(0, 2, (8, 128)) | (np.arange(128) < 4))[:, None]):
        out, _ = A.scaled_dot_product_attention(q, k, v, mask)
        ref = F.scaled_dot_product_attention(*(torch.from_numpy(t) for t in (q, k, v)),
                                             attn_mask=None if mask is None else torch.from_numpy(mask))
        err64 = max(err64, float(np.abs(out - ref.numpy()).max()))
    errs = []
    torch.manual_seed(0)
    x = torch.randn(4, 64, 128)
    keep = torch.ones(4, 64, dtype=torch.bool)
    keep[1, 40:] = False
    with torch.no_grad():
        qt, kt, vt = (torch.from_numpy(t[:2].astype(np.float32)) for t in (q, k, v))
        errs.append((AT.scaled_dot_product_attention(qt, kt, vt)[0] - F.scaled_dot_product_attention(qt, kt, vt)).abs().max())
        mha = nn.MultiheadAttention(128, 8, batch_first=True).eval()
        mine = AT.MultiHeadAttention(128, 8).copy_from_torch(mha).eval()
        errs.append((mine(x, keep[:, None])[0] - mha(x, x, x, key_padding_mask=~keep)[0]).abs().max())
        for norm_first in (False, True):
            lib = nn.TransformerEncoderLayer(128, 8, 256, dropout=0.0, activation="gelu", batch_first=True,
                                             norm_first=norm_first).eval()
            me = AT.EncoderLayer(128, 8, 256).copy_from_torch(lib).eval()
            errs.append((me(x, keep[:, None]) - lib(x, src_key_padding_mask=~keep)).abs()[keep].max())
    return err64, float(max(errs))


def attention_speed(quick: bool) -> dict:
    import torch
    from torch import nn

    from lessons import attention_torch as AT

    torch.manual_seed(0)
    B, T, d, h = (8, 256, 512, 8)
    lib = nn.MultiheadAttention(d, h, batch_first=True).eval()
    mine = AT.MultiHeadAttention(d, h).copy_from_torch(lib).eval()
    x = torch.randn(B, T, d)
    reps = 3 if quick else 10
    with torch.no_grad():
        t_lib, t_lib_w, t_mine = [], [], []
        for _ in range(reps):   # interleaved, so load changes hit all three alike
            t_lib.append(_best(lambda: lib(x, x, x, need_weights=False), 1))
            t_lib_w.append(_best(lambda: lib(x, x, x), 1))
            t_mine.append(_best(lambda: mine(x), 1))
    return {"attn_torch_vs_library_time_ratio": min(t_mine) / min(t_lib),
            "attn_torch_vs_library_with_weights_time_ratio": min(t_mine) / min(t_lib_w),
            "attn_torch_ms": 1000 * min(t_mine), "attn_library_ms": 1000 * min(t_lib)}


def minilm(quick: bool) -> dict:
    from lessons import data, minilm as M, models

    n = 64 if quick else 256
    sents = []
    for i, a in enumerate(data.wiki_articles(n)):
        parts = data.split_sentences(a.text)
        sents.append([a.title, parts[0] if parts else a.title, " ".join(parts[:3]), a.description or a.title][i % 4])
    st = models.load_text_model()
    ref = st.encode(sents, batch_size=32, show_progress_bar=False)
    got = M.encode(sents, batch_size=32)
    err = float(np.abs(got - ref).max())
    cos = float((got * ref).sum(1).min())
    reps = 1 if quick else 2
    t_st, t_np = [], []
    for _ in range(reps):
        t_st.append(_best(lambda: st.encode(sents, batch_size=32, show_progress_bar=False), 1))
        t_np.append(_best(lambda: M.encode(sents, batch_size=32), 1))
    return {"minilm_np_max_abs_err": err, "minilm_np_min_cosine": cos, "minilm_n_sentences": len(sents),
            "minilm_np_vs_st_throughput_ratio": min(t_st) / min(t_np),
            "minilm_np_sentences_per_s": len(sents) / min(t_np), "minilm_st_sentences_per_s": len(sents) / min(t_st)}


def measure(quick: bool) -> dict:
    import os

    import torch

    torch.set_num_threads(min(2, os.cpu_count() or 1))
    e64, e32 = attention_accuracy()
    out = {"attn_np_max_abs_err_f64": e64, "attn_torch_max_abs_err_f32": e32}
    out.update(attention_speed(quick))
    out.update(minilm(quick))
    out["load_average"] = list(os.getloadavg())
    return out
