"""Tests for lessons.search: exact and faiss search, bad input, atomic save and verified load."""

import json

import numpy as np
import pytest

from lessons.errors import AssetError, EmptyInputError, ShapeError
from lessons.search import Hit, SemanticIndex


def small_index(backend="exact", metric="cosine"):
    index = SemanticIndex(dim=3, metric=metric, backend=backend)
    vecs = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 2]], dtype=np.float32)
    index.add(["x", "y", "xy", "z"], vecs, [{"n": i} for i in range(4)])
    return index


def test_exact_cosine_hand_computed():
    hits = small_index().search(np.array([1.0, 0.2, 0.0]), k=3)
    # cosines: x 1/sqrt(1.04)=0.98058, xy 1.2/(sqrt(2)*sqrt(1.04))=0.83205, y 0.2/sqrt(1.04)=0.19612
    assert [h.id for h in hits] == ["x", "xy", "y"]
    assert np.allclose([h.score for h in hits], [0.980581, 0.832050, 0.196116], atol=1e-5)
    assert [h.rank for h in hits] == [1, 2, 3]
    assert hits[0] == Hit("x", hits[0].score, 1, {"n": 0})


def test_dot_and_euclidean_metrics():
    q = np.array([0.0, 0.0, 1.0])
    assert small_index(metric="dot").search(q, k=1)[0].score == pytest.approx(2.0)
    hits = small_index(metric="euclidean").search(q, k=2)
    assert hits[0].id == "z" and hits[0].score == pytest.approx(1.0)   # |(0,0,1)-(0,0,2)|
    assert hits[1].score == pytest.approx(np.sqrt(2))                    # x or y, tie -> lower index
    assert hits[1].id == "x"


def test_batch_search_matches_single_and_k_clipped():
    index = small_index()
    Q = np.array([[1.0, 0.2, 0.0], [0.0, 0.0, 1.0]])
    batch = index.search(Q, k=10)
    assert len(batch) == 2 and len(batch[0]) == 4        # k larger than the index -> all items
    assert [h.id for h in batch[0]] == [h.id for h in index.search(Q[0], k=10)]


def test_matches_brute_force_on_random_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 16)).astype(np.float32)
    Q = rng.normal(size=(20, 16)).astype(np.float32)
    index = SemanticIndex(16)
    index.add([f"i{j}" for j in range(500)], X)
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    Qn = Q / np.linalg.norm(Q, axis=1, keepdims=True)
    ref = np.argsort(-(Qn @ Xn.T), axis=1)[:, :5]
    got = [[int(h.id[1:]) for h in row] for row in index.search(Q, k=5)]
    assert np.array_equal(ref, np.array(got))


@pytest.mark.parametrize("backend", ["hnsw", "ivf"])
def test_faiss_backends_agree_with_exact(backend):
    rng = np.random.default_rng(1)
    centers = rng.normal(size=(20, 32))
    X = (centers[rng.integers(0, 20, 2000)] + 0.3 * rng.normal(size=(2000, 32))).astype(np.float32)
    Q = (centers[rng.integers(0, 20, 50)] + 0.3 * rng.normal(size=(50, 32))).astype(np.float32)
    ids = [str(j) for j in range(2000)]
    exact, approx = SemanticIndex(32), SemanticIndex(32, backend=backend, nlist=20, nprobe=20)
    exact.add(ids, X)
    approx.add(ids, X)
    e, a = exact.search(Q, k=10), approx.search(Q, k=10)
    recall = np.mean([len({h.id for h in x} & {h.id for h in y}) / 10 for x, y in zip(e, a)])
    assert recall >= 0.95
    # the scores of shared hits are the same cosines
    h0 = {h.id: h.score for h in e[0]}
    assert all(abs(h.score - h0[h.id]) < 1e-4 for h in a[0] if h.id in h0)


def test_bad_input():
    index = small_index()
    with pytest.raises(ShapeError, match="3-dimensional"):
        index.search(np.ones(4))
    with pytest.raises(ShapeError, match=r"\(2, 5\)"):
        index.add(["a", "b"], np.ones((2, 5)))
    with pytest.raises(ValueError, match="Duplicate ids"):
        index.add(["x"], np.ones((1, 3)))
    with pytest.raises(ValueError, match="Duplicate ids"):
        SemanticIndex(3).add(["a", "a"], np.ones((2, 3)))
    with pytest.raises(TypeError, match="numpy array"):
        index.search([[1.0, 0.0, 0.0]])
    with pytest.raises(TypeError, match="no encoder"):
        index.search("how many islands?")
    with pytest.raises(TypeError, match="strings"):
        SemanticIndex(3).add([1], np.ones((1, 3)))
    with pytest.raises(ValueError, match="k must be"):
        index.search(np.ones(3), k=0)
    with pytest.raises(EmptyInputError):
        index.search(np.zeros(3))
    with pytest.raises(ValueError, match="metric"):
        SemanticIndex(3, metric="manhattan")


def test_empty_index_returns_empty_result_but_checks_query():
    index = SemanticIndex(3)
    assert index.search(np.ones(3)) == []
    assert index.search(np.ones((2, 3))) == [[], []]
    with pytest.raises(ShapeError):
        index.search(np.ones(4))


def fake_encoder(texts):
    # bag of three letters: a toy "model" that is deterministic and fast
    return np.array([[t.count("a") + 0.1, t.count("b") + 0.1, t.count("c") + 0.1] for t in texts], dtype=np.float32)


def test_text_queries_with_encoder():
    index = SemanticIndex(3, encoder=fake_encoder)
    index.add_texts(["A", "B"], ["aaaa", "bbbb"], [{"t": "aaaa"}, {"t": "bbbb"}])
    assert index.search("a question about aaa", k=1)[0].id == "A"
    assert [r[0].id for r in index.search(["aa", "bb"], k=1)] == ["A", "B"]
    with pytest.raises(EmptyInputError, match="empty"):
        index.search("   ")
    with pytest.raises(EmptyInputError):
        index.search(["fine", ""])


@pytest.mark.parametrize("backend", ["exact", "hnsw"])
def test_save_load_roundtrip(tmp_path, backend):
    index = small_index(backend)
    folder = index.save(tmp_path / "idx")
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["manifest.json", "records.json", "vectors.npy"] + (["faiss.npy"] if backend != "exact" else []))
    loaded = SemanticIndex.load(folder)
    q = np.array([1.0, 0.2, 0.0])
    assert loaded.search(q, k=4) == index.search(q, k=4)
    assert len(loaded) == 4 and loaded.backend == backend and loaded.metadata("z") == {"n": 3}


def test_load_detects_truncation_and_tampering(tmp_path):
    folder = small_index().save(tmp_path / "idx")
    vec = folder / "vectors.npy"
    vec.write_bytes(vec.read_bytes()[:-8])
    with pytest.raises(AssetError, match="checksum"):
        SemanticIndex.load(folder)
    folder = small_index().save(tmp_path / "idx2")
    rec = json.loads((folder / "records.json").read_text())
    rec["ids"][0] = "evil"
    (folder / "records.json").write_text(json.dumps(rec))
    with pytest.raises(AssetError, match="checksum"):
        SemanticIndex.load(folder)
    with pytest.raises(AssetError, match="manifest"):
        SemanticIndex.load(tmp_path / "nothing-here")


def test_failed_save_keeps_previous_copy(tmp_path, monkeypatch):
    folder = small_index().save(tmp_path / "idx")
    before = (folder / "vectors.npy").read_bytes()
    bigger = small_index()
    bigger.add(["w"], np.ones((1, 3)))

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("lessons.search._sha256", boom)
    with pytest.raises(OSError, match="disk full"):
        bigger.save(folder)
    monkeypatch.undo()
    assert (folder / "vectors.npy").read_bytes() == before
    assert len(SemanticIndex.load(folder)) == 4
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".idx")]   # temp folder cleaned up
