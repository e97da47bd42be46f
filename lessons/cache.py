"""An on-disk cache for expensive preparation, keyed by everything that shapes the result.

Introduced in notebooks/01_word2vec (tokenised corpus); used for emoji renders
(04) and sentence embeddings (03). The folder is ``$LESSONS_CACHE`` when set,
otherwise ``~/.cache/embeddings-course``. A cache entry's file name contains a
hash of its key (input file fingerprints, parameters, a format version), so a
changed input can never be served a stale result. Entries are written to a
temporary name and renamed, so an interrupted write never leaves a half file.
Only ``.npz`` (with ``allow_pickle=False``) and JSON are used: no pickle.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from .errors import CourseError

ENV_VAR = "LESSONS_CACHE"


class DiskFullError(CourseError, OSError):
    """The disk is full; the message says how to move the cache."""


def cache_dir() -> Path:
    """The cache folder (created if missing): ``$LESSONS_CACHE`` or ``~/.cache/embeddings-course``."""
    root = os.environ.get(ENV_VAR) or Path.home() / ".cache" / "embeddings-course"
    path = Path(root).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def sha256_file(path: str | os.PathLike) -> str:
    """Full sha256 hex digest of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_fingerprint(path: str | os.PathLike) -> str:
    """A short content hash of a file (sha256 of its bytes, first 16 hex digits)."""
    return sha256_file(path)[:16]


def key_hash(key: Any) -> str:
    """A stable 16-hex-digit hash of a JSON-serialisable key."""
    text = json.dumps(key, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def entry_path(name: str, key: Any, suffix: str) -> Path:
    """Where the cache entry ``name`` for ``key`` lives (it may not exist yet)."""
    return cache_dir() / f"{name}-{key_hash(key)}{suffix}"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        if exc.errno == errno.ENOSPC:
            raise DiskFullError(
                f"No space left to write {path.name} in {path.parent}. Free some space, or move the "
                f"course cache to a bigger disk: export {ENV_VAR}=/path/with/space (deleting the "
                f"cache folder is always safe)."
            ) from exc
        raise
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def atomic_folder(folder: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``folder``; when the block succeeds it becomes ``folder``.

    The previous copy is moved aside, not deleted, until the new one is in
    place, and restored if the final rename fails; if the block raises, the
    temporary folder is removed and ``folder`` is untouched. Used by the saved
    indexes of notebooks 03 and 04.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.tmp-"))
    try:
        yield tmp
        old = None
        if folder.exists():
            old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
            os.replace(folder, old)
        try:
            os.replace(tmp, folder)
        except BaseException:
            if old is not None:
                os.replace(old, folder)  # put the previous copy back
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def cached_arrays(name: str, key: Any, build: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Return ``build()``'s dict of arrays, computing it only when no valid entry exists.

    A corrupt entry (for example a truncated file) is rebuilt, not trusted.
    """
    path = entry_path(name, key, ".npz")
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as z:
                return {k: z[k] for k in z.files}
        except Exception:
            path.unlink(missing_ok=True)
    arrays = build()
    import io

    buf = io.BytesIO()
    np.savez(buf, **arrays)
    atomic_write_bytes(path, buf.getvalue())
    return arrays


def cached_json(name: str, key: Any, build: Callable[[], Any]) -> Any:
    """Return ``build()``'s JSON-serialisable result, cached like :func:`cached_arrays`."""
    path = entry_path(name, key, ".json")
    if path.exists():
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except Exception:
            path.unlink(missing_ok=True)
    value = build()
    atomic_write_bytes(path, json.dumps(value).encode("utf-8"))
    return value
