"""Which documents of the collection are the source of a published episode.

The seed episode's own page (``seeds/002_…``) is in the collection and is the transcript
the episode was re-cleaned from. Published as a document, it would stand beside the
cleaned show notes as a raw duplicate, and the site search would find every sentence
twice. Such a document gets no page of its own: its address points to the episode.

A document is an episode's source when it was read from a file of the same name as the
episode's source, or when it is an episode page titled like the episode.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import PurePath

from kikigaki.document import CollectionDocument, Episode
from transcribe.readers.collection import EPISODE_PAGE


def source_documents(
    episodes: Mapping[str, Episode], collection: Sequence[CollectionDocument]
) -> dict[str, str]:
    """``doc_id`` → the slug of the episode it is the source of."""
    found: dict[str, str] = {}
    for document in collection:
        slug = next((s for s, e in episodes.items() if _is_source(document, e)), None)
        if slug is not None:
            found[document.doc_id] = slug
    return found


def _is_source(document: CollectionDocument, episode: Episode) -> bool:
    meta = episode.meta
    if meta.source and document.source and _file_name(meta.source) == _file_name(document.source):
        return True
    return document.kind == EPISODE_PAGE and _same_title(document.title, meta.title)


def _file_name(path: str) -> str:
    return PurePath(path.replace("\\", "/")).name


def _same_title(one: str, other: str) -> bool:
    return bool(one.strip()) and " ".join(one.split()) == " ".join(other.split())
