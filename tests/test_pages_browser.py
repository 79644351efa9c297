"""The published pages in a real headless Chromium: no errors, readable on a phone and a
desktop. Screenshots go to ``artifacts/screenshots/`` for a person to look at."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from publish.site import publish_site
from tests import episode_factory
from tests.conftest import REPO, SEEDS
from transcribe.readers.collection import load_collection

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
    collection = [*episode_factory.collection(), *load_collection(SEEDS)]
    publish_site(out, [episode_factory.episode(slug=SLUG)], collection)
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


# The characters on each line of the page title, found from where each one is drawn.
TITLE_LINES = """() => {
  const title = document.querySelector('h1');
  const half = parseFloat(getComputedStyle(title).fontSize) / 2;
  const walker = document.createTreeWalker(title, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  const tops = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let i = 0; i < node.length; i += 1) {
      if (!node.data[i].trim()) continue;
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      tops.push(range.getBoundingClientRect().top);
    }
  }
  const rows = [];
  for (const top of tops) {  // in reading order: a new line starts well below the last
    if (!rows.length || top - rows[rows.length - 1].top > half) rows.push({ top, count: 0 });
    rows[rows.length - 1].count += 1;
  }
  return rows.map(row => row.count);
}"""


def _shoot(page: Page, name: str, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


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
        scripts = page.evaluate(
            "[...document.querySelectorAll('script')].map(s => s.type || s.getAttribute('src'))"
        )
        assert scripts == ["application/ld+json", "../kikigaki.js"]  # nothing else runs
        if viewport == "phone":
            assert _no_horizontal_overflow(page)
            lines = page.evaluate(TITLE_LINES)
            assert len(lines) >= 2 and min(lines) >= 4, lines  # no lone last character
        _shoot(page, f"episode-{viewport}")
        page.click("#chapters a[href='#s5']")
        assert page.evaluate("location.hash") == "#s5"
        assert errors == []
    finally:
        page.close()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_search_within_a_page_without_audio(browser: Browser, site: Path, viewport: str) -> None:
    page, errors = _open(browser, (site / SLUG / "index.html").as_uri(), viewport)
    try:
        assert page.locator("#episode-audio").count() == 0
        assert page.locator("#find").is_visible()  # shown by kikigaki.js
        page.fill("#find-q", "ｌｓｔｍ")  # width and case folded
        found = page.evaluate("[...document.querySelectorAll('.s.is-match')].map(e => e.id)")
        assert found == ["s1", "s2", "s10"]
        assert page.locator("#find-status").inner_text() == "3 件"
        page.press("#find-q", "Enter")
        page.press("#find-q", "Enter")
        assert page.evaluate("document.querySelector('.is-active-match').id") == "s2"
        assert page.locator("#find-status").inner_text() == "2 / 3 件"
        # the sticky bar stays on screen and does not cover the sentence it went to
        top = page.evaluate("document.getElementById('s2').getBoundingClientRect().top")
        bar = page.evaluate("document.getElementById('find').getBoundingClientRect().bottom")
        assert page.locator("#find").is_visible() and top >= bar
        if viewport == "phone":
            assert _no_horizontal_overflow(page)
        _shoot(page, f"episode-find-{viewport}")
        assert errors == []
    finally:
        page.close()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_index_page(browser: Browser, site: Path, viewport: str) -> None:
    page, errors = _open(browser, (site / "index.html").as_uri(), viewport)
    try:
        assert page.locator(f"a[href='{SLUG}/index.html']").is_visible()
        assert page.locator(".entry").count() == 8  # the episode, 2 + 5 documents
        groups = page.locator(".listing-group h3").all_inner_texts()
        assert [g.split()[0] for g in groups] == ["文書", "スライド", "配信ページ"]
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


SLIDES = "003_8da7d8b9ee6daeee"
NOTES = "001_3a8888a9d5ffff60"


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_slide_deck_reads_as_a_page(browser: Browser, site: Path, viewport: str) -> None:
    """A heading per slide, a table of contents, links for the URLs in the slides."""
    page, errors = _open(browser, (site / "docs" / SLIDES / "index.html").as_uri(), viewport)
    try:
        assert page.locator("h1").inner_text() == "AI最新論文読み会2022年7月"
        slides = page.locator(".document-body h2").all_inner_texts()
        assert len(slides) == 51 and slides[0] == "スライド 1: AI最新論文読み会2022年7月"
        assert page.locator(".doc-toc li").count() == 51
        assert not page.locator(".doc-toc ol").is_visible()  # folded until asked for
        page.click(".doc-toc summary")
        page.click(".doc-toc a >> text=スライド 4: 背景")
        target = page.evaluate("location.hash")
        assert page.locator(target).inner_text() == "スライド 4: 背景"
        link = page.locator("a[href='https://arxiv.org/abs/2206.08896v1']")
        assert link.count() == 1 and link.get_attribute("rel") == "external noopener"
        if viewport == "phone":
            assert _no_horizontal_overflow(page)  # long URLs wrap
        _shoot(page, f"slides-{viewport}", full_page=False)  # the deck is 40,000 px long
        assert errors == []
    finally:
        page.close()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_meeting_notes_keep_their_nesting(browser: Browser, site: Path, viewport: str) -> None:
    page, errors = _open(browser, (site / "docs" / NOTES / "index.html").as_uri(), viewport)
    try:
        nested = page.locator(".doc-list > li > ul > li > ul > li > ul > li")
        assert nested.count() >= 2  # bullets four deep in the notes
        title = "[blog] LLM に表データを読み解かせたかったので、ちょっと試してみた"
        assert page.locator("h3").filter(has_text=title).count() == 1
        assert page.locator("h2").filter(has_text="@Naoto Shimakoshi").count() == 1
        if viewport == "phone":
            assert _no_horizontal_overflow(page)
        _shoot(page, f"notes-{viewport}", full_page=False)
        assert errors == []
    finally:
        page.close()
