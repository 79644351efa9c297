"""The static site: show notes for each episode beside the collection's documents.

``publish_site(out, episodes, collection)`` renders the whole site in memory, writes it
into a staging folder and swaps that in for ``out`` (:func:`kikigaki.atomic.staged_directory`),
so a failure at any point raises :class:`PublishError` and leaves the previous site as it
was. Episodes a previous run published (``out/<slug>/episode.json``) are re-rendered too,
unless an episode of the same slug replaces them. Layout::

    index.html  style.css  .kikigaki-site
    docs/<doc_id>/index.html         each collection document, blocks anchored #b<n>
    <slug>/index.html                show notes, the transcript anchored #s<n>
    <slug>/transcript.txt            one sentence per line
    <slug>/transcript.json           Podcasting 2.0 transcript JSON
    <slug>/episode.json              the whole Episode
    <slug>/show-notes.md
    <slug>/captions.vtt …            timed files, for a timed transcript (flows.exports)

``transcript.json`` gives ``startTime``/``endTime`` only for sentences whose times are known
(a plain-text transcript has none), and ``speaker`` only when one is known.

The templates only lay out: everything they show is prepared here as a view model
(strings, anchors, relative links, the sentence pieces an annotation marks). Output is
deterministic: the same input gives byte-identical files.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import jinja2

from flows.collection import slugify
from flows.exports import timed_files
from flows.sitedir import SITE_MARKER, check_site_dir
from kikigaki.atomic import staged_directory
from kikigaki.document import (
    Annotation,
    CollectionDocument,
    DocumentBlock,
    Episode,
    Sentence,
    Term,
)
from kikigaki.errors import KikigakiError, PublishError
from kikigaki.resources import templates_dir

SITE_TITLE = "聞き書き"
DOCS_DIR = "docs"
_RESERVED_SLUGS = frozenset({DOCS_DIR})
_ROOT_FILES = frozenset({"index.html", "style.css", SITE_MARKER})
_SENTENCES_PER_PARAGRAPH = 4
_EXCERPT_CHARS = 90
_TOP_RELATED = 3
_EXCERPT_MIN_CHARS = 24
_ROLE_LABELS = {"host": "ホスト", "guest": "ゲスト", "mentioned": "言及"}
_KIND_LABELS = {"document": "資料"}
_FILE_LABELS = {
    "transcript.txt": "文字起こし(テキスト、1行1文)",
    "transcript.json": "文字起こし(Podcasting 2.0 JSON)",
    "episode.json": "エピソードの全データ(JSON)",
    "show-notes.md": "ショーノート(Markdown)",
    "captions.vtt": "字幕(WebVTT)",
    "captions.srt": "字幕(SubRip)",
    "chapters.json": "チャプター(Podcasting 2.0 JSON)",
    "diarization.rttm": "話者区間(RTTM)",
}
_EXTERNAL_LINK = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)


# --------------------------------------------------------------------------- the site


def publish_site(
    out_dir: Path, episodes: Sequence[Episode], collection: Sequence[CollectionDocument]
) -> Path:
    """Publish ``episodes`` (and those already in ``out_dir``) beside ``collection``.

    Returns ``out_dir / "index.html"``; raises PublishError, leaving the old site intact.
    """
    out_dir = Path(out_dir)
    check_site_dir(out_dir)
    try:
        site_episodes = _site_episodes(out_dir, episodes)
        files = render_site(site_episodes, collection)
        with staged_directory(out_dir) as staging:
            _write_files(staging, files)
    except KikigakiError:
        raise
    except Exception as error:
        raise PublishError(
            out_dir,
            f"the site could not be written ({type(error).__name__}: {error})",
            "the previous site is unchanged; fix the cause and publish again",
        ) from error
    return out_dir / "index.html"


def render_site(
    episodes: Sequence[Episode], collection: Sequence[CollectionDocument]
) -> dict[str, str]:
    """Every file of the site: relative path → content."""
    by_slug = _unique_by_slug(episodes)
    files: dict[str, str] = {SITE_MARKER: "kikigaki site\n"}
    files["style.css"] = (templates_dir() / "style.css").read_text(encoding="utf-8")
    for slug, episode in by_slug.items():
        for name, content in render_episode_files(episode, collection).items():
            files[f"{slug}/{name}"] = content
    for document in collection:
        page = _document_page_path(document)
        if page in files or page.split("/")[0] in by_slug:
            raise PublishError(
                document.source or document.doc_id,
                f"its page {page} clashes with another page of the site",
                "give the document another file name",
            )
        files[page] = render_document_page(document, list(by_slug.items()))
    files["index.html"] = _render_index(by_slug, collection)
    return files


def episode_slug(episode: Episode) -> str:
    """The episode's folder in the site: its slug, episode id or title, made URL-safe."""
    meta = episode.meta
    slug = slugify(meta.slug or meta.episode_id or meta.title or "episode")
    return f"{slug}-episode" if slug in _RESERVED_SLUGS else slug


def _unique_by_slug(episodes: Iterable[Episode]) -> dict[str, Episode]:
    """Episodes by slug (a later one replaces an earlier one), newest first."""
    by_slug: dict[str, Episode] = {}
    for episode in episodes:
        by_slug[episode_slug(episode)] = episode
    dated = sorted(
        (s for s in by_slug if by_slug[s].meta.date),
        key=lambda s: (by_slug[s].meta.date, s),
        reverse=True,
    )
    undated = sorted(s for s in by_slug if not by_slug[s].meta.date)
    return {slug: by_slug[slug] for slug in [*dated, *undated]}


def _site_episodes(out_dir: Path, episodes: Sequence[Episode]) -> list[Episode]:
    """The episodes already published in ``out_dir``, then ``episodes`` (which win)."""
    previous: list[Episode] = []
    if out_dir.is_dir() and (out_dir / SITE_MARKER).is_file():
        for path in sorted(out_dir.glob("*/episode.json")):
            try:
                previous.append(Episode.load(path))
            except (OSError, ValueError) as error:
                raise PublishError(
                    path,
                    f"a published episode cannot be read ({type(error).__name__})",
                    "fix or delete that episode's folder, then publish again",
                ) from error
    return [*previous, *episodes]


def _write_files(root: Path, files: dict[str, str]) -> None:
    for name in sorted(files):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files[name].encode("utf-8"))


def _document_page_path(document: CollectionDocument) -> str:
    """The document's page, relative to the site root; PublishError for an unsafe href."""
    href = document.href.split("#", 1)[0]
    parts = PurePosixPath(href).parts
    safe = (
        href.endswith(".html")
        and not href.startswith(("/", "\\"))
        and ":" not in href
        and "\\" not in href
        and all(part not in ("", ".", "..") for part in parts)
        and href not in _ROOT_FILES
    )
    if not safe:
        raise PublishError(
            document.source or document.doc_id,
            f"the document's page {document.href!r} is not a page inside the site",
            "give the document a plain file name",
        )
    return href


# --------------------------------------------------------------------------- templates


@functools.lru_cache(maxsize=4)
def _environment(folder: str, html: bool) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=None if html else _markdown_text,
    )


def _render(template: str, **context: object) -> str:
    html = template.endswith(".html.j2")
    environment = _environment(str(templates_dir()), html)
    return environment.get_template(template).render(**context)


class MarkdownRaw(str):
    """Text already written as Markdown (a link target): not escaped again."""


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>&#|!])")


def _markdown_text(value: object) -> str:
    """Data shown in Markdown as literal text: punctuation escaped, one line."""
    if isinstance(value, MarkdownRaw):
        return str(value)
    text = " ".join(str(value).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _markdown_url(href: str) -> MarkdownRaw:
    return MarkdownRaw(href.replace(" ", "%20").replace("(", "%28").replace(")", "%29"))


# --------------------------------------------------------------------------- episode view


@dataclass
class Piece:
    """A stretch of a sentence: plain, or marked by an annotation (a link for a term)."""

    text: str
    kind: str = ""
    label: str = ""
    href: str = ""


@dataclass
class SentenceView:
    id: str
    pieces: list[Piece]
    start: str = ""
    end: str = ""
    time: str = ""


@dataclass
class ParagraphView:
    speaker: str
    time: str
    anchor: str
    sentences: list[SentenceView]


@dataclass
class SectionView:
    id: str
    title: str
    time: str
    paragraphs: list[ParagraphView]


@dataclass
class ChapterView:
    number: int
    title: str
    summary: str
    time: str
    href: str
    keywords: str


@dataclass
class LinkView:
    title: str
    href: str
    snippet: str = ""

    @property
    def href_md(self) -> MarkdownRaw:
        return _markdown_url(self.href)


@dataclass
class TermView:
    id: str
    name: str
    definition: str
    external: str
    mentions: int
    first_href: str
    links: list[LinkView]

    @property
    def external_md(self) -> MarkdownRaw:
        return _markdown_url(self.external)


@dataclass
class PersonView:
    name: str
    role: str
    mentions: int


@dataclass
class RelatedView:
    title: str
    href: str
    score: str
    shared_terms: str

    @property
    def href_md(self) -> MarkdownRaw:
        return _markdown_url(self.href)


@dataclass
class EpisodeView:
    slug: str
    title: str
    show: str
    date: str
    episode_id: str
    hosts: str
    description: list[str]
    summary: list[str]
    chapters: list[ChapterView]
    people: list[PersonView]
    terms: list[TermView]
    related: list[RelatedView]
    transcript: list[SectionView]
    files: list[LinkView] = field(default_factory=list)
    sentence_count: int = 0

    @property
    def byline(self) -> str:
        return " · ".join(x for x in (self.show, self.episode_id, self.date) if x)


def render_episode_files(
    episode: Episode, collection: Sequence[CollectionDocument]
) -> dict[str, str]:
    """The files of one episode's folder (name → content), rendered for ``collection``."""
    files = {
        "transcript.txt": transcript_text(episode),
        "transcript.json": transcript_json(episode),
        "episode.json": episode.to_json() + "\n",
        **timed_files(episode),
    }
    view = episode_view(episode, collection, sorted([*files, "show-notes.md"]))
    files["show-notes.md"] = _render("show-notes.md.j2", episode=view, site_title=SITE_TITLE)
    files["index.html"] = _render(
        "episode.html.j2",
        episode=view,
        root="../",
        site_title=SITE_TITLE,
        page_title=view.title,
        description=" ".join(view.summary)[:160],
    )
    return files


def transcript_text(episode: Episode) -> str:
    return "".join(_one_line(s.text) + "\n" for s in _sentences(episode))


def transcript_json(episode: Episode) -> str:
    """Podcasting 2.0 transcript JSON; times and speaker only where they are known."""
    segments = []
    for sentence in _sentences(episode):
        segment: dict[str, object] = {}
        if sentence.speaker:
            segment["speaker"] = episode.speaker_name(sentence.speaker)
        if sentence.start is not None:
            segment["startTime"] = round(sentence.start, 3)
        if sentence.end is not None:
            segment["endTime"] = round(sentence.end, 3)
        segment["body"] = _one_line(sentence.text)
        segments.append(segment)
    document = {"version": "1.0.0", "segments": segments}
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def _sentences(episode: Episode) -> list[Sentence]:
    """The sentences; for an episode not yet split, its segments stand in."""
    if episode.sentences:
        return episode.sentences
    return [
        Sentence(text=s.text, start=s.start, end=s.end, speaker=s.speaker, segment=i)
        for i, s in enumerate(episode.segments)
    ]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def episode_view(
    episode: Episode, collection: Sequence[CollectionDocument], files: Sequence[str] = ()
) -> EpisodeView:
    meta = episode.meta
    pages = {doc.href.split("#", 1)[0] for doc in collection}
    terms = _term_views(episode.terms, len(_sentences(episode)), pages)
    return EpisodeView(
        slug=episode_slug(episode),
        title=meta.title or meta.slug or "無題のエピソード",
        show=meta.show,
        date=meta.date or "",
        episode_id=meta.episode_id,
        hosts="、".join(meta.hosts),
        description=[line for line in meta.description.split("\n") if line.strip()],
        summary=[s for s in episode.summary if s.strip()],
        chapters=_chapter_views(episode),
        people=[
            PersonView(p.name, _ROLE_LABELS.get(p.role, p.role), p.mentions) for p in episode.people
        ],
        terms=terms,
        related=_related_views(episode, pages),
        transcript=_transcript(episode, {t.name: t.id for t in terms}),
        files=[LinkView(_FILE_LABELS.get(name, name), name) for name in files],
        sentence_count=len(_sentences(episode)),
    )


def clock(seconds: float | None) -> str:
    """``12:34`` or ``1:02:03``; empty when unknown."""
    if seconds is None:
        return ""
    total = max(int(seconds), 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _chapter_views(episode: Episode) -> list[ChapterView]:
    sentences = _sentences(episode)
    views = []
    for number, chapter in enumerate(episode.chapters, start=1):
        first = min(max(chapter.first, 0), max(len(sentences) - 1, 0))
        start = chapter.start
        if start is None and first < len(sentences):
            start = sentences[first].start
        views.append(
            ChapterView(
                number=number,
                title=chapter.title,
                summary=chapter.summary,
                time=clock(start),
                href=f"#s{first}",
                keywords="、".join(chapter.keywords),
            )
        )
    return views


def _term_views(terms: Sequence[Term], sentence_count: int, pages: set[str]) -> list[TermView]:
    views = []
    for index, term in enumerate(terms):
        first = term.first_sentence
        links = [
            LinkView(link.title, "../" + link.href, link.snippet)
            for link in term.links
            if link.href.split("#", 1)[0] in pages
        ]
        views.append(
            TermView(
                id=f"t{index}",
                name=term.canonical,
                definition=term.definition,
                external=term.link if _EXTERNAL_LINK.match(term.link) else "",
                mentions=term.mentions,
                first_href=f"#s{first}"
                if first is not None and 0 <= first < sentence_count
                else "",
                links=links,
            )
        )
    return views


def _related_views(episode: Episode, pages: set[str]) -> list[RelatedView]:
    ranked = sorted(episode.related, key=lambda r: -r.score)
    return [
        RelatedView(
            title=r.title,
            href="../" + r.href if r.href.split("#", 1)[0] in pages else "",
            score=f"{r.score:.2f}",
            shared_terms="、".join(r.shared_terms),
        )
        for r in ranked
    ]


# --------------------------------------------------------------------------- transcript


def _transcript(episode: Episode, term_ids: dict[str, str]) -> list[SectionView]:
    sentences = _sentences(episode)
    marks = _annotations_by_sentence(episode.annotations)
    views = [_sentence_view(i, s, marks.get(i, []), term_ids) for i, s in enumerate(sentences)]
    sections = []
    for number, (first, end, chapter_index) in enumerate(_section_ranges(episode)):
        chapter = episode.chapters[chapter_index] if chapter_index is not None else None
        paragraphs = [
            ParagraphView(
                speaker=episode.speaker_name(speaker) if speaker else "",
                time=views[p_first].time,
                anchor=views[p_first].id,
                sentences=views[p_first:p_end],
            )
            for p_first, p_end, speaker in _paragraph_ranges(episode, first, end)
        ]
        sections.append(
            SectionView(
                id=f"c{chapter_index + 1}" if chapter_index is not None else f"part{number}",
                title=chapter.title if chapter else "",
                time=views[first].time if first < len(views) else "",
                paragraphs=paragraphs,
            )
        )
    return sections


def _sentence_view(
    index: int, sentence: Sentence, marks: list[Annotation], term_ids: dict[str, str]
) -> SentenceView:
    return SentenceView(
        id=f"s{index}",
        pieces=sentence_pieces(sentence.text, marks, term_ids),
        start=f"{sentence.start:.3f}" if sentence.start is not None else "",
        end=f"{sentence.end:.3f}" if sentence.end is not None else "",
        time=clock(sentence.start),
    )


def _annotations_by_sentence(annotations: Iterable[Annotation]) -> dict[int, list[Annotation]]:
    grouped: dict[int, list[Annotation]] = {}
    for annotation in annotations:
        grouped.setdefault(annotation.sentence, []).append(annotation)
    return grouped


def sentence_pieces(
    text: str, annotations: Sequence[Annotation], term_ids: dict[str, str]
) -> list[Piece]:
    """``text`` cut at its annotations; overlapping or out-of-range ones are dropped."""
    pieces: list[Piece] = []
    position = 0
    for mark in sorted(annotations, key=lambda a: (a.start, -a.end, a.label)):
        start, end = max(mark.start, 0), min(mark.end, len(text))
        if start < position or end <= start:
            continue
        if start > position:
            pieces.append(Piece(text[position:start]))
        term_id = term_ids.get(mark.label, "") if mark.kind == "term" else ""
        href = f"#{term_id}" if term_id else ""
        pieces.append(Piece(text[start:end], kind=mark.kind, label=mark.label, href=href))
        position = end
    if position < len(text) or not pieces:
        pieces.append(Piece(text[position:]))
    return pieces


def _section_ranges(episode: Episode) -> list[tuple[int, int, int | None]]:
    """Sentence ranges of the transcript's sections: the chapters, and any text before,
    between or after them as untitled sections."""
    count = len(_sentences(episode))
    ranges: list[tuple[int, int, int | None]] = []
    position = 0
    chapters = sorted(enumerate(episode.chapters), key=lambda c: (c[1].first, c[0]))
    for index, chapter in chapters:
        first, end = max(chapter.first, position), min(chapter.end, count)
        if end <= first:
            continue
        if first > position:
            ranges.append((position, first, None))
        ranges.append((first, end, index))
        position = end
    if position < count:
        ranges.append((position, count, None))
    return ranges


def _paragraph_ranges(episode: Episode, first: int, end: int) -> list[tuple[int, int, str | None]]:
    """Paragraphs of sentences ``first`` .. ``end - 1``: the episode's own, cut to the range;
    sentences outside any paragraph grouped by speaker, a few at a time."""
    sentences = _sentences(episode)
    owner: dict[int, tuple[int, str | None]] = {}
    for number, paragraph in enumerate(episode.paragraphs):
        for index in range(max(paragraph.first, first), min(paragraph.end, end)):
            owner.setdefault(index, (number, paragraph.speaker))
    ranges: list[tuple[int, int, str | None]] = []
    for index in range(first, end):
        key = owner.get(index)
        speaker = key[1] if key and key[1] else sentences[index].speaker
        if ranges and _continues(ranges[-1], index, key, speaker, owner):
            ranges[-1] = (ranges[-1][0], index + 1, ranges[-1][2])
        else:
            ranges.append((index, index + 1, speaker))
    return ranges


def _continues(
    last: tuple[int, int, str | None],
    index: int,
    key: tuple[int, str | None] | None,
    speaker: str | None,
    owner: dict[int, tuple[int, str | None]],
) -> bool:
    previous = owner.get(index - 1)
    if key is not None or previous is not None:
        return key is not None and previous is not None and key[0] == previous[0]
    return last[2] == speaker and index - last[0] < _SENTENCES_PER_PARAGRAPH


# --------------------------------------------------------------------------- documents


@dataclass
class BlockView:
    id: str
    kind: str
    text: str
    tag: str = ""
    items: list[BlockView] = field(default_factory=list)
    depth: int = 0


@dataclass
class BacklinkView:
    title: str
    href: str
    terms: list[LinkView]


def render_document_page(
    document: CollectionDocument, episodes: Sequence[tuple[str, Episode]]
) -> str:
    root = "../" * (len(PurePosixPath(_document_page_path(document)).parts) - 1)
    blocks = list(document.blocks)
    title_id = ""
    if blocks and blocks[0].kind == "heading" and blocks[0].text == document.title:
        title_id = blocks.pop(0).id  # the page title is that heading: keep its anchor
    return _render(
        "document.html.j2",
        root=root,
        site_title=SITE_TITLE,
        page_title=document.title,
        description=_excerpt(document.blocks),
        document=document,
        kind=_KIND_LABELS.get(document.kind, document.kind),
        date=document.date or "",
        title_id=title_id,
        blocks=block_views(blocks),
        backlinks=_backlinks(document, episodes, root),
    )


def block_views(blocks: Sequence[DocumentBlock]) -> list[BlockView]:
    """Blocks for the page; consecutive list items gathered into one list, the highest
    heading level shown as ``h2`` (the page title is the ``h1``)."""
    top = min((max(b.level, 1) for b in blocks if b.kind == "heading"), default=1)
    views: list[BlockView] = []
    for block in blocks:
        if block.kind == "list-item":
            item = BlockView(block.id, "item", block.text, depth=min(block.level, 4))
            if views and views[-1].kind == "list":
                views[-1].items.append(item)
            else:
                views.append(BlockView("", "list", "", items=[item]))
        elif block.kind == "heading":
            tag = f"h{min(max(block.level, 1) - top + 2, 6)}"
            views.append(BlockView(block.id, "heading", block.text, tag=tag))
        else:
            views.append(BlockView(block.id, block.kind, block.text))
    return views


def _backlinks(
    document: CollectionDocument, episodes: Sequence[tuple[str, Episode]], root: str
) -> list[BacklinkView]:
    page = document.href.split("#", 1)[0]
    backlinks = []
    for slug, episode in episodes:
        terms = [
            LinkView(term.canonical, f"{root}{slug}/index.html#t{index}")
            for index, term in enumerate(episode.terms)
            if any(link.href.split("#", 1)[0] == page for link in term.links)
        ]
        top = sorted(episode.related, key=lambda r: -r.score)[:_TOP_RELATED]
        if terms or any(r.href.split("#", 1)[0] == page for r in top):
            title = episode.meta.title or slug
            backlinks.append(BacklinkView(title, f"{root}{slug}/index.html", terms))
    return backlinks


def _excerpt(blocks: Sequence[DocumentBlock]) -> str:
    for block in blocks:
        if block.kind in ("paragraph", "list-item") and len(block.text) >= _EXCERPT_MIN_CHARS:
            text = _one_line(block.text)
            return text if len(text) <= _EXCERPT_CHARS else text[:_EXCERPT_CHARS] + "…"
    return ""


# --------------------------------------------------------------------------- index


@dataclass
class EntryView:
    title: str
    href: str
    date: str
    meta: str
    excerpt: str


def _render_index(episodes: dict[str, Episode], collection: Sequence[CollectionDocument]) -> str:
    episode_entries = [
        EntryView(
            title=e.meta.title or slug,
            href=f"{slug}/index.html",
            date=e.meta.date or "",
            meta=" · ".join(x for x in (e.meta.show, e.meta.episode_id) if x),
            excerpt=_episode_excerpt(e),
        )
        for slug, e in episodes.items()
    ]
    document_entries = [
        EntryView(
            title=d.title,
            href=_document_page_path(d),
            date=d.date or "",
            meta=_KIND_LABELS.get(d.kind, d.kind),
            excerpt=_excerpt(d.blocks),
        )
        for d in collection
    ]
    return _render(
        "index.html.j2",
        root="",
        site_title=SITE_TITLE,
        page_title=SITE_TITLE,
        description="ポッドキャストのショーノートと資料の一覧",
        episodes=episode_entries,
        documents=document_entries,
    )


def _episode_excerpt(episode: Episode) -> str:
    text = episode.summary[0] if episode.summary else episode.meta.description
    text = _one_line(text)
    return text if len(text) <= _EXCERPT_CHARS else text[:_EXCERPT_CHARS] + "…"
