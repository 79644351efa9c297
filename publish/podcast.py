"""What the feed and the structured data say of the site and of each episode.

Both need absolute links, so both work from :class:`SiteInfo` (the base URL) and a
:class:`PublishedEpisode` (the episode, its folder and the files in it). The facts they
share are decided here once: the audio's address, the artwork's, the publication date,
the episode and season numbers, the people on the episode, the transcripts offered.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from kikigaki.document import Episode

AUDIO_TYPES = {
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".mp4": "audio/mp4",
    ".aac": "audio/aac",
    ".wav": "audio/wav",
    ".flac": "audio/flac",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".webm": "audio/webm",
}
IMAGE_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
_HTTP_URL = re.compile(r"^https?://[^\s<>\"'\\]+$", re.IGNORECASE)


@dataclass(frozen=True)
class SiteInfo:
    """The site as feeds see it: ``base_url`` is absolute and ends with ``/``."""

    title: str
    description: str
    base_url: str
    language: str = "ja"
    guid: bool = False  # give the channel a podcast:guid (only for a real base URL)
    image: str = ""  # the show's artwork: an absolute URL
    author: str = ""  # who makes the show: the hosts, else the show's name
    explicit: bool = False

    @property
    def feed_url(self) -> str:
        return self.base_url + "feed.xml"

    @property
    def series_id(self) -> str:
        """The show's ``@id`` in structured data."""
        return self.base_url + "#series"


@dataclass(frozen=True)
class PublishedEpisode:
    """An episode as published: its folder ``slug`` and the files in it."""

    slug: str
    episode: Episode
    files: frozenset[str] = field(default_factory=frozenset)
    audio: str = ""  # the audio file's name in the folder, when the site has a copy
    audio_bytes: int = 0
    cover: str = ""  # the artwork's file name in the folder, when the site has a copy

    def url(self, site: SiteInfo, name: str = "index.html") -> str:
        return f"{site.base_url}{self.slug}/{name}"


def is_http_url(value: str | None) -> bool:
    return bool(value) and bool(_HTTP_URL.match(value or ""))


def audio_type(name: str) -> str:
    return AUDIO_TYPES.get(_suffix(name), "application/octet-stream")


def image_type(name: str) -> str:
    return IMAGE_TYPES.get(_suffix(name), "")


def _suffix(name: str) -> str:
    path = name.split("?", 1)[0].split("#", 1)[0]
    tail = path.rsplit("/", 1)[-1]
    return tail[tail.rfind(".") :].lower() if "." in tail else ""


def audio_link(site: SiteInfo, published: PublishedEpisode) -> tuple[str, int] | None:
    """(URL, bytes) of the episode's audio: the site's copy, else the address the episode
    names (a host's page that links its audio; size unknown, 0); None when unknown."""
    if published.audio:
        return published.url(site, published.audio), published.audio_bytes
    audio = published.episode.meta.audio
    if is_http_url(audio):
        return str(audio), 0
    return None


def cover_link(site: SiteInfo, published: PublishedEpisode) -> str:
    """The episode's artwork: the site's copy, else its URL; "" when it has none."""
    if published.cover:
        return published.url(site, published.cover)
    image = published.episode.meta.image
    return str(image) if is_http_url(image) else ""


def publication_date(episode: Episode) -> dt.date:
    """The episode's date; undated, its source file's modification day, else today (UTC):
    a feed item needs one."""
    if episode.meta.date:
        try:
            return dt.date.fromisoformat(episode.meta.date)
        except ValueError:
            pass
    try:
        stamp = Path(episode.meta.source).stat().st_mtime if episode.meta.source else None
    except OSError:
        stamp = None
    moment = dt.datetime.fromtimestamp(stamp, dt.UTC) if stamp else dt.datetime.now(dt.UTC)
    return moment.date()


_SEASON_EPISODE = re.compile(r"^S(\d{1,4})\s*E(\d{1,5})\b", re.IGNORECASE)
_EPISODE_ONLY = re.compile(
    r"^(?:#|Ep(?:isode)?\.?\s*|Vol\.?\s*|第\s*)(\d{1,5})\s*(?:[回話]|\b|$)", re.IGNORECASE
)


def episode_numbers(episode_id: str) -> tuple[int | None, int | None]:
    """(season, episode) as ``S38E02``, ``#12``, ``Ep. 7`` or ``第5回`` give them."""
    text = unicodedata.normalize("NFKC", episode_id.strip())
    match = _SEASON_EPISODE.match(text)
    if match:
        return _positive(match[1]), _positive(match[2])
    match = _EPISODE_ONLY.match(text)
    return (None, _positive(match[1])) if match else (None, None)


def _positive(digits: str) -> int | None:
    number = int(digits)
    return number if number > 0 else None


def episode_description(episode: Episode) -> str:
    """The summary (or the host's description) as one line of plain text."""
    joiner = "" if episode.meta.language.startswith("ja") else " "
    text = joiner.join(episode.summary) if episode.summary else episode.meta.description
    return " ".join(text.split())


def episode_people(episode: Episode) -> list[tuple[str, str]]:
    """``(name, role)`` of each named person on the episode: hosts and guests found, and
    every named speaker. A speaker whose role is not known is a host when named as one in
    the metadata, or when no host is known and they speak first; otherwise a guest."""
    hosts = {" ".join(h.split()) for h in episode.meta.hosts}
    known = {" ".join(p.name.split()): p.role for p in episode.people}
    found: dict[str, str] = {}
    named = [s for s in episode.speakers if s.name.strip()]
    no_host = not hosts and "host" not in known.values() and all(s.role != "host" for s in named)
    for position, speaker in enumerate(named):
        name = " ".join(speaker.name.split())
        role = speaker.role if speaker.role != "unknown" else known.get(name, "")
        if role not in ("host", "guest"):
            role = "host" if name in hosts or (no_host and position == 0) else "guest"
        found.setdefault(name, role)
    for name in episode.meta.hosts:
        found.setdefault(" ".join(name.split()), "host")
    for person in episode.people:
        if person.role in ("host", "guest"):
            found.setdefault(" ".join(person.name.split()), person.role)
    return [(name, role) for name, role in found.items() if name]


def mentioned_people(episode: Episode) -> list[str]:
    on_episode = {name for name, _ in episode_people(episode)}
    return [p.name for p in episode.people if p.role == "mentioned" and p.name not in on_episode]


@dataclass(frozen=True)
class TranscriptFile:
    name: str
    type: str
    rel: str = ""


def transcript_files(published: PublishedEpisode) -> list[TranscriptFile]:
    """The transcripts a feed offers, per the Podcasting 2.0 transcript formats: the JSON
    (published only when every segment has its times), WebVTT captions, HTML, and plain
    text when there is no JSON. An untimed episode's formats claim no timing."""
    offered = [
        TranscriptFile("transcript.json", "application/json"),
        TranscriptFile("captions.vtt", "text/vtt", "captions"),
        TranscriptFile("transcript.html", "text/html"),
    ]
    if "transcript.json" not in published.files:
        offered.append(TranscriptFile("transcript.txt", "text/plain"))
    return [t for t in offered if t.name in published.files]


def iso_duration(seconds: float | None) -> str:
    """ISO 8601 duration (``PT1H2M3S``); empty when unknown."""
    if seconds is None or seconds < 0:
        return ""
    hours, rest = divmod(round(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours}H" if hours else "", f"{minutes}M" if minutes else "", f"{secs}S"]
    if secs == 0 and (hours or minutes):
        parts[2] = ""
    return "PT" + "".join(parts)
