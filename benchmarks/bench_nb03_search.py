"""Notebook 03 figures: the seed example, retrieval quality on two query styles, exact vs ANN search.

Quality: every method of :mod:`lessons.retrieval` on the full Vital-articles
description task (9,862 description -> article queries over 10,033 articles)
and on the course's 76 hand-written questions. Speed: exact numpy search vs a
faiss IVF-Flat index on synthetic clustered 384-d vectors (1M in the full run),
with the machine's memory bandwidth measured in the same process.
``--quick``: the first 300 articles and 100k vectors (a smoke run: its quality figures are not comparable).
"""

from __future__ import annotations

import os
import time

import numpy as np



def seed_scores() -> list[float]:
    """The seed article's Japan example with the real model: cos_sim of the query with each sentence."""
    from sentence_transformers import util

    from lessons.models import load_text_model

    model = load_text_model()
    corpus = "Japan is an island country in East Asia. It spans an archipelago of 6852 islands."
    docs = [d for d in corpus.split(".") if d.strip()]        # the seed also encodes the empty tail
    scores = util.cos_sim(model.encode("How many islands are comprised of Japan?"), model.encode(docs))
    return [round(float(s), 4) for s in scores[0]]


def retrieval_quality(limit: int | None) -> dict:
    from lessons import retrieval as R
    from lessons.data import wiki_articles

    arts = wiki_articles(limit)
    passages = [R.passage_text(a) for a in arts]
    pos = {a.title: i for i, a in enumerate(arts)}
    desc = [(a.description, i) for i, a in enumerate(arts) if a.description]
    questions = [(q, pos[t]) for q, t in R.qa_questions() if t in pos]
    leads = [R.lead_text(a) for a in arts]
    bm25, dense, tfidf, w2v = R.BM25(), R.Dense(), R.TfIdf(), R.AveragedWordVectors()
    dense_lead, bm25_lead = R.Dense(leads=leads), R.BM25(leads=leads)
    for r in (bm25, bm25_lead, dense, dense_lead, tfidf, w2v):
        r.fit(passages)
    default = R.default_retriever(leads=leads)
    default.retrievers = [bm25_lead, dense_lead]               # the same fitted members, not refitted
    methods = {"tfidf": tfidf, "bm25": bm25, "bm25_lead": bm25_lead, "avg_word2vec": w2v, "dense": dense,
               "dense_lead": dense_lead,
               "minmax_sum": R.Fusion([bm25, dense], how="minmax"), "rrf": R.Fusion([bm25, dense], how="rrf"),
               "zscore_plain_dense": R.Fusion([bm25, dense], how="zscore", z_top=100),
               "default": default}
    out = {}
    for task, pairs in (("wiki", desc), ("questions", questions)):
        queries, targets = [q for q, _ in pairs], [t for _, t in pairs]
        res = {k: R.evaluate(m, queries, targets) for k, m in methods.items()}
        out[f"qa_{task}_recall_at_1"] = {k: round(v["R@1"], 4) for k, v in res.items()}
        out[f"qa_{task}_recall_at_5"] = {k: round(v["R@5"], 4) for k, v in res.items()}
        out[f"qa_{task}_recall_at_10"] = {k: round(v["R@10"], 4) for k, v in res.items()}
        out[f"qa_{task}_mrr"] = {k: round(v["MRR"], 4) for k, v in res.items()}
        out[f"qa_{task}_queries"] = len(pairs)
    out["qa_articles"] = len(arts)
    return out


def memory_bandwidth_gbs(nbytes: int = 1 << 30, repeats: int = 5) -> float:
    """Read bandwidth in GB/s: the best of a few full reads of a large float32 array (same process).

    Two streaming reads are timed, ``a.sum()`` and ``a @ a`` (BLAS sdot, which reads each element once),
    and the fastest counts; each reads ``nbytes`` bytes.
    """
    a = np.ones(nbytes // 4, dtype=np.float32)
    a.sum()
    best = min(min(_timed(a.sum), _timed(lambda: a @ a)) for _ in range(repeats))
    return nbytes / best / 1e9


def _median_ms(index, queries) -> tuple[float, list]:
    """Median milliseconds per query (one query at a time; the median resists a busy machine) and the hits."""
    index.search(queries[0], k=10)                             # warm-up
    times, hits = [], []
    for q in queries:
        t = time.perf_counter()
        hits.append(index.search(q, k=10))
        times.append(time.perf_counter() - t)
    return float(np.median(times) * 1e3), hits


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def ann_speed(n: int, n_queries: int = 40) -> dict:
    import faiss

    from lessons.search import SemanticIndex, overlap_at_k, synthetic_queries, synthetic_vectors

    faiss.omp_set_num_threads(2)
    t = time.perf_counter()
    X = synthetic_vectors(n)
    Q = synthetic_queries(max(n_queries, 200))
    gen_s = time.perf_counter() - t
    ids = [str(i) for i in range(n)]
    exact = SemanticIndex(384)
    exact.add(ids, X)
    del X
    exact_ms, E = _median_ms(exact, Q[:n_queries])             # one query at a time, as a user would
    t = time.perf_counter()
    ivf = SemanticIndex(384, backend="ivf", nlist=512, nprobe=16)
    ivf.add(ids, exact.vectors)
    build_s = time.perf_counter() - t
    out = {}
    for nprobe in (4, 8, 16, 32):
        ivf.set_search_options(nprobe=nprobe)
        ms, A = _median_ms(ivf, Q[:n_queries])
        out[nprobe] = (ms, overlap_at_k(E, A, 10))
    bw = memory_bandwidth_gbs()
    bytes_per_query = exact.vectors.nbytes
    return {"exact_ms": exact_ms, "ann_ms": out[16][0], "ann_recall": out[16][1], "sweep": out,
            "build_s": build_s, "gen_s": gen_s, "bandwidth_gbs": bw,
            "fraction": bytes_per_query / (exact_ms / 1e3) / (bw * 1e9)}


def measure(quick: bool) -> dict:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import torch

    torch.manual_seed(0)
    figures: dict = {"nb03_load_1min_at_start": round(os.getloadavg()[0], 2)}
    figures["qa_seed_scores"] = seed_scores()
    t = time.perf_counter()
    figures.update(retrieval_quality(300 if quick else None))
    figures["qa_eval_seconds"] = round(time.perf_counter() - t, 1)
    n = 100_000 if quick else 1_000_000
    s = ann_speed(n)
    tag = "100k" if quick else "1m"
    figures[f"search_exact_ms_per_query_{tag}"] = round(s["exact_ms"], 2)
    figures[f"search_ann_ms_per_query_{tag}"] = round(s["ann_ms"], 3)
    figures[f"search_ann_recall_at_10_{tag}"] = round(s["ann_recall"], 4)
    figures[f"search_ann_speedup_{tag}"] = round(s["exact_ms"] / s["ann_ms"], 1)
    figures[f"search_ann_nprobe_sweep_{tag}"] = {f"nprobe={k}": [round(ms, 3), round(r, 4)]
                                                for k, (ms, r) in s["sweep"].items()}
    figures[f"search_ann_build_seconds_{tag}"] = round(s["build_s"], 1)
    figures["search_memory_bandwidth_gbs"] = round(s["bandwidth_gbs"], 2)
    figures["search_exact_fraction_of_bandwidth"] = round(s["fraction"], 3)
    figures["search_ann_config"] = "faiss IndexIVFFlat nlist=512 nprobe=16, k-means trained on 32,768 sampled vectors"
    figures["nb03_load_1min_at_end"] = round(os.getloadavg()[0], 2)
    return figures
