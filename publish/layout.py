"""Names and labels of the site's layout, shared by every page."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from kikigaki.document import CollectionDocument, Episode
from kikigaki.errors import InputError, PublishError
from kikigaki.slugs import slugify
from publish.podcast import SiteInfo, is_http_url
from publish.sitedir import SITE_MARKER
from transcribe.readers.collection import EPISODE_PAGE, SLIDES
from transcribe.readers.site_collection import SITE_COLLECTION

SITE_TITLE = "聞き書き"
DOCS_DIR = "docs"
SCRIPT = "kikigaki.js"
SEARCH_PAGE = "search.html"
SEARCH_INDEX = "search-index.json"
SEARCH_SCRIPT = "search-index.js"  # the same index as a script: loads from file:// too
FEED = "feed.xml"
DEFAULT_BASE_URL = "http://localhost:8000/"  # kikigaki preview's address
SITE_DESCRIPTION = "ポッドキャストのショーノートと、その話題に関わる資料"
STATIC_FILES = ("style.css", SCRIPT, "favicon.svg")  # copied from the templates folder
RESERVED_SLUGS = frozenset({DOCS_DIR})
ROOT_FILES = frozenset(
    {"index.html", SEARCH_PAGE, SEARCH_INDEX, SEARCH_SCRIPT, FEED, SITE_MARKER, SITE_COLLECTION,
     *STATIC_FILES}
)
BASE_URL_LINE = "base-url: "
SHOW_IMAGE_LINE = "show-image: "
AUDIO_STEM = "audio"
AUDIO_SUFFIX = re.compile(r"^\.[a-z0-9]{1,8}$")
SENTENCES_PER_PARAGRAPH = 4
EXCERPT_CHARS = 90
TOP_RELATED = 3
EXCERPT_MIN_CHARS = 24
ROLE_LABELS = {"host": "ホスト", "guest": "ゲスト", "mentioned": "言及"}
KIND_LABELS = {"document": "文書", SLIDES: "スライド", EPISODE_PAGE: "配信ページ"}
KIND_ORDER = ("document", SLIDES, EPISODE_PAGE)
FILE_LABELS = {
    "transcript.txt": "文字起こし(テキスト、1行1文)",
    "transcript.json": "文字起こし(Podcasting 2.0 JSON)",
    "transcript.html": "文字起こし(HTML)",
    "episode.json": "エピソードの全データ(JSON)",
    "show-notes.md": "ショーノート(Markdown)",
    "captions.vtt": "字幕(WebVTT)",
    "captions.srt": "字幕(SubRip)",
    "chapters.json": "チャプター(Podcasting 2.0 JSON)",
    "diarization.rttm": "話者区間(RTTM)",
}
AUDIO_LABEL = "音声"
EXTERNAL_LINK = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)



def document_page_path(document: CollectionDocument) -> str:
    """The document's page, relative to the site root; PublishError for an unsafe href."""
    href = document.href.split("#", 1)[0]
    parts = PurePosixPath(href).parts
    safe = (
        href.endswith(".html")
        and not href.startswith(("/", "\\"))
        and ":" not in href
        and "\\" not in href
        and all(part not in ("", ".", "..") for part in parts)
        and href not in ROOT_FILES
    )
    if not safe:
        raise PublishError(
            document.source or document.doc_id,
            f"the document's page {document.href!r} is not a page inside the site",
            "give the document a plain file name",
        )
    return href




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


def previous_base_url(out_dir: Path) -> str:
    """The base URL the site in ``out_dir`` was published for, else the placeholder."""
    try:
        return site_base_url(previous_setting(out_dir, BASE_URL_LINE) or DEFAULT_BASE_URL)
    except InputError:
        return DEFAULT_BASE_URL


def previous_setting(out_dir: Path, line_start: str) -> str:
    """A setting the site in ``out_dir`` keeps in its marker file (its line's rest), or ""."""
    try:
        marker = (out_dir / SITE_MARKER).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
    for line in marker.splitlines():
        if line.startswith(line_start):
            return line.removeprefix(line_start).strip()
    return ""


def site_info(
    episodes: Iterable[Episode], base_url: str = DEFAULT_BASE_URL, *, image: str = ""
) -> SiteInfo:
    """The site as the feed presents it: titled by its show when every episode has the same
    one, with a podcast:guid only for a real address; its author the newest episode's
    hosts; ``image`` the show's artwork (a URL, or its file in the site)."""
    episodes = list(episodes)
    shows = {e.meta.show for e in episodes}
    title = shows.pop() if len(shows) == 1 and "" not in shows else SITE_TITLE
    base = site_base_url(base_url)
    hosts = next((e.meta.hosts for e in episodes if e.meta.hosts), [])
    artwork = image if not image or is_http_url(image) else base + image
    return SiteInfo(title, SITE_DESCRIPTION, base, guid=base != DEFAULT_BASE_URL,
                    image=artwork, author="、".join(hosts))


def episode_slug(episode: Episode) -> str:
    """The episode's folder in the site: its slug, episode id or title, made URL-safe."""
    meta = episode.meta
    slug = slugify(meta.slug or meta.episode_id or meta.title or "episode")
    return f"{slug}-episode" if slug in RESERVED_SLUGS else slug


