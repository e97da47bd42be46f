"""lessons.cache: keyed entries, never stale, corrupt entries rebuilt, writes atomic."""

import numpy as np

from lessons import cache


def test_cache_dir_follows_env(tmp_path, monkeypatch):
    monkeypatch.setenv("LESSONS_CACHE", str(tmp_path / "c"))
    assert cache.cache_dir() == tmp_path / "c" and (tmp_path / "c").is_dir()


def test_changed_key_rebuilds_and_same_key_reuses(tmp_path, monkeypatch):
    monkeypatch.setenv("LESSONS_CACHE", str(tmp_path))
    calls = []

    def build(v):
        calls.append(v)
        return {"x": np.arange(3) * v}

    a = cache.cached_arrays("t", {"v": 1}, lambda: build(1))
    b = cache.cached_arrays("t", {"v": 1}, lambda: build(1))
    c = cache.cached_arrays("t", {"v": 2}, lambda: build(2))
    assert calls == [1, 2]
    assert b["x"].tolist() == [0, 1, 2] and c["x"].tolist() == [0, 2, 4] and np.array_equal(a["x"], b["x"])


def test_corrupt_entry_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("LESSONS_CACHE", str(tmp_path))
    cache.cached_json("j", "k", lambda: {"a": 1})
    path = cache.entry_path("j", "k", ".json")
    path.write_text('{"a": ')  # truncated
    assert cache.cached_json("j", "k", lambda: {"a": 2}) == {"a": 2}
    cache.cached_arrays("n", "k", lambda: {"x": np.ones(1000)})
    npz = cache.entry_path("n", "k", ".npz")
    npz.write_bytes(npz.read_bytes()[:100])
    assert cache.cached_arrays("n", "k", lambda: {"x": np.zeros(2)})["x"].tolist() == [0, 0]


def test_atomic_write_leaves_old_file_on_failure(tmp_path):
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")

    try:
        cache.atomic_write_bytes(target, object())  # type: ignore[arg-type]
    except TypeError:
        pass
    assert target.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [target]


def test_fingerprint_changes_with_content(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text("one")
    f1 = cache.file_fingerprint(p)
    p.write_text("two")
    assert cache.file_fingerprint(p) != f1 and len(f1) == 16


def test_full_disk_is_explained_and_leaves_no_temp_file(tmp_path, monkeypatch):
    import errno
    import os as os_module

    import pytest

    def no_space(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os_module, "fsync", no_space)
    with pytest.raises(cache.DiskFullError, match="LESSONS_CACHE"):
        cache.atomic_write_bytes(tmp_path / "x.bin", b"data")
    assert list(tmp_path.iterdir()) == []
