"""Exercise graders: run a learner's function on several cases and explain the first failure.

Introduced in notebooks/01_word2vec. Each notebook's graders live in a module
of this package (``lessons.checks.word2vec``, ``.attention``, ``.search``,
``.multimodal``); reference solutions live in ``lessons.solutions`` and the
test suite proves every grader accepts its solution and rejects typical
mistakes. A grader never raises: it returns a :class:`GradeResult` that
prints as a short report, so a notebook with an unfinished exercise still runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np


@dataclass
class Case:
    """One test case: call ``fn(*args, **kwargs)`` and expect ``expected``."""

    label: str
    args: tuple
    expected: Any
    kwargs: dict = field(default_factory=dict)
    hint: str = ""


@dataclass
class GradeResult:
    """The outcome of grading one exercise; ``passed`` is True only when every case passed."""

    exercise: str
    passed: bool
    n_cases: int
    failed_case: str = ""
    message: str = ""
    attempted: bool = True

    def __str__(self) -> str:
        if self.passed:
            return f"✅ {self.exercise}: all {self.n_cases} cases pass."
        if not self.attempted:
            return f"⏳ {self.exercise}: not attempted yet. {self.message}"
        return f"❌ {self.exercise}: case '{self.failed_case}' failed. {self.message}"

    def __repr__(self) -> str:
        return str(self)

    def __bool__(self) -> bool:
        return self.passed


def _fmt(x: Any) -> str:
    if isinstance(x, np.ndarray) or type(x).__module__.startswith("torch"):
        arr = np.asarray(x.detach().cpu() if hasattr(x, "detach") else x)
        if arr.ndim == 0:
            return _fmt(arr.item())
        with np.printoptions(precision=4, suppress=True, threshold=12, edgeitems=3):
            return f"array of shape {arr.shape}: {arr}"
    if isinstance(x, float):
        return f"{x:.6g}"
    text = repr(x)
    return text if len(text) < 200 else text[:200] + "..."


def close(expected: Any, got: Any, *, rtol: float = 1e-6, atol: float = 1e-8) -> tuple[bool, str]:
    """Compare numbers or arrays: ``(ok, reason)``; the reason names shape or value mismatches."""
    if hasattr(got, "detach"):
        got = got.detach().cpu().numpy()
    try:
        g = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False, f"expected numbers, got {type(got).__name__} {_fmt(got)}"
    e = np.asarray(expected, dtype=np.float64)
    if g.shape != e.shape:
        return False, f"expected shape {e.shape}, got shape {g.shape}"
    if not np.all(np.isfinite(g) == np.isfinite(e)):
        return False, f"expected {_fmt(e)}, got non-finite values {_fmt(g)}"
    if not np.allclose(g, e, rtol=rtol, atol=atol, equal_nan=True):
        worst = float(np.nanmax(np.abs(g - e))) if g.size else 0.0
        return False, f"expected {_fmt(e)}, got {_fmt(g)} (largest difference {worst:.3g})"
    return True, ""


def equal(expected: Any, got: Any) -> tuple[bool, str]:
    """Exact comparison for non-numeric results (words, ids, lists)."""
    if hasattr(got, "tolist"):
        got = got.tolist()
    if hasattr(expected, "tolist"):
        expected = expected.tolist()
    if isinstance(got, tuple) and isinstance(expected, list):
        got = list(got)
    return (got == expected, "" if got == expected else f"expected {_fmt(expected)}, got {_fmt(got)}")


def grade(exercise: str, fn: Callable, cases: Sequence[Case], *,
          compare: Callable[[Any, Any], tuple[bool, str]] = close, hint: str = "") -> GradeResult:
    """Run ``fn`` on each case, stop at the first failure and explain it.

    Returns a :class:`GradeResult`. An ``NotImplementedError`` or a ``None``
    result counts as "not attempted yet"; any other exception is reported with
    its type and message, never re-raised.
    """
    if not callable(fn):
        return GradeResult(exercise, False, len(cases), message=f"Pass your function itself, not {_fmt(fn)}.")
    for case in cases:
        try:
            got = fn(*case.args, **case.kwargs)
        except NotImplementedError:
            return GradeResult(exercise, False, len(cases), case.label, "Replace the `raise NotImplementedError` "
                               "line with your code, then run this cell again.", attempted=False)
        except Exception as exc:  # the learner's code failed: report, don't crash the notebook
            return GradeResult(exercise, False, len(cases), case.label,
                               f"Your function raised {type(exc).__name__}: {exc}. "
                               f"{case.hint or hint}".strip())
        if got is None:
            return GradeResult(exercise, False, len(cases), case.label,
                               "Your function returned None: did you forget `return`?", attempted=False)
        ok, reason = compare(case.expected, got)
        if not ok:
            tip = case.hint or hint
            return GradeResult(exercise, False, len(cases), case.label,
                               f"{reason}." + (f" Hint: {tip}" if tip else ""))
    return GradeResult(exercise, True, len(cases))
