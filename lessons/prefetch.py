"""``python -m lessons prefetch``: put the optional real CLIP in the local cache while online.

For classroom preparation. The course itself runs offline without it (notebook
04 trains and ships its own CLIP-style model); the real ``clip-ViT-B-32``
(about 600 MB) is the optional upgrade learners with internet can use. This
command downloads it with ``SentenceTransformer(name)``, saves it into a
temporary folder next to its destination and renames it into place (so a
half-finished download never looks like a model), then verifies it by loading
it and encoding one text and one image. ``python -m lessons doctor`` then
reports it present.

``--source FOLDER`` copies and verifies a model folder brought in by hand (a USB
stick, a shared drive) instead of downloading: that path needs no network.

Every failure is a plain message with what to do and a non-zero exit, never a
traceback.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from . import models

HUB_NAME = "sentence-transformers/clip-ViT-B-32"
FOLDER_NAME = "clip-ViT-B-32"
#: free space needed to download: the hub copy and the saved copy both exist for a moment
NEEDED_BYTES = 1_500_000_000
PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


class PrefetchError(Exception):
    """A failure to report as a plain message (the command exits 1)."""


def target_dir() -> Path:
    """Where the prefetched CLIP lives: ``models_dir()/clip-ViT-B-32`` (what doctor checks)."""
    return models.models_dir() / FOLDER_NAME


def offline_message(target: Path) -> str:
    return (
        "No network: the model hub (huggingface.co) cannot be reached from this machine, so the real CLIP "
        f"(about 600 MB) cannot be downloaded here.\n"
        "The course does not need it: notebook 04 uses the course's own CLIP-style model, offline.\n"
        "To add the real CLIP by hand:\n"
        "  1. on a machine with internet, run `python -m lessons prefetch` (it saves the model folder\n"
        f"     {FOLDER_NAME} under that machine's course cache, models/{FOLDER_NAME});\n"
        "  2. copy that folder to this machine, then either\n"
        f"     `python -m lessons prefetch --source /path/to/{FOLDER_NAME}` (copies it to {target} and\n"
        "     verifies it), or set LESSONS_CLIP_MODEL=/path/to/" + FOLDER_NAME + " to use it where it is.\n"
        "Behind a proxy? Set HTTPS_PROXY (and, for a proxy that inspects TLS, REQUESTS_CA_BUNDLE to its "
        "certificate) and retry."
    )


def hub_reachable() -> bool:
    """``models.network_available()``; behind a proxy (HTTPS_PROXY set) a direct TCP test fails, so ask through it."""
    if models.network_available():
        return True
    if any(os.environ.get(v) for v in PROXY_VARS):
        import urllib.request

        try:
            with urllib.request.urlopen("https://huggingface.co/api/models/" + HUB_NAME, timeout=10):
                return True
        except Exception:
            return False
    return False


def _load(path: Path):
    loader = getattr(models, "load_clip_model", None)
    if loader is not None:
        return loader(path)
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(path), device="cpu")


def _encode(model, texts=None, images=None):
    import numpy as np

    if texts is not None:
        fn = getattr(model, "encode_text", None)
        out = fn(texts) if fn else model.encode(texts, show_progress_bar=False)
    else:
        fn = getattr(model, "encode_image", None)
        out = fn(images) if fn else model.encode(images, show_progress_bar=False)
    return np.asarray(out, dtype=np.float32)


def verify(path: Path) -> str:
    """Load the CLIP folder at ``path``, encode one text and one image; return a one-line summary.

    Raises :class:`PrefetchError` when it does not load or the vectors are not
    finite, same-sized and non-zero.
    """
    import numpy as np
    from PIL import Image

    models.quiet_progress_bars()
    t = time.perf_counter()
    try:
        model = _load(Path(path))
        text = _encode(model, texts=["a photo of a cat"])
        image = _encode(model, images=[Image.new("RGB", (64, 48), (200, 120, 40))])
    except Exception as exc:
        raise PrefetchError(f"The model in {path} does not load or encode: {type(exc).__name__}: {exc}") from None
    if text.ndim != 2 or image.ndim != 2 or text.shape != image.shape:
        raise PrefetchError(f"The model in {path} gave text {text.shape} and image {image.shape} vectors: "
                            f"a CLIP model gives two (1, d) arrays of the same d.")
    if not (np.isfinite(text).all() and np.isfinite(image).all()) or not (text.any() and image.any()):
        raise PrefetchError(f"The model in {path} gave non-finite or all-zero vectors: the weights look corrupt.")
    cos = float(text[0] @ image[0] / (np.linalg.norm(text[0]) * np.linalg.norm(image[0])))
    return (f"loads and encodes one text and one image to {text.shape[1]}-d vectors "
            f"(cosine {cos:.3f}) in {time.perf_counter() - t:.1f} s")


def fetch(source: str, target: Path) -> Path:
    """Save ``source`` (hub name or local folder) as a SentenceTransformer folder at ``target``, atomically.

    The model is saved into a temporary folder beside ``target`` (same disk), verified
    there, and only then renamed into place; an existing ``target`` is replaced only
    after the new copy verified. Returns ``target``.
    """
    from sentence_transformers import SentenceTransformer

    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    models.quiet_progress_bars()
    with tempfile.TemporaryDirectory(prefix=f".{target.name}-partial-", dir=target.parent) as tmp:
        staging = Path(tmp) / target.name
        try:
            model = SentenceTransformer(source, device="cpu", cache_folder=str(Path(tmp) / "download"))
            model.save(str(staging))
        except Exception as exc:
            raise PrefetchError(download_failure(source, exc)) from None
        print(f"  saved, verifying: {verify(staging)}", flush=True)
        if target.exists():  # replaced only now that the new copy verified
            target.rename(Path(tmp) / "previous")
        staging.rename(target)
    return target


def download_failure(source: str, exc: Exception) -> str:
    text = f"{type(exc).__name__}: {exc}"
    hints = []
    low = text.lower()
    if "ssl" in low or "certificate" in low:
        hints.append("a proxy that inspects TLS: set REQUESTS_CA_BUNDLE (and SSL_CERT_FILE) to its certificate")
    if "proxy" in low or "407" in low:
        hints.append("set HTTPS_PROXY=http://user:password@proxy:port")
    if "no space" in low or "errno 28" in low:
        hints.append(f"free about {NEEDED_BYTES / 1e9:.1f} GB, or set LESSONS_CACHE to a folder on a larger disk")
    if not hints and Path(source).is_dir():
        hints.append("the folder is incomplete or corrupt: copy it again (it must hold config.json and the weights)")
    if not hints:
        hints.append("check the connection and retry; the course works without this model")
    return f"Could not get {source}: {text[:400]}\n  what to do: " + "; ".join(hints)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point: 0 when the model is present and verified, 1 otherwise."""
    ap = argparse.ArgumentParser(prog="python -m lessons prefetch",
                                 description="Download (or copy in) the optional real CLIP and verify it.")
    ap.add_argument("--source", metavar="NAME_OR_FOLDER", default=HUB_NAME,
                    help=f"hub name (default {HUB_NAME}) or a local model folder to copy in (no network needed)")
    ap.add_argument("--force", action="store_true", help="fetch again even when a verified copy is present")
    args = ap.parse_args(argv)

    target = target_dir()
    local = Path(args.source).expanduser()
    try:
        if target.exists() and not args.force:
            print(f"Real CLIP already at {target}; verifying ...", flush=True)
            try:
                print(f"  ok: {verify(target)}")
                print("Nothing to do (use --force to fetch again).")
                return 0
            except PrefetchError as exc:
                print(f"  the present copy is broken ({exc}); fetching a fresh one.", flush=True)
        if not local.is_dir() and (args.source.startswith((".", "/", "~")) or local.exists()):
            print(f"{local} is not a model folder. Pass the folder that holds config.json "
                  f"(e.g. .../{FOLDER_NAME}).", file=sys.stderr)
            return 1
        if local.is_dir():
            print(f"Copying {local} into {target} ...", flush=True)
            fetch(str(local), target)
        else:
            if os.environ.get("HF_HUB_OFFLINE", "0") not in ("", "0", "false", "False"):
                print("HF_HUB_OFFLINE is set, so nothing can be downloaded: unset it (`unset HF_HUB_OFFLINE`) "
                      "and retry while online.", file=sys.stderr)
                return 1
            if not hub_reachable():
                print(offline_message(target), file=sys.stderr)
                return 1
            free = shutil.disk_usage(target.parent).free
            if free < NEEDED_BYTES:
                print(f"Not enough disk space in {target.parent}: {free / 1e9:.1f} GB free, about "
                      f"{NEEDED_BYTES / 1e9:.1f} GB needed while downloading. Free some space or set "
                      f"LESSONS_CACHE to a folder on a larger disk.", file=sys.stderr)
                return 1
            print(f"Downloading {args.source} (about 600 MB) into {target} ...", flush=True)
            fetch(args.source, target)
    except PrefetchError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted: nothing was changed (the partial download was removed).", file=sys.stderr)
        return 130
    print(f"Done: real CLIP at {target}. `python -m lessons doctor` now reports it present.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
