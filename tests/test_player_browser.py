"""An episode with audio: the published player page, the search within it and the
site-wide search, in a real headless Chromium over ``kikigaki preview`` (the site served
with byte ranges, as a web server serves it), plus the audio copy, the search index and an
offline accessibility check.

The episode is the factory's, timed into the first 6 s of a real 6.4 s clip; no ASR runs.
Screenshots go to ``artifacts/screenshots/`` for a person to look at.
"""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import html5lib
import pytest
from playwright.sync_api import Browser, Page, Request, sync_playwright

from kikigaki.document import CollectionDocument, Episode
from kikigaki.resources import templates_dir
from publish.preview import running_preview
from publish.site import publish_site
from tests import episode_factory
from tests.conftest import REPO

CHROMIUM = Path("/usr/bin/chromium")
CLIP = REPO / "tests" / "fixtures" / "audio" / "common_voice_ja_38853932_16k.wav"
SCREENSHOTS = REPO / "artifacts" / "screenshots"
SLUG = "s38e02-player"
PLAIN_SLUG = "s38e02-plain"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--autoplay-policy=no-user-gesture-required",
]
VIEWPORTS = {"phone": {"width": 375, "height": 812}, "desktop": {"width": 1280, "height": 900}}
AA_TEXT = 4.5
AA_LARGE_TEXT = 3.0
AA_NON_TEXT = 3.0

AUDIO = "document.getElementById('episode-audio')"
CURRENT = (
    "(() => { const c = document.querySelectorAll('#transcript .is-current');"
    " return c.length === 1 ? [c[0].id, c[0].getAttribute('aria-current')] : [c.length]; })()"
)


# --------------------------------------------------------------------------- the site


@pytest.fixture(scope="module")
def audio_episode() -> Episode:
    return episode_factory.audio_episode(CLIP, slug=SLUG)


@pytest.fixture(scope="module")
def collection() -> list[CollectionDocument]:
    return episode_factory.collection()


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory,
    audio_episode: Episode,
    collection: list[CollectionDocument],
) -> Path:
    out = tmp_path_factory.mktemp("player") / "site"
    plain = episode_factory.episode(slug=PLAIN_SLUG, date="2023-01-01")
    publish_site(out, [audio_episode, plain], collection)
    return out


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


# --------------------------------------------------------------------------- colour contrast


def _css_colours(css: str) -> tuple[dict[str, str], dict[str, str]]:
    """The ``--name: #hex`` custom properties of the light theme and of the dark one."""
    declaration = re.compile(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})\s*;")
    light_block = re.search(r"^:root\s*\{(.*?)^\}", css, re.S | re.M)
    dark_block = re.search(r"prefers-color-scheme:\s*dark\)\s*\{\s*:root\s*\{(.*?)\}", css, re.S)
    assert light_block and dark_block
    light = dict(declaration.findall(light_block.group(1)))
    return light, {**light, **dict(declaration.findall(dark_block.group(1)))}


def _luminance(rgb: tuple[float, float, float]) -> float:
    """WCAG 2 relative luminance of an sRGB colour (0-255 channels)."""

    def linear(channel: float) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _ratio(one: tuple[float, float, float], two: tuple[float, float, float]) -> float:
    high, low = sorted((_luminance(one), _luminance(two)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _hex(value: str) -> tuple[float, float, float]:
    return (int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16))


TEXT_ON = {  # text colour → the backgrounds it is drawn on in style.css
    "fg": ["bg", "surface", "target-bg", "current-bg", "match-bg", "mark-bg"],
    "muted": ["bg", "surface", "target-bg"],
    "accent": ["bg", "surface", "target-bg"],
    "accent-visited": ["bg", "surface", "target-bg"],
    "mark-fg": ["mark-bg", "match-bg"],
}
NON_TEXT_ON = {"field-border": ["bg", "surface"], "accent": ["current-bg", "match-bg"]}


def test_style_colours_meet_wcag_aa_in_light_and_dark() -> None:
    css = (templates_dir() / "style.css").read_text(encoding="utf-8")
    failures = []
    for theme, colours in zip(("light", "dark"), _css_colours(css), strict=True):
        for pairs, minimum in ((TEXT_ON, AA_TEXT), (NON_TEXT_ON, AA_NON_TEXT)):
            for text, backgrounds in pairs.items():
                for background in backgrounds:
                    ratio = _ratio(_hex(colours[text]), _hex(colours[background]))
                    if ratio < minimum:
                        failures.append(f"{theme}: --{text} on --{background} is {ratio:.2f}")
    assert failures == []


# --------------------------------------------------------------------------- the browser


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    """The site as ``kikigaki preview`` serves it (byte ranges: the player can seek)."""
    with running_preview(site) as url:
        yield url


def _get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_preview_answers_byte_ranges_as_a_web_server_does(server: str, site: Path) -> None:
    audio = (site / SLUG / "audio.wav").read_bytes()
    url = f"{server}{SLUG}/audio.wav"
    status, headers, body = _get(url, Range="bytes=1000-1999")
    assert status == 206 and body == audio[1000:2000]
    assert headers["content-range"] == f"bytes 1000-1999/{len(audio)}"
    assert headers["accept-ranges"] == "bytes" and headers["content-type"] == "audio/wav"
    status, _, body = _get(url, Range="bytes=-100")  # the last 100 bytes
    assert status == 206 and body == audio[-100:]
    status, headers, _ = _get(url, Range=f"bytes={len(audio) + 10}-")
    assert status == 416 and headers["content-range"] == f"bytes */{len(audio)}"
    status, headers, body = _get(url)
    assert status == 200 and body == audio
    status, _, _ = _get(url, **{"If-None-Match": headers["etag"]})
    assert status == 304
    status, headers, body = _get(f"{server}{SLUG}/")  # a folder: its index.html
    assert status == 200 and body == (site / SLUG / "index.html").read_bytes()
    assert _get(f"{server}{SLUG}/captions.vtt")[1]["content-type"].startswith("text/vtt")
    assert _get(f"{server}missing.html")[0] == 404


def test_preview_refuses_a_folder_without_a_site(tmp_path: Path) -> None:
    from commands.cli import main

    assert main(["preview", "--out", str(tmp_path / "nothing")]) == 2


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; CI must install chromium", pytrace=False)
        pytest.skip(f"{CHROMIUM} is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


class Opened:
    """A page and everything that went wrong on it."""

    def __init__(self, browser: Browser, url: str, viewport: str, **options: object) -> None:
        self.context = browser.new_context(viewport=VIEWPORTS[viewport], **options)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", self._failed)
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(url, wait_until="load")

    def _failed(self, request: Request) -> None:
        # Chromium cancels its own media range requests once it has what it needs
        if not (request.resource_type == "media" and "ERR_ABORTED" in (request.failure or "")):
            self.errors.append(f"failed: {request.url} {request.failure}")

    def close(self) -> None:
        self.context.close()


Opener = Callable[..., Opened]


@pytest.fixture()
def opened(browser: Browser, server: str) -> Iterator[Opener]:
    """Open a site page (path, viewport, browser-context options); closed after the test."""
    pages: list[Opened] = []

    def open_page(path: str, viewport: str = "desktop", **options: object) -> Opened:
        pages.append(Opened(browser, server + path, viewport, **options))
        return pages[-1]

    yield open_page
    for page in pages:
        page.close()


def _ready_player(page: Page) -> None:
    """Wait for the audio's metadata and the captions track, and mute the player."""
    page.wait_for_function(
        f"{AUDIO}.readyState >= 1 && document.querySelector('track').readyState === 2"
    )
    page.evaluate(f"{AUDIO}.muted = true")


def _seek(page: Page, seconds: float) -> list[object]:
    """Set the player's time as a seek does and return the highlighted sentence."""
    return page.evaluate(
        f"t => {{ const a = {AUDIO}; a.currentTime = t;"
        f" a.dispatchEvent(new Event('timeupdate')); return {CURRENT}; }}",
        seconds,
    )


def _shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_player_page(opened: Opener, audio_episode: Episode, viewport: str) -> None:
    tab = opened(f"{SLUG}/index.html", viewport)
    page = tab.page
    _ready_player(page)
    assert page.locator("#episode-audio").is_visible()
    assert page.evaluate(f"{AUDIO}.textTracks[0].cues.length") > 0  # the captions loaded
    assert page.locator("#find").is_visible()
    assert page.locator("#transcript span.s").count() == len(audio_episode.sentences)
    assert page.locator("a.seek").first.get_attribute("aria-label") == "0:00 から再生"
    if viewport == "phone":
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert _seek(page, 4.0) == ["s5", "true"]
    page.fill("#find-q", "モデル")
    _shoot(page, f"player-{viewport}")
    assert tab.errors == []


@pytest.mark.browser
def test_seeking_moves_the_highlight_to_the_spoken_sentence(
    opened: Opener, audio_episode: Episode
) -> None:
    tab = opened(f"{SLUG}/index.html")
    page = tab.page
    _ready_player(page)
    assert page.evaluate(CURRENT) == [0]
    timed = [(i, s) for i, s in enumerate(audio_episode.sentences) if s.start is not None]
    for index, sentence in reversed(timed):
        middle = (sentence.start + sentence.end) / 2  # type: ignore[operator]
        assert _seek(page, middle) == [f"s{index}", "true"], middle
    assert _seek(page, timed[3][1].start) == ["s3", "true"]  # exactly at a sentence's start
    assert tab.errors == []


@pytest.mark.browser
def test_playing_highlights_the_sentence_being_spoken(
    opened: Opener, audio_episode: Episode
) -> None:
    tab = opened(f"{SLUG}/index.html")
    page = tab.page
    _ready_player(page)
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
    _ready_player(page)
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


def _click_text(page: Page, selector: str) -> None:
    """Click the middle of the first line of an element's text (an inline span that wraps
    has a box wider than its text)."""
    box = page.evaluate(
        "s => { const r = document.querySelector(s).getClientRects()[0];"
        " return [r.left + r.width / 2, r.top + r.height / 2]; }",
        selector,
    )
    page.mouse.click(*box)


@pytest.mark.browser
def test_the_audio_seeks_and_a_click_on_a_sentence_plays_it(
    opened: Opener, audio_episode: Episode
) -> None:
    tab = opened(f"{SLUG}/index.html")
    page = tab.page
    _ready_player(page)
    # the preview answers byte ranges, so the whole file is seekable
    seekable = page.evaluate(f"[{AUDIO}.seekable.length, {AUDIO}.seekable.end(0)]")
    assert seekable[0] == 1 and seekable[1] == pytest.approx(6.4, abs=0.1)
    sentence = audio_episode.sentences[6]
    page.locator("#s6").scroll_into_view_if_needed()
    _click_text(page, "#s6")  # the sentence's words, not its time link
    page.wait_for_function(f"!{AUDIO}.paused && {AUDIO}.currentTime >= {sentence.start - 0.05}")
    page.wait_for_function(f"{AUDIO}.currentTime > {sentence.start + 0.3}")  # plays on from there
    assert page.evaluate(CURRENT) == ["s6", "true"]
    assert page.evaluate("location.hash") == ""  # the page did not jump
    page.evaluate(f"{AUDIO}.pause()")
    _click_text(page, "#s1 a.term")  # a term's link in a sentence still leads to the term
    page.wait_for_function("location.hash === '#t0'")
    assert tab.errors == []


@pytest.mark.browser
def test_the_caption_being_spoken_shows_under_the_controls(
    opened: Opener, audio_episode: Episode
) -> None:
    tab = opened(f"{SLUG}/index.html", "phone")
    page = tab.page
    _ready_player(page)
    caption = page.locator("#now-caption")
    assert caption.is_visible()
    listen_bar = page.locator(".listen-bar")
    for index in (5, 2):
        sentence = audio_episode.sentences[index]
        middle = (sentence.start + sentence.end) / 2  # type: ignore[operator]
        page.evaluate(f"{AUDIO}.currentTime = {middle}")
        speaker = audio_episode.speaker_name(sentence.speaker)
        page.wait_for_function(
            "s => document.querySelector('.caption-speaker')?.textContent === s", arg=speaker
        )
        words = page.evaluate(
            "() => { const c = document.getElementById('now-caption').cloneNode(true);"
            " c.querySelector('.caption-speaker')?.remove(); return c.textContent; }"
        )
        assert words and words.replace("\n", "") in sentence.text, (words, sentence.text)
        assert len(words.split("\n")) <= 2  # a cue: at most two lines
    box, bar = caption.bounding_box(), listen_bar.bounding_box()
    assert box and bar  # inside the sticky bar, under the controls
    assert bar["y"] <= box["y"] and box["y"] + box["height"] <= bar["y"] + bar["height"]
    _shoot(page, "player-caption-phone")
    assert tab.errors == []


@pytest.mark.browser
def test_space_plays_and_pauses_and_arrows_skip(opened: Opener) -> None:
    tab = opened(f"{SLUG}/index.html")
    page = tab.page
    _ready_player(page)
    assert page.locator("#player-keys").is_visible()
    page.evaluate(  # runs after the page's own handler: sees whether it took the key
        "window.addEventListener('keydown', e => { window.keptDefault = !e.defaultPrevented; })"
    )
    page.keyboard.press("Space")
    page.wait_for_function(f"!{AUDIO}.paused")
    page.keyboard.press("Space")
    page.wait_for_function(f"{AUDIO}.paused")
    assert page.evaluate("window.keptDefault") is False  # the space did not scroll the page
    page.evaluate(f"{AUDIO}.currentTime = 0.5")
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"{AUDIO}.currentTime >= 5.45")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(f"{AUDIO}.currentTime === 0")  # not before the start
    page.fill("#find-q", "")
    page.focus("#find-q")
    page.keyboard.press("Space")  # typing in the search: a space, not a play
    assert page.evaluate(f"{AUDIO}.paused") and page.input_value("#find-q") == " "
    assert page.evaluate("window.keptDefault") is True
    assert tab.errors == []


@pytest.mark.browser
def test_highlight_is_kept_in_view_unless_the_reader_scrolls(opened: Opener) -> None:
    tab = opened(f"{SLUG}/index.html", "phone", reduced_motion="reduce")
    page = tab.page
    _ready_player(page)
    in_view = (
        "id => { const box = document.getElementById(id).getBoundingClientRect();"
        " const bar = document.querySelector('.listen-bar').getBoundingClientRect().bottom;"
        " return box.top >= bar && box.bottom <= innerHeight; }"
    )
    assert not page.evaluate(in_view, "s7")
    assert _seek(page, 5.5) == ["s7", "true"]
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
    _shoot(page, f"search-{viewport}")
    assert "q=LSTM" in page.url
    page.fill("#site-search-q", "順番に処理")
    page.click(f"a[href='{SLUG}/index.html#s2']")
    page.wait_for_url(f"**/{SLUG}/index.html#s2")
    _ready_player(page)
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


# --------------------------------------------------------------------------- accessibility

A11Y_FACTS = """() => ({
  banner: document.querySelectorAll('body > header').length,
  nav: document.querySelectorAll('nav').length,
  main: document.querySelectorAll('main').length,
  footer: document.querySelectorAll('body > footer').length,
  unlabelled: [...document.querySelectorAll('input, select, textarea')]
    .filter(e => e.type !== 'hidden' && !e.labels.length && !e.getAttribute('aria-label')
                 && !e.getAttribute('aria-labelledby'))
    .map(e => e.id || e.name),
  unnamedButtons: [...document.querySelectorAll('button')]
    .filter(b => !(b.getAttribute('aria-label') || b.textContent.trim())).length,
  imagesWithoutAlt: document.querySelectorAll('img:not([alt])').length,
  lang: document.documentElement.lang,
})"""

TEXT_COLOURS = """() => {
  const rgba = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const over = (top, under) => {
    const a = top.length > 3 ? top[3] : 1;
    return [0, 1, 2].map(i => top[i] * a + under[i] * (1 - a));
  };
  const backgroundOf = el => {
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const colour = rgba(getComputedStyle(node).backgroundColor);
      if (colour.length > 3 && colour[3] === 0) continue;
      layers.push(colour);
      if (colour.length === 3 || colour[3] === 1) break;
    }
    return layers.reverse().reduce((under, top) => over(top, under), [255, 255, 255]);
  };
  const found = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length || el.closest('audio')) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') continue;
    found.push({
      text: el.textContent.trim().slice(0, 20),
      colour: over(rgba(style.color), backgroundOf(el)),
      background: backgroundOf(el),
      px: parseFloat(style.fontSize),
      bold: Number(style.fontWeight) >= 700,
    });
  }
  return found;
}"""


@pytest.mark.browser
@pytest.mark.parametrize("path", [
    "index.html", f"{SLUG}/index.html", f"{PLAIN_SLUG}/index.html",
    "docs/course/index.html", "search.html?q=LSTM",
])
def test_landmarks_labels_and_alt_text(opened: Opener, path: str) -> None:
    tab = opened(path)
    facts = tab.page.evaluate(A11Y_FACTS)
    assert facts["banner"] == 1 and facts["main"] == 1 and facts["footer"] == 1, facts
    assert facts["nav"] >= 1, facts
    assert facts["unlabelled"] == [] and facts["unnamedButtons"] == 0, facts
    assert facts["imagesWithoutAlt"] == 0 and facts["lang"] == "ja"
    assert tab.errors == []


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_rendered_text_contrast_is_aa(opened: Opener, scheme: str) -> None:
    tab = opened(f"{SLUG}/index.html#t0", color_scheme=scheme)
    page = tab.page
    _ready_player(page)
    _seek(page, 1.0)
    page.fill("#find-q", "LSTM")
    page.press("#find-q", "Enter")
    search = opened("search.html?q=モデル", color_scheme=scheme).page
    search.wait_for_selector(".result")
    failures = []
    for shown in (page, search):
        for item in shown.evaluate(TEXT_COLOURS):
            large = item["px"] >= 24 or (item["bold"] and item["px"] >= 18.66)
            ratio = _ratio(tuple(item["colour"]), tuple(item["background"]))
            if ratio < (AA_LARGE_TEXT if large else AA_TEXT):
                failures.append(f"{item['text']!r}: {ratio:.2f}")
    assert failures == []
    assert tab.errors == []
