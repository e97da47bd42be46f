"""Train the course's CLIP-style model on OpenMoji: ``python -m lessons train-clip``.

Introduced in notebooks/04_multimodal. The recipe (fixed number of steps, seeded):

* data: the ~1,900 OpenMoji emoji of :func:`lessons.data.emoji_catalog`, rendered 48x48;
  a held-out split ("random" 20 %, or "family": whole groups sharing a first code
  point, so "woman astronaut" and "man astronaut" fall on the same side);
* captions: each emoji's CLDR name ("flag of" added to flags), its aliases from the
  ``emoji`` package, and the words of its name ("woman astronaut" -> "astronaut",
  "woman"); one caption is sampled per image per step;
* text tower: the real all-MiniLM-L6-v2, frozen; caption vectors are computed once
  (disk-cached by :func:`lessons.embed.encode`);
* image tower: :class:`lessons.clip_model.ImageTower` with random small affine
  augmentation; symmetric InfoNCE with a learnable temperature; AdamW with warm-up
  and cosine decay;
* ensemble: ``members`` towers are trained the same way from seeds ``seed``,
  ``seed + 1``, ... (same data split) and averaged (:class:`lessons.clip_model.TowerEnsemble`).

The checkpoint (safetensors) and a JSON record (recipe, split, seed, steps, measured
quality, sha256) are written to ``lessons/assets/clip/`` by default.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from . import clip_model
from .cache import sha256_file
from .clip_model import ImageTower, augment, clip_loss, to_tensor

STOPWORDS = {"with", "and", "the", "of", "in", "on", "for", "a", "an", "&", "at", "to", "o’clock"}


@dataclass
class Recipe:
    """Everything that decides the trained model (saved in the record)."""

    steps: int = 2000
    batch: int = 128
    image_size: int = clip_model.IMAGE_SIZE
    lr: float = 3e-3
    weight_decay: float = 0.05
    warmup: int = 100
    width: int = 32
    seed: int = 0
    split: str = "random"
    holdout: float = 0.2
    caption_weights: dict = field(default_factory=lambda: {"name": 0.5, "alias": 0.25, "part": 0.25})
    augment: bool = True
    soft_targets: float = 0.0      # weight of text-text similarity targets (0 = plain one-hot InfoNCE)
    soft_temperature: float = 0.05
    members: int = 4               # towers trained from seeds seed, seed+1, ... and averaged


def _is_flag(char: str) -> bool:
    cps = [ord(c) for c in char]
    regional = all(0x1F1E6 <= c <= 0x1F1FF for c in cps)
    subdivision = cps[0] == 0x1F3F4 and any(0xE0061 <= c <= 0xE007A for c in cps)
    return regional or subdivision


def caption_name(e) -> str:
    """The emoji's evaluation caption: its CLDR name, with "flag of" before country names."""
    return f"flag of {e.name}" if _is_flag(e.char) else e.name


def captions(e) -> dict[str, list[str]]:
    """Training captions of one emoji by kind: {"name": [...], "alias": [...], "part": [...]}."""
    name = caption_name(e)
    aliases = sorted({a for a in e.aliases if a.lower() != name.lower()})
    words = [w.strip("()!:,.’'\"").lower() for w in e.name.split()]
    parts = sorted({w for w in words if len(w) >= 3 and w not in STOPWORDS and w != name.lower()})
    return {"name": [name], "alias": aliases, "part": parts}


def split_indices(emojis, how: str = "random", holdout: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(train, held_out) index arrays into ``emojis``, both sorted.

    ``how="random"``: a random ``holdout`` fraction. ``how="family"``: whole groups of
    emoji sharing their first code point are held out until the fraction is reached.
    """
    rng = np.random.default_rng(seed)
    n = len(emojis)
    if how == "random":
        held = rng.permutation(n)[: int(round(holdout * n))]
    elif how == "family":
        groups: dict[str, list[int]] = {}
        for i, e in enumerate(emojis):
            groups.setdefault(e.code.split("-")[0], []).append(i)
        keys = sorted(groups)
        held = []
        for k in rng.permutation(len(keys)):
            if len(held) >= holdout * n:
                break
            held += groups[keys[k]]
        held = np.array(held)
    else:
        raise ValueError(f"split must be 'random' or 'family'; got {how!r}.")
    mask = np.zeros(n, bool)
    mask[held] = True
    return np.flatnonzero(~mask), np.flatnonzero(mask)


@dataclass
class EmojiData:
    """Images (N, 64, 64, 3) uint8, the caption table and every caption's MiniLM vector."""

    emojis: tuple
    images: np.ndarray
    names: list[str]                  # evaluation caption per emoji
    caption_texts: list[str]          # unique captions
    caption_vectors: np.ndarray       # (C, 384) unit vectors
    by_kind: list[dict[str, list[int]]]  # per emoji: kind -> caption ids


def emoji_data(text_model=None) -> EmojiData:
    """Load images and captions and encode every caption once with the frozen MiniLM."""
    from . import data, embed

    emojis = data.emoji_catalog()
    images = data.emoji_images(clip_model.IMAGE_SIZE)
    texts: dict[str, int] = {}
    by_kind = []
    for e in emojis:
        kinds = {}
        for kind, caps in captions(e).items():
            kinds[kind] = [texts.setdefault(c, len(texts)) for c in caps]
        by_kind.append(kinds)
    caption_texts = list(texts)
    vectors = embed.encode(caption_texts, text_model, name="clip-captions")
    return EmojiData(emojis, images, [caption_name(e) for e in emojis], caption_texts, vectors, by_kind)


def sample_captions(d: EmojiData, idx: np.ndarray, weights: dict, rng: np.random.Generator) -> np.ndarray:
    """One caption id per emoji in ``idx``: pick a kind by ``weights`` (among kinds it has), then a caption."""
    out = np.empty(len(idx), dtype=np.int64)
    for j, i in enumerate(idx):
        kinds = [k for k in ("name", "alias", "part") if d.by_kind[i][k] and weights.get(k, 0) > 0]
        p = np.array([weights[k] for k in kinds], float)
        kind = kinds[rng.choice(len(kinds), p=p / p.sum())]
        ids = d.by_kind[i][kind]
        out[j] = ids[rng.integers(len(ids))]
    return out


def seed_everything(seed: int) -> None:
    import random

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def train(d: EmojiData, train_idx: np.ndarray, recipe: Recipe,
          callback: Callable[[int, ImageTower, float, float], None] | None = None,
          callback_every: int = 100) -> tuple[ImageTower, float, dict]:
    """Train an :class:`ImageTower` for ``recipe.steps`` steps; returns (tower, logit_scale, stats).

    ``callback(step, tower, loss, temperature)`` runs every ``callback_every`` steps
    (the notebook draws the similarity matrix there). ``stats`` has the loss curve and
    the measured images/s.
    """
    seed_everything(recipe.seed)
    rng = np.random.default_rng(recipe.seed)
    gen = torch.Generator().manual_seed(recipe.seed)
    tower = ImageTower(width=recipe.width, image_size=recipe.image_size)
    logit_scale = torch.nn.Parameter(torch.tensor(math.log(1 / 0.07)))
    opt = torch.optim.AdamW([{"params": tower.parameters(), "weight_decay": recipe.weight_decay},
                             {"params": [logit_scale], "weight_decay": 0.0}], lr=recipe.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / recipe.warmup) * 0.5 *
                                              (1 + math.cos(math.pi * min(s, recipe.steps) / recipe.steps)))
    x_all = to_tensor(d.images[train_idx], recipe.image_size)     # (N, 3, S, S)
    t_all = torch.from_numpy(d.caption_vectors)                   # (C, 384)
    batch = min(recipe.batch, len(train_idx))
    order = rng.permutation(len(train_idx))
    pos, losses = 0, []
    tower.train()
    t0 = time.perf_counter()
    for step in range(1, recipe.steps + 1):
        if pos + batch > len(order):
            order, pos = rng.permutation(len(train_idx)), 0
        b = order[pos:pos + batch]
        pos += batch
        cap = sample_captions(d, train_idx[b], recipe.caption_weights, rng)  # (B,)
        x = x_all[b]
        if recipe.augment:
            x = augment(x, gen)
        img = tower(x)                                            # (B, 384)
        txt = t_all[cap]                                          # (B, 384)
        same = torch.from_numpy(cap[:, None] == cap[None, :])
        same.fill_diagonal_(False)
        targets = None
        if recipe.soft_targets > 0:
            soft = (txt @ txt.T / recipe.soft_temperature).masked_fill(same, float("-inf")).softmax(dim=1)
            targets = (1 - recipe.soft_targets) * torch.eye(len(b)) + recipe.soft_targets * soft  # (B, B)
        loss = clip_loss(img, txt, logit_scale, mask=same, targets=targets)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        with torch.no_grad():
            logit_scale.clamp_(0, math.log(100))
        losses.append(float(loss.detach()))
        if callback is not None and (step % callback_every == 0 or step == recipe.steps):
            tower.eval()
            callback(step, tower, float(loss.detach()), float(1 / logit_scale.detach().exp()))
            tower.train()
    seconds = time.perf_counter() - t0
    tower.eval()
    return tower, float(logit_scale.detach()), {"losses": losses, "seconds": seconds,
                                       "images_per_s": recipe.steps * batch / seconds}


def train_ensemble(d: EmojiData, train_idx: np.ndarray, recipe: Recipe,
                   callback: Callable[[int, int, ImageTower, float, float], None] | None = None,
                   callback_every: int = 100, jobs: int = 1,
                   threads: int = 1) -> tuple[ImageTower | clip_model.TowerEnsemble, float, dict]:
    """Train ``recipe.members`` towers (seeds ``recipe.seed + m``); returns (model, mean logit scale, stats).

    One member returns a plain :class:`ImageTower`. ``callback(member, step, tower, loss, temperature)``
    runs in this process only (``jobs=1``); with ``jobs > 1`` members train in that many
    worker processes of ``threads`` torch threads each and print their own progress.
    Each member's result depends only on its seed, so ``jobs`` does not change the model.
    """
    members = [replace(recipe, seed=recipe.seed + m, members=1) for m in range(recipe.members)]
    t0 = time.perf_counter()
    if jobs > 1 and len(members) > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("spawn")) as pool:
            states = list(pool.map(_train_member, [(asdict(m), train_idx, i, threads, callback_every)
                                                   for i, m in enumerate(members)]))
        results = []
        for state, scale, stats in states:                        # rebuild each tower from its weights
            tower = ImageTower(width=recipe.width, image_size=recipe.image_size)
            tower.load_state_dict(state)
            results.append((tower.eval(), scale, stats))
    else:
        results = []
        for i, member in enumerate(members):
            cb = None if callback is None else (lambda step, t, loss, temp, i=i: callback(i, step, t, loss, temp))
            results.append(train(d, train_idx, member, cb, callback_every))
    towers = [r[0] for r in results]
    seconds = time.perf_counter() - t0
    model = towers[0] if len(towers) == 1 else clip_model.TowerEnsemble(towers).eval()
    return model, float(np.mean([r[1] for r in results])), {
        "seconds": seconds, "final_losses": [float(np.mean(r[2]["losses"][-50:])) for r in results],
        "images_per_s": recipe.members * recipe.steps * recipe.batch / seconds}


def _train_member(args) -> tuple[dict, float, dict]:
    """Worker for :func:`train_ensemble`: train one member in a fresh process."""
    recipe_dict, train_idx, index, threads, every = args
    torch.set_num_threads(threads)
    recipe = Recipe(**recipe_dict)

    def report(step, tower, loss, temp):
        if step % (5 * every) == 0 or step == recipe.steps:
            print(f"tower {index + 1} (seed {recipe.seed})  step {step:5d}  loss {loss:.3f}", flush=True)

    tower, scale, stats = train(emoji_data(), train_idx, recipe, report, every)
    return tower.state_dict(), scale, stats


def recall_at_k(text_emb: np.ndarray, image_emb: np.ndarray, ks=(1, 5, 10)) -> dict[str, float]:
    """Text->image Recall@k where text i matches image i, plus image->text top-1 accuracy.

    ``text_emb`` and ``image_emb`` are (n, d) unit vectors. Ties count against the
    model (a strictly higher wrong score is needed to push the right one down).
    """
    sim = text_emb @ image_emb.T                                  # (n, n) text i vs image j
    diag = np.diag(sim)
    rank_t2i = (sim > diag[:, None]).sum(axis=1)                  # 0 = first place
    rank_i2t = (sim > diag[None, :]).sum(axis=0)
    out = {f"text_to_image_recall_at_{k}": float(np.mean(rank_t2i < k)) for k in ks}
    out["image_to_text_accuracy"] = float(np.mean(rank_i2t == 0))
    out["n"] = int(len(diag))
    out["chance_recall_at_5"] = float(min(5, len(diag)) / len(diag))
    return out


def evaluate(model, d: EmojiData, train_idx: np.ndarray, held_idx: np.ndarray) -> dict:
    """In-sample and held-out (zero-shot) retrieval of a model with ``encode_image``."""
    img = model.encode_image(d.images)                            # (N, 384)
    names = np.array(d.names)
    name_vec = d.caption_vectors[[d.by_kind[i]["name"][0] for i in range(len(names))]]
    rnd = lambda m: {k: round(v, 4) if isinstance(v, float) else v for k, v in m.items()}
    return {"in_sample": rnd(recall_at_k(name_vec[train_idx], img[train_idx])),
            "zero_shot": rnd(recall_at_k(name_vec[held_idx], img[held_idx]))}


def recorded_split(record: dict, d: EmojiData) -> tuple[np.ndarray, np.ndarray]:
    """The (train, held-out) emoji indices a checkpoint's record lists, so its scores can be recomputed."""
    codes = {e.code: i for i, e in enumerate(d.emojis)}
    held = np.array(sorted(codes[c] for c in record["data"]["held_out_codes"]))
    return np.setdiff1d(np.arange(len(d.emojis)), held), held


sha256 = sha256_file  # the checkpoint's digest, as written into its record


def main(argv: list[str] | None = None) -> int:
    """``python -m lessons train-clip [--steps N] [--split random|family] [--out DIR]``."""
    ap = argparse.ArgumentParser(prog="python -m lessons train-clip", description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=Recipe.steps)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--split", choices=("random", "family"), default="random")
    ap.add_argument("--width", type=int, default=Recipe.width)
    ap.add_argument("--batch", type=int, default=Recipe.batch)
    ap.add_argument("--soft-targets", type=float, default=Recipe.soft_targets)
    ap.add_argument("--members", type=int, default=Recipe.members,
                    help="towers to train from consecutive seeds and average (default %(default)s)")
    ap.add_argument("--half", action=argparse.BooleanOptionalAction, default=True,
                    help="store the weights as float16 (half the file size; quality is measured after reloading)")
    ap.add_argument("--out", type=Path, default=clip_model.ASSET_DIR,
                    help="folder for the checkpoint and its record (default: the committed one)")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads per tower (1 is fastest and reproducible on a busy machine)")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                    help="towers trained at once in separate processes (default %(default)s; the model is "
                         "the same for any value)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    from . import models

    models.quiet_progress_bars()
    recipe = Recipe(steps=args.steps, seed=args.seed, split=args.split, width=args.width, batch=args.batch,
                    soft_targets=args.soft_targets, members=args.members)
    d = emoji_data()
    train_idx, held_idx = split_indices(d.emojis, recipe.split, recipe.holdout, recipe.seed)
    print(f"{len(d.emojis)} emoji: {len(train_idx)} train, {len(held_idx)} held out ({recipe.split} split); "
          f"{len(d.caption_texts)} captions", flush=True)

    def report(member, step, tower, loss, temp):
        print(f"tower {member + 1}/{recipe.members}  step {step:5d}  loss {loss:.3f}  temperature {temp:.4f}",
              flush=True)

    tower, scale, stats = train_ensemble(d, train_idx, recipe, report, callback_every=100,
                                         jobs=args.jobs, threads=args.threads)
    out = Path(args.out)
    weights = out / clip_model.WEIGHTS_FILE
    clip_model.save_weights(tower, scale, weights, half=args.half)
    saved, scale = clip_model.load_tower(weights)                 # score exactly what was written
    quality = evaluate(clip_model.CourseClip(saved, scale), d, train_idx, held_idx)
    if isinstance(saved, clip_model.TowerEnsemble):              # each tower alone, for comparison
        quality["zero_shot_per_tower"] = [evaluate(clip_model.CourseClip(t, scale), d, train_idx, held_idx)
                                          ["zero_shot"] for t in saved.members]
    record = {
        "model": ("course CLIP: " + (f"TowerEnsemble of {recipe.members} ImageTowers" if recipe.members > 1
                                      else "ImageTower") + " (lessons/clip_model.py) + frozen all-MiniLM-L6-v2"),
        "recipe": asdict(recipe),
        "storage": "float16" if args.half else "float32",
        "parameters": sum(p.numel() for p in tower.parameters()),
        "data": {"emoji": len(d.emojis), "train": len(train_idx), "held_out": len(held_idx),
                 "held_out_codes": [d.emojis[i].code for i in held_idx], "captions": len(d.caption_texts)},
        "quality": quality,
        "training": {"seconds": round(stats["seconds"], 1), "images_per_s": round(stats["images_per_s"], 1),
                     "final_loss": [round(x, 4) for x in stats["final_losses"]], "threads": args.threads,
                     "jobs": args.jobs,
                     "load_average": list(np.round(_loadavg(), 2))},
        "sha256": sha256(weights),
    }
    from .cache import atomic_write_bytes

    atomic_write_bytes(out / clip_model.RECORD_FILE, json.dumps(record, indent=1).encode("utf-8"))
    print(json.dumps({"quality": quality, "training": record["training"]}, indent=1))
    print(f"wrote {weights} ({weights.stat().st_size / 1e6:.1f} MB) and {out / clip_model.RECORD_FILE}")
    return 0


def _loadavg() -> tuple[float, float, float]:
    try:
        return os.getloadavg()
    except OSError:
        return (float("nan"),) * 3
