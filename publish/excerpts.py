"""The few words the index (and a page's description) shows for a document or an episode.

A document's excerpt is its first real paragraph: prose, not a line of the page around
it. Skipped are editorial notes (``※ …``), link titles as a browser copies them
(``産業用ロボット| ヤマハ発動機 (yamaha-motor.co.jp)``), lines wholly in brackets, short
lines, addresses, and the lines the title was taken from. Paragraphs come first; when a
document has none (notes made of lists), its first real list item stands in.
"""

from __future__ import annotations

import re

from kikigaki.document import CollectionDocument, DocumentBlock, Episode
from publish.layout import EXCERPT_CHARS, EXCERPT_MIN_CHARS
from publish.views import one_line

_NOTE = re.compile(r"^[※＊*注]")
_LINK_TITLE = re.compile(r"[|｜]|[(（][\w.-]+\.[a-z]{2,}[)）]$|^https?://|^www\.", re.IGNORECASE)
_BRACKETED = re.compile(r"^[(（\[［【「].*[)）\]］】」]$")
# Prose has a Japanese comma or stop, or ends like a sentence in a spaced language.
_PROSE = re.compile(r"[。、．，！？]|[.!?]$|\w, \w")
_SENTENCE_END = "。．！？!?"


def document_excerpt(document: CollectionDocument) -> str:
    """The document's first real paragraph (else list item), shortened; "" when none."""
    title = document.title.rstrip("…")
    for kinds in (("paragraph",), ("list-item",)):
        for block in document.blocks:
            if block.kind in kinds and _reads_as_prose(block, title):
                return shorten(one_line(block.text))
    return ""


def episode_excerpt(episode: Episode) -> str:
    text = episode.summary[0] if episode.summary else episode.meta.description
    return shorten(one_line(text))


def shorten(text: str, limit: int = EXCERPT_CHARS) -> str:
    """``text`` within ``limit`` characters: whole sentences when they fill half of it,
    else cut with an ellipsis."""
    if len(text) <= limit:
        return text
    ends = [i for i, c in enumerate(text[:limit]) if c in _SENTENCE_END]
    if ends and ends[-1] + 1 >= limit // 2:
        return text[: ends[-1] + 1]
    return text[:limit].rstrip("、， ") + "…"


def _reads_as_prose(block: DocumentBlock, title: str) -> bool:
    text = one_line(block.text)
    if len(text) < EXCERPT_MIN_CHARS or (title and text.startswith(title)):
        return False
    if _NOTE.match(text) or _LINK_TITLE.search(text) or _BRACKETED.match(text):
        return False
    return bool(_PROSE.search(text))
