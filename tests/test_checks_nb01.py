"""The notebook-01 graders accept the reference solutions and reject typical mistakes."""

import numpy as np

from lessons.checks import word2vec as checks
from lessons.solutions import nb01


def _stub(*args):
    raise NotImplementedError


def test_cosine_grader():
    assert checks.check_cosine(nb01.cosine_similarity).passed

    r = checks.check_cosine(lambda a, b: float(np.dot(a, b)))  # no normalisation
    assert not r.passed and "45 degrees" in r.failed_case and "BOTH lengths" in r.message
    r = checks.check_cosine(lambda a, b: float(np.dot(a, b) / np.dot(b, b)))  # divides by |b|^2, not |a||b|
    assert not r.passed and "got 0.5" in r.message
    r = checks.check_cosine(lambda a, b: abs(float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))))
    assert not r.passed and "opposite" in r.failed_case
    r = checks.check_cosine(_stub)
    assert not r.passed and not r.attempted


def test_analogy_grader():
    assert checks.check_analogy(nb01.solve_analogy).passed

    def no_exclusion(words, vectors, a, b, c):
        v = np.asarray(vectors, float)
        u = v / np.linalg.norm(v, axis=1, keepdims=True)
        i = {w: k for k, w in enumerate(words)}
        return words[int(np.argmax(u @ (u[i[b]] - u[i[a]] + u[i[c]])))]

    def dot_not_cosine(words, vectors, a, b, c):
        v = np.asarray(vectors, float)
        i = {w: k for k, w in enumerate(words)}
        s = v @ (v[i[b]] - v[i[a]] + v[i[c]])
        for w in (a, b, c):
            s[i[w]] = -np.inf
        return words[int(np.argmax(s))]

    def swapped(words, vectors, a, b, c):  # a - b + c instead of b - a + c
        return nb01.solve_analogy(words, vectors, b, a, c)

    r = checks.check_analogy(no_exclusion)
    assert not r.passed and "input words" in r.failed_case and "got 'italy'" in r.message
    r = checks.check_analogy(dot_not_cosine)
    assert not r.passed and "long vector" in r.failed_case and "'giant'" in r.message
    r = checks.check_analogy(swapped)
    assert not r.passed and "small space" in r.failed_case
    assert not checks.check_analogy(_stub).attempted


def test_sgns_step_grader():
    assert checks.check_sgns_step(nb01.sgns_step).passed

    sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731

    def forgot_minus_one(v, u, n, lr):
        gp, gn = sig(u @ v), sig(n @ v)
        return v - lr * (gp * u + gn @ n), u - lr * gp * v, n - lr * gn[:, None] * v

    def uses_new_centre(v, u, n, lr):
        gp, gn = sig(u @ v) - 1, sig(n @ v)
        v2 = v - lr * (gp * u + gn @ n)
        return v2, u - lr * gp * v2, n - lr * gn[:, None] * v2

    def gradient_ascent(v, u, n, lr):
        a, b, c = nb01.sgns_step(v, u, n, -lr)
        return a, b, c

    r = checks.check_sgns_step(forgot_minus_one)
    assert not r.passed and "new v_c" in r.message and "sigmoid(u_o.v_c) - 1" in r.message
    r = checks.check_sgns_step(uses_new_centre)
    assert not r.passed and "new u_o" in r.message
    assert not checks.check_sgns_step(gradient_ascent).passed
    r = checks.check_sgns_step(lambda v, u, n, lr: v)  # returns only the centre vector
    assert not r.passed and "tuple" in r.message
    assert not checks.check_sgns_step(_stub).attempted
