"""An episode with audio: the published player page, the search within it and the
site-wide search, in a real headless Chromium over ``kikigaki preview`` (the site served
with byte ranges, as a web server serves it), plus the audio copy and the search index.

The site is ``tests.player_site``'s; ``kikigaki preview`` itself, a click on a sentence,
captions and keys are tested in ``test_preview_browser.py``, accessibility in
``test_accessibility_browser.py``.
"""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
from pathlib import Path

import html5lib
import pytest
from playwright.sync_api import Browser

from kikigaki.document import CollectionDocument, Episode
from publish.site import publish_site
from tests import episode_factory
from tests.player_site import (  # noqa: F401 (pytest finds the shared fixtures here)
    AUDIO,
    CLIP,
    CURRENT,
    PLAIN_SLUG,
    SLUG,
    VIEWPORTS,
    Opened,
    Opener,
    audio_episode_fixture,
    browser_fixture,
    collection_fixture,
    opened_fixture,
    ready_player,
    seek,
    server_fixture,
    shoot,
    site_fixture,
)


def _fold(text: str) -> str:
    """What the page's search compares: NFKC, case-folded, katakana as hiragana, no spaces."""
    folded = "".join(unicodedata.normalize("NFKC", text).casefold().split())
    return "".join(chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c for c in folded)


def _tree(path: Path):  # type: ignore[no-untyped-def]
    return html5lib.parse(path.read_text(encoding="utf-8"), namespaceHTMLElements=False)


def test_audio_is_copied_beside_the_page_with_a_captioned_player(site: Path) -> None:
    assert (site / SLUG / "audio.wav").read_bytes() == CLIP.read_bytes()
    tree = _tree(site / SLUG / "index.html")
    audio = tree.find(".//audio")
    assert audio is not None and audio.get("src") == "audio.wav"
    assert audio.get("controls") is not None
    track = audio.find("track")
    assert track is not None
    assert (track.get("kind"), track.get("srclang"), track.get("src")) == (
        "captions", "ja", "captions.vtt"
    )
    assert track.get("default") is not None
    assert (site / SLUG / "captions.vtt").read_text(encoding="utf-8").startswith("WEBVTT")
    plain = (site / PLAIN_SLUG / "index.html").read_text(encoding="utf-8")
    assert "<audio" not in plain and "AudioObject" not in plain
    assert _scripts(plain) == [LD_JSON, '<script src="../kikigaki.js" defer>']  # for the search
    assert not list((site / PLAIN_SLUG).glob("audio*"))


LD_JSON = '<script type="application/ld+json">'


def _scripts(text: str) -> list[str]:
    return re.findall(r"<script[^>]*>", text)


def test_player_and_search_pages_load_only_first_party_files(site: Path) -> None:
    expected = {
        site / SLUG / "index.html": [LD_JSON, '<script src="../kikigaki.js" defer>'],
        site / "search.html": [
            '<script src="search-index.js" defer>',  # the index first: it sets the data
            '<script src="kikigaki.js" defer>',
        ],
    }
    for page, scripts in expected.items():
        text = page.read_text(encoding="utf-8")
        html5lib.HTMLParser(strict=True).parse(text)
        assert _scripts(text) == scripts
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text or page.name == "search.html"
        for element in _tree(page).iter():
            loaded = element.get("src") or (element.get("href") if element.tag == "link" else None)
            if loaded:
                assert "//" not in loaded and not loaded.startswith("/"), (page, loaded)
                assert (page.parent / loaded).is_file(), (page, loaded)


def test_every_timed_sentence_and_chapter_seeks(site: Path, audio_episode: Episode) -> None:
    tree = _tree(site / SLUG / "index.html")
    seeks = {a.get("href"): a.get("data-seek") for a in tree.iter("a") if a.get("data-seek")}
    for index, sentence in enumerate(audio_episode.sentences):
        if sentence.start is not None:
            assert float(seeks[f"#s{index}"]) == sentence.start
    chapter_links = [a for a in tree.find(".//ol[@class='chapters']").iter("a")]
    timed = [c for c in audio_episode.chapters if c.start is not None]
    assert [float(a.get("data-seek")) for a in chapter_links if a.get("data-seek")] == [
        c.start for c in timed
    ]


def test_search_index_covers_every_sentence_and_block(
    site: Path, audio_episode: Episode, collection: list[CollectionDocument]
) -> None:
    import json

    index = json.loads((site / "search-index.json").read_text(encoding="utf-8"))
    pages = {page["href"]: page for page in index["pages"]}
    episode_page = pages[f"{SLUG}/index.html"]
    assert episode_page["slug"] == SLUG
    assert [item[2] for item in episode_page["items"]] == [
        " ".join(s.text.split()) for s in audio_episode.sentences
    ]
    assert episode_page["items"][5][:2] == ["s5", audio_episode.sentences[5].start]
    assert episode_page["items"][-1][1] is None  # untimed
    for document in collection:
        assert [item[0] for item in pages[document.href]["items"]] == [
            b.id for b in document.blocks
        ]
    ids = {e.get("id") for e in _tree(site / SLUG / "index.html").iter() if e.get("id")}
    assert {item[0] for item in episode_page["items"]} <= ids


def test_unchanged_audio_is_linked_not_copied_again(
    tmp_path: Path, collection: list[CollectionDocument]
) -> None:
    source = tmp_path / "Episode 1.WAV"
    shutil.copy2(CLIP, source)
    out = tmp_path / "site"
    episode = episode_factory.audio_episode(source, slug="ep")
    publish_site(out, [episode], collection)
    published = out / "ep" / "audio.wav"
    first = published.stat().st_ino
    publish_site(out, [episode], collection)
    assert published.stat().st_ino == first  # the same file, hard-linked into the new site
    source.write_bytes(CLIP.read_bytes()[:-3200])  # the audio changed: copied afresh
    os.utime(source, ns=(published.stat().st_atime_ns, published.stat().st_mtime_ns + 10**9))
    publish_site(out, [episode], collection)
    assert published.read_bytes() == source.read_bytes()
    source.unlink()  # the audio moved away: the site keeps its copy and its player
    publish_site(out, [], collection)
    assert published.read_bytes() == CLIP.read_bytes()[:-3200]
    assert '<audio id="episode-audio"' in (out / "ep" / "index.html").read_text(encoding="utf-8")


def test_missing_audio_gives_the_page_without_player(
    tmp_path: Path, collection: list[CollectionDocument]
) -> None:
    episode = episode_factory.audio_episode(tmp_path / "gone.mp3", slug="gone")
    publish_site(tmp_path / "site", [episode], collection)
    page = (tmp_path / "site" / "gone" / "index.html").read_text(encoding="utf-8")
    assert "<audio" not in page and "AudioObject" not in page
    assert _scripts(page) == [LD_JSON, '<script src="../kikigaki.js" defer>']


# --------------------------------------------------------------------------- the browser




@pytest.mark.browser
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_player_page(opened: Opener, audio_episode: Episode, viewport: str) -> None:
    tab = opened(f"{SLUG}/index.html", viewport)
    page = tab.page
    ready_player(page)
    assert page.locator("#episode-audio").is_visible()
    assert page.evaluate(f"{AUDIO}.textTracks[0].cues.length") > 0  # the captions loaded
    assert page.locator("#find").is_visible()
    assert page.locator("#transcript span.s").count() == len(audio_episode.sentences)
    assert page.locator("a.seek").first.get_attribute("aria-label") == "0:00 から再生"
    if viewport == "phone":
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert seek(page, 4.0) == ["s5", "true"]
    page.fill("#find-q", "モデル")
    page.evaluate("scrollTo(0, 0)")  # the sticky player at its place under the header
    shoot(page, f"player-{viewport}")
    assert tab.errors == []


@pytest.mark.browser
def test_seeking_moves_the_highlight_to_the_spoken_sentence(
    opened: Opener, audio_episode: Episode
) -> None:
    tab = opened(f"{SLUG}/index.html")
    page = tab.page
    ready_player(page)
    assert page.evaluate(CURRENT) == [0]
    timed = [(i, s) for i, s in enumerate(audio_episode.sentences) if s.start is not None]
    for index, sentence in reversed(timed):
        middle = (sentence.start + sentence.end) / 2  # type: ignore[operator]
        assert seek(page, middle) == [f"s{index}", "true"], middle
    assert seek(page, timed[3][1].start) == ["s3", "true"]  # exactly at a sentence's start
    assert tab.errors == []


@pytest.mark.browser
def test_playing_highlights_the_sentence_being_spoken(
    opened: Opener, audio_episode: Episode
) -> None:
    tab = opened(f"{SLUG}/index.html")
    page = tab.page
    ready_player(page)
    page.evaluate(f"{AUDIO}.play()")
    page.wait_for_function(f"{AUDIO}.currentTime > 1.6")
    page.evaluate(f"{AUDIO}.pause()")
    page.wait_for_function(f"{AUDIO}.paused")
    time, current = page.evaluate(
        f"() => {{ {AUDIO}.dispatchEvent(new Event('timeupdate'));"
        f" return [{AUDIO}.currentTime, {CURRENT}]; }}"
    )
    starts = [s.start for s in audio_episode.sentences if s.start is not None]
    expected = max(i for i, start in enumerate(starts) if start <= time + 0.05)
    assert current == [f"s{expected}", "true"]
    assert tab.errors == []


@pytest.mark.browser
def test_chapter_and_time_links_seek_the_player(
    opened: Opener, audio_episode: Episode
) -> None:
    tab = opened(f"{SLUG}/index.html")
    page = tab.page
    ready_player(page)
    chapter = audio_episode.chapters[1]
    page.click(f"#chapters a[href='#s{chapter.first}']")
    page.wait_for_function(f"{AUDIO}.currentTime >= {chapter.start - 0.05}")
    assert page.evaluate("location.hash") == f"#s{chapter.first}"  # still an anchor
    page.evaluate(f"{AUDIO}.pause()")
    page.evaluate(f"{AUDIO}.currentTime = 0")
    page.wait_for_function(f"{AUDIO}.currentTime < 0.5")
    sentence = audio_episode.sentences[6]
    page.click("a.seek[href='#s6']")
    page.wait_for_function(f"{AUDIO}.currentTime >= {sentence.start - 0.05}")
    assert page.evaluate("location.hash") == f"#s{chapter.first}"  # the page did not jump
    assert tab.errors == []

@pytest.mark.browser
def test_highlight_is_kept_in_view_unless_the_reader_scrolls(opened: Opener) -> None:
    tab = opened(f"{SLUG}/index.html", "phone", reduced_motion="reduce")
    page = tab.page
    ready_player(page)
    in_view = (
        "id => { const box = document.getElementById(id).getBoundingClientRect();"
        " const bar = document.querySelector('.listen-bar').getBoundingClientRect().bottom;"
        " return box.top >= bar && box.bottom <= innerHeight; }"
    )
    assert not page.evaluate(in_view, "s7")
    assert seek(page, 5.5) == ["s7", "true"]
    assert page.evaluate(in_view, "s7")  # followed: scrolled into view
    moved = page.evaluate(
        f"() => {{ const y = scrollY; window.dispatchEvent(new WheelEvent('wheel'));"
        f" const a = {AUDIO}; a.currentTime = 0.2; a.dispatchEvent(new Event('timeupdate'));"
        f" return [{CURRENT}, scrollY !== y]; }}"
    )
    assert moved == [["s0", "true"], False]  # highlighted, but the reader's scroll wins
    assert tab.errors == []


@pytest.mark.browser
def test_search_within_the_page(opened: Opener, audio_episode: Episode) -> None:
    tab = opened(f"{SLUG}/index.html", "phone")
    page = tab.page
    texts = [s.text for s in audio_episode.sentences]
    for query in ("並列化", "ｌｓｔｍ", "もでる", "ﾓﾃﾞﾙ", "attention is"):
        page.fill("#find-q", query)
        expected = [f"s{i}" for i, text in enumerate(texts) if _fold(query) in _fold(text)]
        assert expected, query
        found = page.evaluate("[...document.querySelectorAll('.s.is-match')].map(e => e.id)")
        assert found == expected, query
        assert page.locator("#find-status").inner_text() == f"{len(expected)} 件"
    page.press("#find-q", "Enter")
    assert page.evaluate("document.querySelector('.is-active-match').id") == expected[0]
    assert page.locator("#find-status").inner_text() == f"1 / {len(expected)} 件"
    page.fill("#find-q", "存在しない語句")
    assert page.locator("#find-status").inner_text() == "見つかりません"
    assert page.locator(".s.is-match").count() == 0
    assert tab.errors == []


@pytest.mark.browser
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_site_search_finds_sentences_and_documents(
    opened: Opener, collection: list[CollectionDocument], viewport: str
) -> None:
    tab = opened("search.html", viewport)
    page = tab.page
    page.fill("#site-search-q", "順番に処理")
    results = page.locator("#site-search-results a.result-hit")
    assert results.count() == 2  # the sentence in both episodes
    assert {results.nth(i).get_attribute("href") for i in range(2)} == {
        f"{SLUG}/index.html#s2",
        f"{PLAIN_SLUG}/index.html#s2",
    }
    assert page.locator("#site-search-results mark").first.inner_text() == "順番に処理"
    course = next(d for d in collection if d.doc_id == "course")
    for query, word in (("木曜日", "木曜日"), ("ふぁいんちゅーにんぐ", "ファインチューニング")):
        block = next(b for b in course.blocks if word in b.text)
        page.fill("#site-search-q", query)
        assert page.locator(f"a[href='{course.href}#{block.id}']").count() == 1, query
    page.fill("#site-search-q", "alert(1)")
    assert "<script>alert(1)</script>" in page.locator(".result-hit").first.inner_text()
    if viewport == "phone":
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.fill("#site-search-q", "LSTM")
    shoot(page, f"search-{viewport}")
    assert "q=LSTM" in page.url
    page.fill("#site-search-q", "順番に処理")
    page.click(f"a[href='{SLUG}/index.html#s2']")
    page.wait_for_url(f"**/{SLUG}/index.html#s2")
    ready_player(page)
    assert page.evaluate(f"{AUDIO}.currentTime") == pytest.approx(1.5)  # cued to the sentence
    assert tab.errors == [] and tab.dialogs == []


@pytest.mark.browser
def test_pages_read_fully_without_javascript(opened: Opener) -> None:
    tab = opened(f"{SLUG}/index.html", java_script_enabled=False)
    page = tab.page
    assert page.locator("#episode-audio").is_visible()
    assert not page.locator("#find").is_visible()
    assert page.locator("#s11").is_visible()
    page.click("#chapters a[href='#s5']")
    assert page.evaluate("location.hash") == "#s5"
    page.click("a.seek[href='#s6']")
    assert page.evaluate("location.hash") == "#s6"
    search = opened("search.html", java_script_enabled=False)
    assert search.page.locator("#search-notice").is_visible()
    assert not search.page.locator("#site-search").is_visible()
    assert tab.errors == [] and search.errors == []


@pytest.mark.browser
def test_site_search_works_from_a_file_url(
    browser: Browser, site: Path, collection: list[CollectionDocument]
) -> None:
    """Opened from disk (file://), where a page cannot fetch JSON: the index comes from
    search-index.js, and the results lead to the pages on disk."""
    tab = Opened(browser, (site / "search.html").as_uri() + "?q=順番に処理", "phone")
    try:
        page = tab.page
        assert not page.locator("#search-notice").is_visible()
        assert page.locator("#site-search").is_visible()
        results = page.locator("#site-search-results a.result-hit")
        assert results.count() == 2  # the query in the URL was searched on load
        course = next(d for d in collection if d.doc_id == "course")
        block = next(b for b in course.blocks if "木曜日" in b.text)
        page.fill("#site-search-q", "木曜日")
        assert page.locator(f"a[href='{course.href}#{block.id}']").count() == 1
        page.fill("#site-search-q", "順番に処理")
        page.click(f"a[href='{PLAIN_SLUG}/index.html#s2']")
        page.wait_for_url(f"file://**/{PLAIN_SLUG}/index.html#s2")
        assert page.evaluate("location.protocol") == "file:"
        assert page.locator("#s2").is_visible()
        assert tab.errors == [] and tab.dialogs == []
    finally:
        tab.close()


@pytest.mark.browser
def test_site_search_falls_back_to_the_json_index_over_http(opened: Opener) -> None:
    """Without search-index.js (a site published by an older kikigaki, a blocked script),
    the page fetches search-index.json instead."""
    tab = opened("search.html")
    tab.page.route("**/search-index.js", lambda route: route.abort())
    tab.page.reload(wait_until="load")
    tab.errors.clear()  # the aborted script is the point of this test
    tab.page.fill("#site-search-q", "順番に処理")
    assert tab.page.locator("#site-search-results a.result-hit").count() == 2
