"""The show notes as published: the theme as the page's description, resources under
their chapter, people with their note, terms with every form (and a search that matches
each), related documents without scores."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kikigaki.document import Episode, Link
from publish.episode_page import render_episode_files, term_aliases
from publish.index_page import search_index
from publish.site import publish_site
from tests import episode_factory

CHROMIUM = Path("/usr/bin/chromium")
THEME = "Transformer を LSTM と比べて理解する回です。論文を一緒に読みます。"


def _episode() -> Episode:
    base = episode_factory.episode()
    terms = [
        t.model_copy(update={"forms": [t.canonical, "トランスフォーマー"]})
        if t.canonical == "Transformer"
        else t
        for t in base.terms
    ]
    people = [
        p.model_copy(update={"note": "OpenAI"}) if p.name == "Andrej Karpathy" else p
        for p in base.people
    ]
    links = [
        Link(title="Attention Is All You Need", url="https://arxiv.org/abs/1706.03762",
             kind="paper", sentence=5, chapter=1),
        Link(title="岡野原さんの本", kind="book", sentence=9, chapter=2),
    ]
    return base.model_copy(
        update={"theme": THEME, "summary": [THEME], "terms": terms, "people": people,
                "links": links}
    )


def test_the_show_notes_carry_the_theme_links_notes_and_forms() -> None:
    episode = _episode()
    files = render_episode_files(episode, episode_factory.collection())
    notes = files["show-notes.md"]
    assert THEME in notes
    assert "[Attention Is All You Need](https://arxiv.org/abs/1706.03762)" in notes
    assert "岡野原さんの本" in notes
    assert "Andrej Karpathy(言及・OpenAI)" in notes
    assert "**Transformer**(トランスフォーマー)" in notes
    assert "関連度" not in notes and "0.77" not in notes
    page = files["index.html"]
    assert f'<meta name="description" content="{THEME[:40]}' in page
    assert "data-aliases=" in page and "トランスフォーマー" in page
    assert 'class="score"' not in page
    # each resource sits under the chapter that mentions it
    chapters = page[page.index('id="chapters"') : page.index('id="people"')]
    assert chapters.index("Attention Is All You Need") < chapters.index("岡野原さんの本")
    # each term's links say which term they are for (one name for many places says nothing)
    named = re.findall(r'aria-label="([^"]*)">(?:初出の箇所|参考リンク)</a>', page)
    assert named and len(set(named)) == len(named)
    assert "Transformerの初出の箇所" in named


def test_the_site_search_knows_every_form_of_a_term() -> None:
    episode = _episode()
    index = json.loads(search_index({"e": episode}, []))
    assert ["Transformer", "トランスフォーマー"] in index["aliases"]
    assert term_aliases([["拡散モデル", "ディフュージョンモデル"], ["拡散モデル"], ["GPT"]]) == [
        ["拡散モデル", "ディフュージョンモデル"]
    ]


@pytest.mark.browser
def test_searching_one_form_of_a_term_finds_the_others(tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    episode = _episode()
    out = tmp_path / "site"
    publish_site(out, [episode], episode_factory.collection())
    page_path = next(out.glob("*/index.html"))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"], headless=True
        )
        try:
            page = browser.new_page()
            page.goto(page_path.as_uri(), wait_until="load")
            page.fill("#find-q", "Transformer")
            latin = page.evaluate("[...document.querySelectorAll('.s.is-match')].length")
            page.fill("#find-q", "トランスフォーマー")  # no sentence writes it this way
            aliased = page.evaluate("[...document.querySelectorAll('.s.is-match')].length")
            assert latin > 0 and aliased == latin
        finally:
            browser.close()
