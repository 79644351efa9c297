"""Mentions: a person or a term found in the transcript, the forms it is written in, and
the character spans where each form occurs (the page marks and links them)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kikigaki.document import Annotation

if TYPE_CHECKING:
    from postprocess.glossary import GlossaryTerm

LATIN_CHAR = re.compile(r"[A-Za-z0-9]")


@dataclass
class Found:
    """A person or a term: the name to show and the forms it is written in."""

    label: str
    kind: str  # "person" or "term"
    surfaces: set[str] = field(default_factory=set)
    role: str = "mentioned"
    entry: GlossaryTerm | None = None
    score: float = 0.0
    note: str = ""  # what the episode or the glossary says the person is


def annotate_mentions(texts: Sequence[str], found: Sequence[Found]) -> list[Annotation]:
    """Spans of every person and term mention; longest match wins, no overlaps."""
    patterns = [
        (f.kind, f.label, pattern(surface))
        for f in found
        for surface in sorted(f.surfaces, key=len, reverse=True)
    ]
    annotations: list[Annotation] = []
    for index, text in enumerate(texts):
        candidates = [
            (m.start(), m.end(), kind, label)
            for kind, label, compiled in patterns
            for m in compiled.finditer(text)
        ]
        taken: list[tuple[int, int]] = []
        for start, end, kind, label in sorted(
            candidates, key=lambda c: (-(c[1] - c[0]), c[2] != "person", c[0])
        ):
            if all(end <= a or start >= b for a, b in taken):
                taken.append((start, end))
                annotations.append(
                    Annotation(sentence=index, start=start, end=end, kind=kind, label=label)  # type: ignore[arg-type]
                )
    return sorted(annotations, key=lambda a: (a.sentence, a.start))


_PATTERNS: dict[str, re.Pattern[str]] = {}


def pattern(form: str) -> re.Pattern[str]:
    """``form`` anywhere, case-insensitively; Latin forms only as whole words."""
    if form not in _PATTERNS:
        body = re.escape(form)
        if LATIN_CHAR.match(form[0]):
            body = r"(?<![A-Za-z0-9])" + body
        if LATIN_CHAR.match(form[-1]):
            body += r"(?![A-Za-z0-9])"
        _PATTERNS[form] = re.compile(body, re.IGNORECASE)
    return _PATTERNS[form]


def occurs(form: str, text: str) -> bool:
    return pattern(form).search(text) is not None


def count(form: str, text: str) -> int:
    return sum(1 for _ in pattern(form).finditer(text))


def glossary_forms(entry: GlossaryTerm) -> list[str]:
    """How a glossary term is written in text: canonical, variants, katakana reading.

    A reading that is also an ordinary word (arXiv's アーカイブ, CLIP's クリップ) would tag
    every ordinary use, so it does not count."""
    from kikigaki.nlp import is_dictionary_word

    forms = [entry.canonical, *entry.variants]
    if entry.reading and len(entry.reading) >= 3 and not is_dictionary_word(entry.reading):
        forms.append(entry.reading)
    return [f for f in dict.fromkeys(forms) if len(f) >= 2]
