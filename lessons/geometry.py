"""Vector geometry shared by every notebook: dot, cosine, euclidean, normalise, top-k.

Introduced in notebooks/01_word2vec; reused for attention scores (02), sentence
search (03) and image-text search (04). Every function accepts numpy arrays or
torch tensors and returns the same kind it was given. Shapes follow one rule:

- two vectors ``(d,)`` and ``(d,)``            -> a scalar
- a batch and a vector ``(n, d)`` and ``(d,)`` -> ``(n,)``
- two batches ``(n, d)`` and ``(m, d)``        -> ``(n, m)``   (all pairs)

so ``cosine(queries, corpus)`` is the whole similarity matrix at once.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .errors import EmptyInputError, ShapeError

Array = Any  # numpy.ndarray or torch.Tensor

#: Norms below this count as zero: normalising such a vector is an error, not a NaN.
ZERO_NORM = 1e-12


def _is_torch(x: Array) -> bool:
    return type(x).__module__.startswith("torch")


def _as_array(x: Array, name: str) -> Array:
    if _is_torch(x):
        return x
    arr = np.asarray(x)
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        raise ShapeError(f"{name} must be numeric vectors; got dtype {arr.dtype}.")
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    return arr


def _check_pair(a: Array, b: Array) -> tuple[Array, Array]:
    a, b = _as_array(a, "a"), _as_array(b, "b")
    if _is_torch(a) != _is_torch(b):
        raise TypeError("Mix of numpy array and torch tensor: convert one side "
                        "(tensor.numpy() or torch.from_numpy(array)).")
    for name, x in (("a", a), ("b", b)):
        if x.ndim not in (1, 2):
            raise ShapeError(f"{name} must be a vector (d,) or a batch (n, d); got shape {tuple(x.shape)}.")
        if x.shape[-1] == 0:
            raise EmptyInputError(f"{name} has zero dimensions (shape {tuple(x.shape)}).")
    if a.shape[-1] != b.shape[-1]:
        raise ShapeError(f"Dimension mismatch: a has shape {tuple(a.shape)}, b has shape "
                         f"{tuple(b.shape)}; the last dimensions must be equal.")
    return a, b


def _transpose(x: Array) -> Array:
    return x.T if x.ndim == 2 else x


def dot(a: Array, b: Array) -> Array:
    """Dot product(s) of ``a`` and ``b`` (see the module docstring for shapes).

    Introduced in notebooks/01_word2vec. Returns a scalar, ``(n,)`` or ``(n, m)``.
    """
    a, b = _check_pair(a, b)
    if a.ndim == 1 and b.ndim == 2:
        return b @ a
    return a @ _transpose(b)


def norm(x: Array) -> Array:
    """Euclidean length of a vector ``(d,)`` or of each row of ``(n, d)``.

    Introduced in notebooks/01_word2vec (vector length grows with word frequency).
    """
    x = _as_array(x, "x")
    if _is_torch(x):
        return x.norm(dim=-1)
    return np.linalg.norm(x, axis=-1)


def normalize(x: Array) -> Array:
    """Return ``x`` scaled to unit length (each row, for a batch).

    Introduced in notebooks/01_word2vec. A zero vector has no direction, so it
    raises :class:`~lessons.errors.EmptyInputError` instead of returning NaNs.
    """
    x = _as_array(x, "x")
    if x.ndim not in (1, 2):
        raise ShapeError(f"normalize expects (d,) or (n, d); got shape {tuple(x.shape)}.")
    n = norm(x)
    small = (n < ZERO_NORM)
    if bool(small.any()):
        rows = np.flatnonzero(np.asarray(small.cpu() if _is_torch(small) else small)).tolist()
        raise EmptyInputError(f"Cannot normalise a zero vector (rows {rows[:10]}): it has no direction.")
    return x / (n[..., None] if x.ndim == 2 else n)


def cosine(a: Array, b: Array) -> Array:
    """Cosine similarity: the dot product of the two directions, in [-1, 1].

    Introduced in notebooks/01_word2vec. Same shapes as :func:`dot`.
    """
    a, b = _check_pair(a, b)
    return dot(normalize(a), normalize(b))


def euclidean(a: Array, b: Array) -> Array:
    """Euclidean (L2) distance(s) between ``a`` and ``b``; same shapes as :func:`dot`.

    Introduced in notebooks/01_word2vec. For batches it uses
    ``|a|^2 + |b|^2 - 2 a.b`` (one matrix product) and clips tiny negative
    round-off to zero before the square root.
    """
    a, b = _check_pair(a, b)
    if a.ndim == 1 and b.ndim == 1:
        diff = a - b
        return (diff @ diff) ** 0.5
    if a.ndim == 1:
        a, squeeze = a[None, :], True
    else:
        squeeze = False
    b2 = b if b.ndim == 2 else b[None, :]
    sq = (a * a).sum(-1)[:, None] + (b2 * b2).sum(-1)[None, :] - 2 * (a @ b2.T)
    dist = sq.clamp(min=0) ** 0.5 if _is_torch(sq) else np.sqrt(np.maximum(sq, 0))
    if squeeze:
        dist = dist[0]
    if b.ndim == 1:
        dist = dist[..., 0]
    return dist


METRICS = {"cosine": cosine, "dot": dot, "euclidean": euclidean}


class TopK(NamedTuple):
    """Indices and scores of the best ``k`` items, best first."""

    indices: np.ndarray
    scores: np.ndarray


def top_k(scores: Array, k: int, *, largest: bool = True) -> TopK:
    """Best ``k`` entries of ``scores`` ``(n,)`` or of each row of ``(q, n)``, best first.

    Introduced in notebooks/01_word2vec (nearest neighbours); notebook 03 uses it
    for exact search. Uses a partial sort (``argpartition``), so it costs O(n)
    rather than O(n log n). Ties are broken by the lower index, which makes the
    result deterministic. ``largest=False`` picks the smallest (for distances).
    Returns numpy arrays, even for torch input.
    """
    if _is_torch(scores):
        scores = scores.detach().cpu().numpy()
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim not in (1, 2):
        raise ShapeError(f"top_k expects scores of shape (n,) or (q, n); got {s.shape}.")
    n = s.shape[-1]
    if n == 0:
        raise EmptyInputError("top_k was given no scores: the collection is empty.")
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer; got {k!r}.")
    k = min(int(k), n)
    key = -s if largest else s
    part = np.argpartition(key, k - 1, axis=-1)[..., :k] if k < n else np.broadcast_to(np.arange(n), s.shape).copy()
    part_keys = np.take_along_axis(key, part, axis=-1)
    # lexsort: last key is primary -> sort by score, then by index for ties
    order = np.lexsort((part, part_keys), axis=-1)
    idx = np.take_along_axis(part, order, axis=-1)
    # a tie at the k-th place may have left a lower index outside the partition: fix it
    kth = np.take_along_axis(key, idx[..., -1:], axis=-1)
    if np.any((key == kth).sum(-1) > (np.take_along_axis(key, idx, axis=-1) == kth).sum(-1)):
        idx = np.argsort(key, axis=-1, kind="stable")[..., :k]
    return TopK(idx, np.take_along_axis(s, idx, axis=-1))


def nearest(query: Array, vectors: Array, k: int = 10, metric: str = "cosine") -> TopK:
    """The ``k`` rows of ``vectors`` ``(n, d)`` closest to ``query`` ``(d,)`` or ``(q, d)``.

    Introduced in notebooks/01_word2vec. ``metric`` is "cosine", "dot" or
    "euclidean" (for euclidean the returned scores are distances, smallest first).
    """
    if metric not in METRICS:
        raise ValueError(f"Unknown metric {metric!r}; choose one of {sorted(METRICS)}.")
    scores = METRICS[metric](query, vectors)
    return top_k(scores, k, largest=(metric != "euclidean"))
