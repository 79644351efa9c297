"""Which terms to hand Whisper as hotwords: only those the episode makes likely.

faster-whisper puts hotwords in the decoder's prompt. Every term there nudges the decoder
toward its spelling, and a long list of unrelated terms does worse than nudge: measured on
the eight Common Voice clips joined into one file, the whole AI/ML glossary as hotwords
made the batched decoder drop 2 of 8 utterances and write the rest without 、。
(CER 0.41 against 0.22 without). So hotwords are chosen, not dumped:

- the user's own terms (their ``--glossary`` files and the sidecar's ``[[term]]``) and a
  ``--hotwords`` file are always candidates: the user said this episode needs them;
- a shipped glossary term is a candidate only when the episode's own metadata (title,
  show, description) names it in one of its forms;
- within the candidates, terms already heard in the transcript so far come first (most
  recent first), then the rest in their order, up to ``MAX_HOTWORD_CHARS``.

Whatever is chosen, ``transcribe.asr`` decodes again, without hotwords, any speech the
prompted pass skipped, so a bad hotword can cost a spelling but not an utterance.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from kikigaki.document import EpisodeMeta
from kikigaki.errors import InputError
from kikigaki.inputs import read_input
from postprocess.glossary import Glossary, GlossaryTerm

MAX_HOTWORD_CHARS = 200
_RECENT_CHARS = 4000  # how much of the transcript so far is searched for terms
NO_HOTWORDS = "none"
_MAX_FILE_BYTES = 64 * 1024

HotwordPicker = Callable[[str], str]


def likely_terms(
    glossary: Glossary, user_terms: Sequence[str], meta: EpisodeMeta
) -> Glossary:
    """The terms of ``glossary`` worth biasing the decoder toward for this episode: those
    whose canonical spelling is in ``user_terms``, and those the metadata names."""
    described = " ".join((meta.title, meta.show, meta.description)).casefold()
    wanted = set(user_terms)
    return Glossary(tuple(
        term for term in glossary.terms
        if term.canonical in wanted or _named_in(term, described)
    ))


def _named_in(term: GlossaryTerm, text: str) -> bool:
    forms = (term.canonical, *term.variants)
    return any(len(form) >= 2 and form.casefold() in text for form in forms)


def hotword_picker(glossary: Glossary, extra: Sequence[str] = ()) -> HotwordPicker:
    """Hotwords for the next window, given the transcript heard so far: ``extra`` (a
    hotwords file's words) first, then ``glossary``'s terms (see :func:`pick_hotwords`)."""
    terms = (*(GlossaryTerm(word) for word in extra), *glossary.terms)
    return partial(pick_hotwords, Glossary(terms))


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


def read_hotwords(path: Path) -> tuple[str, ...]:
    """The words of a hotwords file: one term per line, ``#`` starts a comment."""
    data = read_input(path, "hotwords", max_bytes=_MAX_FILE_BYTES)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(path, "the hotwords file is not UTF-8", "save it as UTF-8") from None
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return tuple(dict.fromkeys(line for line in lines if line))
