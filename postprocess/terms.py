"""Correct misheard glossary terms; change nothing else.

A term's ``misheard`` forms are replaced by its canonical spelling. Latin forms match
case-insensitively and only as whole words; katakana forms only as whole katakana runs,
so a longer loanword that contains one is left alone. Correct writings (the canonical
spelling, ``variants``) are never touched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kikigaki.document import Correction, Episode, Segment
from postprocess.glossary import Glossary

_KATAKANA = "\u30a0-\u30ff"


@dataclass(frozen=True)
class TermFix:
    start: int
    end: int
    original: str
    replacement: str
    canonical: str


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


def _matcher(glossary: Glossary) -> tuple[re.Pattern[str] | None, dict[str, str]]:
    targets = {
        form.lower(): term.canonical
        for term in glossary.terms
        for form in term.misheard
        if form.lower() != term.canonical.lower()
    }
    if not targets:
        return None, {}
    forms = sorted(targets, key=len, reverse=True)
    return re.compile("|".join(_pattern(f) for f in forms), re.IGNORECASE), targets


def correct_text(text: str, glossary: Glossary) -> tuple[str, list[TermFix]]:
    pattern, targets = _matcher(glossary)
    if pattern is None:
        return text, []
    fixes = [
        TermFix(m.start(), m.end(), m.group(), targets[m.group().lower()],
                targets[m.group().lower()])
        for m in pattern.finditer(text)
    ]
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
