"""The course CLIP pieces: image tower shapes, the InfoNCE loss against a hand computation,
augmentation, safetensors round trip, and the real-CLIP loading path on a tiny random CLIP."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from lessons import clip_model
from lessons.clip_model import ImageTower, augment, clip_loss, to_tensor
from lessons.errors import AssetError, EmptyInputError, ShapeError


def test_tower_shapes_and_unit_norm():
    torch.manual_seed(0)
    tower = ImageTower(width=8).eval()
    x = torch.rand(5, 3, 48, 48)
    out = tower(x)
    assert out.shape == (5, 384)
    assert torch.allclose(out.norm(dim=1), torch.ones(5), atol=1e-5)
    assert tower(torch.rand(2, 3, 64, 64)).shape == (2, 384)   # global pooling takes any size


def test_clip_loss_matches_hand_computation():
    g = torch.Generator().manual_seed(1)
    img = F.normalize(torch.randn(4, 6, generator=g), dim=1)
    txt = F.normalize(torch.randn(4, 6, generator=g), dim=1)
    scale = torch.tensor(math.log(10.0))
    logits = (10.0 * img @ txt.T).numpy().astype(np.float64)

    def ce(rows):   # mean over rows of -log softmax at the diagonal
        return np.mean([-(r[i] - np.log(np.exp(r).sum())) for i, r in enumerate(rows)])

    expected = (ce(logits) + ce(logits.T)) / 2
    assert math.isclose(float(clip_loss(img, txt, scale)), expected, rel_tol=1e-5)
    # a float logit scale gives the same number
    assert math.isclose(float(clip_loss(img, txt, math.log(10.0))), expected, rel_tol=1e-5)


def test_clip_loss_perfect_pairs_low_and_mask_removes_negative():
    e = torch.eye(4)
    low = float(clip_loss(e, e, math.log(100.0)))
    assert low < 1e-6
    shuffled = float(clip_loss(e, e[[1, 0, 2, 3]], math.log(100.0)))
    assert shuffled > 10
    # masking the pair (0, 1): image 0's only competitor is gone
    img = F.normalize(torch.tensor([[1.0, 0.2], [1.0, 0.25], [0.0, 1.0]]), dim=1)
    mask = torch.zeros(3, 3, dtype=torch.bool)
    mask[0, 1] = mask[1, 0] = True
    assert float(clip_loss(img, img, 3.0, mask=mask)) < float(clip_loss(img, img, 3.0))


def test_clip_loss_shape_mismatch():
    with pytest.raises(ShapeError, match="matching pair"):
        clip_loss(torch.zeros(3, 4), torch.zeros(2, 4), 1.0)


def test_to_tensor_ink_and_padding():
    white = np.full((2, 48, 48, 3), 255, np.uint8)
    assert float(to_tensor(white).abs().max()) == 0.0          # white background -> ink 0
    wide = Image.new("RGB", (100, 50), "black")                # padded with white to 100x100
    x = to_tensor([wide], 48)
    assert x.shape == (1, 3, 48, 48)
    assert float(x[0, :, 0, 24].abs().max()) == pytest.approx(0.0, abs=1e-6)   # top row: white padding
    assert float(x[0, :, 24, 24].mean()) == pytest.approx(1.0, abs=1e-6)  # middle: black ink
    with pytest.raises(EmptyInputError):
        to_tensor([])
    with pytest.raises(ShapeError):
        to_tensor(np.zeros((48, 48, 3), np.uint8))
    with pytest.raises(TypeError):
        to_tensor(["not an image"])


def test_augment_keeps_shape_and_background_and_is_seeded():
    x = torch.zeros(3, 3, 48, 48)
    x[:, :, 20:28, 20:28] = 1.0
    a = augment(x, torch.Generator().manual_seed(0))
    b = augment(x, torch.Generator().manual_seed(0))
    assert a.shape == x.shape and torch.equal(a, b)
    assert float(a[:, :, :3, :3].abs().max()) == 0.0           # corners stay white (ink 0)
    assert not torch.equal(a, x)


def test_weights_round_trip(tmp_path):
    torch.manual_seed(0)
    tower = ImageTower(width=8, image_size=40).eval()
    clip_model.save_weights(tower, 2.5, tmp_path / "w.safetensors")
    back, scale = clip_model.load_tower(tmp_path / "w.safetensors")
    assert scale == pytest.approx(2.5) and back.image_size == 40
    x = torch.rand(2, 3, 40, 40)
    assert torch.allclose(tower(x), back(x), atol=1e-6)
    with pytest.raises(AssetError, match="missing"):
        clip_model.load_tower(tmp_path / "nope.safetensors")
    (tmp_path / "bad.safetensors").write_bytes(b"\x00" * 20)
    with pytest.raises(AssetError, match="cannot be read"):
        clip_model.load_tower(tmp_path / "bad.safetensors")


def test_ensemble_averages_members_and_round_trips(tmp_path):
    torch.manual_seed(0)
    a, b = ImageTower(width=8).eval(), ImageTower(width=8).eval()
    ens = clip_model.TowerEnsemble([a, b]).eval()
    x = torch.rand(3, 3, 48, 48)
    by_hand = F.normalize(a(x) + b(x), dim=1)                    # mean then renormalise
    assert torch.allclose(ens(x), by_hand, atol=1e-6)
    assert not torch.allclose(ens(x), a(x), atol=1e-3)            # both members count
    clip_model.save_weights(ens, 3.0, tmp_path / "e.safetensors")
    back, scale = clip_model.load_tower(tmp_path / "e.safetensors")
    assert isinstance(back, clip_model.TowerEnsemble) and len(back.members) == 2 and scale == pytest.approx(3.0)
    assert torch.allclose(back(x), ens(x), atol=1e-6)
    with pytest.raises(EmptyInputError):
        clip_model.TowerEnsemble([])
    with pytest.raises(ShapeError, match="same input size"):
        clip_model.TowerEnsemble([ImageTower(width=8, image_size=40), ImageTower(width=8)])


@pytest.fixture(scope="module")
def tiny_clip_folder(tmp_path_factory):
    """A randomly initialised transformers CLIP (2 layers, width 128) saved like a real one."""
    from transformers import CLIPConfig, CLIPImageProcessorPil, CLIPModel, CLIPProcessor, CLIPTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-clip")
    cfg = CLIPConfig(
        text_config=dict(hidden_size=128, intermediate_size=256, num_hidden_layers=2, num_attention_heads=2,
                         vocab_size=1000, max_position_embeddings=77),
        vision_config=dict(hidden_size=128, intermediate_size=256, num_hidden_layers=2, num_attention_heads=2,
                           image_size=32, patch_size=8),
        projection_dim=64)
    torch.manual_seed(0)
    CLIPModel(cfg).save_pretrained(folder)
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    vocab.update({f"{c}</w>": i + 2 for i, c in enumerate("abcdefghijklmnopqrstuvwxyz")})
    vocab.update({c: i + 28 for i, c in enumerate("abcdefghijklmnopqrstuvwxyz")})
    import json

    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    tok = CLIPTokenizerFast(vocab_file=str(folder / "vocab.json"), merges_file=str(folder / "merges.txt"))
    proc = CLIPProcessor(image_processor=CLIPImageProcessorPil(size={"shortest_edge": 32},
                                                            crop_size={"height": 32, "width": 32}), tokenizer=tok)
    proc.save_pretrained(folder)
    return folder


def test_real_clip_path_on_tiny_random_clip(tiny_clip_folder, monkeypatch):
    from transformers import CLIPModel

    from lessons import models

    monkeypatch.setenv("LESSONS_CLIP_MODEL", str(tiny_clip_folder))
    resolved = models.clip_model_path()
    assert resolved.source == "env"
    model = models.load_clip_model()
    img = [Image.new("RGB", (40, 30), (200, 30, 30)), Image.new("RGB", (32, 32), (10, 200, 10))]
    v = model.encode_image(img)
    t = model.encode_text(["a red square", "a green square"])
    assert v.shape == (2, 64) and t.shape == (2, 64)
    assert np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    # same vectors as transformers' own CLIPModel (up to normalisation)
    ref = CLIPModel.from_pretrained(tiny_clip_folder).eval()
    st = model.model
    feats = st[0].processor(images=img, return_tensors="pt")
    with torch.no_grad():
        out = ref.get_image_features(pixel_values=feats["pixel_values"])
    out = getattr(out, "pooler_output", out)
    out = F.normalize(out, dim=-1).numpy()
    assert np.allclose(out, v, atol=1e-4)
    with pytest.raises(EmptyInputError):
        model.encode_text([])


def test_clip_model_path_missing(tmp_path, monkeypatch):
    from lessons import models

    monkeypatch.delenv("LESSONS_CLIP_MODEL", raising=False)
    monkeypatch.setenv("LESSONS_CACHE", str(tmp_path))
    with pytest.raises(AssetError):
        models.clip_model_path()
    with pytest.raises(AssetError, match="does not exist"):
        models.clip_model_path(tmp_path / "nothing-here")


def test_training_is_seeded_and_learns():
    """Same recipe and seed -> identical weights; a few steps lower the loss on a small set."""
    from lessons import clip_train

    torch.set_num_threads(1)
    d = clip_train.emoji_data()
    idx = np.arange(0, 1900, 30)                                   # 64 emoji
    recipe = clip_train.Recipe(steps=6, batch=32, warmup=2, width=8, seed=3)
    a, sa, stats = clip_train.train(d, idx, recipe)
    b, sb, _ = clip_train.train(d, idx, recipe)
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(va, vb), k
    assert sa == sb and len(stats["losses"]) == 6 and stats["images_per_s"] > 0
    m = clip_train.recall_at_k(np.eye(3), np.eye(3))
    assert m["text_to_image_recall_at_1"] == 1.0 and m["image_to_text_accuracy"] == 1.0
    m = clip_train.recall_at_k(np.eye(3), np.eye(3)[[1, 0, 2]])
    assert m["text_to_image_recall_at_1"] == pytest.approx(1 / 3) and m["text_to_image_recall_at_5"] == 1.0


def test_ensemble_members_use_consecutive_seeds_and_jobs_do_not_matter():
    """Member m is the single tower of seed + m; two worker processes give the same weights as one."""
    from lessons import clip_train

    torch.set_num_threads(1)
    d = clip_train.emoji_data()
    idx = np.arange(0, 1900, 30)
    recipe = clip_train.Recipe(steps=4, batch=32, warmup=2, width=8, seed=3, members=2)
    ens, scale, stats = clip_train.train_ensemble(d, idx, recipe)
    par, scale_par, _ = clip_train.train_ensemble(d, idx, recipe, jobs=2)
    second, s2, _ = clip_train.train(d, idx, clip_train.Recipe(steps=4, batch=32, warmup=2, width=8, seed=4))
    assert isinstance(ens, clip_model.TowerEnsemble) and len(ens.members) == 2
    for (k, va), vb, vc in zip(ens.members[1].state_dict().items(), par.members[1].state_dict().values(),
                               second.state_dict().values()):
        assert torch.equal(va, vb) and torch.equal(va, vc), k
    assert scale == pytest.approx(scale_par) and len(stats["final_losses"]) == 2


def test_split_indices():
    from lessons import clip_train, data

    emojis = data.emoji_catalog()
    train, held = clip_train.split_indices(emojis, "random", 0.2, seed=0)
    assert len(held) == round(0.2 * len(emojis)) and len(np.intersect1d(train, held)) == 0
    assert len(train) + len(held) == len(emojis)
    ftrain, fheld = clip_train.split_indices(emojis, "family", 0.2, seed=0)
    first = lambda i: emojis[i].code.split("-")[0]
    assert not ({first(i) for i in ftrain} & {first(i) for i in fheld})     # no family on both sides
    with pytest.raises(ValueError):
        clip_train.split_indices(emojis, "alphabetical")


def test_multimodal_index_on_tiny_random_clip(tiny_clip_folder, tmp_path, monkeypatch):
    """The two-line experience runs unchanged on a real-CLIP-format folder (random weights)."""
    from lessons import models
    from lessons.multimodal import MultimodalIndex

    monkeypatch.setenv("LESSONS_CACHE", str(tmp_path / "cache"))
    model = models.load_clip_model(tiny_clip_folder)
    mix = MultimodalIndex(model)
    assert set(mix.calibration.stats) == {"text->image", "text->text", "image->text", "image->image"}
    mix.index(Image.new("RGB", (40, 40), (200, 30, 30)))
    mix.index("an astronaut riding a horse on mars")
    res = mix.search("space horse", k=2)
    assert sorted(r.kind for r in res) == ["image", "text"]
    back = MultimodalIndex.load(mix.save(tmp_path / "idx"), model=model)
    assert [r.id for r in back.search("space horse", 2)] == [r.id for r in res]
