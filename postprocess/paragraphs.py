"""Group sentences into readable paragraphs that never cross a chapter or a speaker turn.

A paragraph also starts where the source started a new line of its own (a paragraph in
a text transcript), and a long one is broken before a sentence that opens with a
discourse marker (で、 つまり はい …), or at the latest when it grows past a hard limit.
"""

from __future__ import annotations

from kikigaki.document import Episode, Paragraph, Sentence

SOFT_LIMIT_CHARS = 220
HARD_LIMIT_CHARS = 420
_UNTIMED_LINE_FORMATS = frozenset({"text", "seed-page"})
_DISCOURSE_MARKERS = (
    "で、",
    "でも",
    "つまり",
    "なので",
    "それで",
    "それから",
    "だから",
    "じゃあ",
    "はい",
    "ところで",
    "さて",
    "次に",
    "まず",
    "あと",
    "もう一個",
    "ただ",
    "一方",
    "というわけで",
    "そうすると",
    "そうで",
    "要するに",
    "結局",
)


def group_paragraphs(episode: Episode) -> Episode:
    starts = _chapter_starts(episode)
    lines_are_paragraphs = episode.meta.source_format in _UNTIMED_LINE_FORMATS
    paragraphs: list[Paragraph] = []
    first, length = 0, 0
    for i, sentence in enumerate(episode.sentences):
        if i > first and _breaks_before(
            i, sentence, episode.sentences[i - 1], length, starts, lines_are_paragraphs
        ):
            paragraphs.append(_paragraph(episode, first, i))
            first, length = i, 0
        length += len(sentence.text)
    if episode.sentences:
        paragraphs.append(_paragraph(episode, first, len(episode.sentences)))
    return episode.with_stage("paragraphs", paragraphs=paragraphs)


def _paragraph(episode: Episode, first: int, end: int) -> Paragraph:
    return Paragraph(first=first, end=end, speaker=episode.sentences[first].speaker)


def _chapter_starts(episode: Episode) -> set[int]:
    return {chapter.first for chapter in episode.chapters}


def _breaks_before(
    i: int,
    sentence: Sentence,
    previous: Sentence,
    length: int,
    chapter_starts: set[int],
    lines_are_paragraphs: bool,
) -> bool:
    if i in chapter_starts or sentence.speaker != previous.speaker:
        return True
    if lines_are_paragraphs and sentence.segment != previous.segment:
        return True
    if length + len(sentence.text) > HARD_LIMIT_CHARS:
        return True
    return length >= SOFT_LIMIT_CHARS and sentence.text.startswith(_DISCOURSE_MARKERS)
