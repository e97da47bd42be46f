"""Cut long passages into chunks that fit a sentence model's window, and pool chunk scores.

Introduced in notebooks/03_semantic_qa. all-MiniLM-L6-v2 reads at most 256
word-piece tokens (about 180-200 English words); anything after that is cut
off silently. Chunking encodes each piece separately; a passage's score for a
query is then the best score of its chunks (max-pooling), so an answer in the
last paragraph still counts.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .data import split_sentences
from .errors import EmptyInputError


def word_windows(text: str, size: int = 128, overlap: int = 32) -> list[str]:
    """Overlapping windows of ``size`` words, each starting ``size - overlap`` words after the last.

    The last window always reaches the end of the text; a text of at most
    ``size`` words is one window. Returns a list of strings.
    """
    if not 0 <= overlap < size:
        raise ValueError(f"Need 0 <= overlap < size; got size={size}, overlap={overlap}.")
    words = text.split()
    if not words:
        raise EmptyInputError("Cannot chunk an empty text.")
    step = size - overlap
    starts = list(range(0, max(len(words) - overlap, 1), step))
    return [" ".join(words[s:s + size]) for s in starts]


def sentence_chunks(text: str, max_words: int = 60) -> list[str]:
    """Whole sentences grouped greedily into chunks of at most ``max_words`` words.

    A single sentence longer than ``max_words`` stays one chunk (never cut mid-sentence).
    """
    sentences = split_sentences(text)
    if not sentences:
        raise EmptyInputError("Cannot chunk an empty text.")
    chunks, current, count = [], [], 0
    for s in sentences:
        n = len(s.split())
        if current and count + n > max_words:
            chunks.append(" ".join(current))
            current, count = [], 0
        current.append(s)
        count += n
    chunks.append(" ".join(current))
    return chunks


def chunk_passages(passages: Sequence[str], max_words: int = 60) -> tuple[list[str], np.ndarray]:
    """Chunk every passage; returns ``(chunks, owner)`` where ``owner[j]`` is chunk j's passage index."""
    chunks, owner = [], []
    for i, p in enumerate(passages):
        for c in sentence_chunks(p, max_words):
            chunks.append(c)
            owner.append(i)
    return chunks, np.asarray(owner, dtype=np.int64)


def max_pool(chunk_scores: np.ndarray, owner: np.ndarray, n_passages: int) -> np.ndarray:
    """Passage scores ``(q, n_passages)`` = the best score among each passage's chunks.

    ``chunk_scores`` is ``(q, n_chunks)`` (or ``(n_chunks,)``); ``owner`` maps chunks to passages.
    """
    S = np.atleast_2d(chunk_scores)
    out = np.full((S.shape[0], n_passages), -np.inf, dtype=np.float64)
    for q in range(S.shape[0]):
        np.maximum.at(out[q], owner, S[q])
    return out if np.ndim(chunk_scores) == 2 else out[0]
