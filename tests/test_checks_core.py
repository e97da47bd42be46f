"""lessons.checks.grade: accepts right answers, explains wrong ones, never raises."""

import numpy as np

from lessons.checks import Case, equal, grade

CASES = [Case("positive", (np.array([1.0, 2.0]),), 3.0), Case("empty", (np.array([]),), 0.0, hint="sum of nothing")]


def test_accepts_correct_function():
    r = grade("sum", np.sum, CASES)
    assert r.passed and bool(r) and "all 2 cases pass" in str(r)


def test_reports_first_failing_case_with_expected_and_got():
    r = grade("sum", lambda x: float(x.sum()) + (1 if x.size == 0 else 0), CASES)
    assert not r.passed and r.failed_case == "empty"
    assert "expected 0, got 1" in r.message and "Hint: sum of nothing" in r.message


def test_not_attempted_and_crashes_are_reports_not_exceptions():
    def stub(x):
        raise NotImplementedError

    r = grade("sum", stub, CASES)
    assert not r.passed and not r.attempted and "not attempted" in str(r)
    r = grade("sum", lambda x: x["no"], CASES)
    assert not r.passed and "raised IndexError" in r.message
    r = grade("sum", lambda x: None, CASES)
    assert "forget" in r.message
    r = grade("sum", 42, CASES)
    assert not r.passed and "function itself" in r.message


def test_shape_mismatch_is_named():
    r = grade("id", lambda x: x[None], [Case("v", (np.ones(3),), np.ones(3))])
    assert "expected shape (3,), got shape (1, 3)" in r.message


def test_equal_for_words():
    assert grade("w", lambda: "queen", [Case("k", (), "queen")], compare=equal).passed
    assert "expected 'queen', got 'king'" in grade("w", lambda: "king", [Case("k", (), "queen")], compare=equal).message
