"""Accessibility of the published pages: the stylesheet's colours meet WCAG AA in the
light and dark themes, and in a real headless Chromium every page has its landmarks,
labels and alt text and its rendered text meets AA contrast. The site is
``tests.player_site``'s.
"""

from __future__ import annotations

import re

import pytest

from kikigaki.resources import templates_dir
from tests.player_site import (  # noqa: F401 (pytest finds the shared fixtures here)
    PLAIN_SLUG,
    SLUG,
    Opener,
    audio_episode_fixture,
    browser_fixture,
    collection_fixture,
    opened_fixture,
    ready_player,
    seek,
    server_fixture,
    site_fixture,
)

AA_TEXT = 4.5
AA_LARGE_TEXT = 3.0
AA_NON_TEXT = 3.0




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
    ready_player(page)
    seek(page, 1.0)
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
