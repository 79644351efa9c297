"""Restore Japanese punctuation (。、？！) in run-on or under-punctuated speech transcripts.

The text comes as pieces (lines, speaker turns, caption cues, ASR segments) that are
tokenised by SudachiPy and read by the model in ``punctuation_model`` as one stream, so a
boundary is judged with the sentence around it and the turn after it. What the pieces
say is used: a piece that is a unit (a line of ``kikigaki punctuate``'s input, a speaker
turn) always ends a sentence, with whichever of 。？！ the model finds most likely; a cue
or segment end and the silence after each word are features of the model.

Marks already in the input are strong evidence: their outcome gets a bonus, so a mark is
removed or changed only where the model is confident it is wrong. The rules in
``punctuation_rules`` then hold (no mark inside a word; no sentence end after a
mid-clause ね/さ; no sentence that is only a short particle phrase), and finally no stretch
of the output runs longer than ``max_sentence_chars`` without a sentence end: where the
model put none, 。 goes at the boundary it found most sentence-final.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kikigaki.nlp import Morpheme, tokenize
from postprocess.punctuation_model import (
    LABELS,
    MODEL_PATH,
    BoundaryInfo,
    PunctuationModel,
    load_model,
)
from postprocess.punctuation_rules import apply_rules

__all__ = [
    "LABELS", "MARKS", "MODEL_PATH", "SENTENCE_ENDS", "TextPiece", "load_model",
    "punctuate_pieces", "restore_punctuation", "score_punctuation",
]

MARKS = "。、？！"
SENTENCE_ENDS = frozenset("。？！")
# When several marks stand together (？！, 。。) the boundary counts as the strongest one.
_MARK_PRIORITY = {"？": 4, "！": 3, "。": 2, "、": 1}
_END_COLUMNS = [LABELS.index(mark) for mark in ("。", "？", "！")]

# Score bonus for the outcome a mark already in the input stands for.
_EXISTING_END_BONUS = 6.0
_EXISTING_COMMA_BONUS = 5.0
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True, slots=True)
class TextPiece:
    """A stretch of transcript as it came: a line, a speaker turn, a caption cue, a segment."""

    text: str
    unit_end: bool = False  # a sentence ends after it (a line, the end of a speaker turn)
    cue_end: bool = False  # a caption cue or ASR segment ends after it (evidence, not a rule)
    # (offset of a character in ``text``, seconds of silence after it), where words are timed
    pauses: tuple[tuple[int, float], ...] = ()


# ---------------------------------------------------------------- marks


def split_marks(text: str, marks: str = MARKS) -> tuple[str, list[str]]:
    """``text`` without ``marks``, and for each remaining character the marks after it.

    Marks before the first character are dropped.
    """
    base: list[str] = []
    after: list[str] = []
    for char in text:
        if char in marks:
            if after:
                after[-1] += char
        else:
            base.append(char)
            after.append("")
    return "".join(base), after


def strongest_mark(run: str) -> str:
    """The mark a run of marks counts as (？！ counts as ？, 。。 as 。)."""
    known = [c for c in run if c in _MARK_PRIORITY]
    return max(known, key=_MARK_PRIORITY.__getitem__) if known else ""


# ---------------------------------------------------------------- restoration


def restore_punctuation(
    text: str, *, max_sentence_chars: int = 120, model: PunctuationModel | None = None
) -> str:
    """``text`` with 。、？！ inserted, kept, or removed where wrong; nothing else changes.

    Each line is a unit: a sentence ends at its end. Text without any Japanese
    character (kana or kanji) is returned unchanged. ``model`` defaults to the shipped one.
    """
    if not _JAPANESE.search(text):
        return text
    lines = text.splitlines(keepends=True)
    pieces = [TextPiece(line, unit_end=True) for line in lines]
    return "".join(punctuate_pieces(pieces, max_sentence_chars=max_sentence_chars, model=model))


@dataclass
class _Stream:
    """The pieces' text without marks, tokenised, with what is known per boundary."""

    base: str
    existing: list[str]  # per base character, the marks the input had after it
    morphemes: list[Morpheme]
    piece_of_char: np.ndarray  # per base character, the index of its piece
    info: BoundaryInfo
    marked: np.ndarray  # per morpheme: its piece has Japanese text, so it gets marks


def punctuate_pieces(
    pieces: Sequence[TextPiece],
    *,
    cues_known: bool = False,
    timed: bool = False,
    max_sentence_chars: int = 120,
    model: PunctuationModel | None = None,
) -> list[str]:
    """Each piece's text with 。、？！ restored; the pieces are read as one stream.

    ``cues_known``: the pieces are caption cues or ASR segments (their ``cue_end`` counts);
    ``timed``: their ``pauses`` give the silence after every timed word (0 where none).
    """
    stream = _tokenised(pieces, cues_known=cues_known, timed=timed)
    scores = (model or load_model()).scores(stream.morphemes, stream.info)
    given = _add_existing_evidence(stream, scores)
    decisions = _decide(stream, scores)
    decisions = apply_rules(stream.morphemes, decisions, unit_end=stream.info.unit_end,
                            given=given)
    marks = list(stream.existing)
    for i, m in enumerate(stream.morphemes):
        if stream.marked[i] and _allowed(stream.morphemes, i) and not given[i]:
            marks[m.end - 1] = LABELS[decisions[i]]
    end_scores = _end_scores_by_char(stream, scores)
    _cap_stretches(marks, end_scores, max_sentence_chars)
    out = [_leading_marks(piece.text) for piece in pieces]
    for j, char in enumerate(stream.base):
        out[stream.piece_of_char[j]] += char + marks[j]
    return out


def _tokenised(pieces: Sequence[TextPiece], *, cues_known: bool, timed: bool) -> _Stream:
    bases, existing, morphemes, piece_ids = [], [], [], []
    unit_end, cue_end, pause, marked = [], [], [], []
    offset = 0
    for k, piece in enumerate(pieces):
        base, after, to_base = _split_with_index(piece.text)
        local = tokenize(base)
        silence = {to_base[c]: s for c, s in piece.pauses if 0 <= c < len(to_base)}
        last = _last_word(local)
        for i, m in enumerate(local):
            morphemes.append(Morpheme(m.surface, m.pos, m.reading, m.normalized,
                                      m.begin + offset, m.end + offset))
            unit_end.append(piece.unit_end and i == last)
            cue_end.append(piece.cue_end and i == last)
            pause.append(silence.get(m.end - 1, 0.0) if timed else np.nan)
            marked.append(bool(_JAPANESE.search(base)))
        bases.append(base)
        existing.extend(after)
        piece_ids.extend([k] * len(base))
        offset += len(base)
    info = BoundaryInfo(np.array(unit_end, bool), np.array(cue_end, bool),
                        np.array(pause, np.float32), cues_known=cues_known, timed=timed)
    return _Stream("".join(bases), existing, morphemes, np.array(piece_ids, np.int64), info,
                   np.array(marked, bool))


def _split_with_index(text: str) -> tuple[str, list[str], list[int]]:
    """``split_marks`` of ``text``, and for each character of ``text`` its base index."""
    base, after = split_marks(text)
    to_base, j = [], -1
    for char in text:
        if char not in MARKS:
            j += 1
        to_base.append(max(j, 0))
    return base, after, to_base


def _leading_marks(text: str) -> str:
    """The marks before a piece's first other character (kept as they are)."""
    return text[: len(text) - len(text.lstrip(MARKS))]


def _last_word(morphemes: Sequence[Morpheme]) -> int:
    """The last morpheme that is not a blank (a line's end is before its newline)."""
    for i in range(len(morphemes) - 1, -1, -1):
        if not _is_blank(morphemes[i]):
            return i
    return -1


def _add_existing_evidence(stream: _Stream, scores: np.ndarray) -> np.ndarray:
    """Bonus for the marks the input has; which boundaries have one."""
    given = np.zeros(len(stream.morphemes), bool)
    for i, m in enumerate(stream.morphemes):
        mark = strongest_mark(stream.existing[m.end - 1])
        if mark:
            bonus = _EXISTING_COMMA_BONUS if mark == "、" else _EXISTING_END_BONUS
            scores[i, LABELS.index(mark)] += bonus
            given[i] = np.argmax(scores[i]) == LABELS.index(mark)
    return given


def _decide(stream: _Stream, scores: np.ndarray) -> np.ndarray:
    """The best label per boundary; at a unit end the best sentence end."""
    decisions = np.argmax(scores, axis=1)
    unit = stream.info.unit_end
    if unit.any():
        ends = np.array(_END_COLUMNS)[np.argmax(scores[unit][:, _END_COLUMNS], axis=1)]
        decisions[unit] = ends
    return decisions


def _is_blank(m: Morpheme) -> bool:
    return m.pos[0] == "空白" or not m.surface.strip()


def _allowed(morphemes: Sequence[Morpheme], i: int) -> bool:
    """Whether a mark may follow morpheme ``i``: not after blanks, ASCII ?!<> or symbols
    (closing brackets excepted), not before symbols (opening brackets excepted)."""
    m = morphemes[i]
    if _is_blank(m) or (m.pos[0] == "補助記号" and m.pos[1] != "括弧閉") or m.surface[-1] in "?!<>":
        return False
    if i + 1 < len(morphemes) and morphemes[i + 1].begin == m.end:
        following = morphemes[i + 1]
        return not (following.pos[0] == "補助記号" and following.pos[1] != "括弧開")
    return True


def allowed_boundaries(morphemes: Sequence[Morpheme]) -> np.ndarray:
    """Where a mark may go (see ``_allowed``), for every morpheme boundary."""
    return np.array([_allowed(morphemes, i) for i in range(len(morphemes))], dtype=bool)


def _end_scores_by_char(stream: _Stream, scores: np.ndarray) -> np.ndarray:
    """How sentence-final each character boundary is; -inf where no mark may go."""
    by_char = np.full(len(stream.base), -np.inf, dtype=np.float32)
    for i, m in enumerate(stream.morphemes):
        if stream.marked[i] and _allowed(stream.morphemes, i):
            by_char[m.end - 1] = scores[i, _END_COLUMNS].max() - scores[i, 0]
    return by_char


def _cap_stretches(marks: list[str], end_scores: np.ndarray, max_chars: int) -> None:
    """Put 。 into every stretch of more than ``max_chars`` output characters without an end.

    A stretch is what lies between two sentence ends in the output (marks included).
    """
    start, length, j = 0, 0, 0
    while j < len(marks):
        length += 1
        if length > max_chars and j > start:
            cut = _best_cut(end_scores, start, j - 1, max_chars)
            marks[cut] = "。"
            start, length, j = cut + 1, 0, cut + 1
            continue
        if any(c in SENTENCE_ENDS for c in marks[j]):
            start, length = j + 1, 0
        else:
            length += len(marks[j])
        j += 1


def _best_cut(end_scores: np.ndarray, start: int, stop: int, max_chars: int) -> int:
    """The most sentence-final boundary in ``start..stop``, avoiding very short pieces."""
    window = end_scores[start : stop + 1].copy()
    shortest = max_chars // 3
    if len(window) > shortest and np.isfinite(window[shortest:]).any():
        window[:shortest] = -np.inf  # a cut this early would leave a tiny sentence
    best = int(np.argmax(window))
    if not np.isfinite(window[best]):
        return stop  # no morpheme boundary at all: cut where the limit is reached
    return start + best


# ---------------------------------------------------------------- evaluation


def mark_positions(text: str) -> tuple[str, dict[int, str]]:
    """``text`` without marks, and the mark after each character index that has one."""
    base, after = split_marks(text)
    return base, {j: strongest_mark(run) for j, run in enumerate(after) if run}


def score_punctuation(reference: str, predicted: str) -> dict[str, tuple[float, float, float]]:
    """Per-mark precision, recall and F1 of ``predicted`` against ``reference``.

    Both must be the same text apart from 。、？！. A mark counts as right when the same
    mark follows the same non-mark character. The key "end" scores 。？！ as one class
    (any sentence end where the reference has any sentence end).
    """
    counts = punctuation_counts(reference, predicted)
    return {mark: prf(*counts[mark]) for mark in counts}


def punctuation_counts(reference: str, predicted: str) -> dict[str, tuple[int, int, int]]:
    """(true positives, predicted, reference) per mark and for "end"; see score_punctuation."""
    ref_base, ref_marks = mark_positions(reference)
    pred_base, pred_marks = mark_positions(predicted)
    if ref_base != pred_base:
        raise ValueError("reference and prediction differ in more than 。、？！")
    counts: dict[str, tuple[int, int, int]] = {}
    for mark in [*MARKS, "end"]:
        wanted = _positions_of(ref_marks, mark)
        got = _positions_of(pred_marks, mark)
        counts[mark] = (len(wanted & got), len(got), len(wanted))
    return counts


def _positions_of(marks: dict[int, str], mark: str) -> set[int]:
    if mark == "end":
        return {j for j, m in marks.items() if m in SENTENCE_ENDS}
    return {j for j, m in marks.items() if m == mark}


def prf(true_positives: int, predicted: int, reference: int) -> tuple[float, float, float]:
    precision = true_positives / predicted if predicted else 0.0
    recall = true_positives / reference if reference else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1
