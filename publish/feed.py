"""The site's feed: RSS 2.0 with the Podcasting 2.0 and Apple Podcasts namespaces.

Newest episode first. The channel: title, link, description, language, ``itunes:author``,
``itunes:explicit``, the show's artwork (``image`` and ``itunes:image``) when known, a
``podcast:guid`` for a real address. Each item: the page, a stable ``guid``, a ``pubDate``
always (:func:`publish.podcast.publication_date`), the description, the audio as
``enclosure`` when known (the site's copy, or the address the episode's page names), its
``itunes:duration``, ``itunes:episode`` and ``itunes:season``, the episode's artwork,
``podcast:transcript`` for each transcript file (:func:`publish.podcast.transcript_files`),
``podcast:chapters`` and a ``podcast:person`` for each host, guest and named speaker.

Feeds need absolute links, so the feed takes the site's base URL. The XML is written by
the standard library's ElementTree (escaping, namespaces).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import html
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from publish.podcast import (
    PublishedEpisode,
    SiteInfo,
    audio_link,
    audio_type,
    cover_link,
    episode_description,
    episode_numbers,
    episode_people,
    iso_duration,
    publication_date,
    transcript_files,
)

__all__ = ["PublishedEpisode", "SiteInfo", "iso_duration", "podcast_guid", "rfc822", "rss_feed"]

# --------------------------------------------------------------------------- feed

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
ATOM_NS = "http://www.w3.org/2005/Atom"
# Podcasting 2.0 podcast:guid: UUIDv5 of the feed URL without its scheme, in this namespace.
PODCAST_GUID_NS = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
_EPISODE_GUID_NS = uuid.uuid5(uuid.NAMESPACE_URL, "https://kikigaki.invalid/episode")
_Node = tuple[str, dict[str, str], "str | list[_Node]"]  # tag, attributes, text or children
_NAMESPACES = {"podcast": PODCAST_NS, "itunes": ITUNES_NS, "atom": ATOM_NS}
for _prefix, _uri in _NAMESPACES.items():
    ET.register_namespace(_prefix, _uri)
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


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
    return _rfc822_day(day)


def _rfc822_day(day: dt.date) -> str:
    moment = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    return email.utils.format_datetime(moment)


def rss_feed(site: SiteInfo, episodes: Sequence[PublishedEpisode]) -> str:
    """The site's RSS 2.0 feed, ``episodes`` in the order given (newest first)."""
    items = [_feed_item(site, published) for published in episodes]
    dates = [publication_date(p.episode) for p in episodes]
    channel: list[_Node] = [
        ("title", {}, site.title),
        ("link", {}, site.base_url + "index.html"),
        ("description", {}, site.description),
        ("language", {}, site.language),
        ("generator", {}, "kikigaki"),
        ("atom:link", {"href": site.feed_url, "rel": "self", "type": "application/rss+xml"}, []),
        ("itunes:author", {}, site.author or site.title),
        ("itunes:explicit", {}, "true" if site.explicit else "false"),
    ]
    if site.image:
        channel += [
            ("image", {}, [("url", {}, site.image), ("title", {}, site.title),
                           ("link", {}, site.base_url + "index.html")]),
            ("itunes:image", {"href": site.image}, []),
        ]
    if dates:
        newest = _rfc822_day(max(dates))
        channel += [("pubDate", {}, newest), ("lastBuildDate", {}, newest)]
    if site.guid:
        channel.append(("podcast:guid", {}, podcast_guid(site.feed_url)))
    root = _element(("rss", {"version": "2.0"}, [("channel", {}, [*channel, *items])]))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _feed_item(site: SiteInfo, published: PublishedEpisode) -> _Node:
    episode = published.episode
    meta = episode.meta
    item: list[_Node] = [
        ("title", {}, meta.title or meta.slug or published.slug),
        ("link", {}, published.url(site)),
        ("guid", {"isPermaLink": "false"}, episode_guid(published)),
        ("pubDate", {}, _rfc822_day(publication_date(episode))),
    ]
    description = episode_description(episode)
    if description:
        # Feed readers render a description as HTML: escaped once more, it shows as text.
        item.append(("description", {}, html.escape(description, quote=False)))
    item += _media(site, published)
    item += _itunes(episode.meta.episode_id, meta.duration, cover_link(site, published))
    language = meta.language or "ja"
    for transcript in transcript_files(published):
        attributes = {"url": published.url(site, transcript.name), "type": transcript.type,
                      "language": language}
        if transcript.rel:
            attributes["rel"] = transcript.rel
        item.append(("podcast:transcript", attributes, []))
    if "chapters.json" in published.files:
        chapters = published.url(site, "chapters.json")
        item.append(
            ("podcast:chapters", {"url": chapters, "type": "application/json+chapters"}, [])
        )
    for name, role in episode_people(episode):
        item.append(("podcast:person", {"role": role}, name))
    return ("item", {}, item)


def _media(site: SiteInfo, published: PublishedEpisode) -> list[_Node]:
    audio = audio_link(site, published)
    if audio is None:
        return []
    url, size = audio
    return [("enclosure", {"url": url, "length": str(size), "type": audio_type(url)}, [])]


def _itunes(episode_id: str, duration: float | None, image: str) -> list[_Node]:
    season, number = episode_numbers(episode_id)
    nodes: list[_Node] = []
    if duration is not None and duration >= 0:
        nodes.append(("itunes:duration", {}, str(round(duration))))
    if number is not None:
        nodes.append(("itunes:episode", {}, str(number)))
    if season is not None:
        nodes.append(("itunes:season", {}, str(season)))
    if image:
        nodes.append(("itunes:image", {"href": image}, []))
    return nodes


def _element(node: _Node, parent: ET.Element | None = None) -> ET.Element:
    """One node as an ElementTree element (under ``parent``); ElementTree escapes."""
    tag, attributes, body = node
    attrs = {_qualified(name): _XML_INVALID.sub("", value) for name, value in attributes.items()}
    if parent is None:
        element = ET.Element(_qualified(tag), attrs)
    else:
        element = ET.SubElement(parent, _qualified(tag), attrs)
    if isinstance(body, list):
        for child in body:
            _element(child, element)
    else:
        element.text = _XML_INVALID.sub("", body)  # characters XML 1.0 cannot hold
    return element


def _qualified(name: str) -> str:
    """``itunes:author`` as ElementTree's ``{namespace}author``."""
    prefix, _, local = name.rpartition(":")
    return f"{{{_NAMESPACES[prefix]}}}{local}" if prefix else name
