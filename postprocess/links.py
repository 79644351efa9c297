"""The resources an episode mentions, each under the chapter that first mentions it.

Four kinds of mention are found:

- web addresses said or shown (``karpathy.ai``, ``https://…``);
- glossary entries that are references: papers, sites, and projects whose glossary link
  is a specific page (``github.com/karpathy/minGPT``);
- well-known resources described rather than named (``references.toml``: "Karpathy's
  video coding GPT from scratch", "岡野原さんの…の本");
- any other book, video, blog post or paper a named person is said to have made
  (``岡野原さんのディフュージョンモデルの本``), listed by the words the episode uses.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from kikigaki.document import Chapter, Link
from postprocess.mentions import Found, glossary_forms, occurs, pattern

if TYPE_CHECKING:
    from postprocess.glossary import Glossary, GlossaryTerm

REFERENCES = Path(__file__).resolve().parent / "references.toml"
AUTHOR_DISTANCE = 10  # sentences between a resource's description and its author's name
_GLOSSARY_KINDS = {"paper": "paper", "website": "site", "book": "book", "video": "video"}
_DOMAIN = re.compile(
    r"(?<![\w.@/])(?:https?://)?(?:[a-z0-9-]+\.)+(?:ai|com|org|io|net|dev|jp|me|app)"
    r"(?:/[\w\-./%~?=&#]*)?(?![\w])",
    re.IGNORECASE,
)
_SPOKEN_KINDS = {
    "本": "book",
    "書籍": "book",
    "著書": "book",
    "ビデオ": "video",
    "動画": "video",
    "ブログ": "blog",
    "記事": "blog",
    "論文": "paper",
    "レクチャー": "video",
    "講義": "video",
}
# NAME(さん)の[noun phrases joined by の]の本: no other particle between, so a clause
# (…のfast.aiで僕がビデオ) is not taken for a title.
_SPOKEN_KIND = "|".join(_SPOKEN_KINDS)
_SPOKEN = re.compile(
    rf"^(?:さん|氏|先生)?の((?:[^、。？！\sぁ-ゖ]+の)*?[^、。？！\sぁ-ゖ]*?)の?({_SPOKEN_KIND})"
)


@dataclass(frozen=True)
class Reference:
    title: str
    url: str
    kind: str
    authors: tuple[str, ...]
    cues: tuple[str, ...]
    keywords: tuple[str, ...]


@cache
def known_references(path: Path = REFERENCES) -> tuple[Reference, ...]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return tuple(
        Reference(
            r["title"],
            r.get("url", ""),
            r["kind"],
            tuple(r.get("authors", ())),
            tuple(r.get("cues", ())),
            tuple(r.get("keywords", ())),
        )
        for r in data.get("reference", [])
    )


def find_links(
    texts: Sequence[str],
    chapters: Sequence[Chapter],
    glossary: Glossary,
    people: Sequence[Found] = (),
) -> list[Link]:
    """Every resource mentioned, in the order first mentioned, without repeats."""
    found = [
        *_addresses(texts, glossary),
        *_glossary_references(texts, glossary),
        *_described_references(texts),
    ]
    found += _spoken_references(texts, people, {link.sentence for link in found})
    links: list[Link] = []
    seen: set[str] = set()
    for link in sorted(found, key=lambda item: item.sentence or 0):
        key = (link.url or link.title).lower().rstrip("/")
        if key in seen:
            continue
        seen.add(key)
        links.append(link.model_copy(update={"chapter": _chapter_of(link.sentence, chapters)}))
    return links


def _addresses(texts: Sequence[str], glossary: Glossary) -> list[Link]:
    """Web addresses in the text; a domain that the glossary knows as the name of an
    organisation (fast.ai) is a name, not an address."""
    names = {
        f.lower() for t in glossary.terms if t.category != "website" for f in glossary_forms(t)
    }
    sites = {
        f.lower(): t for t in glossary.terms if t.category == "website" for f in glossary_forms(t)
    }
    links = []
    for index, text in enumerate(texts):
        for match in _DOMAIN.finditer(text):
            address = match.group(0).rstrip(".")
            if address.lower() in names:
                continue
            site = sites.get(address.lower())
            url = site.link if site and site.link else _absolute(address)
            links.append(
                Link(
                    title=site.canonical if site else address, url=url, kind="site", sentence=index
                )
            )
    return links


def _absolute(address: str) -> str:
    return address if re.match(r"https?://", address) else f"https://{address}"


def _glossary_references(texts: Sequence[str], glossary: Glossary) -> list[Link]:
    links = []
    for entry in glossary.terms:
        kind = _reference_kind(entry)
        if kind is None:
            continue
        forms = glossary_forms(entry)
        first = next((i for i, t in enumerate(texts) if any(occurs(f, t) for f in forms)), None)
        if first is not None:
            links.append(Link(title=entry.canonical, url=entry.link, kind=kind, sentence=first))  # type: ignore[arg-type]
    return links


def _reference_kind(entry: GlossaryTerm) -> str | None:
    if entry.category in _GLOSSARY_KINDS:
        return _GLOSSARY_KINDS[entry.category]
    # A project: software whose link is its own repository page, not a product's home.
    if entry.category == "software" and re.match(r"https?://github\.com/[^/]+/[^/]+", entry.link):
        return "project"
    return None


def _described_references(texts: Sequence[str]) -> list[Link]:
    links = []
    for reference in known_references():
        for index in range(len(texts)):
            if _describes(reference, texts, index):
                links.append(
                    Link(
                        title=reference.title,
                        url=reference.url,
                        kind=reference.kind,
                        sentence=index,
                    )
                )  # type: ignore[arg-type]
                break
    return links


def _describes(reference: Reference, texts: Sequence[str], index: int) -> bool:
    if not any(_contains(texts[index], cue) for cue in reference.cues):
        return False
    near = texts[max(0, index - 1) : index + 2]
    if reference.keywords and not any(_contains(t, k) for t in near for k in reference.keywords):
        return False
    around = texts[max(0, index - AUTHOR_DISTANCE) : index + 2]
    return any(_contains(t, a) for t in around for a in reference.authors)


def _contains(text: str, word: str) -> bool:
    return occurs(word, text)


def _spoken_references(
    texts: Sequence[str], people: Sequence[Found], taken: set[int | None]
) -> list[Link]:
    """``NAME(さん)の…本/ビデオ/ブログ/論文``: a resource of a named person, in the
    episode's words, where no known resource was found in the same sentence."""
    links = []
    for index, text in enumerate(texts):
        if index in taken:
            continue
        for person in people:
            for surface in person.surfaces:
                for match in pattern(surface).finditer(text):
                    spoken = _SPOKEN.match(text[match.end() :])
                    if spoken:
                        title = text[match.start() : match.end() + spoken.end()]
                        kind = _SPOKEN_KINDS[spoken.group(2)]
                        links.append(Link(title=title, kind=kind, sentence=index))  # type: ignore[arg-type]
    return links


def _chapter_of(sentence: int | None, chapters: Sequence[Chapter]) -> int | None:
    if sentence is None:
        return None
    for number, chapter in enumerate(chapters):
        if chapter.first <= sentence < chapter.end:
            return number
    return None
