"""Glossary terms as Whisper hotwords, chosen afresh for each audio window.

faster-whisper prepends hotwords to the decoder's prompt, where only about half the
context fits, and every unrelated word in it is a nudge toward a wrong spelling. So each
window gets the terms the episode has already touched (heard in their canonical,
variant or misheard spelling, most recent first) and then the glossary's other terms, in
its order, up to ``max_chars``.
"""

from __future__ import annotations

from postprocess.glossary import Glossary, GlossaryTerm

MAX_HOTWORD_CHARS = 200
_RECENT_CHARS = 4000  # how much of the transcript so far is searched for terms


def pick_hotwords(glossary: Glossary, heard: str = "", max_chars: int = MAX_HOTWORD_CHARS) -> str:
    """Space-separated canonical spellings for the next window, given what was ``heard``."""
    recent = heard[-_RECENT_CHARS:].lower()
    heard_terms = sorted(
        (term for term in glossary.terms if _last_mention(term, recent) >= 0),
        key=lambda term: -_last_mention(term, recent),
    )
    chosen: list[str] = []
    length = 0
    for term in [*heard_terms, *glossary.terms]:
        if term.canonical in chosen or (term.category == "person" and term not in heard_terms):
            continue
        if length + len(term.canonical) + 1 > max_chars:
            continue
        chosen.append(term.canonical)
        length += len(term.canonical) + 1
    return " ".join(chosen)


def _last_mention(term: GlossaryTerm, text: str) -> int:
    forms = (term.canonical, *term.variants, *term.misheard)
    return max((text.rfind(form.lower()) for form in forms if form), default=-1)
