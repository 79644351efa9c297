"""Glossaries of terms a podcast uses: canonical spelling, variants, misheard forms.

A glossary is a TOML file of ``[[term]]`` tables (see ``glossaries/README.md``). The
shipped AI/ML glossary is always loaded first; the user's files are merged over it, a
later entry replacing an earlier one with the same canonical spelling.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kikigaki.errors import GlossaryError

DEFAULT_GLOSSARY = Path(__file__).resolve().parent / "glossaries" / "ai_ml.toml"
_KEYS = {"canonical", "variants", "misheard", "reading", "link", "definition", "category"}
_LISTS = ("variants", "misheard")


@dataclass(frozen=True)
class GlossaryTerm:
    canonical: str
    variants: tuple[str, ...] = ()  # correct other writings: found, never replaced
    reading: str = ""
    link: str = ""
    definition: str = ""
    category: str = ""
    misheard: tuple[str, ...] = ()  # wrong renderings: replaced by ``canonical``


@dataclass(frozen=True)
class Glossary:
    terms: tuple[GlossaryTerm, ...] = ()

    def __len__(self) -> int:
        return len(self.terms)

    def merged(self, other: Glossary) -> Glossary:
        by_name = {t.canonical: t for t in self.terms}
        by_name.update({t.canonical: t for t in other.terms})
        return Glossary(tuple(by_name.values()))

    def hotwords(self, max_chars: int = 400) -> str:
        words: list[str] = []
        for term in self.terms:
            if term.category == "person":
                continue
            if sum(len(w) + 1 for w in words) + len(term.canonical) > max_chars:
                break
            words.append(term.canonical)
        return " ".join(words)


def parse_glossary(text: str, where: str | Path) -> Glossary:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise GlossaryError(where, f"is not valid TOML ({error})", "fix the syntax") from None
    entries = data.get("term", [])
    if not isinstance(entries, list):
        raise GlossaryError(where, "'term' must be an array of tables", "write [[term]]")
    return Glossary(tuple(_term(entry, i, where) for i, entry in enumerate(entries, 1)))


def _term(entry: object, number: int, where: str | Path) -> GlossaryTerm:
    if not isinstance(entry, dict):
        raise GlossaryError(where, f"term {number} is not a table", "write [[term]]")
    unknown = set(entry) - _KEYS
    if unknown:
        raise GlossaryError(
            where, f"term {number} has unknown keys {sorted(unknown)}", f"use {sorted(_KEYS)}"
        )
    canonical = entry.get("canonical")
    if not isinstance(canonical, str) or not canonical.strip():
        raise GlossaryError(where, f"term {number} has no 'canonical'", "give its spelling")
    values: dict[str, object] = {}
    for key in _LISTS:
        items = entry.get(key, [])
        if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
            raise GlossaryError(
                where, f"term {number} ({canonical}): '{key}' is not a list of strings", "fix it"
            )
        values[key] = tuple(items)
    for key in ("reading", "link", "definition", "category"):
        value = entry.get(key, "")
        if not isinstance(value, str):
            raise GlossaryError(where, f"term {number} ({canonical}): '{key}' is not text", "")
        values[key] = value
    return GlossaryTerm(canonical=canonical.strip(), **values)  # type: ignore[arg-type]


def read_glossary(path: Path) -> Glossary:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise GlossaryError(path, "does not exist", "check the --glossary path") from None
    except IsADirectoryError:
        raise GlossaryError(path, "is a folder", "give a TOML file") from None
    except UnicodeDecodeError:
        raise GlossaryError(path, "is not UTF-8 text", "save it as UTF-8") from None
    return parse_glossary(text, path)


def default_glossary() -> Glossary:
    return read_glossary(DEFAULT_GLOSSARY)


def load_glossary(paths: Sequence[Path] = (), *, include_default: bool = True) -> Glossary:
    glossary = default_glossary() if include_default else Glossary()
    for path in paths:
        glossary = glossary.merged(read_glossary(Path(path)))
    return glossary
