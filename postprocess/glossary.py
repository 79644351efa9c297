"""Glossaries of terms a podcast uses: canonical spelling, variants, misheard forms.

A glossary is a TOML file of ``[[term]]`` tables (see ``glossaries/README.md``). The
shipped AI/ML glossary is always loaded first; the user's files are merged over it, a
later entry replacing an earlier one with the same canonical spelling.

``candidate_terms`` proposes more terms from the documents of a collection (technical
Latin words and katakana terms they use repeatedly); ``Glossary.with_candidates`` adds
those the glossary does not know yet, so the collection's own spellings are kept and
become targets for correction.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kikigaki.errors import GlossaryError
from kikigaki.inputs import parse_toml, read_input

DEFAULT_GLOSSARY = Path(__file__).resolve().parent / "glossaries" / "ai_ml.toml"
_KEYS = {"canonical", "variants", "misheard", "reading", "link", "definition", "category"}
_LISTS = ("variants", "misheard")
_READING = re.compile(r"[\u3041-\u3096\u30a1-\u30fa\u30fc・ 　]+")
_LINK = re.compile(r"https?://\S+")
CANDIDATE_CATEGORY = "collection"


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

    def with_candidates(self, candidates: Iterable[GlossaryTerm]) -> Glossary:
        """This glossary plus the ``candidates`` it does not cover yet: one whose spelling
        is a writing of a known term (ignoring case, spaces and hyphens) is left out."""
        known = {_writing_key(w) for t in self.terms for w in _writings(t)}
        added: list[GlossaryTerm] = []
        for candidate in candidates:
            keys = {_writing_key(w) for w in _writings(candidate)}
            if not keys & known:
                added.append(candidate)
                known |= keys
        return Glossary((*self.terms, *added))

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
    data = parse_toml(text, where, "glossary", GlossaryError)
    unknown = sorted(set(data) - {"term"})
    if unknown:
        raise GlossaryError(where, f"has unknown tables {unknown}", "write each entry as [[term]]")
    return glossary_from_entries(data.get("term", []), where)


def glossary_from_entries(entries: object, where: str | Path) -> Glossary:
    """The glossary of already-parsed ``[[term]]`` tables (a glossary or sidecar file)."""
    if not isinstance(entries, list):
        raise GlossaryError(where, "'term' must be an array of tables", "write [[term]]")
    terms = tuple(_term(entry, i, where) for i, entry in enumerate(entries, 1))
    _check_consistent(terms, where)
    return Glossary(terms)


def _check_consistent(terms: Sequence[GlossaryTerm], where: str | Path) -> None:
    """One entry per canonical spelling, and no form both right and wrong."""
    seen: set[str] = set()
    correct: dict[str, str] = {}
    for term in terms:
        if term.canonical in seen:
            raise GlossaryError(
                where, f"'{term.canonical}' has two entries", "merge them into one [[term]]"
            )
        seen.add(term.canonical)
        for writing in _writings(term):
            correct.setdefault(writing.casefold(), term.canonical)
    for term in terms:
        for form in term.misheard:
            owner = correct.get(form.casefold())
            if owner is not None:
                raise GlossaryError(
                    where,
                    f"'{form}' is listed as misheard for '{term.canonical}' but is a correct"
                    f" writing of '{owner}'",
                    "keep it in one list only",
                )


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
            raise GlossaryError(
                where, f"term {number} ({canonical}): '{key}' is not text", "quote it"
            )
        values[key] = value.strip()
    values["reading"] = _katakana_reading(str(values["reading"]), number, canonical, where)
    if values["link"] and not _LINK.fullmatch(str(values["link"])):
        raise GlossaryError(
            where, f"term {number} ({canonical}): 'link' is not a web address",
            "give a full http:// or https:// URL",
        )
    if "\n" in str(values["definition"]):
        raise GlossaryError(
            where, f"term {number} ({canonical}): 'definition' has more than one line",
            "keep it to one line",
        )
    return GlossaryTerm(canonical=canonical.strip(), **values)  # type: ignore[arg-type]


def _katakana_reading(reading: str, number: int, canonical: str, where: str | Path) -> str:
    """The reading in katakana (hiragana is accepted and converted)."""
    if not reading:
        return ""
    if not _READING.fullmatch(reading):
        raise GlossaryError(
            where, f"term {number} ({canonical}): 'reading' {reading!r} is not kana",
            "write how it is said in katakana",
        )
    return "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in reading)


def _writings(term: GlossaryTerm) -> list[str]:
    """The correct ways to write ``term``: canonical, variants and reading."""
    return [term.canonical, *term.variants, *([term.reading] if term.reading else [])]


def _writing_key(text: str) -> str:
    return re.sub(r"[\s・\-_.]+", "", text).casefold().rstrip("ー")


def read_glossary(path: Path) -> Glossary:
    data = read_input(path, "glossary", error=GlossaryError)
    try:
        text = data.decode("utf-8-sig")
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


# --------------------------------------------------------------------------- candidates

_URLISH = re.compile(r"\S*://\S*|www\.\S+|\S+@\S+|\S+\.(?:com|jp|org|net|io|ai|html?|txt|pdf)\b")
_LATIN_TOKEN = re.compile(
    r"(?<![A-Za-z0-9_./@-])[A-Za-z][A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)*(?![A-Za-z0-9_/@])"
)
_KATAKANA_WORD = re.compile(r"[\u30a1-\u30fa\u30fc]{4,}")


def candidate_terms(
    documents: Sequence[str], *, min_count: int = 2, limit: int = 200
) -> tuple[GlossaryTerm, ...]:
    """Terms the ``documents`` use repeatedly that look technical, most used first.

    - Latin: a word with a capital or a digit after its first character (LLM, RedPajama,
      minGPT, GPT-3, Wav2Vec2.0), read letter by letter when it is an acronym;
    - katakana: a word of four or more characters that is not an ordinary dictionary
      word (ファインチューニング, ハイパーパラメータ, ホールスライドイメージング).

    Each becomes a term of category ``collection`` whose canonical spelling is the one
    the documents use most.
    """
    from kikigaki.nlp import is_dictionary_word
    from postprocess.readings import letter_reading

    latin: Counter[str] = Counter()
    katakana: Counter[str] = Counter()
    for document in documents:
        text = _URLISH.sub(" ", document)
        latin.update(t for t in _LATIN_TOKEN.findall(text) if _looks_technical(t))
        katakana.update(_KATAKANA_WORD.findall(text))
    found: list[tuple[int, GlossaryTerm]] = []
    for word, count in _by_spelling(latin).items():
        if count >= min_count:
            reading = letter_reading(word) if re.fullmatch(r"[A-Z]{2,5}", word) else ""
            found.append((count, GlossaryTerm(word, reading=reading, category=CANDIDATE_CATEGORY)))
    for word, count in katakana.items():
        if count >= min_count and not is_dictionary_word(word):
            found.append((count, GlossaryTerm(word, reading=word, category=CANDIDATE_CATEGORY)))
    found.sort(key=lambda item: (-item[0], item[1].canonical))
    return tuple(term for _, term in found[:limit])


def _looks_technical(token: str) -> bool:
    if "." in token and not re.search(r"\d\.\d", token):
        return False  # a file or a domain name, not a term
    letters = sum(c.isalpha() for c in token)
    if letters < 2 or len(token) < 3 or len(token) > 40:
        return False
    inner = token[1:]
    has_inner_capital = any(c.isupper() for c in inner)
    has_digit = any(c.isdigit() for c in token)
    if token.isupper() and len(token) > 5 and not has_digit:
        return False  # a shouted word, not an acronym
    return has_inner_capital or has_digit


def _by_spelling(counts: Counter[str]) -> Counter[str]:
    """Counts merged over spellings that differ in case or hyphens, under the commonest."""
    groups: dict[str, Counter[str]] = {}
    for word, count in counts.items():
        groups.setdefault(_writing_key(word), Counter())[word] += count
    return Counter({c.most_common(1)[0][0]: sum(c.values()) for c in groups.values()})
