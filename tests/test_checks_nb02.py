"""The notebook-02 graders accept the reference solutions and reject typical mistakes."""

import numpy as np
import pytest

from lessons.checks import attention as checks
from lessons.solutions import nb02


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_stable_softmax_grader():
    assert checks.check_stable_softmax(nb02.stable_softmax).passed

    def naive(x):  # overflows on large scores
        e = np.exp(x)
        return e / e.sum(axis=-1, keepdims=True)

    def whole_array(x):  # normalises over everything, not per row
        e = np.exp(x - x.max())
        return e / e.sum()

    r = checks.check_stable_softmax(naive)
    assert not r.passed and "large" in r.failed_case
    r = checks.check_stable_softmax(whole_array)
    assert not r.passed and "batch" in r.failed_case

    def stub(x):
        raise NotImplementedError

    r = checks.check_stable_softmax(stub)
    assert not r.passed and not r.attempted and "not attempted" in str(r)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_masked_attention_grader():
    assert checks.check_masked_attention(nb02.masked_attention).passed

    def no_sqrt(q, k, v, mask):
        s = np.where(mask, q @ k.T, -np.inf)
        return nb02.stable_softmax(s) @ v

    def inverted(q, k, v, mask):
        s = np.where(~mask, q @ k.T / np.sqrt(q.shape[-1]), -np.inf)
        return np.nan_to_num(nb02.stable_softmax(s)) @ v

    def mask_after_softmax(q, k, v, mask):
        w = nb02.stable_softmax(q @ k.T / np.sqrt(q.shape[-1])) * mask
        return w @ v

    r = checks.check_masked_attention(no_sqrt)
    assert not r.passed and "sqrt" in r.message
    assert not checks.check_masked_attention(inverted).passed
    r = checks.check_masked_attention(mask_after_softmax)
    assert not r.passed and r.failed_case == "causal mask"


def test_split_heads_grader():
    assert checks.check_split_heads(nb02.split_heads).passed

    def plain_reshape(x, h):
        B, T, d = x.shape
        return x.reshape(B, h, T, d // h)

    def no_transpose(x, h):
        B, T, d = x.shape
        return x.reshape(B, T, h, d // h)

    r = checks.check_split_heads(plain_reshape)
    assert not r.passed and "B=2" in r.failed_case
    r = checks.check_split_heads(no_transpose)
    assert not r.passed and "shape" in r.message
