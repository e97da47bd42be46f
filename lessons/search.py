"""A small semantic index: vectors with ids and metadata, exact or approximate top-k search.

Introduced in notebooks/03_semantic_qa; notebook 04 reuses it for image-text search.

    index = SemanticIndex(dim=384, metric="cosine", backend="exact")   # or "hnsw", "ivf" (faiss)
    index.add(ids, vectors, metadata)          # ids: list[str], vectors: (n, dim)
    index.search(query, k=10)                  # (dim,) -> list[Hit];  (q, dim) -> list[list[Hit]]
    index.save(folder); SemanticIndex.load(folder)

Scores: "cosine" and "dot" give similarities (higher is better); "euclidean"
gives distances (lower is better). Hits are always best first, ``rank`` 1..k.

Exact search is one matrix product and a partial sort (:func:`lessons.geometry.top_k`).
The faiss backends trade a little recall for speed: "hnsw" (a navigable
small-world graph, no training) and "ivf" (k-means cells; trained on the
vectors of the first :meth:`SemanticIndex.add`, so add enough vectors at once:
at least ``39 * nlist``, faiss's rule of thumb).

Conventions, documented once:

- Searching an **empty index returns an empty result** (``[]``, or ``[[], ...]``
  for a batch), the way a database answers a query on an empty table. The
  query is still checked (type, dimension), so mistakes are not hidden.
- Bad input raises a :mod:`lessons.errors` type whose message says what to do:
  wrong dimension -> :class:`ShapeError`, empty or whitespace text query ->
  :class:`EmptyInputError`, duplicate ids -> ``ValueError``, a query that is
  neither an array nor (with an ``encoder``) text -> ``TypeError``.
- An index built with ``encoder=`` (a function ``list[str] -> (n, dim)``, e.g.
  :func:`lessons.embed.encode`) also accepts text: ``add_texts`` and
  ``search("a question")``.

Saved folders hold ``vectors.npy`` (float32, ``allow_pickle=False``),
``records.json`` (ids and metadata), for faiss backends ``faiss.npy`` (the
index serialised to bytes by faiss itself) and ``manifest.json`` with the
sha256 of every file. Saving writes a temporary folder beside the target and
renames it, so a failure halfway leaves the previous copy intact; loading
verifies checksums and shapes and raises :class:`AssetError` otherwise.
No pickle anywhere.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .cache import atomic_folder, sha256_file
from .errors import AssetError, EmptyInputError, ShapeError, require
from .geometry import top_k

METRICS = ("cosine", "dot", "euclidean")
BACKENDS = ("exact", "hnsw", "ivf")
FORMAT_VERSION = 1


@dataclass
class Hit:
    """One search result: the item's id, its score, its rank (1 = best) and its metadata."""

    id: str
    score: float
    rank: int
    metadata: dict = field(default_factory=dict)


_sha256 = sha256_file  # module-level name so tests can simulate a failure mid-save


class SemanticIndex:
    """Vectors with string ids and metadata, searchable by top-k similarity.

    Introduced in notebooks/03_semantic_qa. ``backend`` is "exact" (numpy),
    "hnsw" (faiss ``IndexHNSWFlat``; options ``hnsw_m``, ``ef_construction``,
    ``ef_search``) or "ivf" (faiss ``IndexIVFFlat``; options ``nlist``, ``nprobe``).
    """

    def __init__(self, dim: int, metric: str = "cosine", backend: str = "exact", *,
                 encoder: Callable[[list[str]], np.ndarray] | None = None,
                 hnsw_m: int = 32, ef_construction: int = 80, ef_search: int = 64,
                 nlist: int = 256, nprobe: int = 16):
        if not isinstance(dim, (int, np.integer)) or dim < 1:
            raise ValueError(f"dim must be a positive integer (e.g. 384 for MiniLM); got {dim!r}.")
        if metric not in METRICS:
            raise ValueError(f"Unknown metric {metric!r}; choose one of {METRICS}.")
        if backend not in BACKENDS:
            raise ValueError(f"Unknown backend {backend!r}; choose one of {BACKENDS}.")
        self.dim, self.metric, self.backend, self.encoder = int(dim), metric, backend, encoder
        self.options = {"hnsw_m": int(hnsw_m), "ef_construction": int(ef_construction),
                        "ef_search": int(ef_search), "nlist": int(nlist), "nprobe": int(nprobe)}
        self._vectors = np.zeros((0, self.dim), dtype=np.float32)   # (n, dim), unit rows for cosine
        self._ids: list[str] = []
        self._metadata: list[dict] = []
        self._positions: dict[str, int] = {}
        self._faiss = None

    # ------------------------------------------------------------ adding
    def __len__(self) -> int:
        return len(self._ids)

    def __repr__(self) -> str:
        return f"SemanticIndex(n={len(self)}, dim={self.dim}, metric={self.metric!r}, backend={self.backend!r})"

    @property
    def ids(self) -> list[str]:
        """The ids in insertion order (a copy)."""
        return list(self._ids)

    @property
    def vectors(self) -> np.ndarray:
        """The stored vectors ``(n, dim)`` (unit length for metric "cosine"); read-only view."""
        v = self._vectors.view()
        v.flags.writeable = False
        return v

    def metadata(self, id: str) -> dict:
        """The metadata dict stored with ``id``."""
        return self._metadata[self._positions[id]]

    def _prepare(self, vectors, what: str) -> np.ndarray:
        if type(vectors).__module__.startswith("torch"):
            vectors = vectors.detach().cpu().numpy()
        if not isinstance(vectors, np.ndarray):
            raise TypeError(f"{what} must be a numpy array of shape (n, {self.dim}) or ({self.dim},); "
                            f"got {type(vectors).__name__}. Convert with np.asarray(...)"
                            + (" or pass text to an index built with encoder=." if self.encoder is None else "."))
        if vectors.dtype == object or not np.issubdtype(vectors.dtype, np.number):
            raise TypeError(f"{what} must hold numbers; got dtype {vectors.dtype}.")
        if vectors.ndim not in (1, 2) or vectors.shape[-1] != self.dim:
            raise ShapeError(f"{what} has shape {vectors.shape}, but this index holds {self.dim}-dimensional "
                             f"vectors: pass ({self.dim},) or (n, {self.dim}). Was it made by another model?")
        v = np.ascontiguousarray(vectors, dtype=np.float32)
        if not np.all(np.isfinite(v)):
            raise ValueError(f"{what} contains NaN or infinite values.")
        if self.metric == "cosine":
            n = np.linalg.norm(v, axis=-1, keepdims=True)
            if np.any(n < 1e-12):
                raise EmptyInputError(f"{what} contains a zero vector, which has no direction for cosine.")
            v = v / n
        return v

    def add(self, ids: Sequence[str], vectors: np.ndarray, metadata: Sequence[dict] | None = None) -> None:
        """Add ``vectors`` ``(n, dim)`` under string ``ids`` (unique), each with an optional metadata dict.

        Returns None. Raises ``ValueError`` for duplicate ids (within the call or
        against the index), :class:`ShapeError` for a wrong dimension.
        """
        if isinstance(ids, str):
            raise TypeError("ids must be a list of strings, not one string: wrap it as [id].")
        ids = list(ids)
        bad = [i for i in ids if not isinstance(i, str)]
        if bad:
            raise TypeError(f"ids must be strings; got {type(bad[0]).__name__} {bad[0]!r}. Use str(...).")
        v = self._prepare(vectors, "vectors")
        if v.ndim == 1:
            v = v[None, :]
        if len(ids) != len(v):
            raise ShapeError(f"{len(ids)} ids but {len(v)} vectors: give one id per row.")
        if metadata is None:
            metadata = [{} for _ in ids]
        metadata = list(metadata)
        if len(metadata) != len(ids) or not all(isinstance(m, dict) for m in metadata):
            raise ValueError(f"metadata must be a list of {len(ids)} dicts (one per id) or None.")
        seen: set[str] = set()
        dups = [i for i in ids if i in self._positions or (i in seen or seen.add(i))]
        if dups:
            raise ValueError(f"Duplicate ids {sorted(set(dups))[:5]}: every id must be unique in the index. "
                             f"Make a new index to replace items.")
        if not ids:
            return
        start = len(self._ids)
        self._vectors = np.concatenate([self._vectors, v]) if start else v.copy()
        self._ids.extend(ids)
        self._metadata.extend(dict(m) for m in metadata)
        self._positions.update((i, start + j) for j, i in enumerate(ids))
        if self.backend != "exact":
            self._faiss_add(v)

    def add_texts(self, ids: Sequence[str], texts: Sequence[str], metadata: Sequence[dict] | None = None) -> None:
        """Encode ``texts`` with the index's ``encoder`` and add them (see :meth:`add`)."""
        texts = self._texts(texts)
        if len(texts) != len(list(ids)):
            raise ShapeError(f"{len(list(ids))} ids but {len(texts)} texts: give one id per text.")
        self.add(ids, self.encoder(texts), metadata)

    def _texts(self, texts) -> list[str]:
        if self.encoder is None:
            raise TypeError("This index has no encoder, so it only takes vectors. Build it with "
                            "SemanticIndex(dim, encoder=lessons.embed.encode) to search with text.")
        texts = [texts] if isinstance(texts, str) else list(texts)
        if not all(isinstance(t, str) for t in texts):
            raise TypeError("A text query batch must be a list of str.")
        empty = [i for i, t in enumerate(texts) if not t.strip()]
        if empty:
            raise EmptyInputError(f"Query text {empty[0]} is empty or only whitespace: type a question.")
        return texts

    # ------------------------------------------------------------ faiss
    def _faiss_metric(self, faiss):
        return faiss.METRIC_L2 if self.metric == "euclidean" else faiss.METRIC_INNER_PRODUCT

    def _faiss_add(self, v: np.ndarray) -> None:
        faiss = require("faiss", "faiss-cpu")
        o = self.options
        if self._faiss is None:
            if self.backend == "hnsw":
                self._faiss = faiss.IndexHNSWFlat(self.dim, o["hnsw_m"], self._faiss_metric(faiss))
                self._faiss.hnsw.efConstruction = o["ef_construction"]
            else:
                nlist = min(o["nlist"], len(v))
                quantizer = faiss.IndexFlatIP(self.dim) if self.metric != "euclidean" else faiss.IndexFlatL2(self.dim)
                self._faiss = faiss.IndexIVFFlat(quantizer, self.dim, nlist, self._faiss_metric(faiss))
                self._faiss.cp.seed = 0
                sample = v
                if len(v) > 64 * nlist:   # k-means on a sample: 64 points per cell is plenty
                    pick = np.random.default_rng(0).choice(len(v), 64 * nlist, replace=False)
                    sample = v[np.sort(pick)]
                self._faiss.train(sample)
                self._faiss_quantizer = quantizer   # keep the Python object alive
        self._faiss.add(v)

    def _faiss_search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        if self.backend == "hnsw":
            self._faiss.hnsw.efSearch = max(self.options["ef_search"], k)
        else:
            self._faiss.nprobe = self.options["nprobe"]
        scores, idx = self._faiss.search(q, k)             # (q, k) each; -1 where fewer than k found
        if self.metric == "euclidean":
            scores = np.sqrt(np.maximum(scores, 0))        # faiss L2 gives squared distances
        return idx, scores

    def set_search_options(self, **options) -> None:
        """Change ``ef_search`` (hnsw) or ``nprobe`` (ivf) for later searches: the speed/recall dial."""
        for key in options:
            if key not in ("ef_search", "nprobe"):
                raise ValueError(f"Unknown search option {key!r}; use ef_search or nprobe.")
        self.options.update({k: int(v) for k, v in options.items()})

    # ------------------------------------------------------------ searching
    def search(self, query, k: int = 10):
        """Top-``k`` hits for one query ``(dim,)`` -> ``list[Hit]`` or a batch ``(q, dim)`` -> ``list[list[Hit]]``.

        With an ``encoder``, ``query`` may also be a str (-> ``list[Hit]``) or a
        list of str (-> ``list[list[Hit]]``). An empty index gives empty lists.
        """
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
            raise ValueError(f"k must be a positive integer; got {k!r}.")
        if isinstance(query, str) or (isinstance(query, (list, tuple)) and query
                                      and all(isinstance(t, str) for t in query)):
            single = isinstance(query, str)
            query = self.encoder(self._texts(query))
            query = query[0] if single else query
        q = self._prepare(query, "query")
        single = q.ndim == 1
        q = q[None, :] if single else q                     # (q, dim)
        if len(self) == 0:
            return [] if single else [[] for _ in range(len(q))]
        k = min(int(k), len(self))
        if self.backend == "exact":
            if self.metric == "euclidean":
                sq = (q * q).sum(1)[:, None] + (self._vectors ** 2).sum(1)[None, :] - 2 * (q @ self._vectors.T)
                idx, scores = top_k(np.sqrt(np.maximum(sq, 0)), k, largest=False)
            else:
                idx, scores = top_k(q @ self._vectors.T, k)      # (q, n) -> (q, k)
        else:
            idx, scores = self._faiss_search(q, k)
        results = [[Hit(self._ids[i], float(s), r + 1, self._metadata[i])
                    for r, (i, s) in enumerate(zip(row_i, row_s)) if i >= 0]
                   for row_i, row_s in zip(idx, scores)]
        return results[0] if single else results

    # ------------------------------------------------------------ saving
    def save(self, folder: str | os.PathLike) -> Path:
        """Write the index to ``folder`` atomically (temp folder + rename); returns the folder path."""
        folder = Path(folder)
        with atomic_folder(folder) as tmp:
            np.save(tmp / "vectors.npy", self._vectors, allow_pickle=False)
            (tmp / "records.json").write_text(json.dumps({"ids": self._ids, "metadata": self._metadata}),
                                              encoding="utf-8")
            files = ["vectors.npy", "records.json"]
            if self._faiss is not None:
                faiss = require("faiss", "faiss-cpu")
                np.save(tmp / "faiss.npy", faiss.serialize_index(self._faiss), allow_pickle=False)
                files.append("faiss.npy")
            manifest = {"format": "lessons.search.SemanticIndex", "version": FORMAT_VERSION,
                        "dim": self.dim, "metric": self.metric, "backend": self.backend,
                        "options": self.options, "count": len(self),
                        "sha256": {f: _sha256(tmp / f) for f in files}}
            (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        return folder

    @classmethod
    def load(cls, folder: str | os.PathLike, *, encoder=None) -> "SemanticIndex":
        """Read an index written by :meth:`save`, verifying checksums and shapes.

        Raises :class:`AssetError` for a missing, truncated or tampered folder.
        """
        folder = Path(folder)
        mpath = folder / "manifest.json"
        if not mpath.exists():
            raise AssetError(f"{folder} is not a saved index (no manifest.json). Save one with index.save(folder).")
        try:
            m = json.loads(mpath.read_text(encoding="utf-8"))
            sums, dim, count = m["sha256"], int(m["dim"]), int(m["count"])
        except (ValueError, KeyError, TypeError) as exc:
            raise AssetError(f"{mpath} is unreadable or incomplete ({exc}); save the index again.") from exc
        if m.get("format") != "lessons.search.SemanticIndex" or m.get("version") != FORMAT_VERSION:
            raise AssetError(f"{folder} holds format {m.get('format')} v{m.get('version')}, "
                             f"expected lessons.search.SemanticIndex v{FORMAT_VERSION}.")
        for name, digest in sums.items():
            path = folder / name
            if not path.exists() or _sha256(path) != digest:
                raise AssetError(f"{path} is missing or does not match its checksum in the manifest "
                                 f"(truncated or edited). Rebuild and save the index again.")
        try:
            vectors = np.load(folder / "vectors.npy", allow_pickle=False)
            records = json.loads((folder / "records.json").read_text(encoding="utf-8"))
            ids, metadata = records["ids"], records["metadata"]
        except (ValueError, KeyError, OSError) as exc:
            raise AssetError(f"Cannot read the index in {folder} ({exc}).") from exc
        if vectors.shape != (count, dim) or len(ids) != count or len(metadata) != count:
            raise AssetError(f"{folder}: manifest says {count} x {dim} but found vectors {vectors.shape}, "
                             f"{len(ids)} ids, {len(metadata)} metadata records.")
        opts = m.get("options", {})
        index = cls(dim, m["metric"], m["backend"], encoder=encoder, **opts)
        index._vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        index._ids, index._metadata = list(ids), list(metadata)
        index._positions = {i: j for j, i in enumerate(ids)}
        if len(index._positions) != count:
            raise AssetError(f"{folder}: duplicate ids in records.json.")
        if index.backend != "exact":
            if "faiss.npy" not in sums:
                raise AssetError(f"{folder}: a {index.backend} index must contain faiss.npy.")
            faiss = require("faiss", "faiss-cpu")
            index._faiss = faiss.deserialize_index(np.load(folder / "faiss.npy", allow_pickle=False))
            if index._faiss.ntotal != count or index._faiss.d != dim:
                raise AssetError(f"{folder}: the faiss index holds {index._faiss.ntotal} x {index._faiss.d}, "
                                 f"expected {count} x {dim}.")
        return index


# ---------------------------------------------------------------- synthetic data and ANN quality

def synthetic_vectors(n: int, dim: int = 384, *, n_clusters: int = 1000, latent: int = 64,
                      seed: int = 0, chunk: int = 100_000) -> np.ndarray:
    """Unit vectors ``(n, dim)`` float32 that look more like sentence embeddings than uniform noise.

    Introduced in notebooks/03_semantic_qa (speed and scale). Each vector is a
    cluster centre plus a within-cluster offset, both drawn in a ``latent``-
    dimensional subspace and mapped to ``dim`` dimensions by one fixed random
    matrix, plus a little isotropic noise, then normalised. Real embeddings are
    like this: clustered, with far fewer effective dimensions than coordinates.
    Uniform random 384-d vectors are the worst case for any approximate index
    (every point is almost equally far from every other), so recall measured
    on them says little. Same ``seed`` -> same cluster structure; draw queries
    with another ``seed`` offset by calling with ``seed=seed`` and slicing, or use
    :func:`synthetic_queries`.
    """
    return _synthetic(n, dim, n_clusters, latent, seed, seed, chunk)


def synthetic_queries(q: int, dim: int = 384, *, n_clusters: int = 1000, latent: int = 64,
                      seed: int = 0) -> np.ndarray:
    """Fresh query vectors ``(q, dim)`` from the same clusters as ``synthetic_vectors(..., seed=seed)``."""
    return _synthetic(q, dim, n_clusters, latent, seed, seed + 10_000, 100_000)


def _synthetic(n, dim, n_clusters, latent, structure_seed, sample_seed, chunk) -> np.ndarray:
    rs = np.random.default_rng(structure_seed)
    mix = rs.normal(size=(latent, dim)).astype(np.float32) / np.sqrt(latent)     # (latent, dim)
    centres = rs.normal(size=(n_clusters, latent)).astype(np.float32)            # (C, latent)
    sizes = rs.pareto(1.5, n_clusters) + 1                                       # uneven cluster sizes
    probs = sizes / sizes.sum()
    rng = np.random.default_rng(sample_seed)
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        c = rng.choice(n_clusters, size=m, p=probs)
        z = centres[c] + 0.6 * rng.standard_normal((m, latent), dtype=np.float32)  # (m, latent)
        x = z @ mix + 0.15 * rng.standard_normal((m, dim), dtype=np.float32)       # (m, dim)
        out[start:start + m] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def overlap_at_k(exact: Sequence[Sequence[Hit]], approx: Sequence[Sequence[Hit]], k: int = 10) -> float:
    """ANN recall@k: the average share of the exact top-``k`` ids that the approximate search also found."""
    if len(exact) != len(approx) or not exact:
        raise ValueError("Give one exact and one approximate hit list per query (and at least one query).")
    return float(np.mean([len({h.id for h in e[:k]} & {h.id for h in a[:k]}) / max(1, min(k, len(e)))
                          for e, a in zip(exact, approx)]))
