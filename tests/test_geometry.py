"""lessons.geometry against hand-computed values, scipy, and torch."""

import numpy as np
import pytest
import torch
from scipy.spatial import distance

from lessons import geometry as g
from lessons.errors import EmptyInputError, ShapeError


def test_hand_computed_values():
    a, b = np.array([3.0, 4.0]), np.array([4.0, 3.0])
    assert g.dot(a, b) == pytest.approx(24.0)
    assert g.norm(a) == pytest.approx(5.0)
    assert g.cosine(a, b) == pytest.approx(24 / 25)
    assert g.euclidean(a, b) == pytest.approx(np.sqrt(2))
    assert g.cosine([1, 0], [0, 1]) == pytest.approx(0.0)
    assert g.cosine([1, 2], [-2, -4]) == pytest.approx(-1.0)
    np.testing.assert_allclose(g.normalize(a), [0.6, 0.8])


def test_batches_match_scipy():
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(7, 16)), rng.normal(size=(5, 16))
    np.testing.assert_allclose(g.cosine(A, B), 1 - distance.cdist(A, B, "cosine"), atol=1e-12)
    np.testing.assert_allclose(g.euclidean(A, B), distance.cdist(A, B, "euclidean"), atol=1e-10)
    np.testing.assert_allclose(g.dot(A, B), A @ B.T)
    # batch against a single vector gives one score per row
    np.testing.assert_allclose(g.cosine(A, B[0]), 1 - distance.cdist(A, B[:1], "cosine")[:, 0], atol=1e-12)
    np.testing.assert_allclose(g.euclidean(A[0], B), distance.cdist(A[:1], B)[0], atol=1e-10)
    np.testing.assert_allclose(g.norm(g.normalize(A)), np.ones(7))


def test_euclidean_of_identical_rows_is_exactly_zero_not_nan():
    A = np.array([[1e8, 1.0], [3.0, 4.0]])
    d = g.euclidean(A, A)
    assert np.all(np.isfinite(d)) and np.allclose(np.diag(d), 0, atol=1e-3)


def test_torch_matches_numpy_and_stays_torch():
    rng = np.random.default_rng(1)
    A, B = rng.normal(size=(4, 8)), rng.normal(size=(6, 8))
    for fn in (g.cosine, g.euclidean, g.dot):
        out = fn(torch.from_numpy(A), torch.from_numpy(B))
        assert isinstance(out, torch.Tensor)
        np.testing.assert_allclose(out.numpy(), fn(A, B), atol=1e-10)


def test_top_k_is_partial_sort_with_stable_ties():
    s = np.array([0.1, 0.9, 0.5, 0.9, 0.3])
    idx, sc = g.top_k(s, 3)
    assert idx.tolist() == [1, 3, 2] and sc.tolist() == [0.9, 0.9, 0.5]
    # tie at the cut: the lower index wins
    assert g.top_k(np.array([0.5, 0.2, 0.5, 0.5]), 2).indices.tolist() == [0, 2]
    assert g.top_k(s, 2, largest=False).indices.tolist() == [0, 4]
    assert g.top_k(s, 99).indices.tolist() == [1, 3, 2, 4, 0]
    rows = g.top_k(np.array([[1.0, 3.0, 2.0], [9.0, 8.0, 7.0]]), 2)
    assert rows.indices.tolist() == [[1, 2], [0, 1]]


def test_top_k_agrees_with_full_sort_on_random_data():
    rng = np.random.default_rng(2)
    s = rng.integers(0, 20, size=(3, 500)).astype(float)  # many ties
    for k in (1, 7, 50):
        want = np.argsort(-s, axis=1, kind="stable")[:, :k]
        assert np.array_equal(g.top_k(s, k).indices, want)


def test_nearest_by_metric():
    V = np.array([[1.0, 0.0], [10.0, 5.0], [0.0, 1.0]])
    q = np.array([1.0, 0.1])
    assert g.nearest(q, V, 1, "dot").indices.tolist() == [1]        # long vector wins the dot product
    assert g.nearest(q, V, 1, "cosine").indices.tolist() == [0]     # direction wins cosine
    assert g.nearest(q, V, 1, "euclidean").indices.tolist() == [0]
    with pytest.raises(ValueError, match="Unknown metric"):
        g.nearest(q, V, 1, "manhattan")


def test_bad_input_messages_name_shapes():
    with pytest.raises(ShapeError, match=r"\(3,\).*\(4,\)"):
        g.cosine(np.ones(3), np.ones(4))
    with pytest.raises(ShapeError, match="vector"):
        g.dot(np.ones((2, 2, 2)), np.ones(2))
    with pytest.raises(EmptyInputError, match="zero vector"):
        g.normalize(np.zeros(3))
    with pytest.raises(EmptyInputError, match="empty"):
        g.top_k(np.array([]), 3)
    with pytest.raises(ValueError, match="positive"):
        g.top_k(np.ones(3), 0)
    with pytest.raises(ShapeError, match="numeric"):
        g.cosine(["a", "b"], ["c", "d"])
    with pytest.raises(TypeError, match="Mix"):
        g.dot(np.ones(2), torch.ones(2))
