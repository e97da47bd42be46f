"""Skip-gram with negative sampling (SGNS) from scratch: numpy for one pair, torch for a corpus.

Introduced in notebooks/01_word2vec. The objective for a centre word c, a true
context word o and K negative words n_1..n_K drawn from the unigram distribution
raised to the power 3/4 is (Mikolov et al. 2013, arXiv:1310.4546, eq. 4)::

    L = -log sigma(u_o . v_c) - sum_k log sigma(-u_{n_k} . v_c)

with input vectors ``v`` (the word vectors we keep) and output vectors ``u``.
Its gradients are short enough to write by hand (:func:`sgns_grads`), so the
torch trainer needs no autograd: each minibatch gathers rows, computes the
gradients and scatters them back with ``index_add_`` (a sparse SGD step).

Training follows gensim's recipe: frequent words are randomly dropped with
keep probability ``(sqrt(f/t) + 1) * t/f`` (t = ``sample`` x corpus size), the
window is shrunk at random for each centre word (near words count more), the
learning rate falls linearly to ``min_alpha``, and negatives come from a
unigram^0.75 table. The difference: gensim updates after every pair, we update
after a minibatch of thousands of pairs, which is what makes numpy/torch fast.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from itertools import chain

import numpy as np

from .errors import EmptyInputError, ShapeError

# ---------------------------------------------------------------- one pair, by hand (numpy)


def sigmoid(x):
    """The logistic function 1 / (1 + exp(-x)), computed without overflow."""
    x = np.asarray(x, dtype=np.float64)
    return np.where(x >= 0, 1.0 / (1.0 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1.0 + np.exp(-np.abs(x))))


def _check_shapes(v_c, u_o, u_neg):
    v_c, u_o, u_neg = (np.asarray(a, dtype=np.float64) for a in (v_c, u_o, u_neg))
    if v_c.ndim != 1 or u_o.shape != v_c.shape or u_neg.ndim != 2 or u_neg.shape[1] != v_c.shape[0]:
        raise ShapeError(f"Expected v_c (d,), u_o (d,), u_neg (K, d); got {v_c.shape}, {u_o.shape}, {u_neg.shape}.")
    return v_c, u_o, u_neg


def sgns_loss(v_c, u_o, u_neg) -> float:
    """SGNS loss for one centre vector ``v_c`` (d,), context ``u_o`` (d,), negatives ``u_neg`` (K, d).

    Introduced in notebooks/01_word2vec. Returns ``-log s(u_o.v_c) - sum_k log s(-u_k.v_c)``.
    """
    v_c, u_o, u_neg = _check_shapes(v_c, u_o, u_neg)
    # -log sigmoid(x) = log(1 + exp(-x)) = logaddexp(0, -x), stable for large |x|
    return float(np.logaddexp(0, -(u_o @ v_c)) + np.logaddexp(0, u_neg @ v_c).sum())


def sgns_grads(v_c, u_o, u_neg):
    """Gradients of :func:`sgns_loss`: ``(dL/dv_c (d,), dL/du_o (d,), dL/du_neg (K, d))``.

    Introduced in notebooks/01_word2vec. With s = sigmoid:
    ``dL/dv_c = (s(u_o.v_c) - 1) u_o + sum_k s(u_k.v_c) u_k``,
    ``dL/du_o = (s(u_o.v_c) - 1) v_c``, ``dL/du_k = s(u_k.v_c) v_c``.
    """
    v_c, u_o, u_neg = _check_shapes(v_c, u_o, u_neg)
    g_pos = sigmoid(u_o @ v_c) - 1.0           # scalar, in (-1, 0)
    g_neg = sigmoid(u_neg @ v_c)               # (K,), in (0, 1)
    return g_pos * u_o + g_neg @ u_neg, g_pos * v_c, g_neg[:, None] * v_c[None, :]


def sgns_step(v_c, u_o, u_neg, lr: float):
    """One SGD step on one (centre, context, negatives) triple; returns the new ``(v_c, u_o, u_neg)``.

    Introduced in notebooks/01_word2vec (an exercise). All three gradients are
    taken at the old values, then each vector moves ``lr`` times against its gradient.
    """
    g_v, g_o, g_n = sgns_grads(v_c, u_o, u_neg)
    return (np.asarray(v_c, float) - lr * g_v, np.asarray(u_o, float) - lr * g_o,
            np.asarray(u_neg, float) - lr * g_n)


# ---------------------------------------------------------------- corpus preparation


@dataclass
class Vocab:
    """Words sorted by descending count (ties keep first-seen order, as gensim does) and their counts."""

    words: list[str]
    counts: np.ndarray  # (V,) int64
    index: dict[str, int] = field(repr=False, default_factory=dict)

    def __len__(self) -> int:
        return len(self.words)


def build_vocab(sentences, min_count: int = 5) -> Vocab:
    """Count words and keep those with at least ``min_count`` occurrences.

    Introduced in notebooks/01_word2vec. Returns a :class:`Vocab`.
    """
    counts = Counter(chain.from_iterable(sentences))  # insertion-ordered: ties keep first-seen order
    kept = [(w, c) for w, c in counts.items() if c >= min_count]
    if not kept:
        raise EmptyInputError(f"No word occurs min_count={min_count} times: the vocabulary would be empty.")
    kept.sort(key=lambda wc: -wc[1])  # stable: ties stay in first-seen order
    words = [w for w, _ in kept]
    return Vocab(words, np.array([c for _, c in kept], dtype=np.int64), {w: i for i, w in enumerate(words)})


def encode_corpus(sentences, vocab: Vocab) -> tuple[np.ndarray, np.ndarray]:
    """Flatten sentences into word ids ``(N,)`` and sentence ids ``(N,)``, dropping unknown words."""
    lengths = np.fromiter(map(len, sentences), dtype=np.int64, count=len(sentences))
    lookup = vocab.index.get
    ids = np.fromiter((lookup(w, -1) for w in chain.from_iterable(sentences)), dtype=np.int64,
                      count=int(lengths.sum()))
    sent = np.repeat(np.arange(len(sentences), dtype=np.int64), lengths)
    known = ids >= 0
    return ids[known], sent[known]


def keep_probabilities(counts: np.ndarray, sample: float) -> np.ndarray:
    """Probability of keeping each occurrence of a word (gensim's and word2vec.c's subsampling formula).

    ``(sqrt(c/t) + 1) * t/c`` with ``t = sample * total``, capped at 1; ``sample=0`` keeps all.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if sample <= 0:
        return np.ones_like(counts)
    t = sample * counts.sum()
    return np.minimum(1.0, (np.sqrt(counts / t) + 1.0) * t / counts)


def negative_table(counts: np.ndarray, exponent: float = 0.75, size: int = 1_000_000) -> np.ndarray:
    """A table of word ids where each word fills a share ``count^exponent / sum`` of the ``size`` slots.

    Introduced in notebooks/01_word2vec. Drawing uniform slots from it samples
    negatives from the smoothed unigram distribution (word2vec.c's ``InitUnigramTable``).
    """
    p = np.asarray(counts, dtype=np.float64) ** exponent
    cdf = np.cumsum(p / p.sum())
    return np.searchsorted(cdf, (np.arange(size) + 0.5) / size).astype(np.int64)


def skipgram_pairs(ids: np.ndarray, sent: np.ndarray, window: int, rng: np.random.Generator,
                   shrink: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """All (centre, context) id pairs within ``window`` in the same sentence, vectorised.

    Introduced in notebooks/01_word2vec. With ``shrink`` each centre word uses a
    random window ``b`` in 1..window (as word2vec does), so a neighbour at
    distance o is used with probability (window - o + 1) / window. Returns two
    ``(P,)`` arrays.
    """
    n = len(ids)
    reach = rng.integers(1, window + 1, size=n) if shrink else np.full(n, window)
    centres, contexts = [], []
    for o in range(1, window + 1):
        same = sent[o:] == sent[:-o]                 # (n - o,) positions i with i+o in the same sentence
        right = np.flatnonzero(same & (reach[:-o] >= o))   # centre i, context i + o
        left = np.flatnonzero(same & (reach[o:] >= o))     # centre i + o, context i
        centres += [ids[right], ids[left + o]]
        contexts += [ids[right + o], ids[left]]
    if not centres:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(centres), np.concatenate(contexts)


# ---------------------------------------------------------------- minibatch training (torch)


@dataclass
class SGNSModel:
    """A trained model: the vocabulary, input vectors ``W_in`` (V, d), output vectors ``W_out`` (V, d)."""

    vocab: Vocab
    W_in: np.ndarray
    W_out: np.ndarray
    seconds: float = 0.0
    words_per_s: float = 0.0
    pairs: int = 0
    losses: list = field(default_factory=list)

    def keyed_vectors(self):
        """The input vectors as gensim ``KeyedVectors``, to use lessons.word2vec's lookups and evaluation."""
        from .word2vec import keyed_vectors

        return keyed_vectors(self.vocab.words, self.W_in, self.vocab.counts)


def train_sgns(sentences, *, vector_size: int = 100, window: int = 5, negative: int = 5, epochs: int = 5,
               min_count: int = 5, sample: float = 1e-4, alpha: float = 0.05, min_alpha: float = 1e-4,
               batch_size: int = 4096, group: int = 32, seed: int = 0, ns_exponent: float = 0.75,
               vocab: Vocab | None = None, threads: int | None = 1, log_every: int = 0) -> SGNSModel:
    """Train SGNS word vectors with minibatch sparse SGD in torch; returns an :class:`SGNSModel`.

    Introduced in notebooks/01_word2vec. Deterministic for a given ``seed`` and
    thread count. ``words_per_s`` counts corpus words (before subsampling) times
    epochs per second of the whole call, the same way the benchmark counts gensim's.
    ``losses`` holds the mean loss of every ``log_every``-th batch (0: none).
    """
    import torch

    if batch_size % group:
        raise ValueError(f"batch_size ({batch_size}) must be a multiple of group ({group}).")
    old_threads = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        return _train(sentences, vector_size, window, negative, epochs, min_count, sample, alpha, min_alpha,
                      batch_size, group, seed, ns_exponent, vocab, log_every)
    finally:
        torch.set_num_threads(old_threads)


def _train(sentences, vector_size, window, negative, epochs, min_count, sample, alpha, min_alpha,
           batch_size, group, seed, ns_exponent, vocab, log_every):
    import torch
    import torch.nn.functional as F

    t0 = time.perf_counter()
    sentences = sentences if isinstance(sentences, list) else list(sentences)
    vocab = vocab or build_vocab(sentences, min_count)
    ids, sent = encode_corpus(sentences, vocab)
    if len(ids) < 2 or not np.any(sent[1:] == sent[:-1]):
        raise EmptyInputError("No sentence has two known words, so there are no (centre, context) pairs to "
                              "learn from. Use a larger corpus or a lower min_count.")
    n_words = sum(len(s) for s in sentences)
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    V, d = len(vocab), vector_size
    # gensim's initialisation: input uniform in [-1/d, 1/d), output zeros
    W_in = torch.from_numpy(((rng.random((V, d), dtype=np.float32) * 2 - 1) / d))  # (V, d)
    W_out = torch.zeros(V, d)                                                       # (V, d)
    keep = keep_probabilities(vocab.counts, sample)
    table = torch.from_numpy(negative_table(vocab.counts, ns_exponent))
    expected_pairs = None
    done, losses = 0, []
    for epoch in range(epochs):
        mask = rng.random(len(ids)) < keep[ids]                          # subsample frequent words
        c_np, o_np = skipgram_pairs(ids[mask], sent[mask], window, rng)
        order = rng.permutation(len(c_np))
        centre, context = torch.from_numpy(c_np[order]), torch.from_numpy(o_np[order])
        if expected_pairs is None:
            expected_pairs = max(1, len(c_np) * epochs)
        n_pairs = len(centre) - len(centre) % group                        # whole groups only
        for s in range(0, n_pairs, batch_size):
            lr = max(min_alpha, alpha - (alpha - min_alpha) * done / expected_pairs)
            c, o = centre[s:min(s + batch_size, n_pairs)], context[s:min(s + batch_size, n_pairs)]  # (B,)
            B = len(c)
            G = B // group
            neg = table[torch.randint(len(table), (G, negative), generator=gen)]  # (G, K) shared by a group
            v, u, un = W_in[c], W_out[o], W_out[neg]                        # (B, d), (B, d), (G, K, d)
            vg = v.view(G, group, d)                                        # (G, g, d)
            s_pos = (v * u).sum(-1)                                          # (B,)
            s_neg = torch.bmm(vg, un.transpose(1, 2))                        # (G, g, K)
            g_pos = torch.sigmoid(s_pos) - 1.0                               # (B,)
            g_neg = torch.sigmoid(s_neg)                                     # (G, g, K)
            grad_v = g_pos[:, None] * u + torch.bmm(g_neg, un).view(B, d)    # (B, d)
            grad_n = torch.bmm(g_neg.transpose(1, 2), vg)                    # (G, K, d), summed over the group
            W_out.index_add_(0, o, g_pos[:, None] * v, alpha=-lr)
            W_out.index_add_(0, neg.reshape(-1), grad_n.reshape(-1, d), alpha=-lr)
            W_in.index_add_(0, c, grad_v, alpha=-lr)
            if log_every and (s // batch_size) % log_every == 0:
                loss = F.softplus(-s_pos).mean() + F.softplus(s_neg).sum(2).mean()
                losses.append(float(loss))
            done += B
        if not bool(torch.isfinite(W_in).all()):
            raise FloatingPointError(
                f"Training diverged in epoch {epoch + 1} (vectors became inf/NaN): the summed minibatch updates "
                f"were too large. Lower alpha (now {alpha}) or batch_size (now {batch_size}); a tiny vocabulary "
                f"needs small batches, because each word then appears many times in every batch.")
    seconds = time.perf_counter() - t0
    return SGNSModel(vocab, W_in.numpy(), W_out.numpy(), seconds, n_words * epochs / seconds, done, losses)


def train_wiki_sgns(**params):
    """The from-scratch SGNS model trained on the Wikipedia Vital articles, cached on disk.

    Introduced in notebooks/01_word2vec. Accepts :func:`train_sgns`'s keyword
    arguments; returns ``(KeyedVectors, info)`` where ``info`` holds the cold
    training's ``seconds``, ``words_per_s`` and ``pairs`` (from the cache on
    later calls, and ``cached`` says which). The cache key holds the corpus
    fingerprint and every parameter.
    """
    import torch

    from . import cache, data
    from .word2vec import keyed_vectors

    key = {"corpus": cache.file_fingerprint(data.wiki_path()), "tokenizer": 1, "params": params,
           "torch": torch.__version__.split("+")[0], "v": 1}
    fresh = {}

    def build():
        model = train_sgns(data.wiki_sentences(), **params)
        fresh["yes"] = True
        return {"words": np.array(model.vocab.words), "vectors": model.W_in.astype(np.float32),
                "counts": model.vocab.counts,
                "stats": np.array([model.seconds, model.words_per_s, model.pairs], dtype=np.float64)}

    arrays = cache.cached_arrays("sgns-wiki", key, build)
    seconds, wps, pairs = arrays["stats"].tolist()
    info = {"seconds": seconds, "words_per_s": wps, "pairs": int(pairs), "cached": not fresh}
    return keyed_vectors(arrays["words"].tolist(), arrays["vectors"], arrays["counts"]), info
