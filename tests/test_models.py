"""lessons.models: resolution order, sha256 verification, the real MiniLM offline."""

import numpy as np
import pytest

from lessons import models
from lessons.errors import AssetError


def test_load_text_model_is_real_minilm():
    model = models.load_text_model()
    emb = model.encode(["Japan is an island country in East Asia", "It spans an archipelago of 6852 islands",
                        "How many islands are comprised of Japan?"], normalize_embeddings=True)
    assert emb.shape == (3, 384)
    # the seed article's scores (OFFLINE_ASSETS.md): the first sentence wins with this corpus
    np.testing.assert_allclose(emb[2] @ emb[0], 0.7246, atol=2e-3)
    np.testing.assert_allclose(emb[2] @ emb[1], 0.6110, atol=2e-3)
    assert models.load_text_model() is model


def test_resolution_order(tmp_path, monkeypatch):
    monkeypatch.setenv("LESSONS_CACHE", str(tmp_path / "cache"))
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    kw = dict(env_var="LESSONS_TEST_MODEL", cache_name="m", package_default=lambda: shipped)
    monkeypatch.delenv("LESSONS_TEST_MODEL", raising=False)
    assert models.resolve(explicit=None, **kw).source == "package"
    cached = models.models_dir() / "m"
    cached.mkdir()
    (cached / "config.json").write_text("{}")
    assert models.resolve(explicit=None, **kw) == models.ResolvedModel(cached, "cache")
    env_dir = tmp_path / "env"
    env_dir.mkdir()
    monkeypatch.setenv("LESSONS_TEST_MODEL", str(env_dir))
    assert models.resolve(explicit=None, **kw).source == "env"
    assert models.resolve(explicit=shipped, **kw).source == "explicit"


def test_missing_things_are_explained(tmp_path, monkeypatch):
    monkeypatch.setenv("LESSONS_CACHE", str(tmp_path))
    with pytest.raises(AssetError, match="does not exist"):
        models.resolve(explicit=tmp_path / "nope", env_var="X_UNSET", cache_name="m")
    monkeypatch.setenv("X_BAD", str(tmp_path / "missing"))
    with pytest.raises(AssetError, match="not a folder"):
        models.resolve(explicit=None, env_var="X_BAD", cache_name="m")
    with pytest.raises(AssetError, match="prefetch"):
        models.resolve(explicit=None, env_var="X_UNSET", cache_name="m", hub_name="org/big-model")


def test_hub_download_needs_consent_and_network(tmp_path, monkeypatch):
    monkeypatch.setenv("LESSONS_CACHE", str(tmp_path))
    monkeypatch.setattr(models, "network_available", lambda *a, **k: False)
    with pytest.raises(AssetError, match="no network"):
        models.resolve(explicit=None, env_var="X_UNSET", cache_name="m", hub_name="org/big", allow_download=True)
    monkeypatch.setattr(models, "network_available", lambda *a, **k: True)
    r = models.resolve(explicit=None, env_var="X_UNSET", cache_name="m", hub_name="org/big", allow_download=True)
    assert r == models.ResolvedModel("org/big", "hub")


def test_sha256_verification_catches_changed_weights(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"not the weights")
    with pytest.raises(AssetError, match="not the upstream"):
        models.verify_minilm(tmp_path)
    assert models.verify_minilm(models.minilm_package_path()).startswith(models.MINILM_SHA256_PREFIX)
