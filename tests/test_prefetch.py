"""`python -m lessons prefetch`: the offline message for real, and fetch + verify on a tiny random CLIP.

The real clip-ViT-B-32 cannot be downloaded here, so the save / atomic rename /
verify path is exercised with ``--source`` on a tiny random CLIP folder built in
tmp_path with transformers (the same folder format the hub model has).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lessons import doctor, models, prefetch


def _bytes_to_unicode():
    """GPT-2/CLIP's byte -> printable character table (the base alphabet of CLIP's BPE)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory):
    """A transformers CLIP folder: random 1-layer towers, 16-d projections, a byte-level BPE with no merges."""
    import transformers
    from transformers import CLIPConfig, CLIPModel, CLIPProcessor, CLIPTokenizer

    folder = tmp_path_factory.mktemp("tiny") / "tiny-clip"
    folder.mkdir()
    chars = _bytes_to_unicode()
    vocab = {tok: i for i, tok in enumerate(chars + [c + "</w>" for c in chars] + ["<|startoftext|>", "<|endoftext|>"])}
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    tokenizer = CLIPTokenizer(vocab=str(folder / "vocab.json"), merges=str(folder / "merges.txt"))
    bos, eos = vocab["<|startoftext|>"], vocab["<|endoftext|>"]
    config = CLIPConfig(
        text_config=dict(vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=2, max_position_embeddings=77, bos_token_id=bos, eos_token_id=eos,
                         pad_token_id=eos),
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                           image_size=32, patch_size=8),
        projection_dim=16)
    models.quiet_progress_bars()
    import torch

    torch.manual_seed(0)
    model = CLIPModel(config).eval()
    model.save_pretrained(folder)
    image_processor = getattr(transformers, "CLIPImageProcessorPil", transformers.CLIPImageProcessor)(
        size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    CLIPProcessor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(folder)
    with torch.no_grad():
        ids = tokenizer(["a photo of a cat"], return_tensors="pt")
        expected = model.get_text_features(**ids)
    expected = getattr(expected, "pooler_output", expected).numpy()  # transformers 5 returns an output object
    return folder, expected


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LESSONS_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("LESSONS_CLIP_MODEL", raising=False)
    return tmp_path / "cache"


def test_offline_machine_gets_a_plain_message_and_nonzero_exit(tmp_path):
    if models.network_available():
        pytest.skip("the model hub is reachable here: this test would download 600 MB")
    env = {k: v for k, v in os.environ.items() if k not in prefetch.PROXY_VARS and k != "HF_HUB_OFFLINE"}
    env["LESSONS_CACHE"] = str(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "lessons", "prefetch"], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.startswith("No network: the model hub (huggingface.co) cannot be reached")
    assert "LESSONS_CLIP_MODEL" in proc.stderr and "--source" in proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert not (tmp_path / "models" / "clip-ViT-B-32").exists()


def test_hf_hub_offline_is_respected_with_a_message(cache, monkeypatch, capsys):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert prefetch.main([]) == 1
    assert "unset HF_HUB_OFFLINE" in capsys.readouterr().err


def test_source_folder_is_saved_atomically_verified_and_seen_by_doctor(tiny_clip, cache, capsys):
    folder, expected = tiny_clip
    assert prefetch.main(["--source", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "loads and encodes one text and one image to 16-d vectors" in out
    target = models.models_dir() / "clip-ViT-B-32"
    assert target == prefetch.target_dir() and (target / "modules.json").exists()
    assert [p.name for p in target.parent.iterdir()] == ["clip-ViT-B-32"]  # no partial folder left behind
    # the saved copy computes the same text vector as the transformers model it came from
    from sentence_transformers import SentenceTransformer

    got = SentenceTransformer(str(target), device="cpu").encode(["a photo of a cat"], show_progress_bar=False)
    assert np.allclose(got, expected, atol=1e-5)
    assert doctor._optional_clip() == f"real CLIP present at {target}"
    if hasattr(models, "clip_model_path"):  # notebook 04's resolver finds the prefetched copy
        assert models.clip_model_path().describe() == f"{target} (from cache)"
    # a second run finds it, verifies it and does nothing
    assert prefetch.main(["--source", str(folder)]) == 0
    assert "Nothing to do" in capsys.readouterr().out


def test_broken_folder_fails_verification_and_keeps_the_good_copy(tiny_clip, cache, tmp_path, capsys):
    import shutil

    folder, _ = tiny_clip
    assert prefetch.main(["--source", str(folder)]) == 0
    target = prefetch.target_dir()
    good = (target / "model.safetensors").read_bytes()
    broken = tmp_path / "broken"
    shutil.copytree(folder, broken)
    (broken / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(prefetch.PrefetchError, match="does not load or encode"):
        prefetch.verify(broken)
    capsys.readouterr()
    assert prefetch.main(["--source", str(broken), "--force"]) == 1
    err = capsys.readouterr().err
    assert "Could not get" in err and "Traceback" not in err
    assert (target / "model.safetensors").read_bytes() == good  # replaced only after a verified copy
    assert sorted(p.name for p in target.parent.iterdir()) == ["clip-ViT-B-32"]


def test_missing_source_folder_is_a_plain_error(cache, tmp_path, capsys):
    assert prefetch.main(["--source", str(tmp_path / "nope")]) == 1
    assert "is not a model folder" in capsys.readouterr().err


def test_doctor_notes_absence_when_not_prefetched(cache):
    with pytest.raises(RuntimeError, match="not prefetched"):
        doctor._optional_clip()
