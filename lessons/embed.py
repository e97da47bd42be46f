"""Sentence embeddings with an on-disk cache keyed by model, texts and settings.

Introduced in notebooks/02_attention (the task head) and used by notebook 03
(search) and 04 (caption vectors). Encoding thousands of passages takes
minutes on a laptop CPU; the second time it takes a fraction of a second.
The key holds the model's weight fingerprint, a hash of every text and the
encoding settings, so editing one text or switching models never serves
stale vectors.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Sequence

import numpy as np

from . import cache, models
from .errors import text_list


def _texts_hash(texts: Sequence[str]) -> str:
    h = hashlib.sha256()
    for t in texts:
        h.update(t.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()[:16]


def _model_fingerprint(model) -> str:
    """Cheap identity of a SentenceTransformer: its folder's weight file size+mtime, or its name."""
    folder = getattr(model, "model_card_data", None)
    path = None
    for attr in ("_model_path", "model_path"):
        path = getattr(model, attr, None) or path
    try:
        path = path or model[0].auto_model.config._name_or_path
    except Exception:
        pass
    weights = Path(str(path)) / "model.safetensors" if path else None
    if weights is not None and weights.exists():
        st = weights.stat()
        return f"{path}:{st.st_size}:{int(st.st_mtime)}"
    return str(path or folder or type(model).__name__)


def encode(texts: Sequence[str], model=None, *, batch_size: int = 64, normalize: bool = True,
           max_seq_length: int | None = None, use_cache: bool = True, name: str = "embeddings") -> np.ndarray:
    """Embed ``texts`` with a SentenceTransformer (default: the real all-MiniLM-L6-v2).

    Returns a float32 array ``(n, d)``, L2-normalised unless ``normalize=False``.
    Cached on disk unless ``use_cache=False``. ``max_seq_length`` overrides the
    model's token window (256 for MiniLM) for this call only.
    """
    texts = text_list(texts, "texts")
    model = model or models.load_text_model()
    window = max_seq_length or model.max_seq_length
    key = {"model": _model_fingerprint(model), "texts": _texts_hash(texts), "n": len(texts),
           "normalize": normalize, "window": window, "v": 1}

    def build():
        old = model.max_seq_length
        model.max_seq_length = window
        try:
            vecs = model.encode(texts, batch_size=batch_size, normalize_embeddings=normalize,
                                convert_to_numpy=True, show_progress_bar=False)
        finally:
            model.max_seq_length = old
        return {"vectors": np.asarray(vecs, dtype=np.float32)}

    if not use_cache:
        return build()["vectors"]
    return cache.cached_arrays(name, key, build)["vectors"]
