"""The site's RSS 2.0 feed with the Podcasting 2.0 and Apple Podcasts namespaces:
well-formed XML (parsed with xml.etree), read by feedparser as a podcast app's parser
would, absolute links to files that exist, the exact element and attribute names, newest
first, a pubDate always, an enclosure whenever the audio is known, the JSON files valid
against schemas written from the Podcasting 2.0 documents, and a base URL and show
artwork given once and kept by the site."""

from __future__ import annotations

import email.utils
import html
import json
import os
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import jsonschema
import pytest

from commands.cli import main
from kikigaki.document import CollectionDocument, Episode, EpisodeMeta, Segment, Speaker
from kikigaki.errors import InputError
from publish.feed import podcast_guid, rfc822
from publish.layout import DEFAULT_BASE_URL, site_base_url
from publish.podcast import episode_numbers, iso_duration
from publish.site import publish_site
from tests import episode_factory
from tests.conftest import EPISODE_SEED, REPO
from transcribe.readers import read_transcript

CLIP = REPO / "tests" / "fixtures" / "audio" / "common_voice_ja_38853932_16k.wav"
SCHEMAS = REPO / "tests" / "fixtures" / "schemas"
PODCAST = "https://podcastindex.org/namespace/1.0"
ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
ATOM = "http://www.w3.org/2005/Atom"
NS = {"podcast": PODCAST, "atom": ATOM, "itunes": ITUNES}
BASE = "https://example.com/podcast/"
SHOW_IMAGE = "https://example.com/art/show.jpg"
REMOTE_AUDIO = "https://cdn.example.org/episodes/raw-notes.mp3?from=feed"
AUDIO_SLUG, PLAIN_SLUG, RAW_SLUG = "s38e02-audio", "s38e01-plain", "raw-notes"
RAW_DAY = "2022-12-05"  # the raw episode's file was last changed that day


def _raw_episode(source: Path) -> Episode:
    """Untimed, undated, no summary: only a transcript whose page named its audio, a
    control character in its title (not allowed in XML 1.0), and two named speakers."""
    meta = EpisodeMeta(title="メモ\x07だけの回", slug=RAW_SLUG, description="説明 <b>だけ</b>",
                       source=str(source), audio=REMOTE_AUDIO, episode_id="第5回",
                       image="https://example.org/raw.png")
    return Episode(
        meta=meta,
        segments=[Segment(text="一行目。", speaker="A"), Segment(text="二行目。", speaker="B")],
        speakers=[Speaker(id="A", name="山田"), Speaker(id="B", name="佐藤")],
    )


@pytest.fixture(scope="module")
def collection() -> list[CollectionDocument]:
    return episode_factory.collection()


@pytest.fixture(scope="module")
def episodes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Episode]:
    source = tmp_path_factory.mktemp("raw") / "raw-notes.txt"
    source.write_text("一行目。\n二行目。\n", encoding="utf-8")
    stamp = email.utils.parsedate_to_datetime(rfc822(RAW_DAY)).timestamp() + 12 * 3600
    os.utime(source, (stamp, stamp))
    return {  # fully timed, partly timed, untimed
        AUDIO_SLUG: episode_factory.audio_episode(CLIP, slug=AUDIO_SLUG, timed=True),  # 2023-02-22
        PLAIN_SLUG: episode_factory.episode(slug=PLAIN_SLUG, date="2023-01-11"),
        RAW_SLUG: _raw_episode(source),
    }


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory,
    episodes: dict[str, Episode],
    collection: list[CollectionDocument],
) -> Path:
    out = tmp_path_factory.mktemp("feed") / "site"
    # given in an order that is not the feed's, and without its trailing slash
    publish_site(out, list(episodes.values())[::-1], collection, base_url=BASE.rstrip("/"),
                 show_image=SHOW_IMAGE)
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
    assert raw.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<rss ')
    assert ET.fromstring(raw).attrib == {"version": "2.0"}
    assert f'xmlns:podcast="{PODCAST}"'.encode() in raw
    assert f'xmlns:itunes="{ITUNES}"'.encode() in raw
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
    assert channel.findtext("itunes:author", namespaces=NS) == "市來、ゲスト"  # the hosts
    assert channel.findtext("itunes:explicit", namespaces=NS) == "false"
    image = channel.find("itunes:image", NS)
    assert image is not None and image.get("href") == SHOW_IMAGE
    assert channel.findtext("image/url") == SHOW_IMAGE
    assert channel.findtext("image/link") == BASE + "index.html"


def test_podcast_guid_follows_the_specification() -> None:
    # the two examples given by the Podcasting 2.0 namespace for podcast:guid
    assert podcast_guid("https://mp3s.nashownotes.com/pc20rss.xml") == (
        "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    )
    assert podcast_guid("podnews.net/rss") == "9b024349-ccf0-5f69-a609-6b82873eab3c"


# --------------------------------------------------------------------------- the items


def test_items_are_newest_first_and_every_one_has_a_pub_date(channel: ET.Element) -> None:
    links = [item.findtext("link") for item in channel.iter("item")]
    assert links == [f"{BASE}{slug}/index.html" for slug in (AUDIO_SLUG, PLAIN_SLUG, RAW_SLUG)]
    dates = [item.findtext("pubDate") for item in channel.iter("item")]
    parsed = [email.utils.parsedate_to_datetime(d or "") for d in dates]
    # the undated one: its file's modification day, and listed last
    assert [d.date().isoformat() for d in parsed] == ["2023-02-22", "2023-01-11", RAW_DAY]
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


def test_enclosure_whenever_the_audio_is_known(site: Path, channel: ET.Element) -> None:
    items = _items(channel)
    (enclosure,) = items[AUDIO_SLUG].findall("enclosure")
    url = enclosure.get("url", "")
    assert url == f"{BASE}{AUDIO_SLUG}/audio.wav"  # the site's copy
    assert int(enclosure.get("length", "")) == _local(site, url).stat().st_size
    assert int(enclosure.get("length", "")) == CLIP.stat().st_size
    assert enclosure.get("type") == "audio/wav"
    assert items[PLAIN_SLUG].find("enclosure") is None  # no audio known
    (remote,) = items[RAW_SLUG].findall("enclosure")  # the address its page named
    assert dict(remote.attrib) == {"url": REMOTE_AUDIO, "length": "0", "type": "audio/mpeg"}


def test_itunes_episode_tags(channel: ET.Element) -> None:
    items = _items(channel)
    audio = items[AUDIO_SLUG]
    assert audio.findtext("itunes:duration", namespaces=NS) == "6"
    assert audio.findtext("itunes:episode", namespaces=NS) == "2"  # S38E02
    assert audio.findtext("itunes:season", namespaces=NS) == "38"
    raw = items[RAW_SLUG]
    assert raw.findtext("itunes:episode", namespaces=NS) == "5"  # 第5回
    assert raw.find("itunes:season", NS) is None and raw.find("itunes:duration", NS) is None
    image = raw.find("itunes:image", NS)
    assert image is not None and image.get("href") == "https://example.org/raw.png"


@pytest.mark.parametrize(
    ("episode_id", "numbers"),
    [("S38E02", (38, 2)), ("s2 e10", (2, 10)), ("#12", (None, 12)), ("Ep. 7", (None, 7)),
     ("第５回", (None, 5)), ("Episode 3: 題", (None, 3)), ("E0", (None, None)), ("", (None, None)),
     ("特別編", (None, None))],
)
def test_episode_numbers(episode_id: str, numbers: tuple[int | None, int | None]) -> None:
    assert episode_numbers(episode_id) == numbers


def test_transcripts_and_chapters_use_the_podcasting_2_0_names(
    site: Path, channel: ET.Element
) -> None:
    items = _items(channel)

    def offered(slug: str) -> list[dict[str, str]]:
        return [dict(t.attrib) for t in items[slug].findall("podcast:transcript", NS)]

    def entry(slug: str, name: str, kind: str, **rest: str) -> dict[str, str]:
        return {"url": f"{BASE}{slug}/{name}", "type": kind, "language": "ja", **rest}

    # fully timed: the JSON (times on every segment), WebVTT captions, HTML
    assert offered(AUDIO_SLUG) == [
        entry(AUDIO_SLUG, "transcript.json", "application/json"),
        entry(AUDIO_SLUG, "captions.vtt", "text/vtt", rel="captions"),
        entry(AUDIO_SLUG, "transcript.html", "text/html"),
    ]
    # partly timed: no JSON (its segments would lack times); plain text instead
    assert offered(PLAIN_SLUG) == [
        entry(PLAIN_SLUG, "captions.vtt", "text/vtt", rel="captions"),
        entry(PLAIN_SLUG, "transcript.html", "text/html"),
        entry(PLAIN_SLUG, "transcript.txt", "text/plain"),
    ]
    # untimed: formats that claim no timing
    assert offered(RAW_SLUG) == [
        entry(RAW_SLUG, "transcript.html", "text/html"),
        entry(RAW_SLUG, "transcript.txt", "text/plain"),
    ]
    assert not (site / RAW_SLUG / "transcript.json").exists()
    for slug in (AUDIO_SLUG, PLAIN_SLUG):
        (chapters,) = items[slug].findall("podcast:chapters", NS)
        assert dict(chapters.attrib) == {
            "url": f"{BASE}{slug}/chapters.json",
            "type": "application/json+chapters",
        }
    assert items[RAW_SLUG].find("podcast:chapters", NS) is None


def _schema(name: str) -> dict[str, object]:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


def test_json_files_follow_the_podcasting_2_0_schemas(site: Path) -> None:
    validator = jsonschema.Draft202012Validator
    transcript_schema = _schema("podcast-transcript.schema.json")
    chapters_schema = _schema("json-chapters.schema.json")
    validator.check_schema(transcript_schema)
    validator.check_schema(chapters_schema)
    transcript = json.loads((site / AUDIO_SLUG / "transcript.json").read_text(encoding="utf-8"))
    validator(transcript_schema).validate(transcript)
    assert all(s["startTime"] <= s["endTime"] for s in transcript["segments"])
    for slug in (AUDIO_SLUG, PLAIN_SLUG):
        chapters = json.loads((site / slug / "chapters.json").read_text(encoding="utf-8"))
        validator(chapters_schema).validate(chapters)
        starts = [c["startTime"] for c in chapters["chapters"]]
        assert starts == sorted(starts) and starts
    # the schemas do catch what the issue found: a segment without its times
    untimed = {"version": "1.0.0", "segments": [{"body": "一行目。"}]}
    assert not validator(transcript_schema).is_valid(untimed)


def test_people_are_hosts_guests_and_named_speakers(channel: ET.Element) -> None:
    people = _items(channel)[PLAIN_SLUG].findall("podcast:person", NS)
    assert [(p.text, p.get("role")) for p in people] == [
        ("市來", "host"),
        ("ゲスト\"'&", "guest"),
        ("ゲスト", "host"),  # named as a host in the episode's metadata
    ]  # Andrej Karpathy is only mentioned: not a person of the episode
    raw = _items(channel)[RAW_SLUG].findall("podcast:person", NS)
    # named speakers of unknown role, no host known: the first to speak hosts
    assert [(p.text, p.get("role")) for p in raw] == [("山田", "host"), ("佐藤", "guest")]


def test_every_link_is_absolute_and_reaches_a_published_file(
    site: Path, channel: ET.Element
) -> None:
    urls = [channel.findtext("link", "")]
    for element in channel.iter():
        urls += [element.get(name, "") for name in ("url", "href") if element.get(name)]
    urls += [item.findtext("link", "") for item in channel.iter("item")]
    assert len(urls) > 10
    for url in urls:
        if url in (SHOW_IMAGE, REMOTE_AUDIO, "https://example.org/raw.png"):
            continue  # given as addresses elsewhere
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
    assert data["@id"] == f"{BASE}{AUDIO_SLUG}/index.html#episode"
    assert data["url"] == f"{BASE}{AUDIO_SLUG}/index.html"
    assert data["duration"] == "PT6S" and "timeRequired" not in data  # 6 s of audio
    assert data["episodeNumber"] == 2
    assert data["partOfSeason"]["seasonNumber"] == 38  # type: ignore[index]
    series = data["partOfSeries"]
    assert series == {"@type": "PodcastSeries", "@id": BASE + "#series", "name":
                      "ZENKEI AI ポッドキャスト", "url": BASE + "index.html",
                      "webFeed": BASE + "feed.xml", "image": SHOW_IMAGE}
    assert [p["name"] for p in data["actor"]] == ["市來", "ゲスト\"'&", "ゲスト"]  # type: ignore[index]
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
    assert "datePublished" not in raw and "duration" not in raw
    assert raw["episodeNumber"] == 5 and "partOfSeason" not in raw
    assert raw["image"] == "https://example.org/raw.png"
    assert raw["associatedMedia"][0]["contentUrl"] == REMOTE_AUDIO  # type: ignore[index]
    assert raw["description"] == "説明 <b>だけ</b>"  # safe: written as \u003cb\u003e
    assert "<b>" not in (site / RAW_SLUG / "index.html").read_text(encoding="utf-8")


def test_a_standard_feed_reader_sees_dates_audio_transcripts_and_itunes_tags(
    site: Path,
) -> None:
    """What a podcast app's parser sees: feedparser, the reference RSS reader in Python."""
    feed = feedparser.parse((site / "feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "rss20"
    assert feed.feed.image.href == SHOW_IMAGE and feed.feed.author == "市來、ゲスト"
    entries = {entry.link.split("/")[-2]: entry for entry in feed.entries}  # <slug>/index.html
    assert set(entries) == {AUDIO_SLUG, PLAIN_SLUG, RAW_SLUG}
    assert all(entry.published_parsed for entry in feed.entries)
    assert entries[PLAIN_SLUG].published_parsed[:3] == (2023, 1, 11)
    audio = entries[AUDIO_SLUG]
    (enclosure,) = audio.enclosures
    assert enclosure.type == "audio/wav" and enclosure.href.startswith(BASE)
    assert (audio.itunes_duration, audio.itunes_episode, audio.itunes_season) == ("6", "2", "38")
    # feedparser keeps one attribute set per namespaced element: the last one given
    assert audio.podcast_transcript["url"] == f"{BASE}{AUDIO_SLUG}/transcript.html"
    assert audio.podcast_chapters == {
        "url": f"{BASE}{AUDIO_SLUG}/chapters.json",
        "type": "application/json+chapters",
    }
    assert audio.podcast_person == {"role": "host"}  # the last person: ゲスト, a host
    raw = entries[RAW_SLUG]
    assert raw.enclosures[0].href == REMOTE_AUDIO
    assert raw.podcast_transcript["type"] == "text/plain"
    assert raw.image.href == "https://example.org/raw.png"


def test_show_artwork_from_a_file_is_copied_and_kept(
    tmp_path: Path, collection: list[CollectionDocument]
) -> None:
    cover = tmp_path / "Cover Art.PNG"
    cover.write_bytes(TINY_PNG)
    out = tmp_path / "site"
    episode = episode_factory.episode(slug="ep")
    publish_site(out, [episode], collection, base_url=BASE, show_image=str(cover))
    assert (out / "show-image.png").read_bytes() == TINY_PNG
    publish_site(out, [], collection)  # not given again: the site keeps it
    channel = ET.parse(out / "feed.xml").getroot().find("channel")
    assert channel is not None
    image = channel.find("itunes:image", NS)
    assert image is not None and image.get("href") == BASE + "show-image.png"
    assert (out / "show-image.png").read_bytes() == TINY_PNG


def test_episode_artwork_from_a_file_is_copied_beside_its_page(
    tmp_path: Path, collection: list[CollectionDocument]
) -> None:
    cover = tmp_path / "ep1.jpg"
    cover.write_bytes(TINY_PNG)  # the suffix decides the type; the bytes are not read
    episode = episode_factory.episode(slug="ep")
    episode = episode.model_copy(update={"meta": episode.meta.model_copy(
        update={"image": str(cover)})})
    out = tmp_path / "site"
    publish_site(out, [episode], collection, base_url=BASE)
    assert (out / "ep" / "cover.jpg").read_bytes() == TINY_PNG
    item = ET.parse(out / "feed.xml").getroot().find("channel/item")
    assert item is not None
    image = item.find("itunes:image", NS)
    assert image is not None and image.get("href") == f"{BASE}ep/cover.jpg"


@pytest.mark.parametrize("bad", ["cover.gif", "missing.png", "ftp://example.com/a.png"])
def test_a_bad_show_image_is_one_line_before_running(
    tmp_path: Path, bad: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "cover.gif").write_bytes(b"GIF89a")
    out = tmp_path / "site"
    given = str(tmp_path / bad) if not bad.startswith("ftp") else bad
    code = main(["reclean", str(EPISODE_SEED), "--out", str(out), "--show-image", given,
                 "--quiet"])
    assert code == 2
    error = capsys.readouterr().err.strip()
    assert "--show-image" in error and len(error.splitlines()) == 1
    assert not out.exists()


# Bytes standing for an image: kikigaki copies artwork, it never decodes it.
TINY_PNG = b"\x89PNG\r\n\x1a\n" + b"kikigaki test artwork"


def test_a_host_page_that_names_its_audio_gives_the_enclosure(
    tmp_path: Path, collection: list[CollectionDocument]
) -> None:
    """A re-cleaned episode page that shows its download link as text: the address is
    read with the page and becomes the item's enclosure."""
    url = "https://media.example.net/zenkei/s38e02.mp3?download=1"
    page = EPISODE_SEED.read_text(encoding="utf-8").replace(
        "ダウンロードは🎵こちら", f"ダウンロードは🎵こちら {url}"
    )
    source = tmp_path / "s38e02.txt"
    source.write_text(page, encoding="utf-8")
    episode = read_transcript(source)
    assert episode.meta.audio == url
    assert read_transcript(EPISODE_SEED).meta.audio is None  # the seed names none
    out = tmp_path / "site"
    publish_site(out, [episode], collection, base_url=BASE)
    item = ET.parse(out / "feed.xml").getroot().find("channel/item")
    assert item is not None
    (enclosure,) = item.findall("enclosure")
    assert (enclosure.get("url"), enclosure.get("type")) == (url, "audio/mpeg")
    assert not list((out / "s38e02").glob("audio*"))  # linked, not copied
    assert f'href="{html.escape(url)}"' in (out / "s38e02" / "index.html").read_text("utf-8")
