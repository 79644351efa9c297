"""View-model pieces shared by the pages: templates only lay these out."""

from __future__ import annotations

from dataclasses import dataclass

from kikigaki.document import Episode, Sentence
from publish.layout import SENTENCES_PER_PARAGRAPH
from publish.templating import MarkdownRaw, markdown_url


@dataclass
class Piece:
    """A stretch of a sentence: plain, or marked by an annotation (a link for a term)."""

    text: str
    kind: str = ""
    label: str = ""
    href: str = ""


@dataclass
class LinkView:
    title: str
    href: str
    snippet: str = ""

    @property
    def href_md(self) -> MarkdownRaw:
        return markdown_url(self.href)


def episode_sentences(episode: Episode) -> list[Sentence]:
    """The sentences; for an episode not yet split, its segments stand in."""
    if episode.sentences:
        return episode.sentences
    return [
        Sentence(text=s.text, start=s.start, end=s.end, speaker=s.speaker, segment=i)
        for i, s in enumerate(episode.segments)
    ]


def one_line(text: str) -> str:
    return " ".join(text.split())


def clock(seconds: float | None) -> str:
    """``12:34`` or ``1:02:03``; empty when unknown."""
    if seconds is None:
        return ""
    total = max(int(seconds), 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def paragraph_ranges(episode: Episode, first: int, end: int) -> list[tuple[int, int, str | None]]:
    """Paragraphs of sentences ``first`` .. ``end - 1``: the episode's own, cut to the range;
    sentences outside any paragraph grouped by speaker, a few at a time."""
    sentences = episode_sentences(episode)
    owner: dict[int, tuple[int, str | None]] = {}
    for number, paragraph in enumerate(episode.paragraphs):
        for index in range(max(paragraph.first, first), min(paragraph.end, end)):
            owner.setdefault(index, (number, paragraph.speaker))
    ranges: list[tuple[int, int, str | None]] = []
    for index in range(first, end):
        key = owner.get(index)
        speaker = key[1] if key and key[1] else sentences[index].speaker
        if ranges and _continues(ranges[-1], index, key, speaker, owner):
            ranges[-1] = (ranges[-1][0], index + 1, ranges[-1][2])
        else:
            ranges.append((index, index + 1, speaker))
    return ranges


def _continues(
    last: tuple[int, int, str | None],
    index: int,
    key: tuple[int, str | None] | None,
    speaker: str | None,
    owner: dict[int, tuple[int, str | None]],
) -> bool:
    previous = owner.get(index - 1)
    if key is not None or previous is not None:
        return key is not None and previous is not None and key[0] == previous[0]
    return last[2] == speaker and index - last[0] < SENTENCES_PER_PARAGRAPH
