"""The site's index page and its site-wide search."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kikigaki.document import CollectionDocument, Episode
from publish.episode_page import term_aliases
from publish.excerpts import document_excerpt, episode_excerpt
from publish.layout import (
    KIND_LABELS,
    KIND_ORDER,
    SCRIPT,
    SEARCH_INDEX,
    SEARCH_SCRIPT,
    SITE_TITLE,
    document_page_path,
)
from publish.templating import render_template
from publish.views import episode_sentences, one_line

# --------------------------------------------------------------------------- index


@dataclass
class EntryView:
    title: str
    href: str
    date: str
    meta: str
    excerpt: str


@dataclass
class GroupView:
    id: str
    label: str
    entries: list[EntryView]


def render_index(episodes: dict[str, Episode], collection: Sequence[CollectionDocument]) -> str:
    episode_entries = [
        EntryView(
            title=e.meta.title or slug,
            href=f"{slug}/index.html",
            date=e.meta.date or "",
            meta=" · ".join(x for x in (e.meta.show, e.meta.episode_id) if x),
            excerpt=episode_excerpt(e),
        )
        for slug, e in episodes.items()
    ]
    return render_template(
        "index.html.j2",
        root="",
        site_title=SITE_TITLE,
        page_title=SITE_TITLE,
        description="ポッドキャストのショーノートと資料の一覧",
        episodes=episode_entries,
        groups=_document_groups(collection),
        document_count=len(collection),
    )


def _document_groups(collection: Sequence[CollectionDocument]) -> list[GroupView]:
    """The documents by kind (資料, スライド, 配信ページ, then any other), each kind's
    dated documents newest first, then the undated ones in the collection's order."""
    kinds = sorted(
        {d.kind for d in collection},
        key=lambda k: (KIND_ORDER.index(k) if k in KIND_ORDER else len(KIND_ORDER), k),
    )
    groups = []
    for number, kind in enumerate(kinds):
        members = [d for d in collection if d.kind == kind]
        dated = sorted((d for d in members if d.date), key=lambda d: d.date or "", reverse=True)
        entries = [
            EntryView(
                title=d.title,
                href=document_page_path(d),
                date=d.date or "",
                meta=KIND_LABELS.get(d.kind, d.kind),
                excerpt=document_excerpt(d),
            )
            for d in [*dated, *(d for d in members if not d.date)]
        ]
        groups.append(GroupView(f"documents-{number}", KIND_LABELS.get(kind, kind), entries))
    return groups


# --------------------------------------------------------------------------- search


def search_script(index_json: str) -> str:
    """The search index as a script setting ``window.KIKIGAKI_SEARCH``: a page opened
    from disk may load a script beside it but not fetch a JSON file."""
    safe = index_json.strip().replace("<", "\\u003c").replace(">", "\\u003e")
    return f"window.KIKIGAKI_SEARCH = {safe};\n"


def search_index(episodes: Mapping[str, Episode], collection: Sequence[CollectionDocument]) -> str:
    """The site-wide search index (JSON): every sentence and every document block, each as
    ``[anchor, start seconds or null, text]`` under its page."""
    pages: list[dict[str, object]] = []
    for slug, episode in episodes.items():
        items = [
            [f"s{index}", _seconds(sentence.start), one_line(sentence.text)]
            for index, sentence in enumerate(episode_sentences(episode))
        ]
        title = episode.meta.title or slug
        pages.append(
            {"kind": "episode", "slug": slug, "title": title, "href": f"{slug}/index.html",
             "items": items}
        )
    for document in collection:
        items = [[block.id, None, one_line(block.text)] for block in document.blocks]
        pages.append(
            {"kind": "document", "title": document.title,
             "href": document_page_path(document), "items": items}
        )
    aliases = term_aliases(t.forms for e in episodes.values() for t in e.terms)
    index = {"version": 1, "pages": pages, "aliases": aliases}
    return json.dumps(index, ensure_ascii=False, separators=(",", ":")) + "\n"


def _seconds(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None


def render_search_page(
    episodes: Mapping[str, Episode], collection: Sequence[CollectionDocument]
) -> str:
    return render_template(
        "search.html.j2",
        root="",
        site_title=SITE_TITLE,
        page_title="検索",
        description="エピソードの文字起こしと資料を検索します",
        index=SEARCH_INDEX,
        sentence_count=sum(len(episode_sentences(e)) for e in episodes.values()),
        block_count=sum(len(d.blocks) for d in collection),
        scripts=[SEARCH_SCRIPT, SCRIPT],
    )
