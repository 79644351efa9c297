"""Each episode page's structured data: a schema.org ``PodcastEpisode`` as JSON-LD.

It names the episode (``@id``: its page's address with ``#episode``), its show
(``partOfSeries``, one ``@id`` for the whole site) and season (``partOfSeason``), its
``episodeNumber``, ``duration`` (ISO 8601), the people on it (``actor``: hosts, guests,
named speakers) and the people it mentions (``mentions``), its artwork, and its media: the
audio (``AudioObject``) and the transcript.
"""

from __future__ import annotations

import json

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
    mentioned_people,
)


def episode_schema(site: SiteInfo, published: PublishedEpisode) -> dict[str, object]:
    """schema.org ``PodcastEpisode`` for the episode's page."""
    episode = published.episode
    meta = episode.meta
    page = published.url(site)
    data: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "PodcastEpisode",
        "@id": page + "#episode",
        "name": meta.title or meta.slug or published.slug,
        "url": page,
        "inLanguage": meta.language or "ja",
    }
    if meta.date:
        data["datePublished"] = meta.date
    description = episode_description(episode)
    if description:
        data["description"] = description
    duration = iso_duration(meta.duration)
    if duration:
        data["duration"] = duration
    season, number = episode_numbers(meta.episode_id)
    if number is not None:
        data["episodeNumber"] = number
    elif meta.episode_id:
        data["episodeNumber"] = meta.episode_id
    series = _series(site, meta.show)
    if season is not None:
        data["partOfSeason"] = {"@type": "PodcastSeason", "seasonNumber": season,
                                "partOfSeries": {"@id": site.series_id}}
    data["partOfSeries"] = series
    data.update(_people(published))
    image = cover_link(site, published)
    if image:
        data["image"] = image
    data["associatedMedia"] = _media(site, published, duration)
    return data


def _series(site: SiteInfo, show: str) -> dict[str, object]:
    series: dict[str, object] = {
        "@type": "PodcastSeries",
        "@id": site.series_id,
        "name": show or site.title,
        "url": site.base_url + "index.html",
        "webFeed": site.feed_url,
    }
    if site.image:
        series["image"] = site.image
    return series


def _people(published: PublishedEpisode) -> dict[str, object]:
    episode = published.episode
    people: dict[str, object] = {}
    on_episode = [{"@type": "Person", "name": name} for name, _ in episode_people(episode)]
    if on_episode:
        people["actor"] = on_episode
    mentioned = [{"@type": "Person", "name": name} for name in mentioned_people(episode)]
    if mentioned:
        people["mentions"] = mentioned
    return people


def _media(site: SiteInfo, published: PublishedEpisode, duration: str) -> list[object]:
    media: list[object] = []
    audio = audio_link(site, published)
    if audio is not None:
        entry: dict[str, object] = {
            "@type": "AudioObject",
            "contentUrl": audio[0],
            "encodingFormat": audio_type(audio[0]),
        }
        if duration:
            entry["duration"] = duration
        media.append(entry)
    media.append(
        {
            "@type": "MediaObject",
            "name": "文字起こし",
            "contentUrl": published.url(site, "transcript.txt"),
            "encodingFormat": "text/plain",
        }
    )
    return media


def script_json(data: object) -> str:
    """``data`` as JSON safe inside an HTML ``<script>``: ``<``, ``>`` and ``&`` are
    written as ``\\u003c`` and the like, so no text in it can close the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
