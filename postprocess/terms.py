"""Correct misheard glossary terms; change nothing else.

Two passes find a mishearing, and only the span found is replaced by the term's canonical
spelling (no other character changes, no spaces are added):

1. spelling: a term's listed ``misheard`` forms. Latin forms match case-insensitively and
   only as whole words; katakana forms only as whole katakana runs, so a longer loanword
   that contains one is left alone.
2. reading: text that *sounds* like a term. Katakana runs (with an acronym written beside
   them, as in ファーストAI), acronyms one confusable letter off (LSDM), and Latin words
   that read as romaji (paitoochi) are turned into a phoneme key and compared with the
   keys of the term's reading, katakana variants and katakana mishearings, by an edit
   distance in which near sounds cost little (a vowel, a voicing, an ン) and some cost
   nothing (a long vowel, ッ, ング for ン, ル closing a syllable as in テンソル/テンサー).
   How far a match may be grows with the length of the term.

Guards keep correct text as it is (precision first):

- a span that is a correct writing of any term (its canonical spelling, a variant or its
  reading; Latin ignoring case, spaces and hyphens; katakana ignoring ・ and a final ー)
  is never touched, nor one that overlaps a correct writing in the same katakana run or
  contains one of the term it resembles (トランスフォーマーズ is no mishearing of
  トランスフォーマー, nor セルホールスライドイメージング of a listed ホールスライドイメージング);
- a katakana span that is a word of the Sudachi dictionary is an ordinary word
  (クラウド is not Claude), and so is a romaji word that reads as one (Toronto);
- the reading pass ignores short terms (fewer than four phonemes) and Latin words that are
  only spelt a little differently (Tensorflow, Lamma, Attension): the filter corrects what
  was misheard, not the spelling a writer chose. List such forms as ``misheard`` to fix them.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from itertools import pairwise

from kikigaki.document import Correction, Episode, Segment
from postprocess.glossary import Glossary, GlossaryTerm

_KATAKANA = "\u30a0-\u30ff"
_KANA_LETTER = "\u30a1-\u30fa\u30fc"  # katakana letters and ー, not ・
# A katakana run, with an acronym written right against it (ファーストAI, GPTモデル).
_UNIT = re.compile(
    rf"(?:(?<![A-Za-z0-9])[A-Z]{{2,4}})?[{_KANA_LETTER}](?:[{_KANA_LETTER}・]*[{_KANA_LETTER}])?"
    rf"(?:[A-Z]{{2,4}}(?![A-Za-z0-9]))?"
)
_LATIN_WORD = re.compile(r"(?<![A-Za-z0-9.\-_/@])[A-Za-z]+(?![A-Za-z0-9\-_/@]|\.[A-Za-z0-9])")
_ACRONYM = re.compile(r"[A-Z]{4,6}")
_SEPARATORS = re.compile(r"[\s・･\-‐_.]+")

# Reading pass limits.
MIN_KEY = 4  # phonemes: shorter terms are matched only by their listed mishearings
MIN_ROMAJI_LETTERS = 6
# (up to this many morae, this distance): a mora's worth of change for a five-mora term.
_LIMITS = ((3, 0.0), (4, 0.5), (6, 1.0), (9, 1.5), (99, 2.0))


@dataclass(frozen=True)
class TermFix:
    start: int
    end: int
    original: str
    replacement: str
    canonical: str
    how: str = "listed"  # listed, reading, acronym or romaji


# --------------------------------------------------------------------------- phonemes

_VOWELS = frozenset("aiueo")
_ROWS = {
    "": "アイウエオ", "k": "カキクケコ", "g": "ガギグゲゴ", "s": "サシスセソ", "z": "ザジズゼゾ",
    "t": "タチツテト", "d": "ダヂヅデド", "n": "ナニヌネノ", "h": "ハヒフヘホ", "b": "バビブベボ",
    "p": "パピプペポ", "m": "マミムメモ", "y": "ヤ\0ユ\0ヨ", "r": "ラリルレロ", "w": "ワヰ\0ヱヲ",
}
_MORA: dict[str, tuple[str, str]] = {
    kana: (consonant, vowel)
    for consonant, row in _ROWS.items()
    for kana, vowel in zip(row, "aiueo", strict=True)
    if kana != "\0"
}
_MORA.update({
    "シ": ("sh", "i"), "チ": ("ch", "i"), "ツ": ("ts", "u"), "フ": ("f", "u"), "ジ": ("j", "i"),
    "ヂ": ("j", "i"), "ヅ": ("z", "u"), "ヰ": ("", "i"), "ヱ": ("", "e"), "ヲ": ("", "o"),
    "ヴ": ("v", "u"), "ァ": ("", "a"), "ィ": ("", "i"), "ゥ": ("", "u"), "ェ": ("", "e"),
    "ォ": ("", "o"), "ャ": ("y", "a"), "ュ": ("y", "u"), "ョ": ("y", "o"), "ヮ": ("w", "a"),
    "ヵ": ("k", "a"), "ヶ": ("k", "e"), "ン": ("N", ""),
})
_SMALL_Y = {"ャ": "a", "ュ": "u", "ョ": "o"}
_SMALL_VOWEL = {"ァ": "a", "ィ": "i", "ゥ": "u", "ェ": "e", "ォ": "o"}
_LETTER_NAMES = dict(zip(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    ("エー", "ビー", "シー", "ディー", "イー", "エフ", "ジー", "エイチ", "アイ", "ジェー", "ケー",
     "エル", "エム", "エヌ", "オー", "ピー", "キュー", "アール", "エス", "ティー", "ユー", "ブイ",
     "ダブリュー", "エックス", "ワイ", "ゼット"),
    strict=True,
))
# Consonants that are easily heard one for the other cost half a substitution.
_NEAR_CONSONANTS = (
    {"k", "g", "ky", "gy"},
    {"s", "z", "sh", "j"},
    {"sh", "ch", "j"},
    {"t", "d", "ch", "ts", "ty", "dy"},
    {"h", "f", "b", "p", "v", "hy", "by", "py", "fy"},
    {"b", "v"},
    {"n", "m", "N", "ny", "my"},
    {"r", "ry"},
    {"y", "w"},
)
_CHEAP_INDEL = frozenset({"N", "y", "w"})
# After a vowel, ル before one of these starts no new syllable of the English original.
_NOT_A_CLOSE = frozenset({"", "N", "y", "w"})


@dataclass(frozen=True, slots=True)
class _Piece:
    """One mora (or one spelt-out letter) of a unit: where it is, and its phonemes."""

    start: int
    end: int
    tokens: tuple[str, ...]


def _kana_morae(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, consonant, vowel) per mora; ー and ッ join the mora before them."""
    morae: list[tuple[int, int, str, str]] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char in "ーッ" and morae:
            start, _, consonant, vowel = morae[-1]
            morae[-1] = (start, i + 1, consonant, vowel)
            i += 1
            continue
        consonant, vowel = _MORA.get(char, ("", ""))
        end = i + 1
        if end < len(text) and text[end] in _SMALL_Y and consonant not in ("", "N", "y", "w"):
            if consonant not in ("sh", "ch", "j"):
                consonant += "y"
            vowel = _SMALL_Y[text[end]]
            end += 1
        elif end < len(text) and text[end] in _SMALL_VOWEL and consonant != "N":
            if consonant == "" and vowel in "uo":
                consonant = "w"  # ウィ, ウェ, ウォ
            elif consonant == "" and vowel == "i":
                consonant = "y"  # イェ
            vowel = _SMALL_VOWEL[text[end]]
            end += 1
        morae.append((i, end, consonant, vowel))
        i = end
    return morae


def _pieces(text: str) -> list[_Piece]:
    """The phoneme pieces of a unit (katakana, ・ and capital letters), with offsets.

    Long vowels, ッ and a vowel that only lengthens the one before (エイ, オウ) leave no
    phoneme, ング reads as ン, and a ル closing a syllable inside a word (テンソル-フロー,
    カル-パシー) reads as a long vowel: these are the differences hearing does not settle.
    """
    pieces: list[_Piece] = []
    last_vowel = ""
    i = 0
    while i < len(text):
        char = text[i]
        if char in _LETTER_NAMES:
            letter = _pieces(_LETTER_NAMES[char])
            tokens = tuple(t for p in letter for t in p.tokens)
            pieces.append(_Piece(i, i + 1, tokens))
            last_vowel = next((t for t in reversed(tokens) if t in _VOWELS), "")
            i += 1
            continue
        j = i
        while j < len(text) and text[j] not in _LETTER_NAMES:
            j += 1
        morae = _kana_morae(text[i:j])
        for n, (start, end, consonant, vowel) in enumerate(morae):
            following = morae[n + 1][2] if n + 1 < len(morae) else ""
            tokens = _mora_tokens(consonant, vowel, last_vowel, pieces, following)
            pieces.append(_Piece(i + start, i + end, tokens))
            if vowel:
                last_vowel = vowel
            elif consonant:
                last_vowel = ""
        i = j
    return [p for p in pieces if p.end > p.start]


def _mora_tokens(
    consonant: str, vowel: str, last_vowel: str, before: list[_Piece], following: str
) -> tuple[str, ...]:
    if not consonant and not vowel:
        return ()
    if not consonant and (vowel == last_vowel or (last_vowel, vowel) in (("e", "i"), ("o", "u"))):
        return ()
    if consonant == "g" and vowel == "u" and before and before[-1].tokens[-1:] == ("N",):
        return ()  # ング -> ン
    if (consonant, vowel) == ("r", "u") and last_vowel and following not in _NOT_A_CLOSE:
        return ()  # テンソル(フ) -> テンソー(フ)
    return tuple(t for t in (consonant, vowel) if t)


def mora_count(text: str) -> int:
    """Morae of a spoken form (letters spelt out); ー and ッ lengthen the mora before."""
    said = spoken(text)
    return sum(1 for m in _kana_morae(said) if m[2] or m[3])


def phoneme_key(text: str) -> tuple[str, ...]:
    """The loose phoneme key of katakana (and capital letters, read as their names)."""
    return tuple(t for p in _pieces(_spoken_surface(text)) for t in p.tokens)


def _spoken_surface(text: str) -> str:
    """Hiragana as katakana, separators dropped; what ``_pieces`` reads."""
    text = "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in text)
    return _SEPARATORS.sub("", text)


def spoken(text: str) -> str:
    """A writing as it is said, for telling correct writings apart: katakana with letters
    spelt out, without ・, spaces or a final ー."""
    text = _spoken_surface(text)
    if re.fullmatch(rf"[{_KATAKANA}A-Z0-9]+", text) is None:
        return ""
    return "".join(_LETTER_NAMES.get(c, c) for c in text).rstrip("ー")


def letter_reading(acronym: str) -> str:
    """The katakana reading of capital letters spelt one by one: LLM -> エルエルエム."""
    return "".join(_LETTER_NAMES.get(c, c) for c in acronym)


@cache
def _sub_cost(a: str, b: str) -> float:
    if a == b:
        return 0.0
    if a in _VOWELS and b in _VOWELS:
        return 0.5
    if a in _VOWELS or b in _VOWELS:
        return 1.0
    return 0.5 if any(a in group and b in group for group in _NEAR_CONSONANTS) else 1.0


@cache
def _indel_cost(token: str) -> float:
    return 0.5 if token in _VOWELS or token in _CHEAP_INDEL else 1.0


def allowed_distance(morae: int, key_length: int) -> float:
    """How far a match may be from a term said in ``morae`` morae (``key_length``
    phonemes): nothing but the free differences for short terms, more for long ones."""
    if key_length < MIN_KEY:
        return -1.0
    by_morae = next((limit for most, limit in _LIMITS if morae <= most), _LIMITS[-1][1])
    # and no more than a cheap change (0.5) per four and a half phonemes
    return min(by_morae, math.floor(key_length / 4.5) / 2)


def prefix_distances(key: Sequence[str], text: Sequence[str], limit: float) -> list[float] | None:
    """Distances between all of ``key`` and each prefix of ``text`` (index = prefix length),
    or None as soon as no prefix can come within ``limit``."""
    row = [0.0]
    for token in text:
        row.append(row[-1] + _indel_cost(token))
    for k in key:
        drop = _indel_cost(k)
        new = [row[0] + drop]
        for j, token in enumerate(text, 1):
            new.append(min(row[j] + drop, new[j - 1] + _indel_cost(token),
                           row[j - 1] + _sub_cost(k, token)))
        if min(new) > limit:
            return None
        row = new
    return row


# --------------------------------------------------------------------------- romaji

_ROMAJI: dict[str, str] = {}


def _build_romaji() -> None:
    for consonant, row in _ROWS.items():
        for kana, vowel in zip(row, "aiueo", strict=True):
            if kana != "\0":
                _ROMAJI[consonant + vowel] = kana
    # Hepburn, plus the loanword syllables Hepburn writes the same way. Not the Kunrei
    # si/ti/tu/hu/zi: with them, English words (attention, vision) read as romaji.
    for kunrei in ("si", "ti", "tu", "hu", "zi", "di", "du", "yi", "ye", "wu"):
        _ROMAJI.pop(kunrei, None)
    _ROMAJI.update({
        "shi": "シ", "chi": "チ", "tsu": "ツ", "fu": "フ", "ji": "ジ", "wi": "ウィ", "we": "ウェ",
        "wo": "ヲ", "fa": "ファ", "fi": "フィ", "fe": "フェ", "fo": "フォ", "je": "ジェ",
        "she": "シェ", "che": "チェ", "va": "ヴァ", "vi": "ヴィ", "vu": "ヴ", "ve": "ヴェ",
        "vo": "ヴォ", "n'": "ン",
    })
    for base, kana in (("k", "キ"), ("g", "ギ"), ("n", "ニ"), ("h", "ヒ"), ("b", "ビ"),
                       ("p", "ピ"), ("m", "ミ"), ("r", "リ")):
        for vowel, small in zip("auo", "ャュョ", strict=True):
            _ROMAJI[f"{base}y{vowel}"] = kana + small
    for head, kana in (("sh", "シ"), ("ch", "チ"), ("j", "ジ")):
        for vowel, small in zip("auo", "ャュョ", strict=True):
            _ROMAJI[head + vowel] = kana + small


_build_romaji()


def romaji_to_katakana(word: str) -> str | None:
    """``word`` read as Hepburn romaji (with common loanword extensions), or None."""
    word = word.lower()
    out: list[str] = []
    i = 0
    while i < len(word):
        for size in (3, 2, 1):
            kana = _ROMAJI.get(word[i : i + size])
            if kana:
                out.append(kana)
                i += size
                break
        else:
            nxt = word[i + 1 : i + 2]
            after_vowel = bool(out) and out[-1][-1] not in "ンッ"
            if after_vowel and word[i] in "nm" and (
                nxt == "" or (nxt not in "aiueoy" and (word[i] == "n" or nxt in "bpm"))
            ):
                out.append("ン")
                i += 2 if nxt == "n" and word[i] == "n" else 1
            elif nxt == word[i] or (word[i] == "t" and nxt == "c"):
                out.append("ッ")  # a doubled consonant
                i += 1
            else:
                return None
    return "".join(out)


# --------------------------------------------------------------------------- matcher


@dataclass(frozen=True)
class _Target:
    """A way a term sounds: its phoneme key, and how far a match may be from it."""

    term: GlossaryTerm
    key: tuple[str, ...]
    limit: float
    # Each edit costs at least 0.5 and breaks at most two of the key's phoneme bigrams,
    # so a match shares at least this many of them with the text.
    bigrams_needed: float


@dataclass
class _Matcher:
    listed: re.Pattern[str] | None
    listed_forms: dict[str, str]
    targets: list[_Target]
    by_bigram: dict[tuple[str, str], list[int]]
    correct_spoken: dict[str, set[str]]  # spoken writing -> canonical spellings it writes
    correct_latin: set[str]
    acronyms: dict[int, list[tuple[str, GlossaryTerm]]]
    correct_of: dict[str, list[str]]  # canonical -> its spoken correct writings
    correct_katakana: re.Pattern[str] | None  # katakana correct writings, ・ removed
    unit_cache: dict[str, list[tuple[int, int, _Target, float]]] = field(default_factory=dict)


def _pattern(form: str) -> str:
    escaped = re.escape(form)
    if re.match(r"[A-Za-z0-9]", form[0]):
        escaped = r"(?<![A-Za-z0-9])" + escaped
    if re.match(r"[A-Za-z0-9]", form[-1]):
        escaped += r"(?![A-Za-z0-9])"
    if re.match(f"[{_KATAKANA}]", form[0]):
        escaped = f"(?<![{_KATAKANA}])" + escaped
    # A long katakana phrase (アテンション・イズ・オリニー) is specific enough to match even
    # where more katakana runs on after it.
    if re.match(f"[{_KATAKANA}]", form[-1]) and len(form) < 10:
        escaped += f"(?![{_KATAKANA}])"
    return escaped


def _latin_key(text: str) -> str:
    return _SEPARATORS.sub("", text).casefold()


def _correct_writings(term: GlossaryTerm) -> list[str]:
    return [term.canonical, *term.variants, *([term.reading] if term.reading else [])]


def _is_spoken_form(text: str) -> bool:
    return bool(re.search(f"[{_KATAKANA}]", text)) and bool(spoken(text))


@lru_cache(maxsize=16)
def _matcher(glossary: Glossary) -> _Matcher:
    listed_forms = {
        form.lower(): term.canonical
        for term in glossary.terms
        for form in term.misheard
        if form.lower() != term.canonical.lower()
    }
    forms = sorted(listed_forms, key=len, reverse=True)
    listed = re.compile("|".join(_pattern(f) for f in forms), re.IGNORECASE) if forms else None
    correct_spoken: dict[str, set[str]] = {}
    correct_latin: set[str] = set()
    correct_of: dict[str, list[str]] = {}
    for term in glossary.terms:
        for form in _correct_writings(term):
            if said := spoken(form):
                correct_spoken.setdefault(said, set()).add(term.canonical)
                correct_of.setdefault(term.canonical, []).append(said)
            if re.search("[A-Za-z]", form):
                correct_latin.add(_latin_key(form))
    targets = _targets(glossary.terms)
    by_bigram: dict[tuple[str, str], list[int]] = {}
    for index, target in enumerate(targets):
        for bigram in set(pairwise(target.key)):
            by_bigram.setdefault(bigram, []).append(index)
    acronyms: dict[int, list[tuple[str, GlossaryTerm]]] = {}
    for term in glossary.terms:
        if _ACRONYM.fullmatch(term.canonical):
            acronyms.setdefault(len(term.canonical), []).append((term.canonical, term))
    katakana = sorted(
        {w for t in glossary.terms for w in (_spoken_surface(f) for f in _correct_writings(t))
         if len(w) >= 4 and re.fullmatch(f"[{_KATAKANA}]+", w)},
        key=len, reverse=True,
    )
    correct_katakana = re.compile("|".join(map(re.escape, katakana))) if katakana else None
    return _Matcher(listed, listed_forms, targets, by_bigram, correct_spoken, correct_latin,
                    acronyms, correct_of, correct_katakana)


def _targets(terms: Iterable[GlossaryTerm]) -> list[_Target]:
    targets: list[_Target] = []
    for term in terms:
        sounds = [term.reading, *term.variants, *term.misheard]
        keys = {(phoneme_key(s), mora_count(s)) for s in sounds if s and _is_spoken_form(s)}
        for key, morae in sorted(keys):
            limit = allowed_distance(morae, len(key))
            if limit >= 0:
                needed = max(1.0, len(set(pairwise(key))) - 4 * limit)
                targets.append(_Target(term, key, limit, needed))
    return targets


@cache
def _dictionary():  # type: ignore[no-untyped-def]
    from sudachipy import dictionary

    return dictionary.Dictionary(dict="core")


def is_dictionary_word(text: str) -> bool:
    """Whether ``text`` is a headword of the Sudachi dictionary (an ordinary word)."""
    return len(_dictionary().lookup(text)) > 0


# --------------------------------------------------------------------------- reading pass


def _boundaries(unit: str, pieces: Sequence[_Piece]) -> set[int]:
    """Offsets where a word may start or end inside a unit: its ends, either side of ・,
    where letters meet kana, and where Sudachi splits it (never inside a mora)."""
    from postprocess.nlp import tokenize

    marks = {0, len(unit)}
    for i, char in enumerate(unit):
        if char == "・":
            marks.update((i, i + 1))
        if i and (char in _LETTER_NAMES) != (unit[i - 1] in _LETTER_NAMES):
            marks.add(i)
    marks.update(m.begin for m in tokenize(unit))
    edges = {p.start for p in pieces} | {p.end for p in pieces} | {len(unit)}
    return marks & edges


def _unit_matches(
    unit: str, m: _Matcher
) -> tuple[list[tuple[int, int, _Target, float]], set[int]]:
    """Spans of ``unit`` (offsets within it) that sound like a term, and the unit's marks."""
    pieces = _pieces(unit)
    tokens = [t for p in pieces for t in p.tokens]
    shared = Counter(i for b in set(pairwise(tokens)) for i in m.by_bigram.get(b, ()))
    candidates = sorted(i for i, n in shared.items() if n >= m.targets[i].bigrams_needed)
    if not candidates:
        return [], set()
    marks = _boundaries(unit, pieces)
    word_ends = _word_ends(pieces)
    found: list[tuple[int, int, _Target, float]] = []
    for s, first in enumerate(pieces):
        if first.start not in marks or not first.tokens:
            continue
        rest = pieces[s:]
        text_tokens = [t for p in rest for t in p.tokens]
        ends = _token_ends(unit, rest)
        for index in candidates:
            target = m.targets[index]
            if len(text_tokens) < len(target.key) - 2 * target.limit:
                continue
            row = prefix_distances(target.key, text_tokens, target.limit)
            if row is None:
                continue
            free_end = len(target.key) >= 10
            for end, count in ends:
                if row[count] <= target.limit and (
                    end in marks or (free_end and end in word_ends)
                ):
                    found.append((first.start, end, target, row[count]))
    return found, marks


def _word_ends(pieces: Sequence[_Piece]) -> set[int]:
    """Where a word may end inside a run: before a mora that can start one (not ン, nor
    the グ of ング or a vowel that only lengthens the one before)."""
    ends = {b.start for a, b in pairwise(pieces) if b.tokens and b.tokens != ("N",)}
    return ends | ({pieces[-1].end} if pieces else set())


def _correct_spans(unit: str, m: _Matcher) -> list[tuple[int, int]]:
    """Where ``unit`` holds a correct katakana writing of some term (ignoring ・)."""
    if m.correct_katakana is None:
        return []
    offsets = [i for i, c in enumerate(unit) if c != "・"]
    plain = "".join(unit[i] for i in offsets)
    return [(offsets[f.start()], offsets[f.end() - 1] + 1)
            for f in m.correct_katakana.finditer(plain)]


def _enclosing(unit: str, start: int, end: int, marks: set[int]) -> str:
    """The span from ``start`` to the first mark at or after ``end``."""
    return unit[start : min(m for m in marks if m >= end)]


def _token_ends(unit: str, pieces: Sequence[_Piece]) -> list[tuple[int, int]]:
    """(character end, tokens so far) after each piece that adds tokens, taking in the
    pieces after it that add none (the グ of ング, the イ of エイ) but not a ・."""
    ends: list[tuple[int, int]] = []
    count = 0
    for piece in pieces:
        count += len(piece.tokens)
        if piece.tokens:
            ends.append((piece.end, count))
        elif ends and unit[piece.start] != "・":
            ends[-1] = (piece.end, count)
    return ends


def _acceptable(span: str, word: str, target: _Target, m: _Matcher) -> bool:
    """Whether ``span`` (inside ``word``, the text up to the next mark) may be replaced."""
    said = spoken(span)
    if not said or len(phoneme_key(span)) < MIN_KEY or not re.search(f"[{_KATAKANA}]", span):
        return False
    if said in m.correct_spoken or spoken(word) in m.correct_spoken:
        return False
    if any(form in said for form in m.correct_of.get(target.term.canonical, ()) if len(form) > 2):
        return False
    kana = _spoken_surface(span)
    return not (re.fullmatch(f"[{_KATAKANA}]+", kana) and is_dictionary_word(kana))


def _reading_fixes(text: str, m: _Matcher, taken: list[tuple[int, int]]) -> list[TermFix]:
    chosen: list[TermFix] = []
    for unit in _UNIT.finditer(text):
        if _overlaps(unit.start(), unit.end(), taken):
            continue
        if unit.group() not in m.unit_cache:
            if len(m.unit_cache) > 20_000:
                m.unit_cache.clear()
            m.unit_cache[unit.group()] = _best_spans(unit.group(), m)
        for start, end, target, _ in m.unit_cache[unit.group()]:
            a, b = unit.start() + start, unit.start() + end
            chosen.append(TermFix(a, b, text[a:b], target.term.canonical,
                                  target.term.canonical, "reading"))
    return chosen


def _best_spans(unit: str, m: _Matcher) -> list[tuple[int, int, _Target, float]]:
    found_spans, marks = _unit_matches(unit, m)
    protected = _correct_spans(unit, m) if found_spans else []
    matches = [
        (start, end, target, distance)
        for start, end, target, distance in found_spans
        if not _overlaps(start, end, protected)
        and _acceptable(unit[start:end], _enclosing(unit, start, end, marks), target, m)
    ]
    matches.sort(key=lambda f: (f[3] / len(f[2].key), -(f[1] - f[0]), f[0]))
    kept: list[tuple[int, int, _Target, float]] = []
    for found in matches:
        if not _overlaps(found[0], found[1], [(k[0], k[1]) for k in kept]):
            kept.append(found)
    return sorted(kept, key=lambda f: f[0])


def _latin_fixes(text: str, m: _Matcher, taken: list[tuple[int, int]]) -> list[TermFix]:
    fixes: list[TermFix] = []
    for word in _LATIN_WORD.finditer(text):
        if _overlaps(word.start(), word.end(), taken):
            continue
        if _latin_key(word.group()) in m.correct_latin:
            continue
        term, how = _acronym_term(word.group(), m), "acronym"
        if term is None:
            term, how = _romaji_term(word.group(), m), "romaji"
        if term is not None:
            fixes.append(TermFix(word.start(), word.end(), word.group(), term.canonical,
                                 term.canonical, how))
    return fixes


def _acronym_term(word: str, m: _Matcher) -> GlossaryTerm | None:
    """A glossary acronym that ``word`` spells with one letter misheard (LSDM for LSTM):
    the two letters' names sound alike (ディー/ティー, エム/エヌ, エル/アール)."""
    if not _ACRONYM.fullmatch(word):
        return None
    for form, term in m.acronyms.get(len(word), ()):
        differ = [(a, b) for a, b in zip(word, form, strict=True) if a != b]
        if len(differ) != 1:
            continue
        a, b = differ[0]
        key_a, key_b = phoneme_key(a), phoneme_key(b)
        row = prefix_distances(key_a, key_b, 0.5)
        if row is not None and row[-1] <= 0.5:
            return term
    return None


def _romaji_term(word: str, m: _Matcher) -> GlossaryTerm | None:
    """The term a romaji word reads as (paitoochi for PyTorch), unless it is spelt almost
    like a correct writing: then it is a writer's spelling, not a mishearing."""
    if len(word) < MIN_ROMAJI_LETTERS or word.isupper():
        return None
    kana = romaji_to_katakana(word)
    if not kana or is_dictionary_word(kana):
        return None
    key = phoneme_key(kana)
    best: tuple[float, GlossaryTerm] | None = None
    for target in m.targets:
        if abs(len(target.key) - len(key)) > 2 * target.limit + 1:
            continue
        row = prefix_distances(target.key, key, target.limit)
        if row is not None and row[-1] <= target.limit and (best is None or row[-1] < best[0]):
            best = (row[-1], target.term)
    if best is None or _spelt_like_a_correct_writing(word, m):
        return None
    return best[1]


def _spelt_like_a_correct_writing(word: str, m: _Matcher) -> bool:
    key = _latin_key(word)
    return any(
        abs(len(form) - len(key)) <= 2 and edit_distance(key, form) <= max(1, len(form) // 4)
        for form in m.correct_latin
    )


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between two strings."""
    row = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        new = [i]
        for j, other in enumerate(b, 1):
            new.append(min(row[j] + 1, new[j - 1] + 1, row[j - 1] + (char != other)))
        row = new
    return row[-1]


def _overlaps(start: int, end: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(start < b and a < end for a, b in spans)


# --------------------------------------------------------------------------- entry points


def find_fixes(text: str, glossary: Glossary, *, by_reading: bool = True) -> list[TermFix]:
    """Every correction for ``text``, in order, none overlapping."""
    m = _matcher(glossary)
    fixes: list[TermFix] = []
    if m.listed is not None:
        for found in m.listed.finditer(text):
            canonical = m.listed_forms[found.group().lower()]
            fixes.append(TermFix(found.start(), found.end(), found.group(), canonical, canonical))
    if by_reading and m.targets:
        taken = [(f.start, f.end) for f in fixes]
        fixes += _reading_fixes(text, m, taken)
        taken = [(f.start, f.end) for f in fixes]
        fixes += _latin_fixes(text, m, taken)
    return sorted(fixes, key=lambda f: f.start)


def correct_text(
    text: str, glossary: Glossary, *, by_reading: bool = True
) -> tuple[str, list[TermFix]]:
    """``text`` with misheard terms replaced by their canonical spelling, and the fixes."""
    fixes = find_fixes(text, glossary, by_reading=by_reading)
    out, cursor = [], 0
    for fix in fixes:
        out.append(text[cursor : fix.start])
        out.append(fix.replacement)
        cursor = fix.end
    out.append(text[cursor:])
    return "".join(out), fixes


def correct_terms(episode: Episode, glossary: Glossary) -> Episode:
    segments: list[Segment] = []
    corrections: list[Correction] = list(episode.corrections)
    for i, segment in enumerate(episode.segments):
        text, fixes = correct_text(segment.text, glossary)
        segments.append(segment.model_copy(update={"text": text}))
        corrections.extend(
            Correction(segment=i, original=f.original, replacement=f.replacement,
                       canonical=f.canonical)
            for f in fixes
        )
    return episode.with_stage("terms", segments=segments, corrections=corrections)
