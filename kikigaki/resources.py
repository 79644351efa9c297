"""Where the shipped data lives: templates, seeds, glossaries and trained models.

In a checkout (and an editable install) they sit at the repository's top level; in a
wheel they are packed under ``kikigaki/_data``.
"""

from __future__ import annotations

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
