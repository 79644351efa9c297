"""A collection document's page: its blocks as recovered, links, contents, backlinks."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from kikigaki.document import CollectionDocument, DocumentBlock, Episode, TermLink
from publish.excerpts import document_excerpt
from publish.layout import (
    EXTERNAL_LINK,
    KIND_LABELS,
    SITE_TITLE,
    TOP_RELATED,
    document_page_path,
)
from publish.templating import render_template
from publish.views import LinkView, Piece

# --------------------------------------------------------------------------- documents

_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"'「」『』（）【】、。，]+", re.IGNORECASE)
_URL_TRAILING = ".,;:!?"
_NUMBERED_ITEM = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2})*[.)．]|[①-⑳]|[(（]\d{1,2}[)）])")
_TOC_MIN_HEADINGS = 3


@dataclass
class BlockView:
    """A block of a document page; a list holds its items, an item its sub-items."""

    id: str
    kind: str
    text: str
    tag: str = ""
    items: list[BlockView] = field(default_factory=list)
    pieces: list[Piece] = field(default_factory=list)
    ordered: bool = False  # the items are numbered in their text: no bullets
    refs: list[LinkView] = field(default_factory=list)  # episodes that point here


@dataclass
class BacklinkTerm:
    name: str
    href: str  # the term in the episode's notes
    block: str  # the block of this document it points to
    place: str = ""  # that block, as a link text: its words and the section it is in


@dataclass
class BacklinkView:
    title: str
    href: str
    date: str
    terms: list[BacklinkTerm]
    related: bool = False  # the episode lists this document among its related ones


def linked_pieces(text: str) -> list[Piece]:
    """``text`` cut around the http(s) URLs written in it, which become links."""
    pieces: list[Piece] = []
    position = 0
    for match in _URL_IN_TEXT.finditer(text):
        url = _trim_url(match.group(0))
        if not EXTERNAL_LINK.match(url) or not urlsplit(url).netloc:
            continue
        if match.start() > position:
            pieces.append(Piece(text[position : match.start()]))
        pieces.append(Piece(url, kind="link", href=url))
        position = match.start() + len(url)
    if position < len(text) or not pieces:
        pieces.append(Piece(text[position:]))
    return pieces


def _trim_url(url: str) -> str:
    """A URL without the punctuation that ends the sentence around it."""
    while url:
        unbalanced = url[-1] == ")" and url.count("(") < url.count(")")
        if url[-1] not in _URL_TRAILING and not unbalanced:
            break
        url = url[:-1]
    return url


def render_document_page(
    document: CollectionDocument, episodes: Sequence[tuple[str, Episode]]
) -> str:
    root = "../" * (len(PurePosixPath(document_page_path(document)).parts) - 1)
    blocks = list(document.blocks)
    title_id = ""
    if blocks and blocks[0].kind == "heading" and blocks[0].text == document.title:
        title_id = blocks.pop(0).id  # the page title is that heading: keep its anchor
    backlinks = _backlinks(document, episodes, root)
    views = block_views(blocks, _block_refs(backlinks))
    return render_template(
        "document.html.j2",
        root=root,
        site_title=SITE_TITLE,
        page_title=document.title,
        description=document_excerpt(document),
        document=document,
        kind=KIND_LABELS.get(document.kind, document.kind),
        date=document.date or "",
        title_id=title_id,
        blocks=views,
        contents=_contents(views),
        backlinks=backlinks,
    )


def render_source_page(document: CollectionDocument, slug: str, episode: Episode) -> str:
    """The page at a document's address when the document is the source of a published
    episode (:mod:`publish.sources`): a pointer to the episode's show notes."""
    root = "../" * (len(PurePosixPath(document_page_path(document)).parts) - 1)
    title = episode.meta.title or slug
    return render_template(
        "source-page.html.j2",
        root=root,
        site_title=SITE_TITLE,
        page_title=document.title,
        description=f"エピソード「{title}」の配信ページ",
        document=document,
        kind=KIND_LABELS.get(document.kind, document.kind),
        episode_href=f"{root}{slug}/index.html",
        episode_title=title,
        episode_date=episode.meta.date or "",
    )


def block_views(
    blocks: Sequence[DocumentBlock], refs: Mapping[str, list[LinkView]] | None = None
) -> list[BlockView]:
    """Blocks for the page: consecutive list items gathered into one list, nested by their
    depth; the highest heading level shown as ``h2`` (the page title is the ``h1``);
    URLs in the text as links; ``refs`` (block id → links) the episodes pointing there."""
    refs = refs or {}
    top = min((max(b.level, 1) for b in blocks if b.kind == "heading"), default=1)
    views: list[BlockView] = []
    run: list[DocumentBlock] = []
    for block in [*blocks, None]:
        if block is not None and block.kind == "list-item":
            run.append(block)
            continue
        if run:
            views.append(_list_view(run, refs))
            run = []
        if block is None:
            break
        view = BlockView(block.id, block.kind, block.text)
        if block.kind == "heading":
            view.tag = f"h{min(max(block.level, 1) - top + 2, 6)}"
        else:
            view.refs = refs.get(block.id, [])  # not in a heading: it would rename it
        if block.kind != "preformatted":
            view.pieces = linked_pieces(block.text)
        views.append(view)
    return views


def _list_view(items: Sequence[DocumentBlock], refs: Mapping[str, list[LinkView]]) -> BlockView:
    """One list: each item under the nearest item before it that is less deep."""
    top = BlockView("", "list", "")
    open_items: list[tuple[int, BlockView]] = [(-1, top)]
    for block in items:
        while open_items[-1][0] >= block.level:
            open_items.pop()
        item = BlockView(
            block.id, "item", block.text, pieces=linked_pieces(block.text),
            refs=refs.get(block.id, []),
        )
        open_items[-1][1].items.append(item)
        open_items.append((block.level, item))
    _mark_ordered(top)
    return top


def _mark_ordered(view: BlockView) -> None:
    view.ordered = bool(view.items) and all(_NUMBERED_ITEM.match(i.text) for i in view.items)
    for item in view.items:
        _mark_ordered(item)


def _contents(views: Sequence[BlockView]) -> list[LinkView]:
    """The page's table of contents: its top headings, when there are a few."""
    headings = [LinkView(v.text, f"#{v.id}") for v in views if v.tag == "h2"]
    return headings if len(headings) >= _TOC_MIN_HEADINGS else []


def _backlinks(
    document: CollectionDocument, episodes: Sequence[tuple[str, Episode]], root: str
) -> list[BacklinkView]:
    """The episodes whose terms link into ``document`` or that rank it among their most
    related documents, with the terms and the blocks they point to."""
    page = document.href.split("#", 1)[0]
    places = block_places(document.blocks)
    backlinks = []
    for slug, episode in episodes:
        notes = f"{root}{slug}/index.html"
        terms = [
            BacklinkTerm(term.canonical, f"{notes}#t{index}", anchor, places.get(anchor, ""))
            for index, term in enumerate(episode.terms)
            for anchor in _anchors_into(term.links, page, set(places))
        ]
        top = sorted(episode.related, key=lambda r: -r.score)[:TOP_RELATED]
        related = any(r.href.split("#", 1)[0] == page and r.score > 0 for r in top)
        if terms or related:
            backlinks.append(
                BacklinkView(
                    title=episode.meta.title or slug,
                    href=notes,
                    date=episode.meta.date or "",
                    terms=terms,
                    related=related,
                )
            )
    return backlinks


_PLACE_CHARS = 24


def block_places(blocks: Sequence[DocumentBlock]) -> dict[str, str]:
    """Each block as a link to it reads: a heading by its text, any other block by its
    first words and the heading it sits under (「Transformer の…」（スライド 4: 背景）)."""
    places: dict[str, str] = {}
    heading = ""
    for block in blocks:
        text = " ".join(block.text.split())
        if block.kind == "heading":
            heading = text
            places[block.id] = text
            continue
        words = text if len(text) <= _PLACE_CHARS else text[:_PLACE_CHARS].rstrip() + "…"
        places[block.id] = f"「{words}」" + (f"（{heading}）" if heading else "")
    return places


def _anchors_into(links: Iterable[TermLink], page: str, block_ids: set[str]) -> list[str]:
    """The blocks of ``page`` that ``links`` point to ("" for the page as a whole)."""
    anchors: list[str] = []
    for link in links:
        target, _, anchor = link.href.partition("#")
        if target == page:
            found = anchor if anchor in block_ids else ""
            if found not in anchors:
                anchors.append(found)
    return anchors


def _block_refs(backlinks: Sequence[BacklinkView]) -> dict[str, list[LinkView]]:
    refs: dict[str, list[LinkView]] = {}
    for backlink in backlinks:
        for term in backlink.terms:
            if term.block:
                link = LinkView(term.name, term.href, backlink.title)
                refs.setdefault(term.block, []).append(link)
    return refs
