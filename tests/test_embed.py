"""lessons.embed: cached MiniLM sentence vectors, keyed so nothing stale is served."""

import numpy as np
import pytest

from lessons import embed, models


def test_matches_sentence_transformers_and_caches(tmp_path, monkeypatch):
    monkeypatch.setenv("LESSONS_CACHE", str(tmp_path))
    texts = ["Japan is an island country.", "A cat sat on the mat."]
    v = embed.encode(texts)
    ref = models.load_text_model().encode(texts, normalize_embeddings=True)
    np.testing.assert_allclose(v, ref, atol=1e-6)
    assert v.dtype == np.float32 and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    assert len(list(tmp_path.glob("embeddings-*.npz"))) == 1
    embed.encode(texts[:1] + ["A dog sat on the mat."])  # one text changed: a new entry
    assert len(list(tmp_path.glob("embeddings-*.npz"))) == 2


def test_truncation_window_changes_long_texts(tmp_path, monkeypatch):
    monkeypatch.setenv("LESSONS_CACHE", str(tmp_path))
    long = "The islands of Japan. " * 80
    full, short = embed.encode([long]), embed.encode([long], max_seq_length=8)
    assert float(full[0] @ short[0]) < 0.999
    assert models.load_text_model().max_seq_length == 256  # restored after the call


def test_bad_input():
    with pytest.raises(TypeError, match="list of texts"):
        embed.encode("just one string")
    with pytest.raises(ValueError, match="empty list of texts"):
        embed.encode([])
    with pytest.raises(TypeError, match="must be a str"):
        embed.encode(["ok", 3])
