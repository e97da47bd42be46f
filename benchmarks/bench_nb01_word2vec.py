"""Word2Vec speed and quality: gensim (one worker) vs the from-scratch torch SGNS, side by side.

Both train on the same corpus with the same settings as notebooks/01_word2vec
(skip-gram, 100 dimensions, window 5, 5 negatives, min_count 5, sample 1e-4,
alpha 0.05, 5 epochs), without the disk cache. words/s = corpus words x epochs
/ wall seconds of the whole training call (vocabulary building included), for
gensim with ``workers=1`` and torch with one thread. ``--quick`` uses the first
6,000 sentences and 2 epochs (a smoke run; its quality figures mean little).
"""

import os
import time


def measure(quick: bool) -> dict:
    import logging

    import torch  # noqa: F401  (imported before timing, like gensim)
    from gensim.models import Word2Vec

    from lessons import data, sgns
    from lessons import word2vec as w2v

    logging.getLogger("gensim").setLevel(logging.WARNING)

    sents = data.wiki_sentences(limit=6000 if quick else None)
    epochs = 2 if quick else 5
    n_words = sum(len(s) for s in sents)
    params = dict(vector_size=100, window=5, negative=5, min_count=5, sample=1e-4, alpha=0.05, epochs=epochs, seed=0)

    t = time.perf_counter()
    kv_gensim = Word2Vec(sents, sg=1, workers=1, **params).wv
    gensim_s = time.perf_counter() - t

    model = sgns.train_sgns(sents, threads=1, **params)
    kv_scratch = model.keyed_vectors()

    g, s = w2v.evaluate(kv_gensim), w2v.evaluate(kv_scratch)
    gensim_wps = n_words * epochs / gensim_s
    return {
        "w2v_gensim_words_per_s": round(gensim_wps),
        "w2v_scratch_words_per_s": round(model.words_per_s),
        "w2v_scratch_vs_gensim_speed_ratio": round(model.words_per_s / gensim_wps, 3),
        "w2v_gensim_wordsim353_spearman": round(g["wordsim353"]["spearman"], 4),
        "w2v_scratch_wordsim353_spearman": round(s["wordsim353"]["spearman"], 4),
        "w2v_gensim_analogy_accuracy": round(g["analogy"]["accuracy"], 4),
        "w2v_scratch_analogy_accuracy": round(s["analogy"]["accuracy"], 4),
        "w2v_bench_corpus_words": n_words,
        "w2v_bench_epochs": epochs,
        "w2v_bench_load_1min": round(os.getloadavg()[0], 2),
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(measure(quick="--quick" in sys.argv), indent=2))
