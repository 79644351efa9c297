"""The published pages in a real headless Chromium: no errors, readable on a phone and a
desktop. Screenshots go to ``artifacts/screenshots/`` for a person to look at."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.publish import publish_site
from tests import episode_factory
from tests.conftest import REPO

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = REPO / "artifacts" / "screenshots"
SLUG = "s38e02-browser"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORTS = {"phone": {"width": 375, "height": 812}, "desktop": {"width": 1280, "height": 900}}

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing; CI must install chromium", pytrace=False)
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("browser") / "site"
    publish_site(out, [episode_factory.episode(slug=SLUG)], episode_factory.collection())
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


def _open(browser: Browser, url: str, viewport: str) -> tuple[Page, list[str]]:
    page = browser.new_page(viewport=VIEWPORTS[viewport])
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: errors.append(f"failed: {r.url}"))
    page.goto(url, wait_until="load")
    return page, errors


def _shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _no_horizontal_overflow(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_episode_page(browser: Browser, site: Path, viewport: str) -> None:
    page, errors = _open(browser, (site / SLUG / "index.html").as_uri(), viewport)
    try:
        assert page.locator("h1").inner_text().startswith("S38E02 Transformer")
        assert page.locator("#chapters li.chapter").count() == 3
        assert page.locator("#chapters").is_visible()
        assert page.locator("#transcript").is_visible()
        assert page.locator("#s0").is_visible()
        assert page.locator("#transcript span.s").count() == 12
        # the stylesheet applied: Japanese body text at a comfortable line height
        line_height = page.evaluate(
            "parseFloat(getComputedStyle(document.querySelector('.utterance')).lineHeight)"
            " / parseFloat(getComputedStyle(document.querySelector('.utterance')).fontSize)"
        )
        assert 1.6 <= line_height <= 2.0
        assert page.evaluate("document.querySelectorAll('script').length") == 0
        if viewport == "phone":
            assert _no_horizontal_overflow(page)
        _shoot(page, f"episode-{viewport}")
        page.click("#chapters a[href='#s5']")
        assert page.evaluate("location.hash") == "#s5"
        assert errors == []
    finally:
        page.close()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_index_page(browser: Browser, site: Path, viewport: str) -> None:
    page, errors = _open(browser, (site / "index.html").as_uri(), viewport)
    try:
        assert page.locator(f"a[href='{SLUG}/index.html']").is_visible()
        assert page.locator(".entry").count() == 3
        if viewport == "phone":
            assert _no_horizontal_overflow(page)
        _shoot(page, f"index-{viewport}")
        page.click(f"a[href='{SLUG}/index.html']")
        assert page.url.endswith(f"{SLUG}/index.html")
        assert errors == []
    finally:
        page.close()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_document_page(browser: Browser, site: Path, viewport: str) -> None:
    url = (site / "docs" / "course" / "index.html").as_uri()
    page, errors = _open(browser, url, viewport)
    try:
        assert page.locator("h1").inner_text() == "講座の記録 2024-03-01"
        assert page.locator("#b2").is_visible()
        assert page.locator("pre").is_visible()
        if viewport == "phone":
            assert _no_horizontal_overflow(page)
        _shoot(page, f"document-{viewport}")
        assert errors == []
    finally:
        page.close()
