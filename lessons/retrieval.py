"""Text retrieval methods side by side, and the metrics that compare them.

Introduced in notebooks/03_semantic_qa. Every retriever has the same two steps:

    r = BM25().fit(passages)          # index a list of n texts
    S = r.scores(queries)             # (q, n) scores, higher = more relevant

Methods: :class:`TfIdf` (cosine of TF-IDF vectors), :class:`BM25` (Okapi BM25,
Robertson & Zaragoza 2009), :class:`AveragedWordVectors` (mean Word2Vec vector,
notebook 01), :class:`Dense` (MiniLM sentence vectors, notebook 02) and
:class:`Fusion` (a hybrid of several). :func:`default_retriever` is the
course's default: z-score fusion of BM25 and MiniLM (see :class:`Fusion`).

Metrics count ties *against* the method: if the right passage shares its score
with three others, its rank is the worst of the four (a method that scores
everything 0 gets no credit by luck of the sort order).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .data import tokenize
from .errors import EmptyInputError, ShapeError


def passage_text(article) -> str:
    """The text indexed for an :class:`~lessons.data.Article`: ``"<title>. <lead text>"``.

    The short description is never indexed: it is the query of the benchmark.
    """
    return f"{article.title}. {article.text}"


def lead_text(article) -> str:
    """The opening of an article, ``"<title>. <first sentence>"``: a second, short chunk for dense retrieval.

    Introduced in notebooks/03_semantic_qa. A Wikipedia lead's first sentence
    defines the subject ("X is a 1968 film directed by ..."), which is what a
    short description or a "which/what is" question paraphrases.
    """
    from .data import split_sentences

    return f"{article.title}. {(split_sentences(article.text) or [article.text])[0]}"


def _check_texts(texts, what: str) -> list[str]:
    if isinstance(texts, str):
        raise TypeError(f"{what} must be a list of texts; wrap a single text in a list.")
    texts = list(texts)
    if not texts:
        raise EmptyInputError(f"No {what} given.")
    if not all(isinstance(t, str) for t in texts):
        raise TypeError(f"Every item of {what} must be a str.")
    return texts


class Retriever:
    """Base class: ``fit(passages)`` then ``scores(queries) -> (q, n)``."""

    name = "retriever"

    def fit(self, passages: Sequence[str]) -> "Retriever":
        raise NotImplementedError

    def scores(self, queries: Sequence[str]) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


# ---------------------------------------------------------------- lexical

class TfIdf(Retriever):
    """Cosine similarity of sublinear TF-IDF vectors (scikit-learn), over :func:`lessons.data.tokenize` tokens."""

    name = "TF-IDF"

    def fit(self, passages):
        from sklearn.feature_extraction.text import TfidfVectorizer

        passages = _check_texts(passages, "passages")
        self.vectorizer = TfidfVectorizer(tokenizer=tokenize, lowercase=False, token_pattern=None,
                                          sublinear_tf=True)
        self.matrix = self.vectorizer.fit_transform(passages)          # (n, V) sparse, unit rows
        return self

    def scores(self, queries):
        q = self.vectorizer.transform(_check_texts(queries, "queries"))  # (q, V)
        return np.asarray((q @ self.matrix.T).toarray(), dtype=np.float32)


class BM25(Retriever):
    """Okapi BM25 as a sparse matrix product.

    score(q, d) = sum over query terms t of idf(t) * tf(t,d) (k1 + 1) / (tf(t,d) + k1 (1 - b + b |d| / avgdl)),
    with idf(t) = ln(1 + (N - n_t + 0.5) / (n_t + 0.5)) (the Lucene form, never negative).
    A query term counts once per occurrence in the query. Defaults k1=0.9, b=0.4 are
    Anserini/Pyserini's published defaults (textbooks often quote k1=1.2, b=0.75).
    With ``leads`` (one short text per passage), the leads get their own BM25
    index and a passage scores the better of its two chunks, like :class:`Dense`.
    """

    name = "BM25"

    def __init__(self, k1: float = 0.9, b: float = 0.4, leads: Sequence[str] | None = None):
        self.k1, self.b = k1, b
        self.leads = None if leads is None else _check_texts(leads, "leads")
        self.lead_bm25 = None
        if leads is not None:
            self.name = "BM25 (passage + lead)"

    def fit(self, passages):
        """Index ``passages``; with ``leads``, also index them separately (max-pooled in :meth:`scores`)."""
        if self.leads is not None:
            if len(self.leads) != len(_check_texts(passages, "passages")):
                raise ShapeError(f"{len(self.leads)} leads for {len(passages)} passages: give one lead per passage.")
            self.lead_bm25 = BM25(self.k1, self.b).fit(self.leads)
        return self._fit(passages)

    def _fit(self, passages):
        from scipy import sparse
        from sklearn.feature_extraction.text import CountVectorizer

        passages = _check_texts(passages, "passages")
        self.vectorizer = CountVectorizer(tokenizer=tokenize, lowercase=False, token_pattern=None)
        tf = self.vectorizer.fit_transform(passages).tocsr().astype(np.float64)   # (n, V)
        n_docs = tf.shape[0]
        doc_len = np.asarray(tf.sum(1)).ravel()                                  # (n,)
        df = np.bincount(tf.indices, minlength=tf.shape[1])                      # (V,)
        self.idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))                   # (V,)
        norm = self.k1 * (1 - self.b + self.b * doc_len / doc_len.mean())       # (n,)
        rows = np.repeat(np.arange(n_docs), np.diff(tf.indptr))
        data = tf.data * (self.k1 + 1) / (tf.data + norm[rows]) * self.idf[tf.indices]
        self.weights = sparse.csr_matrix((data, tf.indices, tf.indptr), shape=tf.shape)   # (n, V)
        return self

    def scores(self, queries):
        q = self.vectorizer.transform(_check_texts(queries, "queries"))          # (q, V) counts
        S = np.asarray((q @ self.weights.T).toarray(), dtype=np.float32)        # (q, n)
        if self.lead_bm25 is not None:
            S = np.maximum(S, self.lead_bm25.scores(queries))                    # max-pool passage and lead
        return S


# ---------------------------------------------------------------- vectors

def _cosine_matrix(Q: np.ndarray, P: np.ndarray) -> np.ndarray:
    Qn = Q / np.maximum(np.linalg.norm(Q, axis=1, keepdims=True), 1e-12)
    Pn = P / np.maximum(np.linalg.norm(P, axis=1, keepdims=True), 1e-12)
    return (Qn @ Pn.T).astype(np.float32)


def train_word2vec():
    """Word2Vec vectors for the Vital articles: notebook 01's model when available.

    Uses ``lessons.word2vec.train_wiki_word2vec()`` (disk-cached) if that
    module provides it; otherwise trains gensim skip-gram here (100 dimensions,
    window 5, min_count 5, seed 0, one worker) on :func:`lessons.data.wiki_sentences`
    and caches the vectors as ``.npz``. Returns a gensim ``KeyedVectors``.
    """
    try:
        from .word2vec import train_wiki_word2vec
    except ImportError:
        train_wiki_word2vec = None
    if train_wiki_word2vec is not None:
        model = train_wiki_word2vec()
        return getattr(model, "wv", model)
    from gensim.models import KeyedVectors, Word2Vec

    from . import cache
    from .data import wiki_path, wiki_sentences

    key = {"file": cache.file_fingerprint(wiki_path()), "vector_size": 100, "window": 5, "min_count": 5,
           "sg": 1, "seed": 0, "epochs": 5, "v": 1}

    def build():
        model = Word2Vec(wiki_sentences(), vector_size=100, window=5, min_count=5, sg=1, seed=0,
                         workers=1, epochs=5)
        return {"vectors": model.wv.vectors, "words": np.array(model.wv.index_to_key)}

    arrays = cache.cached_arrays("retrieval-word2vec", key, build)
    kv = KeyedVectors(vector_size=arrays["vectors"].shape[1])
    kv.add_vectors([str(w) for w in arrays["words"]], arrays["vectors"])
    return kv


def article_subset(n: int = 2000, seed: int = 0) -> list:
    """``n`` Vital articles for a notebook-sized experiment, in the file's order.

    Introduced in notebooks/03_semantic_qa. Holds every article the question set
    asks about, "2001: A Space Odyssey" and "Japan", then a seeded random sample
    of the rest (the file is grouped by topic, so its first ``n`` would be
    mostly Arts).
    """
    from .data import wiki_articles

    arts = wiki_articles()
    must = {t for _, t in qa_questions()} | {"2001: A Space Odyssey", "Japan"}
    keep = {i for i, a in enumerate(arts) if a.title in must}
    rest = np.array([i for i in range(len(arts)) if i not in keep])
    extra = np.random.default_rng(seed).choice(rest, size=max(0, n - len(keep)), replace=False)
    return [arts[i] for i in sorted(keep | set(extra.tolist()))]


def qa_questions() -> list[tuple[str, str]]:
    """The course's question set: ``[(question, target title)]`` (76 questions).

    Introduced in notebooks/03_semantic_qa. Written for the course from the
    Vital articles' lead texts (facts from Wikipedia, CC BY-SA 4.0); stored in
    ``lessons/assets/qa_questions.json`` with its attribution.
    """
    import json
    from pathlib import Path

    doc = json.loads((Path(__file__).parent / "assets" / "qa_questions.json").read_text(encoding="utf-8"))
    return [(q["question"], q["title"]) for q in doc["questions"]]


class AveragedWordVectors(Retriever):
    """Cosine of the mean Word2Vec vector of each text's known tokens (notebook 01's vectors).

    A text with no known word gets a zero vector (score 0 with everything).
    """

    name = "avg Word2Vec"

    def __init__(self, keyed_vectors=None):
        self.kv = keyed_vectors

    def embed(self, texts) -> np.ndarray:
        kv = self.kv
        out = np.zeros((len(texts), kv.vector_size), dtype=np.float32)          # (n, d)
        for i, text in enumerate(texts):
            idx = [kv.key_to_index[t] for t in tokenize(text) if t in kv.key_to_index]
            if idx:
                out[i] = kv.vectors[idx].mean(0)
        return out

    def fit(self, passages):
        if self.kv is None:
            self.kv = train_word2vec()
        self.matrix = self.embed(_check_texts(passages, "passages"))
        return self

    def scores(self, queries):
        return _cosine_matrix(self.embed(_check_texts(queries, "queries")), self.matrix)


class Dense(Retriever):
    """Cosine of MiniLM sentence vectors (cached on disk by :func:`lessons.embed.encode`).

    With ``leads`` (one short text per passage, e.g. :func:`lead_text`), each
    passage is two chunks, the passage and its lead, and its score is the better
    of the two cosines (max-pooling over chunks, see :mod:`lessons.chunking`).
    """

    name = "MiniLM dense"

    def __init__(self, encoder: Callable | None = None, name: str = "wiki", leads: Sequence[str] | None = None):
        self.encoder, self.cache_name, self._memo = encoder, name, {}
        self.leads = None if leads is None else _check_texts(leads, "leads")
        if leads is not None:
            self.name = "MiniLM dense (passage + lead)"

    def precompute(self, queries) -> None:
        """Encode all ``queries`` in one call (one cache entry); later ``scores`` calls reuse them."""
        queries = _check_texts(queries, "queries")
        self._memo = dict(zip(queries, self._encode(queries, "queries")))

    def _encode(self, texts, part):
        if self.encoder is not None:
            return np.asarray(self.encoder(texts), dtype=np.float32)
        from .embed import encode

        return encode(texts, name=f"{self.cache_name}-{part}")

    def fit(self, passages):
        passages = _check_texts(passages, "passages")
        self.matrix = self._encode(passages, "passages")                          # (n, 384)
        self.lead_matrix = None
        if self.leads is not None:
            if len(self.leads) != len(passages):
                raise ShapeError(f"{len(self.leads)} leads for {len(passages)} passages: give one lead per passage.")
            self.lead_matrix = self._encode(self.leads, "leads")                  # (n, 384)
        return self

    def scores(self, queries):
        queries = _check_texts(queries, "queries")
        if all(q in self._memo for q in queries):
            Q = np.stack([self._memo[q] for q in queries])                     # (q, 384)
        else:
            Q = self._encode(queries, "queries")
        S = _cosine_matrix(Q, self.matrix)                                        # (q, n)
        if self.lead_matrix is not None:
            S = np.maximum(S, _cosine_matrix(Q, self.lead_matrix))               # max-pool the two chunks
        return S


# ---------------------------------------------------------------- fusion

def minmax(S: np.ndarray) -> np.ndarray:
    """Scale each row of ``S`` (q, n) to [0, 1]; a constant row becomes 0."""
    lo, hi = S.min(1, keepdims=True), S.max(1, keepdims=True)
    return (S - lo) / np.where(hi > lo, hi - lo, 1.0)


def zscore(S: np.ndarray, top: int | None = None) -> np.ndarray:
    """Standardise each row of ``S`` (q, n): ``(s - mean) / std`` over the row (or its ``top`` best scores)."""
    ref = S if top is None or top >= S.shape[1] else -np.partition(-S, top - 1, axis=1)[:, :top]
    mu, sd = ref.mean(1, keepdims=True), ref.std(1, keepdims=True)
    return (S - mu) / np.where(sd > 0, sd, 1.0)


def rank_matrix(S: np.ndarray) -> np.ndarray:
    """1-based rank of every entry of each row of ``S`` (q, n), best = 1 (ties by position)."""
    order = np.argsort(-S, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, S.shape[1] + 1)[None, :].repeat(len(S), 0), axis=1)
    return ranks


class Fusion(Retriever):
    """A hybrid: combine each retriever's per-query scores into one.

    ``how``:
    - "minmax": sum of each retriever's scores scaled to [0, 1] per query (the naive hybrid);
    - "rrf": reciprocal-rank fusion, sum of 1 / (60 + rank) (Cormack et al. 2009);
    - "zscore": sum of each retriever's z-scores per query, with the mean and
      standard deviation of that retriever's ``z_top`` best scores for the query
      (its candidates; ``z_top=None`` uses the whole collection). A retriever
      whose best passage stands many standard deviations above its other
      candidates (BM25 when a rare name matches) dominates that query; one with
      a flat profile (BM25 on a question with only common words) barely moves
      it. The weighting adapts per query, with nothing tuned to a task. The
      statistics come from the candidates rather than the whole collection
      because BM25 gives most passages exactly 0, which shrinks its full-
      collection standard deviation and inflates every match.
    """

    def __init__(self, retrievers: Sequence[Retriever], how: str = "zscore",
                 weights: Sequence[float] | None = None, rrf_k: int = 60, z_top: int | None = 100):
        if how not in ("minmax", "rrf", "zscore"):
            raise ValueError(f"Unknown fusion {how!r}; choose minmax, rrf or zscore.")
        self.retrievers, self.how, self.rrf_k, self.z_top = list(retrievers), how, rrf_k, z_top
        self.weights = list(weights) if weights is not None else [1.0] * len(self.retrievers)
        self.name = f"{how} fusion (" + " + ".join(r.name for r in self.retrievers) + ")"

    def fit(self, passages):
        for r in self.retrievers:
            r.fit(passages)
        return self

    def precompute(self, queries) -> None:
        """Let each member prepare all queries at once (see :meth:`Dense.precompute`)."""
        for r in self.retrievers:
            if hasattr(r, "precompute"):
                r.precompute(queries)

    def fuse(self, score_list: Sequence[np.ndarray]) -> np.ndarray:
        """Combine a list of (q, n) score matrices (one per retriever) into one (q, n)."""
        total = 0
        for w, S in zip(self.weights, score_list):
            if self.how == "minmax":
                part = minmax(S)
            elif self.how == "rrf":
                part = 1.0 / (self.rrf_k + rank_matrix(S))
            else:
                part = zscore(S, top=self.z_top)
            total = total + w * part
        return np.asarray(total, dtype=np.float32)

    def scores(self, queries):
        return self.fuse([r.scores(queries) for r in self.retrievers])

    def __repr__(self) -> str:
        return f"Fusion({self.retrievers!r}, how={self.how!r}, weights={self.weights})"


def default_retriever(encoder: Callable | None = None, name: str = "wiki",
                      leads: Sequence[str] | None = None) -> Fusion:
    """The course's default method: z-score fusion (top-100 statistics, equal weights) of BM25 and MiniLM dense.

    Introduced in notebooks/03_semantic_qa, which measures it on description
    queries and on question-style queries (see :class:`Fusion` for why). Pass
    ``leads`` (``[lead_text(a) for a in articles]``) so that both retrievers
    score each article by the better of two chunks, the passage and its lead
    sentence, as the course does.
    """
    fusion = Fusion([BM25(leads=leads), Dense(encoder, name, leads=leads)], how="zscore", z_top=100)
    fusion.name = "default"
    return fusion


# ---------------------------------------------------------------- metrics

def target_ranks(S: np.ndarray, targets: Sequence[int]) -> np.ndarray:
    """Rank (1 = best) of each query's right passage in ``S`` (q, n); ties count against the method.

    rank = 1 + (#passages scoring higher) + (#other passages scoring the same).
    """
    S = np.asarray(S)
    targets = np.asarray(targets, dtype=np.int64)
    if S.ndim != 2 or targets.shape != (S.shape[0],):
        raise ShapeError(f"Need scores (q, n) and one target per query; got {S.shape} and {targets.shape}.")
    t = S[np.arange(len(S)), targets][:, None]                   # (q, 1)
    return 1 + (S > t).sum(1) + (S == t).sum(1) - 1


def recall_at_k(ranks: Sequence[int], k: int) -> float:
    """Fraction of queries whose right passage is within the top ``k`` (ranks are 1-based)."""
    ranks = np.asarray(ranks)
    if ranks.size == 0:
        raise EmptyInputError("recall_at_k needs at least one rank.")
    return float(np.mean(ranks <= k))


def mrr(ranks: Sequence[int]) -> float:
    """Mean reciprocal rank: the average of 1 / rank (1.0 = always first)."""
    ranks = np.asarray(ranks, dtype=np.float64)
    if ranks.size == 0:
        raise EmptyInputError("mrr needs at least one rank.")
    return float(np.mean(1.0 / ranks))


def evaluate(retriever: Retriever, queries: Sequence[str], targets: Sequence[int], *,
             batch: int = 1000, score_list: Callable | None = None) -> dict:
    """Recall@1/5/10 and MRR of a fitted retriever; queries are scored ``batch`` at a time.

    Returns ``{"R@1", "R@5", "R@10", "MRR", "ranks"}`` (ranks as a numpy array).
    """
    queries, targets = _check_texts(queries, "queries"), np.asarray(targets)
    if hasattr(retriever, "precompute"):
        retriever.precompute(queries)
    ranks = np.concatenate([target_ranks(retriever.scores(queries[i:i + batch]), targets[i:i + batch])
                            for i in range(0, len(queries), batch)])
    return {"R@1": recall_at_k(ranks, 1), "R@5": recall_at_k(ranks, 5), "R@10": recall_at_k(ranks, 10),
            "MRR": mrr(ranks), "ranks": ranks}
