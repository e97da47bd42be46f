"""lessons.minilm: the numpy forward pass on the real weights against transformers and sentence-transformers."""

import numpy as np
import pytest
import torch

from lessons import data, minilm, models
from lessons.errors import EmptyInputError

SENTENCES = [
    "A man is eating food.",
    "The river bank was flooded after the storm.",
    "I deposited my salary at the bank.",
    "Hi",
    "Japan is an island country in East Asia. It spans an archipelago of 6852 islands.",
    "Transformers compute contextual embeddings with self-attention, layer after layer, "
    "so the same word gets a different vector in every sentence it appears in.",
]


def varied_sentences(n=100):
    out = []
    for i, a in enumerate(data.wiki_articles(n)):
        parts = data.split_sentences(a.text)
        out.append([a.title, parts[0] if parts else a.title, " ".join(parts[:6]), a.description or a.title][i % 4])
    return out


def test_hidden_states_and_attentions_match_transformers():
    from transformers import AutoModel

    path = models.text_model_path().path
    models.quiet_progress_bars()
    bert = AutoModel.from_pretrained(str(path), attn_implementation="eager").eval()
    enc = minilm.tokenize(SENTENCES)
    with torch.no_grad():
        ref = bert(**{k: torch.from_numpy(v) for k, v in enc.items()}, output_attentions=True)
    w, _ = minilm.load()
    hidden, atts = minilm.forward(w, enc["input_ids"], enc["attention_mask"], enc["token_type_ids"],
                                  return_attentions=True)
    real = enc["attention_mask"].astype(bool)
    assert np.abs(hidden - ref.last_hidden_state.numpy())[real].max() < 1e-4
    assert len(atts) == 6 and atts[0].shape == (len(SENTENCES), 12) + enc["input_ids"].shape[1:] * 2
    for mine, theirs in zip(atts, ref.attentions):
        assert np.abs(mine - theirs.numpy()).max() < 1e-5


@pytest.mark.slow
def test_encode_matches_sentence_transformers_on_100_sentences():
    sents = SENTENCES + varied_sentences(100)
    ref = models.load_text_model().encode(sents, batch_size=32, show_progress_bar=False)
    got = minilm.encode(sents, batch_size=16)
    assert got.shape == (len(sents), 384) and got.dtype == np.float32
    assert np.abs(got - ref).max() <= 1e-5
    assert ((got * ref).sum(1) / np.linalg.norm(ref, axis=1)).min() > 0.99999
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-6)


def test_padding_does_not_leak():
    alone = minilm.encode(["Hi"])
    batched = minilm.encode(["Hi", SENTENCES[-1]], batch_size=2)   # "Hi" padded to the long sentence
    assert np.abs(alone[0] - batched[0]).max() < 1e-6


def test_mean_pool_ignores_padding():
    h = np.arange(12, dtype=np.float32).reshape(1, 3, 4)
    assert np.allclose(minilm.mean_pool(h, np.array([[1, 1, 0]])), [[2, 3, 4, 5]])


def test_bad_input():
    with pytest.raises(EmptyInputError, match=r"\(0,\)"):
        minilm.encode([])
    with pytest.raises(TypeError, match="wrap"):
        minilm.encode("one sentence")
    w, _ = minilm.load()
    from lessons.errors import ShapeError
    with pytest.raises(ShapeError, match=r"\(1, 3\).*\(1, 2\)"):
        minilm.forward(w, np.zeros((1, 3), int), np.ones((1, 2), int))
