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

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise

from rapidfuzz.distance import Levenshtein

from kikigaki.document import Correction, Episode, Segment
from kikigaki.nlp import is_dictionary_word
from postprocess.glossary import Glossary, GlossaryTerm
from postprocess.readings import (
    LETTER_NAMES,
    MIN_KEY,
    Piece,
    allowed_distance,
    mora_count,
    phoneme_key,
    phoneme_pieces,
    prefix_distances,
    romaji_to_katakana,
    spoken,
    spoken_surface,
)

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

MIN_ROMAJI_LETTERS = 6


@dataclass(frozen=True)
class TermFix:
    start: int
    end: int
    original: str
    replacement: str
    canonical: str
    how: str = "listed"  # listed, reading, acronym or romaji


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
        {w for t in glossary.terms for w in (spoken_surface(f) for f in _correct_writings(t))
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


# --------------------------------------------------------------------------- reading pass


def _boundaries(unit: str, pieces: Sequence[Piece]) -> set[int]:
    """Offsets where a word may start or end inside a unit: its ends, either side of ・,
    where letters meet kana, and where Sudachi splits it (never inside a mora)."""
    from kikigaki.nlp import tokenize

    marks = {0, len(unit)}
    for i, char in enumerate(unit):
        if char == "・":
            marks.update((i, i + 1))
        if i and (char in LETTER_NAMES) != (unit[i - 1] in LETTER_NAMES):
            marks.add(i)
    marks.update(m.begin for m in tokenize(unit))
    edges = {p.start for p in pieces} | {p.end for p in pieces} | {len(unit)}
    return marks & edges


def _unit_matches(
    unit: str, m: _Matcher
) -> tuple[list[tuple[int, int, _Target, float]], set[int]]:
    """Spans of ``unit`` (offsets within it) that sound like a term, and the unit's marks."""
    pieces = phoneme_pieces(unit)
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


def _word_ends(pieces: Sequence[Piece]) -> set[int]:
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


def _token_ends(unit: str, pieces: Sequence[Piece]) -> list[tuple[int, int]]:
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
    kana = spoken_surface(span)
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
        abs(len(form) - len(key)) <= 2 and Levenshtein.distance(key, form) <= max(1, len(form) // 4)
        for form in m.correct_latin
    )


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
