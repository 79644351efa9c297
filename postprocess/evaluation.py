"""Scores for the text engine: punctuation P/R/F1, topic Pk and WindowDiff, CER.

Plain functions on strings and label lists, so the ``kikigaki eval`` commands, the tests
and the benchmark scripts all score the same way.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from rapidfuzz.distance import Levenshtein

from postprocess.punctuation import MARKS, prf, punctuation_counts
from postprocess.topics import labels, pk

__all__ = ["cer", "char_errors", "labels", "normalise_for_cer", "pk", "punctuation_report"]

_NOT_SCORED_IN_CER = re.compile(
    r"[\s、。，．,.?!？！「」『』（）()\[\]【】・…‥〜~\-—–:：;；\"'”“’‘]"
)


def punctuation_report(pairs: Sequence[tuple[str, str]]) -> dict[str, dict[str, float]]:
    """Per-mark precision, recall, F1 and counts over (reference, predicted) text pairs
    (and "end": any of 。？！ where the reference ends a sentence).

    Both texts of a pair must be the same text apart from 。、？！.
    """
    totals: dict[str, list[int]] = {mark: [0, 0, 0] for mark in MARKS}
    for reference, predicted in pairs:
        for mark, counts in punctuation_counts(reference, predicted).items():
            for j, value in enumerate(counts):
                totals.setdefault(mark, [0, 0, 0])[j] += value
    report = {}
    for mark, (tp, predicted, expected) in totals.items():
        precision, recall, f1 = prf(tp, predicted, expected)
        report[mark] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "reference": expected,
            "predicted": predicted,
        }
    return report


def window_diff(reference: Sequence[int], hypothesis: Sequence[int], k: int | None = None) -> float:
    """Pevzner and Hearst's WindowDiff over per-sentence segment labels (0 is perfect)."""
    if len(reference) != len(hypothesis):
        raise ValueError("reference and hypothesis label different numbers of sentences")
    n = len(reference)
    if k is None:
        k = max(1, round(n / len(set(reference)) / 2))
    if n <= k:
        return 0.0
    errors = sum(
        _changes(reference, i, k) != _changes(hypothesis, i, k) for i in range(n - k)
    )
    return errors / (n - k)


def _changes(segment_labels: Sequence[int], i: int, k: int) -> int:
    return sum(segment_labels[j] != segment_labels[j + 1] for j in range(i, i + k))


def normalise_for_cer(text: str) -> str:
    """NFKC width folding, lower case, no punctuation, spaces or long-vowel marks."""
    return _NOT_SCORED_IN_CER.sub("", unicodedata.normalize("NFKC", text).lower())


def char_errors(reference: str, hypothesis: str) -> int:
    """Levenshtein distance in characters."""
    return Levenshtein.distance(reference, hypothesis)


def cer(pairs: Sequence[tuple[str, str]]) -> tuple[float, int, int]:
    """Corpus CER over (reference, hypothesis) pairs after :func:`normalise_for_cer`:
    (rate, errors, reference characters)."""
    errors = total = 0
    for reference, hypothesis in pairs:
        ref, hyp = normalise_for_cer(reference), normalise_for_cer(hypothesis)
        errors += char_errors(ref, hyp)
        total += len(ref)
    return (errors / total if total else 0.0), errors, total
