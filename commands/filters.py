"""The text engine as shell filters: UTF-8 text on standard input, results on standard output.

Each filter keeps a strict contract so it can sit in a pipeline or under a scorer:

- ``punctuate``: the same text with 。、？！ inserted or removed; no other character changes.
- ``terms``: the same text with glossary terms corrected; nothing else changes.
- ``segment``: one sentence per line in, ``{"boundaries": [...], "titles": [...]}`` out.

Bytes are read and written as they are (no newline translation), so ``\\r\\n`` and a BOM
come back exactly as they went in.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from kikigaki.document import Episode, Sentence
from kikigaki.errors import InputError

STDIN = "<stdin>"


def decode_utf8(data: bytes, where: str = STDIN) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(
            where,
            f"is not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start})",
            "convert it first, e.g. iconv -f SHIFT_JIS -t UTF-8",
        ) from None


def punctuate(text: str, *, max_sentence_chars: int = 120) -> str:
    """``text`` with 。、？！ restored; each line is a unit (a turn, a caption), so a
    sentence ends at every line's end."""
    from postprocess.punctuation import restore_punctuation

    return restore_punctuation(text, max_sentence_chars=max_sentence_chars)


def correct_terms_in_text(text: str, glossary_paths: Sequence[Path] = ()) -> str:
    from postprocess.glossary import load_glossary
    from postprocess.terms import correct_text

    return correct_text(text, load_glossary(tuple(glossary_paths)))[0]


def sentence_lines(text: str) -> list[str]:
    """The input's lines; a final newline does not start another (empty) line."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.rstrip("\r") for line in lines]


def segment(lines: Sequence[str], *, min_sentences: int = 10, titles: bool = True) -> dict:
    """Topic segments of ``lines`` (one sentence each): where each starts, and its title.

    Blank lines take part in no decision; they belong to the segment they fall in.
    """
    from postprocess.topics import segment_topics

    kept = [i for i, line in enumerate(lines) if line.strip()]
    if not kept:
        return {"boundaries": [0] if lines else [], **({"titles": []} if titles else {})}
    episode = Episode(sentences=[Sentence(text=lines[i].strip()) for i in kept])
    chapters = segment_topics(episode, min_chapter_sentences=min_sentences).chapters
    boundaries = [0, *(kept[c.first] for c in chapters[1:])]
    result: dict = {"boundaries": boundaries}
    if titles:
        result["titles"] = [c.title for c in chapters]
    return result


def segment_json(lines: Sequence[str], **options: object) -> str:
    return json.dumps(segment(lines, **options), ensure_ascii=False) + "\n"  # type: ignore[arg-type]
