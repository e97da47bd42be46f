"""MultimodalIndex: indexing images/texts, calibrated merging, bad input, atomic save and verified load."""

import json

import numpy as np
import pytest
from PIL import Image

from lessons import multimodal
from lessons.errors import AssetError, EmptyInputError
from lessons.multimodal import Calibration, MultimodalIndex


class FakeModel:
    """Deterministic toy encoder: texts -> bag of letters, images -> mean colour, both in 8-d."""

    name = "fake"

    def encode_text(self, texts):
        out = np.zeros((len(texts), 8), np.float32)
        for i, t in enumerate(texts):
            for ch in t.lower():
                if ch.isalpha():
                    out[i, ord(ch) % 8] += 1
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def encode_image(self, images):
        out = []
        for im in images:
            rgb = np.asarray(im.convert("RGB"), np.float32).mean(axis=(0, 1)) / 255
            v = np.concatenate([rgb, 1 - rgb, [0.1, 0.1]]).astype(np.float32)
            out.append(v / np.linalg.norm(v))
        return np.stack(out)


# text->image cosines run low, text->text high: the modality gap in miniature
CAL = Calibration({"text->image": (0.0, 0.1), "text->text": (0.5, 0.2), "image->text": (0.0, 0.1),
                   "image->image": (0.6, 0.2)}, a=1.5, b=-3.0)


@pytest.fixture
def mix():
    return MultimodalIndex(FakeModel(), calibration=CAL)


def test_index_kinds_and_results(mix, tmp_path):
    red = Image.new("RGB", (20, 20), (250, 10, 10))
    red.save(tmp_path / "red.png")
    id_img = mix.index(str(tmp_path / "red.png"))
    id_pil = mix.index(Image.new("RGB", (20, 20), (10, 10, 250)))
    id_txt = mix.index("abc abc")
    assert (id_img, id_pil, id_txt) == ("image-0001", "image-0002", "text-0003")
    assert len(mix) == 3
    res = mix.search("abc", k=3)
    assert [r.rank for r in res] == [1, 2, 3]
    by_id = {r.id: r for r in res}
    assert by_id[id_img].filename == "red.png" and by_id[id_txt].text == "abc abc"
    # score is the raw cosine; z and importance follow the calibration exactly
    q = FakeModel().encode_text(["abc"])[0]
    t = FakeModel().encode_text(["abc abc"])[0]
    r = by_id[id_txt]
    assert r.score == pytest.approx(float(q @ t), abs=1e-5)
    assert r.z == pytest.approx((r.score - 0.5) / 0.2, abs=1e-3)
    assert r.importance == pytest.approx(100 / (1 + np.exp(-(1.5 * r.z - 3.0))), abs=0.01)
    assert res[0].as_dict()["importance"].endswith("%")


def test_calibrated_merge_differs_from_naive(mix):
    mix.index(Image.new("RGB", (8, 8), (255, 0, 0)))
    mix.index("red red")
    naive = mix.search("red", k=2, calibrated=False)
    fair = mix.search("red", k=2)
    # hand computed: text cosine 1.0 (z = 2.5), image cosine 2/sqrt(3.02 * 3) = 0.664 (z = 6.64)
    assert [r.kind for r in naive] == ["text", "image"]
    assert [r.kind for r in fair] == ["image", "text"]
    assert fair[0].score == pytest.approx(2 / np.sqrt(3.02 * 3), abs=1e-4)
    assert fair[0].z == pytest.approx(fair[0].score / 0.1, abs=1e-3) and fair[1].z == pytest.approx(2.5, abs=1e-3)


def test_bad_input(mix, tmp_path):
    assert mix.search("anything") == []                        # empty index: documented empty result
    with pytest.raises(EmptyInputError):
        mix.index("   ")
    with pytest.raises(EmptyInputError):
        mix.search("")
    with pytest.raises(FileNotFoundError, match="No such image"):
        mix.index(str(tmp_path / "missing.png"))
    with pytest.raises(TypeError, match="Cannot index"):
        mix.index(42)
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(AssetError, match="unsupported file type"):
        mix.index(tmp_path / "notes.txt")
    Image.new("RGB", (64, 64), "red").save(tmp_path / "full.png")
    data = (tmp_path / "full.png").read_bytes()
    (tmp_path / "trunc.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(AssetError, match="not a readable image"):
        mix.index(str(tmp_path / "trunc.png"))
    with pytest.raises(ValueError):
        mix.search("red", k=0)


def test_index_folder_skips_corrupt_image(mix, tmp_path):
    for i, colour in enumerate(["red", "green", "blue"]):
        Image.new("RGB", (16, 16), colour).save(tmp_path / f"img{i}.png")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (tmp_path / "readme.txt").write_text("ignored")
    report = mix.index_folder(tmp_path)
    assert len(report.indexed) == 3
    assert [name for name, _ in report.failed] == ["broken.jpg"]
    assert "broken.jpg" in str(report) and len(mix) == 3


def test_save_load_round_trip_and_tamper(mix, tmp_path, monkeypatch):
    mix.index(Image.new("RGB", (8, 8), (255, 0, 0)))
    mix.index("a sentence")
    folder = mix.save(tmp_path / "idx")
    back = MultimodalIndex.load(folder, model=FakeModel())
    assert [(r.id, r.score) for r in back.search("red", 2)] == [(r.id, r.score) for r in mix.search("red", 2)]
    assert back.index("another") == "text-0003"                # ids keep counting after a reload
    # a failed save leaves the previous copy intact
    mix.index("third item")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(multimodal.SemanticIndex, "save", boom)
    with pytest.raises(OSError):
        mix.save(folder)
    monkeypatch.undo()
    assert len(MultimodalIndex.load(folder, model=FakeModel())) == 2
    # tampering with a part or the manifest is detected
    rec = folder / "text" / "records.json"
    rec.write_text(rec.read_text().replace("a sentence", "b sentence"))
    with pytest.raises(AssetError):
        MultimodalIndex.load(folder, model=FakeModel())
    mix.save(folder)
    m = json.loads((folder / "manifest.json").read_text())
    m["parts"]["image"] = "0" * 64
    (folder / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(AssetError, match="changed after saving"):
        MultimodalIndex.load(folder, model=FakeModel())
    (folder / "manifest.json").write_text("{trunc")
    with pytest.raises(AssetError, match="unreadable"):
        MultimodalIndex.load(folder, model=FakeModel())
    with pytest.raises(AssetError, match="no manifest"):
        MultimodalIndex.load(tmp_path / "nothing", model=FakeModel())


def test_load_rejects_other_model(mix, tmp_path):
    mix.index("hello")
    folder = mix.save(tmp_path / "idx")

    class Other(FakeModel):
        name = "other"

    with pytest.raises(AssetError, match="same model"):
        MultimodalIndex.load(folder, model=Other())


def test_logistic_fit_recovers_known_curve():
    rng = np.random.default_rng(0)
    z = rng.normal(size=20000) * 3
    p = 1 / (1 + np.exp(-(2.0 * z - 1.0)))
    y = rng.random(20000) < p
    a, b = multimodal._logistic(z, y)
    # balanced weighting shifts the intercept by log(n_neg / n_pos); the slope is unchanged
    prior = np.log((~y).sum() / y.sum())
    assert a == pytest.approx(2.0, rel=0.1)
    assert b == pytest.approx(-1.0 + prior, abs=0.15)


def test_astronaut_scene_is_an_image():
    img = multimodal.astronaut_rides_horse(128)
    arr = np.asarray(img)
    assert arr.shape == (128, 128, 3)
    assert (arr[-5:, 64] == (193, 68, 14)).all()               # Mars ground at the bottom
    assert arr[30:90, 30:100].std() > 30                      # something drawn in the middle


def test_image_query_searches_both_modalities(mix):
    mix.index(Image.new("RGB", (8, 8), (250, 0, 0)), id="red")
    mix.index(Image.new("RGB", (8, 8), (0, 0, 250)), id="blue")
    mix.index("some text", id="t")
    res = mix.search(Image.new("RGB", (8, 8), (240, 10, 10)), k=3)
    assert len(res) == 3 and [r.id for r in res if r.kind == "image"] == ["red", "blue"]
    red = next(r for r in res if r.id == "red")
    assert red.z == pytest.approx((red.score - 0.6) / 0.2, abs=1e-3)      # image->image statistics
    with pytest.raises(TypeError, match="Cannot search"):
        mix.search(3.5)


def test_default_model_falls_back_to_course_model(tmp_path, monkeypatch):
    monkeypatch.delenv("LESSONS_CLIP_MODEL", raising=False)
    monkeypatch.setenv("LESSONS_CACHE", str(tmp_path))
    model = multimodal.default_model()
    assert model.name.startswith("course CLIP")


@pytest.mark.slow
def test_space_horse_with_the_course_model(tmp_path):
    from lessons import clip_model, data

    model = clip_model.CourseClip.load()
    mix = MultimodalIndex(model)
    multimodal.astronaut_rides_horse().save(tmp_path / "astronaut_rides_horse.png")
    pizza = next(e for e in data.emoji_catalog() if e.name == "pizza")
    mix.index(str(tmp_path / "astronaut_rides_horse.png"))
    mix.index(data.emoji_image(pizza.char, 64), id="pizza-image")
    mix.index("an astronaut riding a horse on mars")
    mix.index("I had pizza for lunch", id="pizza-text")
    res = mix.search("space horse", k=4)
    order = [r.id for r in res]
    assert order.index("image-0001") < order.index("pizza-image")
    assert order.index("text-0002") < order.index("pizza-text")
    assert all(0 < r.importance < 100 for r in res)
    scene = next(r for r in res if r.id == "image-0001")
    assert scene.filename == "astronaut_rides_horse.png" and scene.as_dict()["importance"].endswith("%")
