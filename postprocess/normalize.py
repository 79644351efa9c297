"""The normalisation stage: width and spacing of every segment (rules in
:func:`kikigaki.text.normalize_text`)."""

from __future__ import annotations

from kikigaki.document import Episode, Segment
from kikigaki.text import normalize_text

__all__ = ["normalize", "normalize_text"]


def normalize(episode: Episode) -> Episode:
    segments = [
        Segment(**{**s.model_dump(), "text": normalize_text(s.text)}) for s in episode.segments
    ]
    return episode.with_stage("normalize", segments=[s for s in segments if s.text])
