"""An episode's folder: its show-notes page, transcript files and timed files.

The templates only lay out: everything they show is prepared here as a view model
(strings, anchors, relative links, the sentence pieces an annotation marks)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from markupsafe import Markup

from kikigaki.document import Annotation, CollectionDocument, Episode, Sentence, Term
from publish.captions import timed_files
from publish.layout import (
    AUDIO_LABEL,
    AUDIO_STEM,
    EXTERNAL_LINK,
    FILE_LABELS,
    ROLE_LABELS,
    SCRIPT,
    SITE_TITLE,
    episode_slug,
    site_info,
)
from publish.podcast import PublishedEpisode, SiteInfo, is_http_url
from publish.schema_org import episode_schema, script_json
from publish.templating import MarkdownRaw, markdown_url, render_template
from publish.transcripts import fully_timed, transcript_html, transcript_json, transcript_text
from publish.views import LinkView, Piece, clock, episode_sentences, paragraph_ranges

# --------------------------------------------------------------------------- episode view


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
class ResourceView:
    """A resource the episode mentions (a link when its address is known)."""

    title: str
    href: str
    kind: str

    @property
    def href_md(self) -> MarkdownRaw:
        return markdown_url(self.href)


@dataclass
class ChapterView:
    number: int
    title: str
    summary: str
    time: str
    href: str
    keywords: str
    seek: str = ""  # the start in seconds, for the player
    links: list[ResourceView] = field(default_factory=list)


@dataclass
class PlayerView:
    src: str
    captions: str = ""


@dataclass
class TermView:
    id: str
    name: str
    definition: str
    external: str
    mentions: int
    first_href: str
    links: list[LinkView]
    other_forms: str = ""  # the transcript's other writings: ディフュージョンモデル
    forms: list[str] = field(default_factory=list)

    @property
    def external_md(self) -> MarkdownRaw:
        return markdown_url(self.external)


@dataclass
class PersonView:
    name: str
    role: str
    mentions: int
    note: str = ""


@dataclass
class RelatedView:
    title: str
    href: str
    score: str
    shared_terms: str

    @property
    def href_md(self) -> MarkdownRaw:
        return markdown_url(self.href)


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
    player: PlayerView | None = None
    theme: str = ""
    length: str = ""  # the duration (timed) or the reading time (untimed)
    date_note: str = ""  # how the date was found, when it is only an estimate
    language: str = "ja"
    language_note: str = ""  # the stages left out for another language
    audio_url: str = ""  # the audio at its host, when the site has no copy

    @property
    def byline(self) -> str:
        return " · ".join(x for x in (self.show, self.episode_id, self.date) if x)

    @property
    def captions_language(self) -> str:
        return self.language.split("-")[0]

    @property
    def aliases_json(self) -> str:
        """The forms of each key term, for the page search to match every one."""
        return json.dumps(term_aliases([t.forms for t in self.terms]), ensure_ascii=False)


def term_aliases(groups: Iterable[Sequence[str]]) -> list[list[str]]:
    """Groups of two or more writings of one term (拡散モデル, ディフュージョンモデル)."""
    merged: dict[str, list[str]] = {}
    for forms in groups:
        unique = list(dict.fromkeys(f for f in forms if f.strip()))
        if len(unique) > 1:
            key = unique[0].lower()
            merged[key] = list(dict.fromkeys([*merged.get(key, []), *unique]))
    return [merged[k] for k in sorted(merged)]


def render_episode_files(
    episode: Episode,
    collection: Sequence[CollectionDocument],
    audio: str = "",
    *,
    site: SiteInfo | None = None,
    audio_bytes: int = 0,
    cover: str = "",
) -> dict[str, str]:
    """The text files of one episode's folder (name → content), rendered for
    ``collection``; ``audio`` is the name of its audio file in that folder, if any (of
    ``audio_bytes`` bytes), ``cover`` its artwork's, ``site`` the site it is published in
    (for its JSON-LD)."""
    files = {
        "transcript.txt": transcript_text(episode),
        "transcript.html": transcript_html(episode),
        "episode.json": episode.to_json() + "\n",
        **timed_files(episode),
    }
    if fully_timed(episode):
        files["transcript.json"] = transcript_json(episode)
    listed = sorted([*files, "show-notes.md", *([audio] if audio else [])])
    view = episode_view(episode, collection, listed)
    if audio:
        captions = "captions.vtt" if "captions.vtt" in files else ""
        view.player = PlayerView(src=audio, captions=captions)
    elif is_http_url(episode.meta.audio):
        view.audio_url = str(episode.meta.audio)
    files["show-notes.md"] = render_template(
        "show-notes.md.j2", episode=view, site_title=SITE_TITLE
    )
    site = site or site_info([episode])
    published = PublishedEpisode(
        view.slug, episode, frozenset([*files, "index.html"]), audio, audio_bytes, cover
    )
    files["index.html"] = render_template(
        "episode.html.j2",
        episode=view,
        root="../",
        site_title=SITE_TITLE,
        page_title=view.title,
        description=(view.theme or " ".join(view.summary))[:160],
        scripts=[SCRIPT],
        json_ld=Markup(script_json(episode_schema(site, published))),
    )
    return files


def episode_view(
    episode: Episode, collection: Sequence[CollectionDocument], files: Sequence[str] = ()
) -> EpisodeView:
    meta = episode.meta
    pages = {doc.href.split("#", 1)[0] for doc in collection}
    terms = _term_views(episode.terms, len(episode_sentences(episode)), pages)
    return EpisodeView(
        slug=episode_slug(episode),
        title=meta.title or meta.slug or "無題のエピソード",
        show=meta.show,
        date=meta.date or "",
        episode_id=meta.episode_id,
        hosts="、".join(meta.hosts),
        description=[line for line in meta.description.split("\n") if line.strip()],
        summary=[s for s in episode.summary if s.strip()],
        theme=episode.theme or "".join(episode.summary),
        chapters=_chapter_views(episode),
        people=[
            PersonView(p.name, ROLE_LABELS.get(p.role, p.role), p.mentions, p.note)
            for p in episode.people
        ],
        terms=terms,
        related=_related_views(episode, pages),
        transcript=_transcript(episode, {t.name: t.id for t in terms}),
        files=[LinkView(_file_label(name), name) for name in files],
        sentence_count=len(episode_sentences(episode)),
        length=_length(episode),
        date_note="ファイルの更新日" if meta.date_source == "file-modified" else "",
        language=meta.language or "ja",
        language_note=_language_note(episode),
    )


_READING_CHARS_PER_MINUTE = 500  # a Japanese reader's pace, roughly
_STAGE_LABELS = {"fillers": "フィラーの除去", "terms": "用語の補正", "sentences": "句読点モデル",
                 "topics": "日本語の章題"}


def _length(episode: Episode) -> str:
    if episode.meta.duration:
        return f"再生時間 {clock(episode.meta.duration)}"
    characters = sum(len(s.text) for s in episode_sentences(episode))
    if not characters:
        return ""
    return f"約{max(1, round(characters / _READING_CHARS_PER_MINUTE))}分で読めます"


def _language_note(episode: Episode) -> str:
    if not episode.skipped_stages:
        return ""
    from transcribe.languages import language_name

    stages = "、".join(_STAGE_LABELS.get(s, s) for s in episode.skipped_stages)
    return (f"この回は{language_name(episode.meta.language)}（{episode.meta.language}）のため、"
            f"日本語専用の処理（{stages}）は行わず、Whisper の句読点と、言語によらない"
            "章分けを使っています。")


def _file_label(name: str) -> str:
    if name.startswith(AUDIO_STEM + ".") or name == AUDIO_STEM:
        return AUDIO_LABEL
    return FILE_LABELS.get(name, name)


def _chapter_views(episode: Episode) -> list[ChapterView]:
    sentences = episode_sentences(episode)
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
                seek=f"{start:.3f}" if start is not None else "",
                links=[
                    ResourceView(link.title, link.url if EXTERNAL_LINK.match(link.url) else "",
                                 link.kind)
                    for link in episode.links
                    if (link.chapter if link.chapter is not None else 0) == number - 1
                ],
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
                external=term.link if EXTERNAL_LINK.match(term.link) else "",
                mentions=term.mentions,
                first_href=f"#s{first}"
                if first is not None and 0 <= first < sentence_count
                else "",
                links=links,
                other_forms="、".join(f for f in term.forms if f != term.canonical),
                forms=list(dict.fromkeys([term.canonical, *term.forms])),
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
        if r.score > 0
    ]


# --------------------------------------------------------------------------- transcript


def _transcript(episode: Episode, term_ids: dict[str, str]) -> list[SectionView]:
    sentences = episode_sentences(episode)
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
            for p_first, p_end, speaker in paragraph_ranges(episode, first, end)
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
    count = len(episode_sentences(episode))
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
