"""Word2Vec with gensim, wrapped so mistakes give clear errors, plus the evaluation helpers.

Introduced in notebooks/01_word2vec; notebook 03 averages the Wikipedia word
vectors from :func:`train_wiki_word2vec` as a sentence-embedding baseline.

- :func:`train_word2vec` checks a corpus before gensim sees it (empty, all
  stop-words, a string where a list of tokens belongs, nothing reaching ``min_count``).
- :func:`train_wiki_word2vec` trains on the Vital articles once and caches the
  vectors on disk as ``.npz`` (no pickle), keyed by the corpus and every parameter.
- :func:`vector`, :func:`most_similar`, :func:`analogy` raise
  :class:`~lessons.errors.UnknownWordError` naming the vocabulary size and the
  closest known spellings, never a bare ``KeyError`` from inside gensim.
- :func:`evaluate_analogies` and :func:`evaluate_similarity` score any
  ``KeyedVectors`` (gensim's or the from-scratch model's) the same way.

References: Mikolov et al. 2013, "Efficient Estimation of Word Representations in
Vector Space" (arXiv:1301.3781) and "Distributed Representations of Words and
Phrases and their Compositionality" (arXiv:1310.4546).
"""

from __future__ import annotations

import difflib
import logging
from collections import Counter
from itertools import chain
from typing import Iterable, Sequence

import numpy as np

from . import cache
from .errors import EmptyInputError, UnknownWordError, require

#: Default training epochs for the Wikipedia model (what notebook 01 uses).
WIKI_EPOCHS = 5

#: Format version of the cached vectors: bump it when training code changes.
_CACHE_VERSION = 1


def stopwords() -> frozenset[str]:
    """gensim's English stop-word list (337 words: "the", "of", "and", ...)."""
    from gensim.parsing.preprocessing import STOPWORDS

    return frozenset(STOPWORDS)


def check_corpus(sentences, min_count: int = 1) -> list[list[str]]:
    """Validate a tokenised corpus and return it as a list of lists of strings.

    Introduced in notebooks/01_word2vec. Raises :class:`EmptyInputError` for an
    empty corpus, a corpus of only stop-words, or one where no word occurs
    ``min_count`` times; ``TypeError`` when a sentence is a plain string (gensim
    would silently train on its single characters).
    """
    if isinstance(sentences, str):
        raise TypeError("Word2Vec needs a list of tokenised sentences, e.g. [['the', 'cat', 'sat']], "
                        "not one string. Split it first: lessons.data.tokenize(text).")
    sents = []
    for i, s in enumerate(sentences):
        if isinstance(s, str):
            raise TypeError(f"Sentence {i} is a string ({s[:40]!r}); gensim would treat each character "
                            f"as a word. Pass lists of tokens: lessons.data.tokenize(sentence).")
        sents.append(s if isinstance(s, list) else list(s))
    counts = Counter(chain.from_iterable(sents))
    if not counts:
        raise EmptyInputError("The corpus is empty: Word2Vec needs at least one sentence with words in it.")
    stop = stopwords()
    if all(str(w).lower() in stop for w in counts):
        n_tokens = sum(counts.values())
        raise EmptyInputError(f"All {n_tokens} tokens are stop-words (e.g. {sorted(counts)[:5]}): "
                              f"there is no content for Word2Vec to learn. Use a corpus with real text.")
    if max(counts.values()) < min_count:
        raise EmptyInputError(f"No word occurs min_count={min_count} times (the most frequent occurs "
                              f"{max(counts.values())} times), so the vocabulary would be empty. "
                              f"Lower min_count or use a larger corpus.")
    return sents


def train_word2vec(sentences, *, vector_size: int = 100, window: int = 5, min_count: int = 1, sg: int = 1,
                   epochs: int = 5, seed: int = 0, workers: int = 1, **kwargs):
    """Train a gensim ``Word2Vec`` model after :func:`check_corpus`; returns the model.

    Introduced in notebooks/01_word2vec. ``workers=1`` with a fixed ``seed``
    makes the result reproducible; more workers are faster but not bit-stable.
    Extra keyword arguments (``negative``, ``sample``, ``alpha``...) go to gensim.
    """
    require("gensim")
    from gensim.models import Word2Vec

    sents = check_corpus(sentences, min_count)
    logging.getLogger("gensim").setLevel(logging.WARNING)
    return Word2Vec(sents, vector_size=vector_size, window=window, min_count=min_count, sg=sg,
                    epochs=epochs, seed=seed, workers=workers, **kwargs)


def keyed_vectors(words: Sequence[str], vectors: np.ndarray, counts: Sequence[int] | None = None):
    """Build a gensim ``KeyedVectors`` from a word list and a ``(V, d)`` matrix (and optional counts).

    Introduced in notebooks/01_word2vec: it lets the from-scratch model use the
    same lookup and evaluation code as gensim's.
    """
    from gensim.models import KeyedVectors

    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or len(words) != vectors.shape[0]:
        raise ValueError(f"Need one row per word: {len(words)} words, vectors of shape {vectors.shape}.")
    kv = KeyedVectors(vectors.shape[1], count=0, dtype=np.float32)
    kv.add_vectors(list(words), vectors)
    if counts is not None:
        for w, c in zip(words, counts):
            kv.set_vecattr(w, "count", int(c))
    return kv


def train_wiki_word2vec(vector_size: int = 100, window: int = 5, min_count: int = 5, epochs: int = WIKI_EPOCHS,
                        sg: int = 1, seed: int = 0, workers: int = 1, negative: int = 5,
                        sample: float = 1e-4, alpha: float = 0.05):
    """Word2Vec vectors trained on the Wikipedia Vital articles, as gensim ``KeyedVectors``.

    Introduced in notebooks/01_word2vec; notebook 03 averages them. The first call
    trains (about 10-15 s with the defaults on 2 cores); later calls load the
    cached ``.npz`` (words, vectors, counts) in well under a second. The cache key
    holds the corpus fingerprint and every parameter, so changing any of them
    trains a new model. The defaults (``sample=1e-4``, ``alpha=0.05``) suit this
    small corpus: notebook 01 shows they give king - man + woman = queen in 5 epochs.
    """
    from . import data

    params = dict(vector_size=vector_size, window=window, min_count=min_count, epochs=epochs, sg=sg,
                  seed=seed, workers=workers, negative=negative, sample=sample, alpha=alpha)
    key = {"corpus": cache.file_fingerprint(data.wiki_path()), "tokenizer": 1, "params": params,
           "v": _CACHE_VERSION}

    def build():
        model = train_word2vec(data.wiki_sentences(), **params)
        wv = model.wv
        return {"words": np.array(wv.index_to_key), "vectors": wv.vectors.astype(np.float32),
                "counts": np.array([wv.get_vecattr(w, "count") for w in wv.index_to_key], dtype=np.int64)}

    arrays = cache.cached_arrays("word2vec-wiki", key, build)
    return keyed_vectors(arrays["words"].tolist(), arrays["vectors"], arrays["counts"])


# ---------------------------------------------------------------- lookups with clear errors

def check_words(kv, words: Iterable[str]) -> None:
    """Raise :class:`UnknownWordError` for the first word not in ``kv``'s vocabulary.

    The message gives the vocabulary size and up to 5 close spellings (difflib).
    """
    for w in words:
        if w not in kv.key_to_index:
            close = difflib.get_close_matches(w, kv.index_to_key, n=5, cutoff=0.6)
            hint = f" Closest known spellings: {', '.join(close)}." if close else " No close spelling is known."
            tip = " Words are lower-case here." if w != w.lower() and w.lower() in kv.key_to_index else ""
            raise UnknownWordError(f"'{w}' is not in the vocabulary ({len(kv.index_to_key):,} words; "
                                   f"words rarer than min_count were dropped).{hint}{tip}")


def vector(kv, word: str) -> np.ndarray:
    """The vector ``(d,)`` of ``word``; :class:`UnknownWordError` if it is not in the vocabulary."""
    check_words(kv, [word])
    return kv[word]


def most_similar(kv, positive: Sequence[str] | str = (), negative: Sequence[str] = (), topn: int = 5):
    """gensim's ``most_similar`` (cosine, input words excluded) with clear out-of-vocabulary errors.

    Returns a list of ``(word, cosine)``.
    """
    positive = [positive] if isinstance(positive, str) else list(positive)
    negative = [negative] if isinstance(negative, str) else list(negative)
    if not positive and not negative:
        raise EmptyInputError("most_similar needs at least one word.")
    check_words(kv, positive + negative)
    return kv.most_similar(positive=positive, negative=negative, topn=topn)


def analogy(kv, a: str, b: str, c: str, topn: int = 1):
    """Solve "a is to b as c is to ?" with 3CosAdd: nearest words to ``b - a + c``.

    Introduced in notebooks/01_word2vec: ``analogy(kv, "man", "king", "woman")``
    asks king - man + woman. Returns a list of ``(word, cosine)``, inputs excluded.
    """
    return most_similar(kv, positive=[b, c], negative=[a], topn=topn)


# ---------------------------------------------------------------- evaluation

def _unit_matrix(kv, limit: int | None = None) -> np.ndarray:
    m = np.asarray(kv.vectors[:limit] if limit else kv.vectors, dtype=np.float32)
    n = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.maximum(n, 1e-12)


def evaluate_analogies(kv, questions: dict | None = None, restrict_vocab: int = 30000,
                       batch: int = 2048) -> dict:
    """Accuracy on Google's analogy set, per section and overall, with 3CosAdd.

    Introduced in notebooks/01_word2vec. A question (a, b, c, d) counts as
    correct when d is the nearest word (cosine) to ``b - a + c`` among the first
    ``restrict_vocab`` words, excluding a, b and c, exactly as gensim's
    ``evaluate_word_analogies``. Questions with any word outside those words are
    skipped and counted in ``skipped``. Returns ``{"sections": {name: {"correct",
    "total", "accuracy"}}, "correct", "total", "skipped", "accuracy"}``; the overall
    accuracy is over the covered questions.
    """
    from . import data

    questions = data.analogy_questions() if questions is None else questions
    unit = _unit_matrix(kv, restrict_vocab)
    index = {w: i for i, w in enumerate(kv.index_to_key[: unit.shape[0]])}
    out = {"sections": {}, "correct": 0, "total": 0, "skipped": 0}
    for name, qs in questions.items():
        ids = np.array([[index[w] for w in q] for q in qs if all(w in index for w in q)],
                       dtype=np.int64).reshape(-1, 4)
        correct = 0
        for s in range(0, len(ids), batch):
            chunk = ids[s:s + batch]                                            # (B, 4)
            query = unit[chunk[:, 1]] - unit[chunk[:, 0]] + unit[chunk[:, 2]]  # (B, d)
            scores = query @ unit.T                                             # (B, V)
            rows = np.arange(len(chunk))[:, None]
            scores[rows, chunk[:, :3]] = -np.inf                                # never answer an input word
            correct += int((scores.argmax(1) == chunk[:, 3]).sum())
        total = len(ids)
        out["sections"][name] = {"correct": correct, "total": total,
                                 "accuracy": correct / total if total else float("nan")}
        out["correct"] += correct
        out["total"] += total
        out["skipped"] += len(qs) - total
    out["accuracy"] = out["correct"] / out["total"] if out["total"] else float("nan")
    return out


def evaluate_similarity(kv, pairs: Sequence[tuple[str, str, float]]) -> dict:
    """Spearman correlation between cosine similarities and human scores.

    Introduced in notebooks/01_word2vec with WordSim353 and SimLex999. Pairs with
    an unknown word are skipped (as gensim's ``evaluate_word_pairs`` does).
    Returns ``{"spearman", "pearson", "pairs", "skipped"}``.
    """
    from scipy.stats import pearsonr, spearmanr

    if not pairs:
        raise EmptyInputError("No word pairs to evaluate.")
    known = [(a, b, s) for a, b, s in pairs if a in kv.key_to_index and b in kv.key_to_index]
    if len(known) < 3:
        raise EmptyInputError(f"Only {len(known)} of {len(pairs)} pairs have both words in the vocabulary.")
    unit = _unit_matrix(kv)
    ia = np.array([kv.key_to_index[a] for a, _, _ in known])
    ib = np.array([kv.key_to_index[b] for _, b, _ in known])
    model = (unit[ia] * unit[ib]).sum(1)
    human = np.array([s for _, _, s in known])
    return {"spearman": float(spearmanr(model, human).statistic), "pearson": float(pearsonr(model, human)[0]),
            "pairs": len(known), "skipped": len(pairs) - len(known)}


def evaluate(kv) -> dict:
    """All three benchmarks at once: ``{"analogy", "wordsim353", "simlex999"}`` (see the functions above)."""
    from . import data

    return {"analogy": evaluate_analogies(kv), "wordsim353": evaluate_similarity(kv, data.wordsim353()),
            "simlex999": evaluate_similarity(kv, data.simlex999())}


# ---------------------------------------------------------------- knobs

#: The knob experiment's configurations: one change at a time from the baseline.
KNOBS = (
    {"name": "baseline\nsg, w=5, d=100"},
    {"name": "window 2", "window": 2},
    {"name": "window 10", "window": 10},
    {"name": "d=25", "vector_size": 25},
    {"name": "CBOW", "sg": 0},
)


def knob_experiment(configs=KNOBS, n_sentences: int = 6000, epochs: int = 5, workers: int = 2) -> list[dict]:
    """Train one small model per configuration on the first ``n_sentences`` and score it.

    Introduced in notebooks/01_word2vec. Each config overrides
    :func:`train_wiki_word2vec`'s defaults (window, vector_size, sg, ...).
    Returns rows ``{"name", "wordsim353", "simlex999", "analogy", "seconds"}`` plus the
    number of pairs/questions each score covers,
    cached on disk as JSON (keyed by corpus, configs and sizes). Scores from a
    subset are lower than the full model's: compare rows with each other.
    ``workers > 1`` is faster but not bit-reproducible.
    """
    import time

    from . import data

    key = {"corpus": cache.file_fingerprint(data.wiki_path()), "configs": list(configs), "n": n_sentences,
           "epochs": epochs, "workers": workers, "v": _CACHE_VERSION, "rows": 2}

    def build():
        sents = data.wiki_sentences(limit=n_sentences)
        ws, sl = data.wordsim353(), data.simlex999()
        rows = []
        for cfg in configs:
            params = dict(vector_size=100, window=5, min_count=5, sg=1, negative=5, sample=1e-4, alpha=0.05,
                          seed=0, workers=workers, epochs=epochs)
            params.update({k: v for k, v in cfg.items() if k != "name"})
            t = time.perf_counter()
            kv = train_word2vec(sents, **params).wv
            seconds = time.perf_counter() - t
            wsr, slr, an = evaluate_similarity(kv, ws), evaluate_similarity(kv, sl), evaluate_analogies(kv)
            rows.append({"name": cfg["name"], "wordsim353": wsr["spearman"], "simlex999": slr["spearman"],
                         "analogy": an["accuracy"], "seconds": seconds, "wordsim353_pairs": wsr["pairs"],
                         "simlex999_pairs": slr["pairs"], "analogy_questions": an["total"]})
        return rows

    return cache.cached_json("word2vec-knobs", key, build)
