"""Rules the punctuation model may not break, applied to its decisions per boundary.

1. No mark inside a word: not between the morphemes of one katakana word (トランス|フォー|
   マーズ), one run of Latin letters or digits, or inside a Latin phrase (a mark before the
   space in "Attention Is All You Need").
2. No sentence end after an interjectional particle (ね, さ) that follows a noun, an adverb
   or a case particle when the stream goes on: 「今日ね、僕ね、」 are not sentences.
3. No sentence of one to three morphemes that is only a particle phrase (「ちらっとね。」
   「僕も。」): it joins the sentence after it (or, at the end of a unit, the one before).
   Short questions (「誰が？」) stay.
4. No 。 right before a quotative って or みたい: 「大事よって言ってても」「うまくいかんみたいな話」
   go on (a quoted ？ or ！ stays: 「何で？って」).

Decisions are indices into LABELS (0 none, 1 、, 2 。, 3 ？, 4 ！). Boundaries that are
unit ends (a line or turn ends) keep their sentence end; marks that were in the input are
not touched.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kikigaki.nlp import Morpheme
from postprocess.punctuation_model import LABELS, char_class

COMMA = LABELS.index("、")
_FIRST_END = LABELS.index("。")
_INTERJECTIONAL = frozenset({"ね", "ねえ", "ねぇ", "ねー", "さ", "さあ", "さぁ", "さー"})
# What may stand before an interjectional particle inside a clause (「僕ね」「今日はね」
# 「やっとね」「ちらっとね」). Conjunctive particles are not here: 「時間ないからね。」 ends
# a sentence.
_PHRASE_POS = ("名詞", "代名詞", "副詞", "接続詞", "連体詞", "接頭辞", "接尾辞")
_PHRASE_PARTICLES = ("助詞-格助詞", "助詞-係助詞", "助詞-副助詞")
# A sentence with one of these is more than a particle phrase.
_PREDICATE_POS = ("動詞", "形容詞", "助動詞", "感動詞", "形状詞")
_SHORT_SENTENCE = 3
_WORD_CLASSES = frozenset({"kata", "latin", "digit"})
_QUOTATIVE = {"って": "助詞", "っつっ": "助動詞", "みたい": "形状詞"}


def is_end(label: int) -> bool:
    return label >= _FIRST_END


def inside_word(morphemes: Sequence[Morpheme], i: int) -> bool:
    """Whether the boundary after morpheme ``i`` lies inside one katakana or Latin word."""
    if i + 1 >= len(morphemes):
        return False
    before, after = morphemes[i].surface, morphemes[i + 1].surface
    if not before or not after:
        return False
    left, right = char_class(before[-1]), char_class(after[0])
    if left in _WORD_CLASSES and left == right:
        return True
    if left in ("latin", "digit") and right in ("latin", "digit"):
        return True
    return right == "space" and left == "latin" and _latin_follows(morphemes, i + 1)


def _latin_follows(morphemes: Sequence[Morpheme], blank: int) -> bool:
    j = blank
    while j < len(morphemes) and not morphemes[j].surface.strip():
        j += 1
    return j < len(morphemes) and char_class(morphemes[j].surface[0]) == "latin"


def _is_phrase_part(m: Morpheme) -> bool:
    return m.pos[0] in _PHRASE_POS or m.tag.startswith(_PHRASE_PARTICLES)


def interjectional_mid_clause(morphemes: Sequence[Morpheme], i: int) -> bool:
    """Whether morpheme ``i`` is ね/さ right after a noun, adverb or case particle."""
    m = morphemes[i]
    if m.surface not in _INTERJECTIONAL or not m.tag.startswith("助詞") or i == 0:
        return False
    return _is_phrase_part(morphemes[i - 1])


def apply_rules(
    morphemes: Sequence[Morpheme],
    decisions: np.ndarray,
    *,
    unit_end: np.ndarray,
    given: np.ndarray,
) -> np.ndarray:
    """``decisions`` with the three rules applied; ``given`` marks the input's own marks."""
    decided = decisions.copy()
    free = ~unit_end & ~given
    for i in range(len(morphemes)):
        if not free[i] or decided[i] == 0:
            continue
        if inside_word(morphemes, i):
            decided[i] = 0
        elif is_end(decided[i]) and interjectional_mid_clause(morphemes, i):
            decided[i] = COMMA
    _merge_particle_phrases(morphemes, decided, free)
    for i in range(len(morphemes) - 1):
        if free[i] and decided[i] == _FIRST_END and _quotative(morphemes[i + 1]):
            decided[i] = 0
    return decided


def _quotative(m: Morpheme) -> bool:
    """Whether ``m`` quotes what comes before it (it cannot start a sentence)."""
    pos = _QUOTATIVE.get(m.surface)
    return pos is not None and m.tag.startswith(pos)


def _merge_particle_phrases(
    morphemes: Sequence[Morpheme], decided: np.ndarray, free: np.ndarray
) -> None:
    start = 0
    previous_end: int | None = None
    for i in range(len(morphemes)):
        if not is_end(decided[i]):
            continue
        if decided[i] == _FIRST_END and _only_particle_phrase(morphemes[start : i + 1]):
            if free[i]:
                decided[i] = COMMA
                continue  # the phrase now starts the next sentence
            if previous_end is not None and free[previous_end]:
                decided[previous_end] = COMMA
        previous_end, start = i, i + 1


def _only_particle_phrase(sentence: Sequence[Morpheme]) -> bool:
    words = [m for m in sentence if m.surface.strip() and m.pos[0] != "補助記号"]
    if not words or len(words) > _SHORT_SENTENCE:
        return False
    if any(m.pos[0] in _PREDICATE_POS for m in words):
        return False
    return words[-1].pos[0] == "助詞"
