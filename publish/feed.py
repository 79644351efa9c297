"""The site's feed and each episode page's structured data.

- ``feed.xml``: RSS 2.0 with the Podcasting 2.0 namespace, newest episode first: per item
  the page, a stable ``guid``, ``pubDate``, the description, the audio as ``enclosure`` when
  the site has a copy, ``podcast:transcript`` (JSON, and WebVTT captions when timed),
  ``podcast:chapters`` and a ``podcast:person`` for each known host and guest.
- a schema.org ``PodcastEpisode`` for each episode page, as JSON-LD.

Feeds need absolute links, so both take the site's base URL.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import html
import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from kikigaki.document import Episode

# --------------------------------------------------------------------------- feed

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
ATOM_NS = "http://www.w3.org/2005/Atom"
# Podcasting 2.0 podcast:guid: UUIDv5 of the feed URL without its scheme, in this namespace.
PODCAST_GUID_NS = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
_EPISODE_GUID_NS = uuid.uuid5(uuid.NAMESPACE_URL, "https://kikigaki.invalid/episode")
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
_Node = tuple[str, dict[str, str], "str | list[_Node]"]  # tag, attributes, text or children
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class SiteInfo:
    """The site as feeds see it: ``base_url`` is absolute and ends with ``/``."""

    title: str
    description: str
    base_url: str
    language: str = "ja"
    guid: bool = False  # give the channel a podcast:guid (only for a real base URL)

    @property
    def feed_url(self) -> str:
        return self.base_url + "feed.xml"


@dataclass(frozen=True)
class PublishedEpisode:
    """An episode as published: its folder ``slug`` and the files in it."""

    slug: str
    episode: Episode
    files: frozenset[str] = field(default_factory=frozenset)
    audio: str = ""  # the audio file's name in the folder, when the site has a copy
    audio_bytes: int = 0

    def url(self, site: SiteInfo, name: str = "index.html") -> str:
        return f"{site.base_url}{self.slug}/{name}"


def audio_type(name: str) -> str:
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    return AUDIO_TYPES.get(suffix, "application/octet-stream")


def episode_guid(published: PublishedEpisode) -> str:
    """A stable id for the feed: the same episode keeps it when the site moves."""
    key = f"{published.episode.meta.show}\n{published.slug}"
    return str(uuid.uuid5(_EPISODE_GUID_NS, key))


def podcast_guid(feed_url: str) -> str:
    """Podcasting 2.0 ``podcast:guid`` for a feed URL."""
    bare = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", feed_url).rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NS, bare))


def rfc822(date: str | None) -> str:
    """``Wed, 22 Feb 2023 00:00:00 +0000`` for ``2023-02-22``; empty when unknown."""
    if not date:
        return ""
    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        return ""
    moment = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    return email.utils.format_datetime(moment)


def episode_description(episode: Episode) -> str:
    """The summary (or the host's description) as one line of plain text."""
    joiner = "" if episode.meta.language.startswith("ja") else " "
    text = joiner.join(episode.summary) if episode.summary else episode.meta.description
    return " ".join(text.split())


def feed_people(episode: Episode) -> list[tuple[str, str]]:
    """``(name, role)`` of each named host and guest: speakers, hosts, people found."""
    found: dict[str, str] = {}
    candidates = [
        *((s.name, s.role) for s in episode.speakers if s.name),
        *((name, "host") for name in episode.meta.hosts),
        *((p.name, p.role) for p in episode.people),
    ]
    for name, role in candidates:
        name = " ".join(name.split())
        if name and role in ("host", "guest") and name not in found:
            found[name] = role
    return list(found.items())


def rss_feed(site: SiteInfo, episodes: Sequence[PublishedEpisode]) -> str:
    """The site's RSS 2.0 feed, ``episodes`` in the order given (newest first)."""
    items = [_feed_item(site, published) for published in episodes]
    newest = next((rfc822(p.episode.meta.date) for p in episodes if p.episode.meta.date), "")
    channel: list[_Node] = [
        ("title", {}, site.title),
        ("link", {}, site.base_url + "index.html"),
        ("description", {}, site.description),
        ("language", {}, site.language),
        ("generator", {}, "kikigaki"),
        ("atom:link", {"href": site.feed_url, "rel": "self", "type": "application/rss+xml"}, []),
    ]
    if newest:
        channel += [("pubDate", {}, newest), ("lastBuildDate", {}, newest)]
    if site.guid:
        channel.append(("podcast:guid", {}, podcast_guid(site.feed_url)))
    root: _Node = (
        "rss",
        {"version": "2.0", "xmlns:podcast": PODCAST_NS, "xmlns:atom": ATOM_NS},
        [("channel", {}, [*channel, *items])],
    )
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + "\n".join(_xml(root)) + "\n"


def _feed_item(site: SiteInfo, published: PublishedEpisode) -> _Node:
    episode = published.episode
    meta = episode.meta
    language = meta.language or "ja"
    item: list[_Node] = [
        ("title", {}, meta.title or meta.slug or published.slug),
        ("link", {}, published.url(site)),
        ("guid", {"isPermaLink": "false"}, episode_guid(published)),
    ]
    if rfc822(meta.date):
        item.append(("pubDate", {}, rfc822(meta.date)))
    description = episode_description(episode)
    if description:
        # Feed readers render a description as HTML: escaped once more, it shows as text.
        item.append(("description", {}, html.escape(description, quote=False)))
    if published.audio:
        enclosure = {
            "url": published.url(site, published.audio),
            "length": str(published.audio_bytes),
            "type": audio_type(published.audio),
        }
        item.append(("enclosure", enclosure, []))
    transcript = {"url": published.url(site, "transcript.json"), "type": "application/json"}
    item.append(("podcast:transcript", {**transcript, "language": language}, []))
    if "captions.vtt" in published.files:
        captions = {"url": published.url(site, "captions.vtt"), "type": "text/vtt"}
        item.append(
            ("podcast:transcript", {**captions, "language": language, "rel": "captions"}, [])
        )
    if "chapters.json" in published.files:
        chapters = published.url(site, "chapters.json")
        item.append(
            ("podcast:chapters", {"url": chapters, "type": "application/json+chapters"}, [])
        )
    for name, role in feed_people(episode):
        item.append(("podcast:person", {"role": role}, name))
    return ("item", {}, item)


def _xml(node: _Node, depth: int = 0) -> list[str]:
    """One element, indented, as lines; text and attribute values escaped."""
    tag, attributes, body = node
    pad = "  " * depth
    attrs = "".join(f' {name}="{_xml_attribute(value)}"' for name, value in attributes.items())
    if isinstance(body, list):
        if not body:
            return [f"{pad}<{tag}{attrs}/>"]
        inner = [line for child in body for line in _xml(child, depth + 1)]
        return [f"{pad}<{tag}{attrs}>", *inner, f"{pad}</{tag}>"]
    return [f"{pad}<{tag}{attrs}>{_xml_text(body)}</{tag}>"]


def _xml_text(text: str) -> str:
    text = _XML_INVALID.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _xml_attribute(value: str) -> str:
    escaped = _xml_text(value).replace('"', "&quot;")
    return escaped.replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")


# --------------------------------------------------------------------------- JSON-LD


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


def episode_schema(site: SiteInfo, published: PublishedEpisode) -> dict[str, object]:
    """schema.org ``PodcastEpisode`` for the episode's page."""
    meta = published.episode.meta
    data: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "PodcastEpisode",
        "name": meta.title or meta.slug or published.slug,
        "url": published.url(site),
        "inLanguage": meta.language or "ja",
    }
    if meta.date:
        data["datePublished"] = meta.date
    description = episode_description(published.episode)
    if description:
        data["description"] = description
    duration = iso_duration(meta.duration)
    if duration:
        data["timeRequired"] = duration
    data["partOfSeries"] = {
        "@type": "PodcastSeries",
        "name": meta.show or site.title,
        "webFeed": site.feed_url,
    }
    media: list[dict[str, object]] = []
    if published.audio:
        audio: dict[str, object] = {
            "@type": "AudioObject",
            "contentUrl": published.url(site, published.audio),
            "encodingFormat": audio_type(published.audio),
        }
        if duration:
            audio["duration"] = duration
        media.append(audio)
    media.append(
        {
            "@type": "MediaObject",
            "name": "文字起こし",
            "contentUrl": published.url(site, "transcript.txt"),
            "encodingFormat": "text/plain",
        }
    )
    data["associatedMedia"] = media
    return data


def script_json(data: object) -> str:
    """``data`` as JSON safe inside an HTML ``<script>``: ``<``, ``>`` and ``&`` are
    written as ``\\u003c`` and the like, so no text in it can close the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
