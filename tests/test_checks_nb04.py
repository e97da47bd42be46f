"""The notebook-04 graders accept the reference solutions and reject typical mistakes."""

import numpy as np

from lessons.checks import multimodal as checks
from lessons.solutions import nb04 as sol


def test_accepts_solutions():
    assert checks.check_info_nce(sol.info_nce)
    assert checks.check_zero_shot_classify(sol.zero_shot_classify)
    assert checks.check_merge_fairly(sol.merge_fairly)


def test_solution_matches_torch_clip_loss():
    import math

    import torch

    from lessons.clip_model import clip_loss

    rng = np.random.default_rng(0)
    a = rng.normal(size=(5, 4)); a /= np.linalg.norm(a, axis=1, keepdims=True)
    b = rng.normal(size=(5, 4)); b /= np.linalg.norm(b, axis=1, keepdims=True)
    ref = float(clip_loss(torch.tensor(a), torch.tensor(b), math.log(1 / 0.2)))
    assert np.isclose(sol.info_nce(a, b, 0.2), ref, rtol=1e-9)


def test_not_attempted():
    def stub(*args):
        raise NotImplementedError

    r = checks.check_info_nce(stub)
    assert not r and not r.attempted and "not attempted" in str(r)


def test_rejects_wrong_info_nce():
    def one_way(img, txt, t):                      # image->text only
        logits = img @ txt.T / t
        logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        return float(-np.mean(np.diag(logp)))

    r = checks.check_info_nce(one_way)
    assert not r and r.failed_case == "random pairs, temperature 0.1" and "expected 2.70845, got 2.08649" in r.message

    def no_temperature(img, txt, t):
        return sol.info_nce(img, txt, 1.0)

    r = checks.check_info_nce(no_temperature)
    assert not r and r.failed_case == "random pairs, temperature 0.1"

    def overflow(img, txt, t):                     # no log-sum-exp: inf/nan once the logits are large
        logits = img @ txt.T / t
        e = np.exp(logits * 100)                   # exaggerate to force overflow
        return float(-np.mean(np.log(np.diag(e) / e.sum(axis=1))))

    with np.errstate(over="ignore", invalid="ignore"):
        r = checks.check_info_nce(overflow)
    assert not r and "non-finite" in r.message


def test_rejects_dot_product_and_argmin():
    dot = checks.check_zero_shot_classify(lambda i, l: np.argmax(i @ l.T, axis=1))
    assert not dot and dot.failed_case == "labels of different lengths" and "normalise" in dot.message
    worst = checks.check_zero_shot_classify(lambda i, l: np.argmin(i @ l.T, axis=1))
    assert not worst and worst.failed_case == "unit vectors"


def test_rejects_naive_merge_and_missing_sd():
    def raw(i, t, si, st):
        items = [(s, "image", k) for k, s in enumerate(i)] + [(s, "text", k) for k, s in enumerate(t)]
        return [(kind, k) for _, kind, k in sorted(items, key=lambda x: -x[0])]

    r = checks.check_merge_fairly(raw)
    assert not r and r.failed_case == "the modality gap"

    def mean_only(i, t, si, st):
        items = [(s - si[0], "image", k) for k, s in enumerate(i)] + [(s - st[0], "text", k) for k, s in enumerate(t)]
        return [(kind, k) for _, kind, k in sorted(items, key=lambda x: -x[0])]

    r = checks.check_merge_fairly(mean_only)
    assert not r and r.failed_case == "same mean, different spread"
