"""The published site with an audio episode, served by ``kikigaki preview`` and opened in
a real headless Chromium: what the player and preview tests share.

The episode is the factory's, timed into the first 6 s of a real 6.4 s clip; no ASR runs.
Screenshots go to ``artifacts/screenshots/`` for a person to look at.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Request, sync_playwright

from kikigaki.document import CollectionDocument, Episode
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

AUDIO = "document.getElementById('episode-audio')"
CURRENT = (
    "(() => { const c = document.querySelectorAll('#transcript .is-current');"
    " return c.length === 1 ? [c[0].id, c[0].getAttribute('aria-current')] : [c.length]; })()"
)


def audio_episode() -> Episode:
    return episode_factory.audio_episode(CLIP, slug=SLUG)


def make_site(out: Path, episode: Episode, collection: list[CollectionDocument]) -> Path:
    """The audio episode and an untimed one, published with the collection into ``out``."""
    plain = episode_factory.episode(slug=PLAIN_SLUG, date="2023-01-01")
    publish_site(out, [episode, plain], collection)
    return out


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's headless Chromium (skipped where it is missing, failed in CI)."""
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
        self._issued_on: dict[Request, str] = {}  # request -> the document that asked for it
        self.page.on("request", lambda r: self._issued_on.__setitem__(r, _document(self.page.url)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", self._failed)
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(url, wait_until="load")

    def _failed(self, request: Request) -> None:
        # Chromium cancels its own media range requests once it has what it needs, and what
        # a document still loads when the page navigates away from it (a favicon)
        aborted = "ERR_ABORTED" in (request.failure or "")
        left = self._issued_on.get(request, "") != _document(self.page.url)
        if not (aborted and (request.resource_type == "media" or left)):
            self.errors.append(f"failed: {request.url} {request.failure}")

    def close(self) -> None:
        self.context.close()


def _document(url: str) -> str:
    return url.split("#", 1)[0]


Opener = Callable[..., Opened]


@contextmanager
def opener(browser: Browser, server: str) -> Iterator[Opener]:
    """Open a site page (path, viewport, browser-context options); all closed at the end."""
    pages: list[Opened] = []

    def open_page(path: str, viewport: str = "desktop", **options: object) -> Opened:
        pages.append(Opened(browser, server + path, viewport, **options))
        return pages[-1]

    yield open_page
    for page in pages:
        page.close()


def ready_player(page: Page) -> None:
    """Wait for the audio's metadata and the captions track, and mute the player."""
    page.wait_for_function(
        f"{AUDIO}.readyState >= 1 && document.querySelector('track').readyState === 2"
    )
    page.evaluate(f"{AUDIO}.muted = true")


def seek(page: Page, seconds: float) -> list[object]:
    """Set the player's time as a seek does and return the highlighted sentence."""
    return page.evaluate(
        f"t => {{ const a = {AUDIO}; a.currentTime = t;"
        f" a.dispatchEvent(new Event('timeupdate')); return {CURRENT}; }}",
        seconds,
    )


def shoot(page: Page, name: str, *, full_page: bool = True) -> None:
    """A screenshot for a person to look at: the whole page, or what the reader sees (a
    whole page shows the sticky player where the page is scrolled to, not at its top)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


# ---------------------------------------------------------------- fixtures the modules share
# Imported by each browser test module (`from tests.player_site import *_fixture`): module
# scope, so each module builds the site and starts the preview and Chromium once.


@pytest.fixture(scope="module", name="audio_episode")
def audio_episode_fixture() -> Episode:
    return audio_episode()


@pytest.fixture(scope="module", name="collection")
def collection_fixture() -> list[CollectionDocument]:
    return episode_factory.collection()


@pytest.fixture(scope="module", name="site")
def site_fixture(
    tmp_path_factory: pytest.TempPathFactory,
    audio_episode: Episode,
    collection: list[CollectionDocument],
) -> Path:
    return make_site(tmp_path_factory.mktemp("player") / "site", audio_episode, collection)


@pytest.fixture(scope="module", name="server")
def server_fixture(site: Path) -> Iterator[str]:
    """The site as ``kikigaki preview`` serves it (byte ranges: the player can seek)."""
    from publish.preview import running_preview

    with running_preview(site) as url:
        yield url


@pytest.fixture(scope="module", name="browser")
def browser_fixture() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture(name="opened")
def opened_fixture(browser: Browser, server: str) -> Iterator[Opener]:
    """Open a site page (path, viewport, browser-context options); closed after the test."""
    with opener(browser, server) as open_page:
        yield open_page
