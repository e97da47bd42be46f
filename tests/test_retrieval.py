"""Tests for lessons.retrieval (methods, fusion, metrics) and lessons.chunking, with hand-computed values."""

import math

import numpy as np
import pytest

from lessons import retrieval as R
from lessons.chunking import chunk_passages, max_pool, sentence_chunks, word_windows
from lessons.errors import EmptyInputError, ShapeError

DOCS = ["the cat sat on the mat", "the dog sat", "cats and dogs and cats", "a quiet mat"]


def bm25_by_hand(query, docs, k1=1.2, b=0.75):
    toks = [d.split() for d in docs]
    N, avg = len(docs), sum(map(len, toks)) / len(docs)
    out = []
    for d in toks:
        s = 0.0
        for t in query.split():
            n_t = sum(t in x for x in toks)
            idf = math.log(1 + (N - n_t + 0.5) / (n_t + 0.5))
            f = d.count(t)
            s += idf * f * (k1 + 1) / (f + k1 * (1 - b + b * len(d) / avg))
        out.append(s)
    return out


@pytest.mark.parametrize("query", ["cat mat", "the sat", "cats cats", "unknownword"])
def test_bm25_matches_formula(query):
    got = R.BM25(k1=1.2, b=0.75).fit(DOCS).scores([query])[0]
    assert np.allclose(got, bm25_by_hand(query, DOCS), atol=1e-5)
    assert np.allclose(R.BM25().fit(DOCS).scores([query])[0], bm25_by_hand(query, DOCS, 0.9, 0.4), atol=1e-5)


def test_bm25_parameters_matter_and_idf_positive():
    r = R.BM25(k1=2.0, b=0.0).fit(DOCS)
    assert np.allclose(r.scores(["the mat"])[0], bm25_by_hand("the mat", DOCS, 2.0, 0.0), atol=1e-5)
    assert (r.idf > 0).all()


def test_bm25_lead_max_pools_two_indexes():
    leads = ["dog", "cat", "cat", "quiet"]
    r = R.BM25(leads=leads).fit(DOCS)
    ref = np.maximum(bm25_by_hand("dog quiet", DOCS, 0.9, 0.4), bm25_by_hand("dog quiet", leads, 0.9, 0.4))
    assert np.allclose(r.scores(["dog quiet"])[0], ref, atol=1e-5)
    with pytest.raises(ShapeError):
        R.BM25(leads=["x"]).fit(DOCS)


def test_tfidf_cosines():
    r = R.TfIdf().fit(DOCS)
    S = r.scores(["quiet mat", "dog"])
    assert S.shape == (2, 4)
    assert S[0].argmax() == 3 and S[1].argmax() == 1
    assert np.all(S <= 1 + 1e-6) and np.all(S >= 0)
    assert S[1][0] == 0.0                       # no shared word -> exactly 0


def fake_encoder(texts):
    words = ["cat", "dog", "mat"]
    return np.array([[t.count(w) + 0.01 for w in words] for t in texts], dtype=np.float32)


def test_dense_with_an_encoder_and_precompute():
    r = R.Dense(fake_encoder).fit(DOCS)
    S = r.scores(["dog"])
    P = fake_encoder(DOCS)
    q = fake_encoder(["dog"])[0]
    ref = P @ q / (np.linalg.norm(P, axis=1) * np.linalg.norm(q))
    assert np.allclose(S[0], ref, atol=1e-6)
    r.precompute(["dog", "cat"])
    assert np.allclose(r.scores(["cat"]), R.Dense(fake_encoder).fit(DOCS).scores(["cat"]))


def test_dense_lead_max_pools_two_chunks():
    leads = ["dog", "cat", "cat", "mat"]
    r = R.Dense(fake_encoder, leads=leads).fit(DOCS)
    plain = R.Dense(fake_encoder).fit(DOCS).scores(["dog"])[0]
    lead = R.Dense(fake_encoder).fit(leads).scores(["dog"])[0]
    assert np.allclose(r.scores(["dog"])[0], np.maximum(plain, lead))
    assert r.scores(["dog"])[0][0] > plain[0]                     # the lead "dog" lifts passage 0
    with pytest.raises(ShapeError):
        R.Dense(fake_encoder, leads=["x"]).fit(DOCS)


def test_averaged_word_vectors():
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vector_size=2)
    kv.add_vectors(["cat", "dog", "mat"], np.array([[1, 0], [0, 1], [1, 1]], dtype=np.float32))
    r = R.AveragedWordVectors(kv).fit(["cat mat", "dog", "nothing known"])
    S = r.scores(["cat"])[0]
    # "cat mat" -> mean (1, 0.5): cosine with (1, 0) = 1/sqrt(1.25); "dog" -> 0; unknown -> zero vector -> 0
    assert np.allclose(S, [1 / math.sqrt(1.25), 0.0, 0.0], atol=1e-6)


def test_target_ranks_count_ties_against():
    S = np.array([[0.1, 0.9, 0.9, 0.2], [0.0, 0.0, 0.0, 0.0], [0.5, 0.4, 0.3, 0.2]])
    assert R.target_ranks(S, [1, 0, 0]).tolist() == [2, 4, 1]
    with pytest.raises(ShapeError):
        R.target_ranks(S, [0, 1])


def test_recall_and_mrr():
    ranks = [1, 2, 5, 20]
    assert R.recall_at_k(ranks, 1) == 0.25
    assert R.recall_at_k(ranks, 5) == 0.75
    assert R.mrr(ranks) == pytest.approx((1 + 0.5 + 0.2 + 0.05) / 4)
    with pytest.raises(EmptyInputError):
        R.mrr([])


def test_fusion_rules_by_hand():
    A = np.array([[3.0, 1.0, 0.0, 0.0]])      # peaked: one clear winner
    B = np.array([[0.2, 0.5, 0.4, 0.3]])      # flat
    mm = R.Fusion([], how="minmax", weights=[1, 1]).fuse([A, B])
    assert np.allclose(mm, [[1 + 0.0, 1 / 3 + 1, 0 + 2 / 3, 0 + 1 / 3]])
    rrf = R.Fusion([], how="rrf", weights=[1, 1]).fuse([A, B])
    assert np.allclose(rrf, [[1 / 61 + 1 / 64, 1 / 62 + 1 / 61, 1 / 63 + 1 / 62, 1 / 64 + 1 / 63]])
    z = R.Fusion([], how="zscore", weights=[1, 1], z_top=None).fuse([A, B])
    z2 = R.Fusion([], how="zscore", weights=[1, 1], z_top=2).fuse([A, B])
    assert np.allclose(z2, (A - 2) / 1 + (B - 0.45) / 0.05)
    za = (A - A.mean()) / A.std()
    zb = (B - B.mean()) / B.std()
    assert np.allclose(z, za + zb)
    # one match among 100 non-matches stands sqrt(99) standard deviations out; min-max calls it 1 either way
    lone = np.zeros((1, 100))
    lone[0, 0] = 0.3
    assert R.zscore(lone)[0, 0] == pytest.approx(math.sqrt(99))
    assert R.minmax(lone)[0, 0] == 1.0


def test_zscore_constant_row_and_top():
    assert np.allclose(R.zscore(np.ones((1, 4))), 0)
    S = np.array([[4.0, 3.0, 0.0, 0.0]])
    assert np.allclose(R.zscore(S, top=2), (S - 3.5) / 0.5)


def test_rank_matrix():
    assert R.rank_matrix(np.array([[0.2, 0.9, 0.5]])).tolist() == [[3, 1, 2]]


def test_evaluate_end_to_end_and_bad_input():
    r = R.BM25().fit(DOCS)
    res = R.evaluate(r, ["quiet mat", "dog sat", "cats and dogs"], [3, 1, 2], batch=2)
    assert res["R@1"] == 1.0 and res["MRR"] == 1.0 and res["ranks"].tolist() == [1, 1, 1]
    with pytest.raises(TypeError):
        r.scores("a single string")
    with pytest.raises(EmptyInputError):
        R.BM25().fit([])
    with pytest.raises(ValueError):
        R.Fusion([r], how="max")


def test_default_retriever_is_zscore_bm25_dense():
    d = R.default_retriever(fake_encoder)
    assert d.how == "zscore" and d.z_top == 100 and [type(x) for x in d.retrievers] == [R.BM25, R.Dense]
    d.fit(DOCS)
    assert d.scores(["quiet mat"]).argmax() == 3


def test_question_set():
    from lessons.data import wiki_articles

    qs = R.qa_questions()
    titles = {a.title for a in wiki_articles()}
    assert len(qs) >= 60 and len({q for q, _ in qs}) == len(qs)
    assert all(t in titles for _, t in qs)
    assert all(q.endswith("?") for q, _ in qs)


def test_word_windows_and_sentence_chunks():
    text = " ".join(f"w{i}" for i in range(10))
    assert word_windows(text, 4, 2) == ["w0 w1 w2 w3", "w2 w3 w4 w5", "w4 w5 w6 w7", "w6 w7 w8 w9"]
    assert word_windows(text, 4, 0)[-1] == "w8 w9"
    assert word_windows("a b", 8, 2) == ["a b"]
    with pytest.raises(ValueError):
        word_windows(text, 4, 4)
    passage = "Japan is an island country. It spans 14,000 islands. Tokyo is its capital."
    assert sentence_chunks(passage, max_words=9) == ["Japan is an island country. It spans 14,000 islands.",
                                                     "Tokyo is its capital."]
    chunks, owner = chunk_passages([passage, "One sentence."], max_words=5)
    assert len(chunks) == 4 and owner.tolist() == [0, 0, 0, 1]
    with pytest.raises(EmptyInputError):
        sentence_chunks("   ")


def test_max_pool():
    scores = np.array([[0.1, 0.7, 0.3, 0.5]])
    assert np.allclose(max_pool(scores, np.array([0, 0, 1, 1]), 2), [[0.7, 0.5]])
    assert np.allclose(max_pool(scores[0], np.array([0, 1, 1, 1]), 2), [0.1, 0.7])
