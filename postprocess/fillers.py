"""Filler removal (えーと, あのー, まあ…) for the clean transcript; a no-op in verbatim mode.

Conservative by design: a word is dropped only when Sudachi tags it a filler, when it is
one of the drawn-out hesitation forms, or when an ambiguous word (あの, その, まあ) stands
alone before a comma. あの本 ("that book") and まあいいや keep their words.
"""

from __future__ import annotations

import re

from kikigaki.document import Episode, Segment
from kikigaki.nlp import Morpheme, tokenize

_HESITATIONS = frozenset(
    {"えー", "えーと", "えーっと", "えっと", "えと", "あのー", "あのぉ", "そのー", "うーん",
     "うーむ", "んー", "んーと", "ええと", "ええっと", "まー", "まぁ", "なんかー"}
)
_FILLER_BEFORE_COMMA = frozenset({"あの", "その", "まあ", "まぁ", "ま", "えー", "ええと", "なんか"})
_COMMA = frozenset({"、", ","})
_ORPHAN_COMMAS = re.compile(r"^[、,\s]+|(?<=[、。？！])[、,]+")


def strip_fillers(text: str) -> tuple[str, int]:
    """``text`` without its fillers, and how many were removed."""
    morphemes = tokenize(text)
    drop = _filler_spans(morphemes)
    if not drop:
        return text, 0
    pieces, cursor = [], 0
    for begin, end in drop:
        pieces.append(text[cursor:begin])
        cursor = end
    pieces.append(text[cursor:])
    return _ORPHAN_COMMAS.sub("", "".join(pieces)), len(drop)


def _filler_spans(morphemes: list[Morpheme]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(morphemes):
        length = _filler_length(morphemes, i)
        if length:
            end = i + length
            if end < len(morphemes) and morphemes[end].surface in _COMMA:
                end += 1  # the comma that only marked the hesitation goes too
            spans.append((morphemes[i].begin, morphemes[end - 1].end))
            i = end
        else:
            i += 1
    return spans


def _filler_length(morphemes: list[Morpheme], i: int) -> int:
    """How many morphemes from ``i`` form a filler (0 when ``i`` starts none)."""
    m = morphemes[i]
    following = morphemes[i + 1] if i + 1 < len(morphemes) else None
    if following and m.surface + following.surface in _HESITATIONS:
        return 2  # Sudachi splits えーと into えー + と
    if m.tag == "感動詞-フィラー" or m.surface in _HESITATIONS:
        return 1
    if m.surface in _FILLER_BEFORE_COMMA and following and following.surface in _COMMA:
        return 1
    return 0


def remove_fillers(episode: Episode, *, keep: bool = False) -> Episode:
    """Drop fillers from every segment, unless ``keep`` (verbatim mode)."""
    if keep:
        return episode.with_stage("fillers:kept")
    segments = []
    for segment in episode.segments:
        text, _ = strip_fillers(segment.text)
        if text:
            segments.append(Segment(**{**segment.model_dump(), "text": text}))
    return episode.with_stage("fillers", segments=segments)
