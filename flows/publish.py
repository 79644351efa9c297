"""The static site: show notes for each episode beside the collection's documents.

``publish_site(out, episodes, collection)`` renders the whole site in memory, writes it
into a staging folder and swaps that in for ``out`` (:func:`kikigaki.atomic.staged_directory`),
so a failure at any point raises :class:`PublishError` and leaves the previous site as it
was. Episodes a previous run published (``out/<slug>/episode.json``) are re-rendered too,
unless an episode of the same slug replaces them. Layout::

    index.html  style.css  kikigaki.js  favicon.svg  .kikigaki-site
    feed.xml                         RSS 2.0 + Podcasting 2.0 feed of the episodes
    search.html                      site-wide search over every sentence and block
    search-index.js  search-index.json   its index (the script works from file:// too)
    docs/<doc_id>/index.html         each collection document, blocks anchored #b<n>
    <slug>/index.html                show notes, the transcript anchored #s<n>
    <slug>/audio.<ext>               the episode's audio, when it has one (a player page)
    <slug>/transcript.txt            one sentence per line
    <slug>/transcript.json           Podcasting 2.0 transcript JSON
    <slug>/episode.json              the whole Episode
    <slug>/show-notes.md
    <slug>/captions.vtt …            timed files, for a timed transcript (flows.exports)

``transcript.json`` gives ``startTime``/``endTime`` only for sentences whose times are known
(a plain-text transcript has none), and ``speaker`` only when one is known.

An episode whose ``meta.audio`` names a readable file (or whose earlier copy is still in
the site) gets the file copied beside its page and an ``<audio>`` player whose chapters
and sentence times seek it (``kikigaki.js``); an unchanged file is hard-linked from the
previous site instead of copied again. Pages work without JavaScript: the script only
enhances links and forms that are already there (the player, the search within a
transcript, the site-wide search), and only episode pages and the search page load it.

Feeds need absolute links: ``base_url`` is where the site will be served
(``--base-url``). Without one, the last one used for this site (kept in its marker file)
or the placeholder :data:`DEFAULT_BASE_URL` is used: ``python3 -m http.server -d site``
serves the site there. Each episode page carries its schema.org ``PodcastEpisode`` as
JSON-LD (see :mod:`flows.exports`) and every page links the feed.

A document page shows its blocks as recovered (:mod:`flows.collection`): headings, lists
nested as written, http(s) URLs as links, a table of contents when it has several
sections, and the episodes that point into it (listed at the top with the terms and the
blocks they point to, and a ``↩`` link beside each such block). The index lists the
episodes, then the documents grouped by kind, with their dates.

The templates only lay out: everything they show is prepared here as a view model
(strings, anchors, relative links, the sentence pieces an annotation marks). Output is
deterministic: the same input gives byte-identical files.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup

from flows.collection import EPISODE_PAGE, SLIDES, slugify
from flows.exports import (
    PublishedEpisode,
    SiteInfo,
    episode_schema,
    rss_feed,
    script_json,
    timed_files,
)
from flows.sitedir import SITE_MARKER, check_site_dir
from kikigaki.atomic import exclusive, staged_directory
from kikigaki.document import (
    Annotation,
    CollectionDocument,
    DocumentBlock,
    Episode,
    Sentence,
    Term,
    TermLink,
)
from kikigaki.errors import InputError, KikigakiError, PublishError
from kikigaki.resources import templates_dir

SITE_TITLE = "聞き書き"
DOCS_DIR = "docs"
SCRIPT = "kikigaki.js"
SEARCH_PAGE = "search.html"
SEARCH_INDEX = "search-index.json"
SEARCH_SCRIPT = "search-index.js"  # the same index as a script: loads from file:// too
FEED = "feed.xml"
DEFAULT_BASE_URL = "http://localhost:8000/"  # python3 -m http.server's address
SITE_DESCRIPTION = "ポッドキャストのショーノートと、その話題に関わる資料"
_STATIC_FILES = ("style.css", SCRIPT, "favicon.svg")  # copied from the templates folder
_RESERVED_SLUGS = frozenset({DOCS_DIR})
_ROOT_FILES = frozenset(
    {"index.html", SEARCH_PAGE, SEARCH_INDEX, SEARCH_SCRIPT, FEED, SITE_MARKER, *_STATIC_FILES}
)
_BASE_URL_LINE = "base-url: "
_AUDIO_STEM = "audio"
_AUDIO_SUFFIX = re.compile(r"^\.[a-z0-9]{1,8}$")
_SENTENCES_PER_PARAGRAPH = 4
_EXCERPT_CHARS = 90
_TOP_RELATED = 3
_EXCERPT_MIN_CHARS = 24
_ROLE_LABELS = {"host": "ホスト", "guest": "ゲスト", "mentioned": "言及"}
_KIND_LABELS = {"document": "資料", SLIDES: "スライド", EPISODE_PAGE: "配信ページ"}
_KIND_ORDER = ("document", SLIDES, EPISODE_PAGE)
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
_AUDIO_LABEL = "音声"
_EXTERNAL_LINK = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)


# --------------------------------------------------------------------------- the site


def publish_site(
    out_dir: Path,
    episodes: Sequence[Episode],
    collection: Sequence[CollectionDocument],
    base_url: str | None = None,
) -> Path:
    """Publish ``episodes`` (and those already in ``out_dir``) beside ``collection``, for
    a site served at ``base_url`` (default: the last one this site used, else
    :data:`DEFAULT_BASE_URL`).

    Returns ``out_dir / "index.html"``; raises PublishError, leaving the old site intact
    (InputError for a base URL that is not an absolute http(s) URL).
    """
    out_dir = Path(out_dir)
    check_site_dir(out_dir)
    with exclusive(out_dir):  # another run's episodes must not be lost between read and swap
        return _publish(out_dir, episodes, collection, base_url)


def _publish(
    out_dir: Path,
    episodes: Sequence[Episode],
    collection: Sequence[CollectionDocument],
    base_url: str | None,
) -> Path:
    base = site_base_url(base_url) if base_url else _previous_base_url(out_dir)
    try:
        site_episodes = _site_episodes(out_dir, episodes)
        audio = _audio_sources(out_dir, _unique_by_slug(site_episodes))
        files = render_site(
            site_episodes,
            collection,
            {s: a.name for s, a in audio.items()},
            base_url=base,
            audio_bytes={s: a.path.stat().st_size for s, a in audio.items()},
        )
        with staged_directory(out_dir) as staging:
            _write_files(staging, files)
            for slug, source in audio.items():
                _place_audio(source, staging / slug / source.name, out_dir / slug / source.name)
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
    episodes: Sequence[Episode],
    collection: Sequence[CollectionDocument],
    audio: Mapping[str, str] | None = None,
    *,
    base_url: str = DEFAULT_BASE_URL,
    audio_bytes: Mapping[str, int] | None = None,
) -> dict[str, str]:
    """Every text file of the site: relative path → content. ``audio`` names the audio
    file published beside each episode that has one (slug → file name), ``audio_bytes``
    its size; ``base_url`` is where the site is served (for the feed)."""
    by_slug = _unique_by_slug(episodes)
    audio = audio or {}
    audio_bytes = audio_bytes or {}
    site = site_info(by_slug.values(), base_url)
    files: dict[str, str] = {SITE_MARKER: f"kikigaki site\n{_BASE_URL_LINE}{site.base_url}\n"}
    for name in _STATIC_FILES:
        files[name] = (templates_dir() / name).read_text(encoding="utf-8")
    published: list[PublishedEpisode] = []
    for slug, episode in by_slug.items():
        name, size = audio.get(slug, ""), audio_bytes.get(slug, 0)
        rendered = render_episode_files(episode, collection, name, site=site, audio_bytes=size)
        for file_name, content in rendered.items():
            files[f"{slug}/{file_name}"] = content
        published.append(PublishedEpisode(slug, episode, frozenset(rendered), name, size))
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
    files[SEARCH_INDEX] = search_index(by_slug, collection)
    files[SEARCH_SCRIPT] = search_script(files[SEARCH_INDEX])
    files[SEARCH_PAGE] = _render_search_page(by_slug, collection)
    files[FEED] = rss_feed(site, published)
    return files


# --------------------------------------------------------------------------- base URL


def site_base_url(value: str) -> str:
    """``value`` as the site's base URL (an absolute http(s) URL ending with ``/``);
    InputError for anything else."""
    text = value.strip()
    parts = urlsplit(text)
    problem = ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        problem = "is not an absolute http:// or https:// URL"
    elif parts.query or parts.fragment or re.search(r"[\s<>\"'\\]", text):
        problem = "has a query, a fragment or characters a URL cannot hold"
    if problem:
        raise InputError(
            f"--base-url {value!r}",
            problem,
            "give where the site will be served, e.g. https://example.com/podcast/",
        )
    return text if text.endswith("/") else text + "/"


def _previous_base_url(out_dir: Path) -> str:
    """The base URL the site in ``out_dir`` was published for, else the placeholder."""
    try:
        marker = (out_dir / SITE_MARKER).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return DEFAULT_BASE_URL
    for line in marker.splitlines():
        if line.startswith(_BASE_URL_LINE):
            try:
                return site_base_url(line.removeprefix(_BASE_URL_LINE))
            except InputError:
                break
    return DEFAULT_BASE_URL


def site_info(episodes: Iterable[Episode], base_url: str = DEFAULT_BASE_URL) -> SiteInfo:
    """The site as the feed presents it: titled by its show when every episode has the same
    one, with a podcast:guid only for a real address."""
    shows = {e.meta.show for e in episodes}
    title = shows.pop() if len(shows) == 1 and "" not in shows else SITE_TITLE
    base = site_base_url(base_url)
    return SiteInfo(title, SITE_DESCRIPTION, base, guid=base != DEFAULT_BASE_URL)


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


# --------------------------------------------------------------------------- audio


@dataclass(frozen=True)
class AudioSource:
    """The file to publish as ``name`` in an episode's folder."""

    path: Path
    name: str


def audio_file_name(audio: str) -> str:
    """``audio.<ext>`` for the episode's audio file, keeping a plain extension."""
    suffix = PurePosixPath(audio.replace("\\", "/")).suffix.lower()
    return _AUDIO_STEM + (suffix if _AUDIO_SUFFIX.match(suffix) else "")


def _audio_sources(out_dir: Path, episodes: Mapping[str, Episode]) -> dict[str, AudioSource]:
    """Where each episode's audio comes from: ``meta.audio`` when that file is there, else
    the copy an earlier publish left in the site. An episode with neither gets no player."""
    sources: dict[str, AudioSource] = {}
    for slug, episode in episodes.items():
        if not episode.meta.audio:
            continue
        name = audio_file_name(episode.meta.audio)
        for candidate in (Path(episode.meta.audio), out_dir / slug / name):
            if candidate.is_file():
                sources[slug] = AudioSource(candidate, name)
                break
    return sources


def _place_audio(source: AudioSource, destination: Path, previous: Path) -> None:
    """Copy ``source`` to ``destination``, or hard-link the previous site's copy when it is
    the same file (same size and modification time, which the copy preserves)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    if _unchanged(source.path, previous):
        try:
            os.link(previous, destination)
            return
        except OSError:
            pass  # a file system without hard links: copy instead
    shutil.copy2(source.path, destination)


def _unchanged(source: Path, previous: Path) -> bool:
    if not previous.is_file():
        return False
    if os.path.samefile(source, previous):
        return True
    mine, theirs = source.stat(), previous.stat()
    return mine.st_size == theirs.st_size and mine.st_mtime_ns == theirs.st_mtime_ns


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
    if html:
        context.setdefault("scripts", ())
        context.setdefault("json_ld", "")
        context.setdefault("feed", FEED)
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
class ResourceView:
    """A resource the episode mentions (a link when its address is known)."""

    title: str
    href: str
    kind: str

    @property
    def href_md(self) -> MarkdownRaw:
        return _markdown_url(self.href)


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
    other_forms: str = ""  # the transcript's other writings: ディフュージョンモデル
    forms: list[str] = field(default_factory=list)

    @property
    def external_md(self) -> MarkdownRaw:
        return _markdown_url(self.external)


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
    player: PlayerView | None = None
    theme: str = ""

    @property
    def byline(self) -> str:
        return " · ".join(x for x in (self.show, self.episode_id, self.date) if x)

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
            merged.setdefault(unique[0].lower(), [])
            merged[unique[0].lower()] = list(dict.fromkeys([*merged[unique[0].lower()], *unique]))
    return [merged[k] for k in sorted(merged)]


def render_episode_files(
    episode: Episode,
    collection: Sequence[CollectionDocument],
    audio: str = "",
    *,
    site: SiteInfo | None = None,
    audio_bytes: int = 0,
) -> dict[str, str]:
    """The text files of one episode's folder (name → content), rendered for
    ``collection``; ``audio`` is the name of its audio file in that folder, if any (of
    ``audio_bytes`` bytes), ``site`` the site it is published in (for its JSON-LD)."""
    files = {
        "transcript.txt": transcript_text(episode),
        "transcript.json": transcript_json(episode),
        "episode.json": episode.to_json() + "\n",
        **timed_files(episode),
    }
    listed = sorted([*files, "show-notes.md", *([audio] if audio else [])])
    view = episode_view(episode, collection, listed)
    if audio:
        captions = "captions.vtt" if "captions.vtt" in files else ""
        view.player = PlayerView(src=audio, captions=captions)
    files["show-notes.md"] = _render("show-notes.md.j2", episode=view, site_title=SITE_TITLE)
    site = site or site_info([episode])
    published = PublishedEpisode(
        view.slug, episode, frozenset([*files, "index.html"]), audio, audio_bytes
    )
    files["index.html"] = _render(
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
        theme=episode.theme or "".join(episode.summary),
        chapters=_chapter_views(episode),
        people=[
            PersonView(p.name, _ROLE_LABELS.get(p.role, p.role), p.mentions, p.note)
            for p in episode.people
        ],
        terms=terms,
        related=_related_views(episode, pages),
        transcript=_transcript(episode, {t.name: t.id for t in terms}),
        files=[LinkView(_file_label(name), name) for name in files],
        sentence_count=len(_sentences(episode)),
    )


def _file_label(name: str) -> str:
    if name.startswith(_AUDIO_STEM + ".") or name == _AUDIO_STEM:
        return _AUDIO_LABEL
    return _FILE_LABELS.get(name, name)


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
                seek=f"{start:.3f}" if start is not None else "",
                links=[
                    ResourceView(link.title, link.url if _EXTERNAL_LINK.match(link.url) else "",
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
                external=term.link if _EXTERNAL_LINK.match(term.link) else "",
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


@dataclass
class BacklinkView:
    title: str
    href: str
    date: str
    terms: list[BacklinkTerm]
    related: str = ""  # the relatedness score, when the document is among the top


def linked_pieces(text: str) -> list[Piece]:
    """``text`` cut around the http(s) URLs written in it, which become links."""
    pieces: list[Piece] = []
    position = 0
    for match in _URL_IN_TEXT.finditer(text):
        url = _trim_url(match.group(0))
        if not _EXTERNAL_LINK.match(url) or not urlsplit(url).netloc:
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
    root = "../" * (len(PurePosixPath(_document_page_path(document)).parts) - 1)
    blocks = list(document.blocks)
    title_id = ""
    if blocks and blocks[0].kind == "heading" and blocks[0].text == document.title:
        title_id = blocks.pop(0).id  # the page title is that heading: keep its anchor
    backlinks = _backlinks(document, episodes, root)
    views = block_views(blocks, _block_refs(backlinks))
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
        blocks=views,
        contents=_contents(views),
        backlinks=backlinks,
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
    block_ids = {block.id for block in document.blocks}
    backlinks = []
    for slug, episode in episodes:
        notes = f"{root}{slug}/index.html"
        terms = [
            BacklinkTerm(term.canonical, f"{notes}#t{index}", anchor)
            for index, term in enumerate(episode.terms)
            for anchor in _anchors_into(term.links, page, block_ids)
        ]
        top = sorted(episode.related, key=lambda r: -r.score)[:_TOP_RELATED]
        related = next((r for r in top if r.href.split("#", 1)[0] == page), None)
        if terms or related:
            backlinks.append(
                BacklinkView(
                    title=episode.meta.title or slug,
                    href=notes,
                    date=episode.meta.date or "",
                    terms=terms,
                    related=f"{related.score:.2f}" if related else "",
                )
            )
    return backlinks


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


@dataclass
class GroupView:
    id: str
    label: str
    entries: list[EntryView]


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
    return _render(
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
        key=lambda k: (_KIND_ORDER.index(k) if k in _KIND_ORDER else len(_KIND_ORDER), k),
    )
    groups = []
    for number, kind in enumerate(kinds):
        members = [d for d in collection if d.kind == kind]
        dated = sorted((d for d in members if d.date), key=lambda d: d.date or "", reverse=True)
        entries = [
            EntryView(
                title=d.title,
                href=_document_page_path(d),
                date=d.date or "",
                meta=_KIND_LABELS.get(d.kind, d.kind),
                excerpt=_excerpt(d.blocks),
            )
            for d in [*dated, *(d for d in members if not d.date)]
        ]
        groups.append(GroupView(f"documents-{number}", _KIND_LABELS.get(kind, kind), entries))
    return groups


def _episode_excerpt(episode: Episode) -> str:
    text = episode.summary[0] if episode.summary else episode.meta.description
    text = _one_line(text)
    return text if len(text) <= _EXCERPT_CHARS else text[:_EXCERPT_CHARS] + "…"


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
            [f"s{index}", _seconds(sentence.start), _one_line(sentence.text)]
            for index, sentence in enumerate(_sentences(episode))
        ]
        title = episode.meta.title or slug
        pages.append(
            {"kind": "episode", "slug": slug, "title": title, "href": f"{slug}/index.html",
             "items": items}
        )
    for document in collection:
        items = [[block.id, None, _one_line(block.text)] for block in document.blocks]
        pages.append(
            {"kind": "document", "title": document.title,
             "href": _document_page_path(document), "items": items}
        )
    aliases = term_aliases(t.forms for e in episodes.values() for t in e.terms)
    index = {"version": 1, "pages": pages, "aliases": aliases}
    return json.dumps(index, ensure_ascii=False, separators=(",", ":")) + "\n"


def _seconds(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None


def _render_search_page(
    episodes: Mapping[str, Episode], collection: Sequence[CollectionDocument]
) -> str:
    return _render(
        "search.html.j2",
        root="",
        site_title=SITE_TITLE,
        page_title="検索",
        description="エピソードの文字起こしと資料を検索します",
        index=SEARCH_INDEX,
        sentence_count=sum(len(_sentences(e)) for e in episodes.values()),
        block_count=sum(len(d.blocks) for d in collection),
        scripts=[SEARCH_SCRIPT, SCRIPT],
    )
