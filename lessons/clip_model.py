"""The course's own CLIP-style model: a small image tower trained against frozen MiniLM.

Introduced in notebooks/04_multimodal. CLIP (Radford et al. 2021,
https://arxiv.org/abs/2103.00020) trains two towers so that an image and its
caption land close together in one space. With no CLIP weights available
offline, the course locks a real text tower (all-MiniLM-L6-v2, 384-d) and trains
only a small convolutional image tower to map emoji pictures into MiniLM's
sentence space, in the style of LiT (Zhai et al. 2022, https://arxiv.org/abs/2111.07991,
which locks the image tower instead). Contents:

* :class:`ImageTower`  conv net, 48x48 RGB -> 384-d unit vector (B, 3, H, W) -> (B, 384)
* :class:`TowerEnsemble` several towers trained from different seeds, outputs averaged
* :func:`clip_loss`    symmetric InfoNCE with a learnable temperature
* :func:`to_tensor`    PIL images / uint8 arrays -> the tower's input
* :class:`CourseClip`  ``encode_image`` / ``encode_text`` wrapper, loaded from the
  committed checkpoint in ``lessons/assets/clip/``
* :class:`SentenceTransformerClip` the same two methods over a real CLIP folder
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .errors import AssetError, EmptyInputError, ShapeError

ASSET_DIR = Path(__file__).resolve().parent / "assets" / "clip"
WEIGHTS_FILE = "course_clip.safetensors"
RECORD_FILE = "course_clip.json"
IMAGE_SIZE = 48
EMBED_DIM = 384


def _block(c_in: int, c_out: int, stride: int) -> nn.Sequential:
    """3x3 conv -> BatchNorm -> GELU; stride 2 halves the height and width."""
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
                         nn.BatchNorm2d(c_out), nn.GELU())


class ImageTower(nn.Module):
    """Small conv net: (B, 3, S, S) ink images (S = 48 for the course model) -> (B, embed_dim) unit vectors.

    Six conv blocks (four of them halve the resolution), global average and max
    pooling, then a linear projection into the text tower's space.
    """

    def __init__(self, width: int = 32, embed_dim: int = EMBED_DIM, image_size: int = IMAGE_SIZE):
        super().__init__()
        self.image_size = image_size  # input side in pixels (global pooling accepts any size)
        w = width
        self.features = nn.Sequential(
            _block(3, w, 2),           # (B, w, S/2, S/2)
            _block(w, 2 * w, 2),       # (B, 2w, S/4, S/4)
            _block(2 * w, 2 * w, 1),   # (B, 2w, S/4, S/4)
            _block(2 * w, 4 * w, 2),   # (B, 4w, S/8, S/8)
            _block(4 * w, 4 * w, 1),   # (B, 4w, S/8, S/8)
            _block(4 * w, 8 * w, 2),   # (B, 8w, S/16, S/16)
        )
        self.proj = nn.Linear(16 * w, embed_dim)  # avg + max pooled features -> shared space

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.features(x)                                       # (B, 8w, S/16, S/16)
        pooled = torch.cat([h.mean(dim=(2, 3)), h.amax(dim=(2, 3))], dim=1)  # (B, 16w)
        return F.normalize(self.proj(pooled), dim=-1)              # (B, embed_dim)


class TowerEnsemble(nn.Module):
    """K image towers trained alone from different seeds; their unit outputs are averaged and renormalised.

    (B, 3, S, S) -> (B, embed_dim). Each tower fits its training emoji; on unseen
    emoji their mistakes differ, so the average ranks the right image higher more
    often (notebooks/04_multimodal measures one tower against the ensemble).
    """

    def __init__(self, members: Sequence[ImageTower]):
        super().__init__()
        if not members:
            raise EmptyInputError("An ensemble needs at least one tower.")
        sizes = {m.image_size for m in members}
        if len(sizes) != 1:
            raise ShapeError(f"all towers must take the same input size; got {sorted(sizes)}.")
        self.members = nn.ModuleList(members)
        self.image_size = members[0].image_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.stack([m(x) for m in self.members])            # (K, B, embed_dim)
        return F.normalize(out.mean(dim=0), dim=-1)                # (B, embed_dim)


def clip_loss(image_emb: torch.Tensor, text_emb: torch.Tensor, logit_scale: torch.Tensor | float,
              mask: torch.Tensor | None = None, targets: torch.Tensor | None = None) -> torch.Tensor:
    """Symmetric InfoNCE: mean of image->text and text->image cross-entropy.

    ``image_emb`` and ``text_emb`` are (B, d) unit vectors where row i of each
    belongs together; ``logit_scale`` is log(1/temperature). ``mask`` (B, B), if
    given, is True for off-diagonal pairs to ignore (the same caption twice in a
    batch is not a negative). ``targets`` (B, B), if given, replaces the one-hot
    diagonal with a probability distribution per row (soft targets). Returns a scalar tensor.
    """
    if image_emb.shape != text_emb.shape:
        raise ShapeError(f"image and text embeddings differ in shape: {tuple(image_emb.shape)} vs "
                         f"{tuple(text_emb.shape)}; row i of each must be a matching pair.")
    scale = logit_scale.exp() if torch.is_tensor(logit_scale) else math.exp(logit_scale)
    logits = scale * image_emb @ text_emb.T                       # (B, B) image i vs text j
    if mask is not None:
        logits = logits.masked_fill(mask, float("-inf"))
    target = torch.arange(len(logits), device=logits.device)      # the diagonal
    if targets is not None:
        return (_soft_ce(logits, targets) + _soft_ce(logits.T, targets.T)) / 2
    return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2


def _soft_ce(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    logp = torch.log_softmax(logits, dim=1).masked_fill(targets == 0, 0.0)  # -inf * 0 -> 0
    return -(targets * logp).sum(dim=1).mean()


def to_tensor(images, size: int = IMAGE_SIZE) -> torch.Tensor:
    """PIL images or a uint8 array (N, H, W, 3) -> float tensor (N, 3, size, size).

    Pixels become "ink" (1 - value/255), so the white background is 0 and padding
    with zeros during augmentation stays white. Non-square PIL images are padded
    with white to a square first, so nothing is stretched.
    """
    from PIL import Image

    if isinstance(images, np.ndarray):
        if images.ndim != 4 or images.shape[-1] != 3:
            raise ShapeError(f"expected a uint8 array (N, H, W, 3); got shape {images.shape}.")
        if images.shape[1:3] != (size, size):
            images = [Image.fromarray(a) for a in images]
        else:
            arr = images
    if not isinstance(images, np.ndarray):
        images = list(images)
        if not images:
            raise EmptyInputError("No images to encode.")
        arr = np.stack([_square(im, size) for im in images])
    x = torch.from_numpy(np.ascontiguousarray(arr)).float().div_(255.0)
    return (1.0 - x).permute(0, 3, 1, 2).contiguous()             # (N, 3, size, size)


def _square(img, size: int) -> np.ndarray:
    from PIL import Image

    if not isinstance(img, Image.Image):
        raise TypeError(f"expected a PIL image; got {type(img).__name__}.")
    if img.mode in ("RGBA", "LA", "P"):
        img = img.convert("RGBA")
        bg = Image.new("RGBA", img.size, "white")
        img = Image.alpha_composite(bg, img)
    img = img.convert("RGB")
    side = max(img.size)
    canvas = Image.new("RGB", (side, side), "white")
    canvas.paste(img, ((side - img.width) // 2, (side - img.height) // 2))
    return np.asarray(canvas.resize((size, size), Image.Resampling.LANCZOS))


def augment(x: torch.Tensor, generator: torch.Generator, shift: float = 0.08,
            scale: tuple[float, float] = (0.85, 1.1), degrees: float = 8.0) -> torch.Tensor:
    """Random small affine warp per image (shift, scale, rotation); no flips, no colour change.

    ``x`` is (B, 3, H, W) ink; returns the same shape. Flips are left out on
    purpose: "facing right" and arrows mean something.
    """
    B = x.shape[0]
    u = torch.rand(B, 4, generator=generator)
    s = scale[0] + (scale[1] - scale[0]) * u[:, 0]                 # (B,) zoom
    a = (u[:, 1] * 2 - 1) * math.radians(degrees)                  # (B,) angle
    t = (u[:, 2:] * 2 - 1) * shift * 2                             # (B, 2) shift in [-1, 1] units
    cos, sin = torch.cos(a) / s, torch.sin(a) / s
    theta = torch.stack([torch.stack([cos, -sin, t[:, 0]], 1),
                         torch.stack([sin, cos, t[:, 1]], 1)], 1)  # (B, 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, padding_mode="zeros", align_corners=False)


def save_weights(tower: ImageTower | TowerEnsemble, logit_scale: float, path: Path, *, half: bool = False) -> None:
    """Write a tower's or an ensemble's weights (and the learnt temperature) as safetensors."""
    from safetensors.torch import save_file

    state = {k: v.detach().cpu().contiguous() for k, v in tower.state_dict().items()}
    if half:
        state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
    state["logit_scale"] = torch.tensor([float(logit_scale)])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    members = len(tower.members) if isinstance(tower, TowerEnsemble) else 0   # 0 = a single tower
    first = tower.members[0] if members else tower
    save_file(state, str(tmp), metadata={"format": "pt", "width": str(first.features[0][0].out_channels),
                                          "image_size": str(tower.image_size), "members": str(members)})
    tmp.replace(path)


def load_tower(path: Path) -> tuple[ImageTower | TowerEnsemble, float]:
    """Read an :class:`ImageTower` (or a :class:`TowerEnsemble`) and its logit scale from safetensors (eval mode)."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    path = Path(path)
    if not path.exists():
        raise AssetError(f"The course CLIP checkpoint {path} is missing: reinstall the course, "
                         f"or retrain it with `python -m lessons train-clip`.")
    try:
        with safe_open(str(path), "pt") as fh:
            meta = fh.metadata() or {}
            width, size = int(meta.get("width", 32)), int(meta.get("image_size", IMAGE_SIZE))
            members = int(meta.get("members", 0))
        state = load_file(str(path))
        scale = float(state.pop("logit_scale")[0])
        if members:
            tower = TowerEnsemble([ImageTower(width=width, image_size=size) for _ in range(members)])
        else:
            tower = ImageTower(width=width, image_size=size)
        tower.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    except Exception as exc:
        raise AssetError(f"The course CLIP checkpoint {path} cannot be read ({exc}); retrain it with "
                         f"`python -m lessons train-clip`.") from exc
    return tower.eval(), scale


class CourseClip:
    """The course's CLIP-style model: ``encode_image`` (trained tower) and ``encode_text`` (frozen MiniLM).

    Introduced in notebooks/04_multimodal. Both return float32 unit vectors
    (n, 384) as numpy arrays; ``name`` says which model this is.
    """

    name = "course CLIP (OpenMoji image tower + frozen all-MiniLM-L6-v2)"

    def __init__(self, tower: ImageTower | TowerEnsemble, logit_scale: float = math.log(1 / 0.07), text_model=None):
        self.tower = tower.eval()
        self.logit_scale = logit_scale
        self._text_model = text_model

    @classmethod
    def load(cls, folder: str | Path | None = None) -> "CourseClip":
        """Load the committed checkpoint (or the one in ``folder``)."""
        folder = Path(folder) if folder is not None else ASSET_DIR
        tower, scale = load_tower(folder / WEIGHTS_FILE)
        return cls(tower, scale)

    @property
    def text_model(self):
        if self._text_model is None:
            from . import models

            self._text_model = models.load_text_model()
        return self._text_model

    @torch.no_grad()
    def encode_image(self, images, batch_size: int = 256) -> np.ndarray:
        """PIL images or uint8 (N, H, W, 3) -> float32 (N, 384) unit vectors."""
        x = to_tensor(images, self.tower.image_size)               # (N, 3, S, S)
        out = [self.tower(x[i:i + batch_size]) for i in range(0, len(x), batch_size)]
        return torch.cat(out).numpy().astype(np.float32)

    def encode_text(self, texts: Sequence[str]) -> np.ndarray:
        """Texts -> float32 (n, 384) unit vectors from the frozen MiniLM (batches of 8+ are disk-cached)."""
        from . import embed

        texts = list(texts)
        return embed.encode(texts, self.text_model, name="clip-text", use_cache=len(texts) >= 8)


class SentenceTransformerClip:
    """A real CLIP folder (e.g. clip-ViT-B-32) through sentence-transformers, same two methods.

    Introduced in notebooks/04_multimodal.
    """

    def __init__(self, st_model, name: str = "CLIP (sentence-transformers)"):
        self.model = st_model
        self.name = name

    def encode_image(self, images, batch_size: int = 32) -> np.ndarray:
        from PIL import Image

        if isinstance(images, np.ndarray):
            images = [Image.fromarray(a) for a in images]
        images = [im.convert("RGB") for im in images]
        if not images:
            raise EmptyInputError("No images to encode.")
        return self.model.encode(images, batch_size=batch_size, convert_to_numpy=True,
                                 normalize_embeddings=True, show_progress_bar=False).astype(np.float32)

    def encode_text(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            raise EmptyInputError("No texts to encode.")
        return self.model.encode(texts, convert_to_numpy=True, normalize_embeddings=True,
                                 show_progress_bar=False).astype(np.float32)


def read_record(folder: str | Path | None = None) -> dict:
    """The JSON record next to the checkpoint: recipe, split, seed, steps, quality, sha256."""
    path = (Path(folder) if folder is not None else ASSET_DIR) / RECORD_FILE
    if not path.exists():
        raise AssetError(f"{path} is missing; retrain with `python -m lessons train-clip`.")
    return json.loads(path.read_text(encoding="utf-8"))
