"""An episode's own page in the collection (a page saved from the podcast host).

Read as a plain document, such a page turns its furniture into headings (「View all
episodes」, 「** 注:以下は未編集の草稿です **」) and is titled by the host's listing name.
Read with the seed-page reader instead, it becomes what a listener would want from it:
titled by the episode, dated, its description as paragraphs, then the transcript the page
carries under one heading. Its kind is :data:`EPISODE_PAGE`: never a related document,
and the site publishes it as a pointer to the episode's show notes when that episode is
published too (``publish.sources``).
"""

from __future__ import annotations

from kikigaki.document import CollectionDocument, DocumentBlock
from transcribe.readers._problem import TranscriptProblem
from transcribe.readers.seed_page import parse_seed_page

EPISODE_PAGE = "episode-page"
TRANSCRIPT_HEADING = "配信ページの文字起こし（未編集）"


def episode_page_document(
    doc_id: str, text: str, *, source: str = ""
) -> CollectionDocument | None:
    """The page as a document, or None when the seed-page reader finds no episode in it."""
    try:
        page = parse_seed_page(text)
    except TranscriptProblem:
        return None
    parts: list[tuple[str, str]] = [
        ("paragraph", line.strip()) for line in page.description.split("\n") if line.strip()
    ]
    if page.segments:
        parts.append(("heading", TRANSCRIPT_HEADING))
        parts += [("paragraph", " ".join(s.text.split())) for s in page.segments]
    blocks = [
        DocumentBlock(id=f"b{i}", kind=kind, text=body, level=2 if kind == "heading" else 0)
        for i, (kind, body) in enumerate(parts)
    ]
    return CollectionDocument(
        doc_id=doc_id,
        title=page.title or page.show or doc_id,
        text=text,
        href=f"docs/{doc_id}/index.html",
        blocks=blocks,
        source=source,
        date=page.date,
        kind=EPISODE_PAGE,
    )
