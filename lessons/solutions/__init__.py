"""Reference solutions to the notebooks' exercises (one module per notebook).

They live here, not in the learner's notebook; the test suite proves each
grader in :mod:`lessons.checks` accepts them.
"""
