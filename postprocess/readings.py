"""How Japanese is said: morae, loose phoneme keys, letter names, romaji, and a sound
distance between two readings that charges half for the confusions a listener (or
Whisper) makes most: near consonants, vowel length, a dropped ン.

Shared by term correction (:mod:`postprocess.terms`), the glossary's checks and anything
else that compares how words sound.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

_KATAKANA = "\u30a0-\u30ff"
_SEPARATORS = re.compile(r"[\s・･\-‐_.]+")
MIN_KEY = 4  # phonemes: shorter terms are matched only by their listed mishearings
# (up to this many morae, this distance): a mora's worth of change for a five-mora term.
_LIMITS = ((3, 0.0), (4, 0.5), (6, 1.0), (9, 1.5), (99, 2.0))

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
LETTER_NAMES = dict(zip(
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
class Piece:
    """One mora (or one spelt-out letter) of a unit: where it is, and its phonemes."""

    start: int
    end: int
    tokens: tuple[str, ...]


def kana_morae(text: str) -> list[tuple[int, int, str, str]]:
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


def phoneme_pieces(text: str) -> list[Piece]:
    """The phoneme pieces of a unit (katakana, ・ and capital letters), with offsets.

    Long vowels, ッ and a vowel that only lengthens the one before (エイ, オウ) leave no
    phoneme, ング reads as ン, and a ル closing a syllable inside a word (テンソル-フロー,
    カル-パシー) reads as a long vowel: these are the differences hearing does not settle.
    """
    pieces: list[Piece] = []
    last_vowel = ""
    i = 0
    while i < len(text):
        char = text[i]
        if char in LETTER_NAMES:
            letter = phoneme_pieces(LETTER_NAMES[char])
            tokens = tuple(t for p in letter for t in p.tokens)
            pieces.append(Piece(i, i + 1, tokens))
            last_vowel = next((t for t in reversed(tokens) if t in _VOWELS), "")
            i += 1
            continue
        j = i
        while j < len(text) and text[j] not in LETTER_NAMES:
            j += 1
        morae = kana_morae(text[i:j])
        for n, (start, end, consonant, vowel) in enumerate(morae):
            following = morae[n + 1][2] if n + 1 < len(morae) else ""
            tokens = _mora_tokens(consonant, vowel, last_vowel, pieces, following)
            pieces.append(Piece(i + start, i + end, tokens))
            if vowel:
                last_vowel = vowel
            elif consonant:
                last_vowel = ""
        i = j
    return [p for p in pieces if p.end > p.start]


def _mora_tokens(
    consonant: str, vowel: str, last_vowel: str, before: list[Piece], following: str
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
    return sum(1 for m in kana_morae(said) if m[2] or m[3])


def phoneme_key(text: str) -> tuple[str, ...]:
    """The loose phoneme key of katakana (and capital letters, read as their names)."""
    return tuple(t for p in phoneme_pieces(spoken_surface(text)) for t in p.tokens)


def spoken_surface(text: str) -> str:
    """Hiragana as katakana, separators dropped; what ``pieces`` reads."""
    text = "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in text)
    return _SEPARATORS.sub("", text)


def spoken(text: str) -> str:
    """A writing as it is said, for telling correct writings apart: katakana with letters
    spelt out, without ・, spaces or a final ー."""
    text = spoken_surface(text)
    if re.fullmatch(rf"[{_KATAKANA}A-Z0-9]+", text) is None:
        return ""
    return "".join(LETTER_NAMES.get(c, c) for c in text).rstrip("ー")


def letter_reading(acronym: str) -> str:
    """The katakana reading of capital letters spelt one by one: LLM -> エルエルエム."""
    return "".join(LETTER_NAMES.get(c, c) for c in acronym)


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


