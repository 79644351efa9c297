"""``kikigaki preview`` and the player it serves, in a real headless Chromium: byte
ranges (the player seeks), a click on a sentence plays it, the caption being spoken shows
under the controls, and the keys (space, arrows) work. The site is ``tests.player_site``'s.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Page

from kikigaki.document import Episode
from tests.player_site import (  # noqa: F401 (pytest finds the shared fixtures here)
    AUDIO,
    CURRENT,
    SLUG,
    Opener,
    audio_episode_fixture,
    browser_fixture,
    collection_fixture,
    opened_fixture,
    ready_player,
    server_fixture,
    shoot,
    site_fixture,
)

# --------------------------------------------------------------------------- the server


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


# --------------------------------------------------------------------------- the player


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
    ready_player(page)
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
    ready_player(page)
    caption = page.locator("#now-caption")
    assert caption.is_visible()
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
    # inside the sticky bar, under the controls: both measured at once, since the page
    # may still be scrolling to the spoken sentence
    inside = page.evaluate(
        "() => { const c = document.getElementById('now-caption').getBoundingClientRect();"
        " const b = document.querySelector('.listen-bar').getBoundingClientRect();"
        " const a = document.getElementById('episode-audio').getBoundingClientRect();"
        " return b.top <= a.bottom && a.bottom <= c.top && c.bottom <= b.bottom; }"
    )
    assert inside
    shoot(page, "player-caption-phone", full_page=False)
    assert tab.errors == []


@pytest.mark.browser
def test_space_plays_and_pauses_and_arrows_skip(opened: Opener) -> None:
    tab = opened(f"{SLUG}/index.html")
    page = tab.page
    ready_player(page)
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
