"""Shared Japanese analysers, loaded once per process.

Token-level stages (fillers, punctuation, term readings) use SudachiPy directly: it is
the tokenizer and dictionary inside GiNZA, about a hundred times faster than a full
GiNZA pass. The one full GiNZA pass (dependencies and named entities) is ``parse``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

# Sudachi refuses inputs over 49,149 bytes; chunks of this many characters stay below.
_SUDACHI_CHUNK_CHARS = 12_000


@dataclass(frozen=True, slots=True)
class Morpheme:
    surface: str
    pos: tuple[str, ...]  # Sudachi's six part-of-speech fields
    reading: str  # katakana
    normalized: str
    begin: int  # character offsets in the analysed text
    end: int

    @property
    def tag(self) -> str:
        """GiNZA's ``tag_``: the non-empty POS fields joined with '-'."""
        return "-".join(p for p in self.pos[:4] if p != "*")

    @property
    def inflection_type(self) -> str:
        return self.pos[4]

    @property
    def inflection_form(self) -> str:
        return self.pos[5]


@cache
def _sudachi():  # type: ignore[no-untyped-def]
    from sudachipy import dictionary, tokenizer

    return dictionary.Dictionary(dict="core").create(tokenizer.Tokenizer.SplitMode.C)


def tokenize(text: str) -> list[Morpheme]:
    """Sudachi morphemes of ``text`` (mode C, as GiNZA uses), with offsets into ``text``."""
    analyser = _sudachi()
    morphemes: list[Morpheme] = []
    for offset, chunk in _chunks(text):
        for m in analyser.tokenize(chunk):
            morphemes.append(
                Morpheme(
                    surface=m.surface(),
                    pos=tuple(m.part_of_speech()),
                    reading=m.reading_form(),
                    normalized=m.normalized_form(),
                    begin=offset + m.begin(),
                    end=offset + m.end(),
                )
            )
    return morphemes


def _chunks(text: str) -> list[tuple[int, str]]:
    """Split long text at line breaks or, failing that, at fixed width."""
    chunks: list[tuple[int, str]] = []
    start = 0
    while start < len(text):
        stop = min(len(text), start + _SUDACHI_CHUNK_CHARS)
        if stop < len(text):
            newline = text.rfind("\n", start, stop)
            if newline > start:
                stop = newline + 1
        chunks.append((start, text[start:stop]))
        start = stop
    return chunks


def reading_of(text: str) -> str:
    """The katakana reading of ``text``; Latin letters and digits are kept as they are."""
    return "".join(m.reading if m.reading else m.surface for m in tokenize(text))


@cache
def ginza() -> Language:
    """GiNZA's pipeline, loaded on first use (the annotate stage) and kept."""
    with _torch_hidden():
        import spacy

        return spacy.load("ja_ginza")


@contextmanager
def _torch_hidden() -> Iterator[None]:
    """Importing spaCy imports thinc, which imports torch if it can (about 7 s and
    400 MB here) though GiNZA's pipeline never uses it. Unless torch is loaded already
    (diarization), it is made unimportable while spaCy loads, then importable again."""
    if "torch" in sys.modules:
        yield
        return
    sys.modules["torch"] = None  # type: ignore[assignment]  # import raises ImportError
    try:
        yield
    finally:
        if sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]


def parse(text: str) -> Doc:
    """One full GiNZA pass (tokens, dependencies, named entities)."""
    return ginza()(text)


@cache
def sudachi_dictionary():  # type: ignore[no-untyped-def]
    from sudachipy import dictionary

    return dictionary.Dictionary(dict="core")


def is_dictionary_word(text: str) -> bool:
    """Whether ``text`` is a headword of the Sudachi dictionary (an ordinary word)."""
    return len(sudachi_dictionary().lookup(text)) > 0
