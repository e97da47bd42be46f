"""One index for images and texts: the "two-line" search of notebooks/04_multimodal.

Introduced in notebooks/04_multimodal::

    mix = MultimodalIndex()                       # course CLIP offline, real CLIP if prefetched
    mix.index("astronaut_rides_horse.png"); mix.index("an astronaut riding a horse on mars")
    mix.search("space horse")                     # -> [Result(image...), Result(text...)]

Vectors live in two :class:`lessons.search.SemanticIndex` objects, one per
modality. Raw cosines are not comparable across modalities (the *modality gap*:
a text query scores other texts far higher than any image), so each modality's
score is standardised with statistics measured once per model on reference
queries (OpenMoji keyword captions against emoji images and names):
``z = (cosine - mean) / sd``. Results are merged by ``z``; ``importance`` maps
``z`` to a percentage with one logistic curve fitted on the same reference pairs
(match vs no match, balanced), so "90 %" reads "about as likely to be a match as a
reference pair scoring this high".
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from .cache import atomic_folder, sha256_file
from .errors import AssetError, EmptyInputError
from .search import SemanticIndex

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff")
KINDS = ("image", "text")
FORMAT = "lessons.multimodal.MultimodalIndex"
VERSION = 1


# ---------------------------------------------------------------- models

def model_id(model) -> str:
    """A string naming the model's weights: vectors from different models never mix."""
    tower = getattr(model, "tower", None)
    if tower is not None:
        import hashlib

        h = hashlib.sha256()
        for k, v in sorted(tower.state_dict().items()):
            h.update(k.encode())
            h.update(np.ascontiguousarray(v.detach().float().numpy()).tobytes())
        return f"course-clip:{h.hexdigest()[:16]}"
    return f"clip:{getattr(model, 'name', type(model).__name__)}"


def default_model(prefer_real: bool = True):
    """Real CLIP if a local copy is found (``lessons.models.clip_model_path``), else the course model.

    Introduced in notebooks/04_multimodal. Check ``model.name`` to see which one you got.
    """
    from . import clip_model, models

    if prefer_real:
        try:
            return models.load_clip_model()
        except AssetError:
            pass
    return clip_model.CourseClip.load()


# ---------------------------------------------------------------- calibration

@dataclass
class Calibration:
    """Per (query kind -> item kind) mean and sd of reference cosines, plus one logistic on z.

    ``stats[("text", "image")] = (mean, sd)``; ``importance(z) = sigmoid(a * z + b)``.
    """

    stats: dict
    a: float
    b: float

    def z(self, query_kind: str, item_kind: str, scores):
        mean, sd = self.stats[f"{query_kind}->{item_kind}"]
        return (np.asarray(scores, dtype=np.float64) - mean) / sd

    def importance(self, z):
        return 100.0 / (1.0 + np.exp(-(self.a * np.asarray(z, dtype=np.float64) + self.b)))

    def to_json(self) -> dict:
        return {"stats": {k: list(map(float, v)) for k, v in self.stats.items()}, "a": self.a, "b": self.b}

    @classmethod
    def from_json(cls, d: dict) -> "Calibration":
        return cls({k: tuple(v) for k, v in d["stats"].items()}, float(d["a"]), float(d["b"]))


def reference_pairs(n: int = 400, seed: int = 0):
    """Reference material: (keyword queries, emoji names, emoji images) for ``n`` seeded emoji.

    Query i is a short keyword caption of emoji i (an alias or a word of its name),
    item i its image and its full name: pairs (i, i) match, (i, j) do not.
    """
    from . import clip_model, data
    from .clip_train import caption_name, captions

    emojis = data.emoji_catalog()
    idx = np.sort(np.random.default_rng(seed).permutation(len(emojis))[:n])
    queries, names = [], []
    for i in idx:
        c = captions(emojis[i])
        queries.append((c["alias"] or c["part"] or c["name"])[0])
        names.append(caption_name(emojis[i]))
    images = data.emoji_images(clip_model.IMAGE_SIZE)[idx]
    return queries, names, images


def fit_calibration(model, n: int = 400, seed: int = 0) -> Calibration:
    """Measure the reference statistics for ``model`` (a few seconds; cached on disk per model)."""
    from . import cache

    def build():
        queries, names, images = reference_pairs(n, seed)
        q = model.encode_text(queries)                            # (n, d) keyword queries
        t = model.encode_text(names)                              # (n, d) text items
        v = model.encode_image(images)                            # (n, d) image items
        sims = {"text->image": q @ v.T, "text->text": q @ t.T, "image->text": v @ t.T,
                "image->image": v @ v.T}
        off = ~np.eye(n, dtype=bool)
        stats = {}
        for key, s in sims.items():
            vals = s[off] if key == "image->image" else s.ravel()
            stats[key] = (float(vals.mean()), float(vals.std() + 1e-8))
        # one logistic curve on z, fitted on text queries against both modalities (balanced)
        zs, ys = [], []
        for key in ("text->image", "text->text"):
            mean, sd = stats[key]
            z = (sims[key] - mean) / sd
            zs.append(z.ravel())
            ys.append(np.eye(n, dtype=bool).ravel())
        a, b = _logistic(np.concatenate(zs), np.concatenate(ys))
        return {"stats": stats, "a": a, "b": b}

    key = {"model": model_id(model), "n": n, "seed": seed, "v": 1}
    return Calibration.from_json(cache.cached_json("clip-calibration", key, build))


def _logistic(z: np.ndarray, y: np.ndarray, iters: int = 200) -> tuple[float, float]:
    """Fit p = sigmoid(a z + b) with balanced class weights by Newton's method; returns (a, b)."""
    w = np.where(y, 0.5 / y.sum(), 0.5 / (~y).sum())             # each class carries half the weight
    X = np.stack([z, np.ones_like(z)], 1)                        # (m, 2)
    theta = np.zeros(2)
    for _ in range(iters):
        p = 1 / (1 + np.exp(-X @ theta))
        grad = X.T @ (w * (p - y))
        H = (X * (w * p * (1 - p))[:, None]).T @ X + 1e-9 * np.eye(2)
        step = np.linalg.solve(H, grad)
        theta -= step
        if np.abs(step).max() < 1e-10:
            break
    return float(theta[0]), float(theta[1])


# ---------------------------------------------------------------- the index

@dataclass
class Result:
    """One search hit: ``id``, ``kind`` ("image"/"text"), ``filename`` or ``text``, raw cosine
    ``score``, standardised ``z``, ``importance`` (percent) and ``rank`` (1 = best)."""

    id: str
    kind: str
    score: float
    z: float
    importance: float
    rank: int
    filename: str | None = None
    text: str | None = None

    def as_dict(self) -> dict:
        """The seed article's shape: {"file_id", "filename" or "text", "importance": "95%"}."""
        out = {"file_id": self.id}
        out["filename" if self.kind == "image" else "text"] = self.filename if self.kind == "image" else self.text
        out["importance"] = f"{self.importance:.0f}%"
        return out


@dataclass
class FolderReport:
    """What :meth:`MultimodalIndex.index_folder` did: ids indexed and files skipped with the reason."""

    indexed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"indexed {len(self.indexed)} image(s), skipped {len(self.failed)}"]
        lines += [f"  skipped {name}: {why}" for name, why in self.failed]
        return "\n".join(lines)


def open_image(path: str | os.PathLike):
    """Open and fully decode an image file as RGB; clear errors for missing or broken files."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No such image file: {path}. Check the path (a relative path starts "
                                f"in the current working folder).")
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise AssetError(f"{path.name}: unsupported file type {path.suffix!r}; use one of {IMAGE_SUFFIXES}.")
    try:
        with Image.open(path) as img:
            img.load()                                            # decode now: truncated files fail here
            out = img.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise AssetError(f"{path.name} is not a readable image ({exc}). Re-export or re-download it.") from exc
    out.filename = str(path)
    return out


class MultimodalIndex:
    """Index images and texts together; search either with a text or an image.

    Introduced in notebooks/04_multimodal. ``model`` needs ``encode_image`` and
    ``encode_text`` returning unit vectors (default: :func:`default_model`).
    """

    def __init__(self, model=None, calibration: Calibration | None = None):
        self.model = model if model is not None else default_model()
        self.model_id = model_id(self.model)
        self.calibration = calibration or fit_calibration(self.model)
        self._dim = None
        self._parts: dict[str, SemanticIndex] = {}
        self._count = 0

    def __len__(self) -> int:
        return sum(len(p) for p in self._parts.values())

    def __repr__(self) -> str:
        counts = {k: len(p) for k, p in self._parts.items()}
        return f"MultimodalIndex({counts}, model={getattr(self.model, 'name', '?')!r})"

    # ------------------------------------------------------------ adding
    def _part(self, kind: str, dim: int) -> SemanticIndex:
        if kind not in self._parts:
            self._parts[kind] = SemanticIndex(dim, metric="cosine", backend="exact")
        return self._parts[kind]

    def _new_id(self, kind: str, id: str | None) -> str:
        if id is None:
            self._count += 1
            id = f"{kind}-{self._count:04d}"
        id = str(id)
        if any(id in p._positions for p in self._parts.values()):
            raise ValueError(f"id {id!r} is already in the index; pass a new id.")
        return id

    def index(self, item, id: str | None = None) -> str:
        """Add an image (file path or PIL image) or a text; returns its id.

        A ``str`` ending in an image suffix (.png, .jpg, ...) or a ``Path`` is read as an
        image file; any other ``str`` is indexed as text.
        """
        kind, payload, meta = self._classify(item)
        if kind == "image":
            vec = self.model.encode_image([payload])              # (1, d)
        else:
            vec = self.model.encode_text([payload])               # (1, d)
        id = self._new_id(kind, id)
        self._part(kind, vec.shape[1]).add([id], vec, [meta])
        return id

    def _classify(self, item):
        from PIL import Image

        if isinstance(item, Image.Image):
            name = getattr(item, "filename", "") or ""
            return "image", item.convert("RGB"), {"kind": "image", "filename": Path(name).name or None}
        if isinstance(item, os.PathLike) or (isinstance(item, str) and item.strip().lower().endswith(IMAGE_SUFFIXES)):
            img = open_image(item)
            return "image", img, {"kind": "image", "filename": Path(item).name}
        if isinstance(item, str):
            if not item.strip():
                raise EmptyInputError("Cannot index an empty text; pass a sentence, an image path or a PIL image.")
            return "text", item, {"kind": "text", "text": item}
        raise TypeError(f"Cannot index a {type(item).__name__}: pass a text (str), an image path "
                        f"(str or Path ending in {', '.join(IMAGE_SUFFIXES[:4])}, ...) or a PIL image.")

    def index_folder(self, folder: str | os.PathLike) -> FolderReport:
        """Index every image file in ``folder`` (sorted); unreadable files are skipped and reported."""
        folder = Path(folder)
        if not folder.is_dir():
            raise FileNotFoundError(f"No such folder: {folder}.")
        report = FolderReport()
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            try:
                report.indexed.append(self.index(path))
            except (AssetError, OSError) as exc:
                report.failed.append((path.name, str(exc)))
        return report

    # ------------------------------------------------------------ searching
    def raw_search(self, query, k: int = 5) -> dict[str, list]:
        """Per-modality hits with raw cosines, before any merging: {"image": [Hit], "text": [Hit]}."""
        qkind, qvec = self._encode_query(query)
        return {kind: part.search(qvec, k) for kind, part in self._parts.items()}

    def _encode_query(self, query):
        from PIL import Image

        if isinstance(query, str) and not query.lower().endswith(IMAGE_SUFFIXES):
            if not query.strip():
                raise EmptyInputError("The query is empty; type a few words (e.g. 'space horse').")
            return "text", self.model.encode_text([query])[0]
        if isinstance(query, (str, os.PathLike)):
            return "image", self.model.encode_image([open_image(query)])[0]
        if isinstance(query, Image.Image):
            return "image", self.model.encode_image([query.convert("RGB")])[0]
        raise TypeError(f"Cannot search with a {type(query).__name__}: pass a text, an image path or a PIL image.")

    def search(self, query, k: int = 5, *, calibrated: bool = True) -> list[Result]:
        """Top-``k`` items of both modalities for a text or image ``query``, best first.

        With ``calibrated=False`` the raw cosines are merged as they are (the naive
        ranking the notebook shows failing). An empty index returns ``[]``.
        """
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise ValueError(f"k must be a positive integer; got {k!r}.")
        qkind, qvec = self._encode_query(query)
        if len(self) == 0:
            return []
        cands = []
        for kind, part in self._parts.items():
            for hit in part.search(qvec, k):
                z = float(self.calibration.z(qkind, kind, hit.score))
                cands.append((kind, hit, z))
        key = (lambda c: c[2]) if calibrated else (lambda c: c[1].score)
        cands.sort(key=lambda c: (-key(c), c[1].id))
        out = []
        for r, (kind, hit, z) in enumerate(cands[:k], start=1):
            out.append(Result(hit.id, kind, round(hit.score, 6), round(z, 4),
                              round(float(self.calibration.importance(z)), 2), r,
                              filename=hit.metadata.get("filename"), text=hit.metadata.get("text")))
        return out

    # ------------------------------------------------------------ saving
    def save(self, folder: str | os.PathLike) -> Path:
        """Write atomically to ``folder`` (a failed save leaves the previous copy intact)."""
        folder = Path(folder)
        with atomic_folder(folder) as tmp:
            sums = {}
            for kind, part in self._parts.items():
                part.save(tmp / kind)
                sums[kind] = sha256_file(tmp / kind / "manifest.json")
            manifest = {"format": FORMAT, "version": VERSION, "model_id": self.model_id,
                        "model_name": getattr(self.model, "name", ""), "count": self._count,
                        "calibration": self.calibration.to_json(), "parts": sums}
            (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        return folder

    @classmethod
    def load(cls, folder: str | os.PathLike, model=None) -> "MultimodalIndex":
        """Read an index written by :meth:`save`; checksums and the model are verified.

        Raises :class:`AssetError` for a missing, truncated or tampered folder, or when
        ``model`` is not the model the index was built with.
        """
        folder = Path(folder)
        mpath = folder / "manifest.json"
        if not mpath.exists():
            raise AssetError(f"{folder} is not a saved MultimodalIndex (no manifest.json).")
        try:
            m = json.loads(mpath.read_text(encoding="utf-8"))
            parts, calib = dict(m["parts"]), Calibration.from_json(m["calibration"])
        except (ValueError, KeyError, TypeError) as exc:
            raise AssetError(f"{mpath} is unreadable or incomplete ({exc}); save the index again.") from exc
        if m.get("format") != FORMAT or m.get("version") != VERSION:
            raise AssetError(f"{folder} is not a {FORMAT} v{VERSION} folder.")
        for kind, digest in parts.items():
            p = folder / kind / "manifest.json"
            if kind not in KINDS or not p.exists() or sha256_file(p) != digest:
                raise AssetError(f"{folder / kind} is missing or was changed after saving; save the index again.")
        self = cls.__new__(cls)
        self.model = model if model is not None else default_model()
        self.model_id = model_id(self.model)
        if self.model_id != m.get("model_id"):
            raise AssetError(f"{folder} was built with {m.get('model_name')!r} ({m.get('model_id')}) but the "
                             f"model given is {self.model_id}; load it with the same model or rebuild the index.")
        self.calibration = calib
        self._parts = {kind: SemanticIndex.load(folder / kind) for kind in parts}
        self._count = int(m.get("count", 0))
        self._dim = None
        return self


# ---------------------------------------------------------------- the seed's picture

def astronaut_rides_horse(size: int = 256):
    """The seed's "astronaut riding a horse on Mars", composed from OpenMoji pieces (PIL, RGB).

    A red planet's surface (drawn), a horse (🐎) and an astronaut (🧑‍🚀) sitting on it.
    Introduced in notebooks/04_multimodal; the emoji are OpenMoji, CC BY-SA 4.0.
    """
    from PIL import Image, ImageDraw, ImageFont

    from . import data

    img = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(img)
    draw.ellipse((-size * 0.5, size * 0.78, size * 1.5, size * 2.2), fill=(193, 68, 14))   # Mars ground
    draw.ellipse((size * 0.06, size * 0.05, size * 0.24, size * 0.23), fill=(226, 115, 80))  # a red planet
    font_path = str(data.openmoji_font_path())
    for char, cx, cy, fs in (("🐎", 0.5, 0.62, 0.62), ("🧑\u200d🚀", 0.52, 0.33, 0.42)):
        font = ImageFont.truetype(font_path, int(size * fs))
        draw.text((size * cx, size * cy), char, font=font, embedded_color=True, anchor="mm")
    return img
