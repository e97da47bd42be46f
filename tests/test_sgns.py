"""Skip-gram with negative sampling from scratch (lessons.sgns): gradients, sampling tables, pairs, training."""

import numpy as np
import pytest

from lessons import sgns
from lessons.errors import EmptyInputError, ShapeError


def _finite_difference(f, x, h=1e-6):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        up = f()
        x[i] = old - h
        down = f()
        x[i] = old
        grad[i] = (up - down) / (2 * h)
    return grad


@pytest.mark.parametrize("d,k,scale", [(3, 1, 1.0), (8, 5, 1.0), (16, 10, 3.0)])
def test_gradients_match_finite_differences(d, k, scale):
    rng = np.random.default_rng(d * 100 + k)
    v, u, n = rng.normal(size=d) * scale, rng.normal(size=d) * scale, rng.normal(size=(k, d)) * scale
    g_v, g_u, g_n = sgns.sgns_grads(v, u, n)
    loss = lambda: sgns.sgns_loss(v, u, n)  # noqa: E731  (closes over the arrays we perturb in place)
    assert np.allclose(g_v, _finite_difference(loss, v), atol=1e-5)
    assert np.allclose(g_u, _finite_difference(loss, u), atol=1e-5)
    assert np.allclose(g_n, _finite_difference(loss, n), atol=1e-5)


def test_loss_by_hand_and_stable_for_large_scores():
    # v.u = 0 and v.n = 0: loss = log 2 + log 2
    v, u, n = np.array([1.0, 0.0]), np.array([0.0, 1.0]), np.array([[0.0, 2.0]])
    assert sgns.sgns_loss(v, u, n) == pytest.approx(2 * np.log(2))
    # a very confident correct prediction: loss ~ 0, not NaN
    big = sgns.sgns_loss(np.array([100.0]), np.array([100.0]), np.array([[-100.0]]))
    assert 0 <= big < 1e-12
    # a very confident wrong prediction: loss ~ 2 * 10000, finite
    bad = sgns.sgns_loss(np.array([100.0]), np.array([-100.0]), np.array([[100.0]]))
    assert bad == pytest.approx(20000.0)
    assert np.allclose(sgns.sigmoid([-1000.0, 0.0, 1000.0]), [0.0, 0.5, 1.0])


def test_step_moves_against_gradient_and_lowers_loss():
    rng = np.random.default_rng(0)
    v, u, n = rng.normal(size=5), rng.normal(size=5), rng.normal(size=(3, 5))
    g_v, g_u, g_n = sgns.sgns_grads(v, u, n)
    v2, u2, n2 = sgns.sgns_step(v, u, n, 0.1)
    assert np.allclose(v2, v - 0.1 * g_v) and np.allclose(u2, u - 0.1 * g_u) and np.allclose(n2, n - 0.1 * g_n)
    assert sgns.sgns_loss(v2, u2, n2) < sgns.sgns_loss(v, u, n)


def test_shape_errors():
    with pytest.raises(ShapeError, match="u_neg"):
        sgns.sgns_loss(np.ones(3), np.ones(3), np.ones(3))
    with pytest.raises(ShapeError):
        sgns.sgns_grads(np.ones(3), np.ones(4), np.ones((2, 3)))


def test_vocab_sorted_by_count_with_stable_ties_and_min_count():
    vocab = sgns.build_vocab([["b", "a", "c", "a"], ["c", "d"]], min_count=1)
    assert vocab.words == ["a", "c", "b", "d"]  # a:2, c:2 (a seen first), then b, d
    assert vocab.counts.tolist() == [2, 2, 1, 1]
    assert sgns.build_vocab([["b", "a", "c", "a"], ["c", "d"]], min_count=2).words == ["a", "c"]
    with pytest.raises(EmptyInputError):
        sgns.build_vocab([["x", "y"]], min_count=2)


def test_keep_probabilities_formula():
    counts = np.array([1000, 10, 1])
    keep = sgns.keep_probabilities(counts, sample=0.01)
    t = 0.01 * 1011
    assert keep[0] == pytest.approx((np.sqrt(1000 / t) + 1) * t / 1000) == pytest.approx(0.1106, abs=1e-4)
    assert keep[1] == 1.0 and keep[2] == 1.0
    assert np.all(sgns.keep_probabilities(counts, 0) == 1.0)


def test_negative_table_follows_unigram_to_the_three_quarters():
    counts = np.array([810, 160, 10, 1])
    table = sgns.negative_table(counts, 0.75, size=100_000)
    share = np.bincount(table, minlength=4) / len(table)
    want = counts**0.75 / (counts**0.75).sum()
    assert np.allclose(share, want, atol=2e-5)
    assert share[3] > counts[3] / counts.sum()  # rare words get more than their raw share


def test_skipgram_pairs_without_shrinking_by_hand():
    vocab = sgns.build_vocab([["a", "b", "c"], ["d", "e"]], min_count=1)
    ids, sent = sgns.encode_corpus([["a", "b", "c"], ["d", "e"]], vocab)
    c, o = sgns.skipgram_pairs(ids, sent, 2, np.random.default_rng(0), shrink=False)
    got = sorted((vocab.words[i], vocab.words[j]) for i, j in zip(c, o))
    want = sorted([("a", "b"), ("a", "c"), ("b", "a"), ("b", "c"), ("c", "a"), ("c", "b"), ("d", "e"), ("e", "d")])
    assert got == want  # no pair crosses the sentence boundary c|d


def test_shrinking_window_uses_near_words_more():
    ids = np.arange(2000) % 50
    sent = np.zeros(2000, dtype=np.int64)
    c, o = sgns.skipgram_pairs(ids, sent, 4, np.random.default_rng(0))
    dist = np.abs((o - c + 25) % 50 - 25)
    frac = np.bincount(dist, minlength=5)[1:5] / (2 * 2000)
    # a neighbour at distance k is used with probability (4 - k + 1) / 4
    assert np.allclose(frac, [1.0, 0.75, 0.5, 0.25], atol=0.03)


def _toy_corpus(n=3000, seed=0):
    """Two topics that never mix: animal words only co-occur with animal words, and so on."""
    rng = np.random.default_rng(seed)
    topics = [["cat", "dog", "horse", "cow", "sheep"], ["red", "green", "blue", "yellow", "pink"]]
    return [list(rng.choice(topics[i % 2], size=6)) for i in range(n)]


def test_training_learns_topics_and_is_deterministic():
    sents = _toy_corpus()
    kw = dict(vector_size=16, window=3, negative=3, epochs=3, min_count=1, sample=0, batch_size=32, group=4,
              alpha=0.025, seed=1, log_every=20)
    m1 = sgns.train_sgns(sents, **kw)
    m2 = sgns.train_sgns(sents, **kw)
    assert np.array_equal(m1.W_in, m2.W_in)
    kv = m1.keyed_vectors()
    assert kv.similarity("cat", "dog") > 0.5 > kv.similarity("cat", "red")
    assert m1.losses[-1] < m1.losses[0]
    assert m1.words_per_s > 0 and m1.pairs > 0


def test_divergence_is_an_error_not_nan_vectors():
    with pytest.raises(FloatingPointError, match="Lower alpha"):
        sgns.train_sgns(_toy_corpus(300), vector_size=8, epochs=1, min_count=1, sample=0, batch_size=256, group=8,
                        alpha=50.0)


def test_training_errors():
    with pytest.raises(ValueError, match="multiple of group"):
        sgns.train_sgns(_toy_corpus(10), batch_size=100, group=8, min_count=1)
    with pytest.raises(EmptyInputError):
        sgns.train_sgns([["a"], ["b"]], min_count=1)


def test_train_wiki_sgns_caches_vectors_and_stats(monkeypatch, tmp_path):
    from lessons import data

    monkeypatch.setenv("LESSONS_CACHE", str(tmp_path))
    calls = []
    monkeypatch.setattr(data, "wiki_sentences", lambda limit=None: calls.append(1) or _toy_corpus(400))
    kw = dict(vector_size=8, epochs=1, min_count=1, sample=0, batch_size=32, group=4, alpha=0.025)
    kv1, info1 = sgns.train_wiki_sgns(**kw)
    kv2, info2 = sgns.train_wiki_sgns(**kw)
    assert len(calls) == 1 and not info1["cached"] and info2["cached"]
    assert np.array_equal(kv1.vectors, kv2.vectors) and kv1.index_to_key == kv2.index_to_key
    assert info1["seconds"] == pytest.approx(info2["seconds"]) and info2["pairs"] > 0
    sgns.train_wiki_sgns(**dict(kw, seed=1))
    assert len(calls) == 2
