"""Where the shipped data lives (templates, seeds, glossaries, trained models), and the
cache.

In a checkout (and an editable install) they sit at the repository's top level; in a
wheel they are packed under ``kikigaki/_data``.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_path(name: str) -> Path:
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"kikigaki's shipped data '{name}' is missing from the install")


def templates_dir() -> Path:
    return data_path("templates")


def seeds_dir() -> Path:
    return data_path("seeds")


def cache_dir() -> Path:
    """Where kikigaki keeps what it can make again (models assembled from their wheels,
    document vectors): ``$KIKIGAKI_CACHE``, or ``~/.cache/kikigaki``."""
    configured = os.environ.get("KIKIGAKI_CACHE")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "kikigaki"
