"""The site's RSS 2.0 feed with the Podcasting 2.0 namespace: well-formed XML (parsed with
xml.etree), absolute links to files that exist, the exact Podcasting 2.0 element and
attribute names, newest first, and a base URL given once and kept by the site."""

from __future__ import annotations

import email.utils
import html
import json
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import pytest

from commands.cli import main
from kikigaki.document import CollectionDocument, Episode, EpisodeMeta, Segment
from kikigaki.errors import InputError
from publish.feed import iso_duration, podcast_guid, rfc822
from publish.layout import DEFAULT_BASE_URL, site_base_url
from publish.site import publish_site
from tests import episode_factory
from tests.conftest import EPISODE_SEED, REPO

CLIP = REPO / "tests" / "fixtures" / "audio" / "common_voice_ja_38853932_16k.wav"
PODCAST = "https://podcastindex.org/namespace/1.0"
ATOM = "http://www.w3.org/2005/Atom"
NS = {"podcast": PODCAST, "atom": ATOM}
BASE = "https://example.com/podcast/"
AUDIO_SLUG, PLAIN_SLUG, RAW_SLUG = "s38e02-audio", "s38e01-plain", "raw-notes"


def _raw_episode() -> Episode:
    """Untimed, undated, no summary: only a transcript, and a control character in its
    title (not allowed in XML 1.0)."""
    meta = EpisodeMeta(title="メモ\x07だけの回", slug=RAW_SLUG, description="説明 <b>だけ</b>")
    return Episode(meta=meta, segments=[Segment(text="一行目。"), Segment(text="二行目。")])


@pytest.fixture(scope="module")
def collection() -> list[CollectionDocument]:
    return episode_factory.collection()


@pytest.fixture(scope="module")
def episodes() -> dict[str, Episode]:
    return {
        AUDIO_SLUG: episode_factory.audio_episode(CLIP, slug=AUDIO_SLUG),  # 2023-02-22
        PLAIN_SLUG: episode_factory.episode(slug=PLAIN_SLUG, date="2023-01-11"),
        RAW_SLUG: _raw_episode(),
    }


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory,
    episodes: dict[str, Episode],
    collection: list[CollectionDocument],
) -> Path:
    out = tmp_path_factory.mktemp("feed") / "site"
    # given in an order that is not the feed's, and without its trailing slash
    publish_site(out, list(episodes.values())[::-1], collection, base_url=BASE.rstrip("/"))
    return out


@pytest.fixture(scope="module")
def channel(site: Path) -> ET.Element:
    root = ET.parse(site / "feed.xml").getroot()
    assert root.tag == "rss" and root.get("version") == "2.0"
    found = root.find("channel")
    assert found is not None
    return found


def _items(channel: ET.Element) -> dict[str, ET.Element]:
    return {item.findtext("link", "").split("/")[-2]: item for item in channel.iter("item")}


def _local(site: Path, url: str) -> Path:
    assert url.startswith(BASE), url
    return site / url.removeprefix(BASE)


# --------------------------------------------------------------------------- the channel


def test_feed_is_utf8_rss_2_with_the_podcasting_namespace(site: Path) -> None:
    raw = (site / "feed.xml").read_bytes()
    assert raw.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"')
    assert f'xmlns:podcast="{PODCAST}"'.encode() in raw
    raw.decode("utf-8")
    assert b"\x07" not in raw  # dropped: XML 1.0 cannot hold it


def test_channel(channel: ET.Element) -> None:
    assert channel.findtext("title") == "聞き書き"  # the episodes are not all of one show
    assert channel.findtext("link") == BASE + "index.html"
    assert channel.findtext("language") == "ja"
    assert channel.findtext("description")
    self_link = channel.find("atom:link", NS)
    assert self_link is not None
    assert (self_link.get("href"), self_link.get("rel"), self_link.get("type")) == (
        BASE + "feed.xml", "self", "application/rss+xml"
    )
    assert channel.findtext("lastBuildDate") == "Wed, 22 Feb 2023 00:00:00 +0000"
    assert channel.findtext("podcast:guid", namespaces=NS) == podcast_guid(BASE + "feed.xml")


def test_podcast_guid_follows_the_specification() -> None:
    # the two examples given by the Podcasting 2.0 namespace for podcast:guid
    assert podcast_guid("https://mp3s.nashownotes.com/pc20rss.xml") == (
        "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    )
    assert podcast_guid("podnews.net/rss") == "9b024349-ccf0-5f69-a609-6b82873eab3c"


# --------------------------------------------------------------------------- the items


def test_items_are_newest_first_by_date(channel: ET.Element) -> None:
    links = [item.findtext("link") for item in channel.iter("item")]
    assert links == [f"{BASE}{slug}/index.html" for slug in (AUDIO_SLUG, PLAIN_SLUG, RAW_SLUG)]
    dates = [item.findtext("pubDate") for item in channel.iter("item")]
    assert dates[2] is None  # undated: no pubDate, listed last
    parsed = [email.utils.parsedate_to_datetime(d) for d in dates[:2]]
    assert [d.date().isoformat() for d in parsed] == ["2023-02-22", "2023-01-11"]
    assert dates[0] == rfc822("2023-02-22") == "Wed, 22 Feb 2023 00:00:00 +0000"


def test_item_text_round_trips_through_the_xml(
    channel: ET.Element, episodes: dict[str, Episode]
) -> None:
    items = _items(channel)
    audio = items[AUDIO_SLUG]
    assert audio.findtext("title") == episodes[AUDIO_SLUG].meta.title  # has <script> in it
    summary = "".join(episodes[AUDIO_SLUG].summary)
    assert audio.findtext("description") == html.escape(summary, quote=False)
    raw = items[RAW_SLUG]
    assert raw.findtext("title") == "メモだけの回"
    # plain text: readers render a description as HTML, so it is escaped for HTML too
    assert raw.findtext("description") == "説明 &lt;b&gt;だけ&lt;/b&gt;"


def test_guids_are_unique_and_do_not_depend_on_the_address(
    channel: ET.Element, tmp_path: Path, episodes: dict[str, Episode],
    collection: list[CollectionDocument],
) -> None:
    guids = {slug: item.find("guid") for slug, item in _items(channel).items()}
    assert all(g is not None and g.get("isPermaLink") == "false" for g in guids.values())
    values = {slug: uuid.UUID(g.text or "") for slug, g in guids.items() if g is not None}
    assert len(set(values.values())) == 3
    moved = tmp_path / "moved"
    publish_site(moved, list(episodes.values()), collection, base_url="https://other.example/")
    moved_channel = ET.parse(moved / "feed.xml").getroot().find("channel")
    assert moved_channel is not None
    moved_guids = {
        item.findtext("link", "").split("/")[-2]: uuid.UUID(item.findtext("guid", ""))
        for item in moved_channel.iter("item")
    }
    assert moved_guids == values


def test_enclosure_only_for_an_episode_whose_audio_the_site_holds(
    site: Path, channel: ET.Element
) -> None:
    items = _items(channel)
    (enclosure,) = items[AUDIO_SLUG].findall("enclosure")
    url = enclosure.get("url", "")
    assert url == f"{BASE}{AUDIO_SLUG}/audio.wav"
    assert int(enclosure.get("length", "")) == _local(site, url).stat().st_size
    assert int(enclosure.get("length", "")) == CLIP.stat().st_size
    assert enclosure.get("type") == "audio/wav"
    assert items[PLAIN_SLUG].find("enclosure") is None
    assert items[RAW_SLUG].find("enclosure") is None


def test_transcripts_and_chapters_use_the_podcasting_2_0_names(
    site: Path, channel: ET.Element
) -> None:
    items = _items(channel)
    for slug in (AUDIO_SLUG, PLAIN_SLUG):  # timed: JSON transcript, WebVTT captions, chapters
        transcripts = items[slug].findall("podcast:transcript", NS)
        assert [dict(t.attrib) for t in transcripts] == [
            {
                "url": f"{BASE}{slug}/transcript.json",
                "type": "application/json",
                "language": "ja",
            },
            {
                "url": f"{BASE}{slug}/captions.vtt",
                "type": "text/vtt",
                "language": "ja",
                "rel": "captions",
            },
        ]
        (chapters,) = items[slug].findall("podcast:chapters", NS)
        assert dict(chapters.attrib) == {
            "url": f"{BASE}{slug}/chapters.json",
            "type": "application/json+chapters",
        }
    raw = items[RAW_SLUG]  # untimed: its JSON transcript only
    assert [t.get("type") for t in raw.findall("podcast:transcript", NS)] == ["application/json"]
    assert raw.find("podcast:chapters", NS) is None


def test_people_are_hosts_and_guests_only(channel: ET.Element) -> None:
    people = _items(channel)[PLAIN_SLUG].findall("podcast:person", NS)
    assert [(p.text, p.get("role")) for p in people] == [
        ("市來", "host"),
        ("ゲスト\"'&", "guest"),
        ("ゲスト", "host"),  # named as a host in the episode's metadata
    ]  # Andrej Karpathy is only mentioned: not a person of the episode
    assert _items(channel)[RAW_SLUG].find("podcast:person", NS) is None


def test_every_link_is_absolute_and_reaches_a_published_file(
    site: Path, channel: ET.Element
) -> None:
    urls = [channel.findtext("link", "")]
    for element in channel.iter():
        urls += [element.get(name, "") for name in ("url", "href") if element.get(name)]
    urls += [item.findtext("link", "") for item in channel.iter("item")]
    assert len(urls) > 10
    for url in urls:
        assert _local(site, url).is_file(), url


# --------------------------------------------------------------------------- the base URL


def test_base_url_is_kept_by_the_site_and_can_change(
    tmp_path: Path, collection: list[CollectionDocument]
) -> None:
    out = tmp_path / "site"
    episode = episode_factory.episode(slug="ep")
    publish_site(out, [episode], collection)
    feed = (out / "feed.xml").read_text(encoding="utf-8")
    assert f"<link>{DEFAULT_BASE_URL}ep/index.html</link>" in feed
    assert "podcast:guid" not in feed  # the placeholder is no feed's address
    publish_site(out, [episode], collection, base_url="https://example.org/show/")
    publish_site(out, [], collection)  # not given again: the site's own is kept
    feed = (out / "feed.xml").read_text(encoding="utf-8")
    assert "<link>https://example.org/show/ep/index.html</link>" in feed
    page = (out / "ep" / "index.html").read_text(encoding="utf-8")
    assert '"url":"https://example.org/show/ep/index.html"' in page  # the JSON-LD too


@pytest.mark.parametrize(
    "bad", ["example.com", "/podcast/", "ftp://example.com/", "https://", "https://x.org/?a=1",
            'https://x.org/"onload', "javascript:alert(1)"],
)
def test_a_bad_base_url_is_refused_in_one_line_and_nothing_is_written(
    tmp_path: Path, bad: str, collection: list[CollectionDocument]
) -> None:
    with pytest.raises(InputError) as error:
        site_base_url(bad)
    assert "--base-url" in str(error.value) and "\n" not in str(error.value)
    with pytest.raises(InputError):
        publish_site(tmp_path / "site", [episode_factory.episode()], collection, base_url=bad)
    assert not (tmp_path / "site").exists()


def test_cli_checks_the_base_url_before_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "site"
    code = main(["reclean", str(EPISODE_SEED), "--out", str(out), "--base-url", "ftp://x/"])
    assert code == 2
    assert "--base-url" in capsys.readouterr().err
    assert not out.exists()


def test_base_url_keeps_its_path_and_gains_a_slash() -> None:
    assert site_base_url("https://example.com/podcast") == "https://example.com/podcast/"
    assert site_base_url(" http://localhost:8000/ ") == "http://localhost:8000/"


def test_iso_durations() -> None:
    assert [iso_duration(s) for s in (3723, 60, 59.6, 0, None)] == [
        "PT1H2M3S", "PT1M", "PT1M", "PT0S", ""
    ]


# --------------------------------------------------------------------------- JSON-LD


def _json_ld(page: Path) -> dict[str, object]:
    text = page.read_text(encoding="utf-8")
    start = text.index('<script type="application/ld+json">') + len(
        '<script type="application/ld+json">'
    )
    return json.loads(text[start : text.index("</script>", start)])


def test_episode_pages_describe_their_audio_in_json_ld(
    site: Path, episodes: dict[str, Episode]
) -> None:
    data = _json_ld(site / AUDIO_SLUG / "index.html")
    assert data["@type"] == "PodcastEpisode"
    assert data["url"] == f"{BASE}{AUDIO_SLUG}/index.html"
    assert data["timeRequired"] == "PT6S"  # the episode's 6 s duration
    audio, transcript = data["associatedMedia"]  # type: ignore[misc]
    assert audio == {
        "@type": "AudioObject",
        "contentUrl": f"{BASE}{AUDIO_SLUG}/audio.wav",
        "encodingFormat": "audio/wav",
        "duration": "PT6S",
    }
    assert transcript["contentUrl"] == f"{BASE}{AUDIO_SLUG}/transcript.txt"
    assert _local(site, transcript["contentUrl"]).is_file()
    raw = _json_ld(site / RAW_SLUG / "index.html")
    assert "datePublished" not in raw and "timeRequired" not in raw
    assert raw["description"] == "説明 <b>だけ</b>"  # safe: written as \u003cb\u003e
    assert "<b>" not in (site / RAW_SLUG / "index.html").read_text(encoding="utf-8")


def test_a_standard_feed_reader_sees_episodes_transcripts_and_chapters(site: Path) -> None:
    """What a podcast app's parser sees: feedparser, the reference RSS reader in Python."""
    feed = feedparser.parse((site / "feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "rss20"
    entries = {entry.link.split("/")[-2]: entry for entry in feed.entries}  # <slug>/index.html
    assert set(entries) == {AUDIO_SLUG, PLAIN_SLUG, RAW_SLUG}
    audio = entries[AUDIO_SLUG]
    (enclosure,) = audio.enclosures
    assert enclosure.type == "audio/wav" and enclosure.href.startswith(BASE)
    # feedparser keeps one attribute set per namespaced element: the last one given
    assert audio.podcast_transcript["url"] == f"{BASE}{AUDIO_SLUG}/captions.vtt"
    assert audio.podcast_chapters == {
        "url": f"{BASE}{AUDIO_SLUG}/chapters.json",
        "type": "application/json+chapters",
    }
    assert entries[RAW_SLUG].podcast_transcript["type"] == "application/json"
    assert entries[PLAIN_SLUG].published_parsed[:3] == (2023, 1, 11)
