"""The notebook-03 graders accept the reference solutions and reject typical mistakes."""

import numpy as np

from lessons.checks import search as checks
from lessons.solutions import nb03 as sol


def test_accepts_solutions():
    assert checks.check_recall_at_k(sol.recall_at_k)
    assert checks.check_target_rank(sol.target_rank)
    assert checks.check_top_k_search(sol.top_k_search)
    assert checks.check_word_windows(sol.word_windows)


def test_not_attempted():
    def stub(*args):
        raise NotImplementedError

    result = checks.check_recall_at_k(stub)
    assert not result and not result.attempted and "not attempted" in str(result)


def test_rejects_wrong_recall():
    strict = checks.check_recall_at_k(lambda r, k: float(np.mean(np.asarray(r) < k)))
    assert not strict and "use <=" in strict.message
    count = checks.check_recall_at_k(lambda r, k: int(np.sum(np.asarray(r) <= k)))
    assert not count and count.failed_case.startswith("ranks") and "expected 0.2, got 1" in count.message


def test_rejects_ties_in_favour():
    lucky = checks.check_target_rank(lambda s, t: int((np.asarray(s) > s[t]).sum() + 1))
    assert not lucky and "tie" in lucky.failed_case
    zero_based = checks.check_target_rank(lambda s, t: int((np.asarray(s) > s[t]).sum()
                                                          + (np.asarray(s) == s[t]).sum() - 1))
    assert not zero_based and zero_based.failed_case == "clear winner"


def test_rejects_dot_product_and_wrong_order():
    def dot_search(q, V, k):
        return np.argsort(-(V @ q))[:k]

    def ascending(q, V, k):
        s = (V / np.linalg.norm(V, axis=1, keepdims=True)) @ (q / np.linalg.norm(q))
        return np.argsort(s)[-k:]

    r = checks.check_top_k_search(dot_search)
    assert not r and "longer" in r.failed_case and "normalise" in r.message
    r = checks.check_top_k_search(ascending)
    assert not r and r.failed_case == "k=5, best first"


def test_rejects_dropped_tail_and_no_overlap():
    def drops_tail(text, size, overlap):
        w = text.split()
        return [" ".join(w[s:s + size]) for s in range(0, len(w) - size + 1, size - overlap)]

    def ignores_overlap(text, size, overlap):
        w = text.split()
        return [" ".join(w[s:s + size]) for s in range(0, len(w), size)]

    r = checks.check_word_windows(drops_tail)
    assert not r and "overlap 0" in r.failed_case
    r = checks.check_word_windows(ignores_overlap)
    assert not r and "overlap 2" in r.failed_case
