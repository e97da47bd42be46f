"""all-MiniLM-L6-v2 re-implemented in numpy on its real weights: ``encode(sentences) -> (n, 384)``.

Introduced in notebooks/02_attention. The model is a 6-layer BERT (``d_model``
384, 12 heads of 32, feed-forward 1536, post-LayerNorm, exact GELU) followed by
mean pooling over the real tokens and L2 normalisation. This module reads the
``model.safetensors`` that sentence-transformers loads, tokenises with the
model's own tokenizer, and runs the forward pass with the from-scratch pieces
of :mod:`lessons.attention`. The result matches ``SentenceTransformer.encode``
to about 1e-6 (the notebook and ``tests/test_minilm.py`` measure it).

References: Devlin et al. 2018 (BERT, https://arxiv.org/abs/1810.04805);
Wang et al. 2020 (MiniLM); Reimers & Gurevych 2019 (Sentence-BERT); nanoGPT's
``from_pretrained`` does the same for GPT-2.
"""

from __future__ import annotations

import contextlib
import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from . import models
from .attention import gelu, layer_norm, merge_heads, scaled_dot_product_attention, split_heads
from .errors import EmptyInputError, ShapeError, text_list


@functools.lru_cache(maxsize=1)
def _blas_controller():
    try:
        from threadpoolctl import ThreadpoolController   # installed with scikit-learn
    except ImportError:
        return None
    return ThreadpoolController()


def _one_blas_thread():
    """Context manager: BLAS on one thread (numpy runs a batched matmul as many small ones)."""
    controller = _blas_controller()
    return contextlib.nullcontext() if controller is None else controller.limit(limits=1, user_api="blas")


@dataclass(frozen=True)
class MiniLMWeights:
    """Weights as numpy float32 arrays in ``x @ W`` layout, plus the config numbers the forward pass needs."""

    word: np.ndarray          # (30522, 384)
    position: np.ndarray      # (512, 384)
    token_type: np.ndarray    # (2, 384)
    emb_ln: tuple             # (gamma, beta), each (384,)
    layers: tuple             # 6 dicts: w_qkv (384, 1152), b_qkv, w_o, b_o, w_1, b_1, w_2, b_2, ln1_*, ln2_*
    h: int = 12
    eps: float = 1e-12
    max_seq_length: int = 256


@functools.lru_cache(maxsize=2)
def _load(path: str) -> tuple[MiniLMWeights, object]:
    from safetensors.numpy import load_file
    from transformers import AutoTokenizer

    folder = Path(path)
    cfg = json.loads((folder / "config.json").read_text())
    st_cfg = folder / "sentence_bert_config.json"
    max_len = json.loads(st_cfg.read_text()).get("max_seq_length", 256) if st_cfg.exists() else 512
    raw = load_file(str(folder / "model.safetensors"))

    def g(name):
        return raw[name].astype(np.float32)

    layers = []
    for i in range(cfg["num_hidden_layers"]):
        pre = f"encoder.layer.{i}."
        att = pre + "attention.self."
        layers.append({
            # torch's Linear stores (out, in); we store (in, out) and fuse q, k, v into one matmul
            "w_qkv": np.ascontiguousarray(np.concatenate([g(att + n + ".weight").T for n in ("query", "key", "value")], 1)),
            "b_qkv": np.concatenate([g(att + n + ".bias") for n in ("query", "key", "value")]),
            "w_o": np.ascontiguousarray(g(pre + "attention.output.dense.weight").T),
            "b_o": g(pre + "attention.output.dense.bias"),
            "ln1_g": g(pre + "attention.output.LayerNorm.weight"), "ln1_b": g(pre + "attention.output.LayerNorm.bias"),
            "w_1": np.ascontiguousarray(g(pre + "intermediate.dense.weight").T), "b_1": g(pre + "intermediate.dense.bias"),
            "w_2": np.ascontiguousarray(g(pre + "output.dense.weight").T), "b_2": g(pre + "output.dense.bias"),
            "ln2_g": g(pre + "output.LayerNorm.weight"), "ln2_b": g(pre + "output.LayerNorm.bias"),
        })
    weights = MiniLMWeights(
        word=g("embeddings.word_embeddings.weight"), position=g("embeddings.position_embeddings.weight"),
        token_type=g("embeddings.token_type_embeddings.weight"),
        emb_ln=(g("embeddings.LayerNorm.weight"), g("embeddings.LayerNorm.bias")),
        layers=tuple(layers), h=cfg["num_attention_heads"], eps=cfg["layer_norm_eps"], max_seq_length=max_len)
    models.quiet_progress_bars()
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    return weights, tokenizer


def load(path=None) -> tuple[MiniLMWeights, object]:
    """``(weights, tokenizer)`` of all-MiniLM-L6-v2 from :func:`lessons.models.text_model_path` (cached per process).

    Introduced in notebooks/02_attention.
    """
    return _load(str(models.text_model_path(path).path))


def embed_tokens(w: MiniLMWeights, input_ids: np.ndarray, token_type_ids: np.ndarray | None = None) -> np.ndarray:
    """BERT's input: word + position + token-type embeddings, then LayerNorm. ``(B, T)`` -> ``(B, T, 384)``.

    Introduced in notebooks/02_attention.
    """
    T = input_ids.shape[1]
    tt = np.zeros_like(input_ids) if token_type_ids is None else token_type_ids
    x = w.word[input_ids] + w.position[:T] + w.token_type[tt]           # (B, T, 384)
    return layer_norm(x, *w.emb_ln, eps=w.eps)


def bert_layer(x: np.ndarray, p: dict, h: int, mask: np.ndarray, eps: float):
    """One post-LN BERT layer on ``(B, T, d)`` with a ``(B, 1, T)`` padding mask (or None): returns ``(x, weights (B, h, T, T))``.

    Introduced in notebooks/02_attention. Same maths as
    :func:`lessons.attention.encoder_layer` with ``norm_first=False``, with q, k, v
    fused into one matmul and 2-D matmuls for speed.
    """
    B, T, d = x.shape
    x2 = x.reshape(B * T, d)
    qkv = (x2 @ p["w_qkv"] + p["b_qkv"]).reshape(B, T, 3 * d)          # (B, T, 3d)
    q, k, v = (split_heads(qkv[..., i * d:(i + 1) * d], h) for i in range(3))  # (B, h, T, d_k)
    with _one_blas_thread():   # B*h tiny matmuls: BLAS threads cost more than they save (30x on a busy CPU)
        ctx, weights = scaled_dot_product_attention(q, k, v, None if mask is None else mask[:, None])  # (B, h, T, d_k), (B, h, T, T)
    attn = merge_heads(ctx).reshape(B * T, d) @ p["w_o"] + p["b_o"]    # (B*T, d)
    x2 = layer_norm(x2 + attn, p["ln1_g"], p["ln1_b"], eps)            # post-LN: add, then normalise
    ff = gelu(x2 @ p["w_1"] + p["b_1"]) @ p["w_2"] + p["b_2"]          # (B*T, d)
    x2 = layer_norm(x2 + ff, p["ln2_g"], p["ln2_b"], eps)
    return x2.reshape(B, T, d), weights


def forward(w: MiniLMWeights, input_ids, attention_mask, token_type_ids=None, *, return_attentions=False):
    """The encoder: token ids ``(B, T)`` -> hidden states ``(B, T, 384)`` (and the 6 attention maps if asked).

    Introduced in notebooks/02_attention. ``attention_mask`` is the tokenizer's (1 = real token).
    """
    input_ids, attention_mask = np.asarray(input_ids), np.asarray(attention_mask)
    if input_ids.shape != attention_mask.shape or input_ids.ndim != 2:
        raise ShapeError(f"input_ids {input_ids.shape} and attention_mask {attention_mask.shape} must both be (B, T).")
    x = embed_tokens(w, input_ids, token_type_ids)
    mask = (attention_mask != 0)[:, None, :]                            # (B, 1, T): keys that are real tokens
    if mask.all():
        mask = None                                                     # no padding in this batch: skip masking
    attentions = []
    for p in w.layers:
        x, a = bert_layer(x, p, w.h, mask, w.eps)
        attentions.append(a)
    return (x, attentions) if return_attentions else x


def mean_pool(hidden: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
    """Average the real tokens' vectors, ignoring padding: ``(B, T, d)``, ``(B, T)`` -> ``(B, d)``.

    Introduced in notebooks/02_attention.
    """
    m = np.asarray(attention_mask, dtype=hidden.dtype)[..., None]      # (B, T, 1)
    return (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)


def tokenize(sentences: Sequence[str], path=None, max_length: int | None = None) -> dict:
    """The model's own tokenizer, padded to the longest sentence: dict of ``(B, T)`` int64 arrays.

    Introduced in notebooks/02_attention.
    """
    w, tok = load(path)
    enc = tok(list(sentences), padding=True, truncation=True, max_length=max_length or w.max_seq_length,
              return_tensors="np")
    return {k: np.asarray(v, dtype=np.int64) for k, v in enc.items()}


def encode(sentences: Sequence[str], batch_size: int = 32, *, path=None, normalize: bool = True) -> np.ndarray:
    """Sentence embeddings ``(n, 384)`` float32 from the from-scratch numpy forward pass, L2-normalised.

    Introduced in notebooks/02_attention. Sentences are sorted by token count
    and batched, so each batch pads as little as possible; results come back in
    the input order. Texts longer than 256 tokens are truncated, as sentence-transformers does.
    """
    sentences = text_list(sentences, "sentences")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}.")
    w, tok = load(path)
    ids = tok(sentences, truncation=True, max_length=w.max_seq_length)["input_ids"]
    order = np.argsort([-len(t) for t in ids], kind="stable")          # longest first, like sentence-transformers
    out = np.empty((len(sentences), w.word.shape[1]), dtype=np.float32)
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        T = max(len(ids[i]) for i in idx)
        input_ids = np.zeros((len(idx), T), dtype=np.int64)             # [PAD] is id 0
        attention_mask = np.zeros((len(idx), T), dtype=np.int64)
        for row, i in enumerate(idx):
            input_ids[row, :len(ids[i])] = ids[i]
            attention_mask[row, :len(ids[i])] = 1
        pooled = mean_pool(forward(w, input_ids, attention_mask), attention_mask)   # (b, 384)
        if normalize:
            pooled = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        out[idx] = pooled
    return out


def sentence_states(sentence: str, path=None) -> tuple[list[str], np.ndarray, list[np.ndarray]]:
    """One sentence through the model: ``(tokens, hidden (T, 384), attentions: 6 x (12, T, T))``.

    Introduced in notebooks/02_attention (attention heads, contextual vectors).
    ``tokens`` include ``[CLS]`` and ``[SEP]``; ``hidden`` is the last layer, before pooling.
    """
    if not isinstance(sentence, str) or not sentence.strip():
        raise EmptyInputError(f"sentence_states needs one non-empty string; got {sentence!r}.")
    w, tok = load(path)
    enc = tokenize([sentence], path)
    hidden, atts = forward(w, enc["input_ids"], enc["attention_mask"], enc["token_type_ids"], return_attentions=True)
    tokens = tok.convert_ids_to_tokens(enc["input_ids"][0].tolist())
    return tokens, hidden[0], [a[0] for a in atts]
