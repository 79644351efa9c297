"""View-model pieces shared by the pages: templates only lay these out."""

from __future__ import annotations

from dataclasses import dataclass

from kikigaki.document import Episode, Sentence
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


