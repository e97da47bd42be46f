"""Helper package for the vector-embeddings course.

Each module holds one idea and says which notebook introduces it:

- ``geometry``   dot, cosine, euclidean, normalisation, top-k (all notebooks)
- ``data``       offline corpora, evaluation sets, emoji images, photos
- ``models``     model resolution: explicit path, env var, cache, offline default
- ``cache``      an on-disk cache keyed by inputs, so stale results are never reused
- ``errors``     the course's exception types (messages say what to do)
- ``checks``     exercise graders used by the notebooks

Nothing heavy is imported here, so ``import lessons`` is instant.
"""

__version__ = "0.1.0"
