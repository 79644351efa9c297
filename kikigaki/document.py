"""The one document model that flows through every stage.

An :class:`Episode` is to kikigaki what spaCy's ``Doc`` is to spaCy: each stage is a
plain function ``Episode -> Episode`` that returns a new episode (``model_copy``) and
never mutates its input. Everything a page, a caption file or a feed shows is held
here; JSON round-trips without loss (``to_json`` / ``from_json``).

Indices, not nested copies, link the layers: a paragraph or a chapter names the
range of sentences it covers, an annotation names the sentence and character span it
marks. Times are seconds from the start of the audio, or ``None`` for text that has
no clock (a plain-text transcript).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class EpisodeMeta(_Model):
    show: str = ""
    title: str = ""
    episode_id: str = ""
    date: str | None = None  # ISO 8601 (YYYY-MM-DD) when known
    # Where the date came from: "option", "sidecar", "audio-tags", "transcript", or
    # "file-modified" (an estimate: the file's modification day).
    date_source: str = ""
    description: str = ""
    image: str | None = None  # the episode's artwork: a URL or a file
    source: str = ""  # the path or URL the episode was read from
    source_format: str = ""  # "seed-page", "text", "srt", "vtt", "podcast-json", "audio"
    language: str = "ja"
    slug: str = ""
    audio: str | None = None  # the audio file, when the episode has one
    duration: float | None = None  # seconds
    hosts: list[str] = Field(default_factory=list)


class Word(_Model):
    text: str
    start: float | None = None
    end: float | None = None
    speaker: str | None = None
    probability: float | None = None


class Segment(_Model):
    """A stretch of transcript as it came in: an ASR window, a caption cue, a line."""

    text: str
    start: float | None = None
    end: float | None = None
    speaker: str | None = None
    language: str | None = None  # set when it is not the episode's language (code-switching)


class Sentence(_Model):
    text: str
    start: float | None = None
    end: float | None = None
    speaker: str | None = None
    segment: int | None = None  # the segment this sentence begins in
    language: str | None = None  # set when it is not the episode's language


class Paragraph(_Model):
    """Sentences ``first`` .. ``end - 1`` of the episode."""

    first: int
    end: int
    speaker: str | None = None


class Chapter(_Model):
    """A topic: sentences ``first`` .. ``end - 1``, with a title and a short summary."""

    first: int
    end: int
    title: str
    summary: str = ""
    start: float | None = None
    end_time: float | None = None
    keywords: list[str] = Field(default_factory=list)


class Turn(_Model):
    """A stretch of audio in which one speaker talks."""

    start: float
    end: float
    speaker: str


class Speaker(_Model):
    id: str  # the label the diarizer or the transcript gave, e.g. "SPEAKER_00"
    name: str = ""  # what people call them, e.g. "市來"
    role: Literal["host", "guest", "unknown"] = "unknown"


class Person(_Model):
    name: str
    role: Literal["host", "guest", "mentioned"] = "mentioned"
    mentions: int = 0
    note: str = ""  # who they are, as the episode (or the glossary) says: "fast.ai"


class Link(_Model):
    """A resource the episode mentions: a web address said or shown, a paper, a book, a
    video, a project. ``url`` is empty when the episode names it but no address is known."""

    title: str
    url: str = ""
    kind: Literal["url", "paper", "book", "video", "project", "site", "blog", "other"] = "other"
    sentence: int | None = None  # where it is first mentioned
    chapter: int | None = None  # the index of the chapter that mentions it first


class TermLink(_Model):
    """Where a term is explained or used in another document of the collection."""

    doc_id: str
    title: str
    href: str
    snippet: str = ""


class Term(_Model):
    canonical: str
    forms: list[str] = Field(default_factory=list)  # as written in the transcript, canonical first
    definition: str = ""
    link: str = ""  # an external reference (the glossary's URL)
    mentions: int = 0
    first_sentence: int | None = None
    links: list[TermLink] = Field(default_factory=list)


class Correction(_Model):
    """One correction: ``original`` became ``replacement`` in segment ``segment``.

    A glossary correction names the term (``canonical``) and has no ``reason``; the
    homophone stage gives its ``reason`` ("homophone", "near-homophone") and ``score``
    (how much more likely the language model found the replacement, log10)."""

    segment: int
    original: str
    replacement: str
    canonical: str
    reason: str = ""
    score: float | None = None


class Annotation(_Model):
    """Characters ``start`` .. ``end - 1`` of sentence ``sentence`` refer to ``label``."""

    sentence: int
    start: int
    end: int
    kind: Literal["term", "person"]
    label: str


class RelatedDocument(_Model):
    doc_id: str
    title: str
    href: str
    score: float
    shared_terms: list[str] = Field(default_factory=list)


class Episode(_Model):
    schema_version: str = SCHEMA_VERSION
    meta: EpisodeMeta = Field(default_factory=EpisodeMeta)
    segments: list[Segment] = Field(default_factory=list)
    words: list[Word] = Field(default_factory=list)
    sentences: list[Sentence] = Field(default_factory=list)
    paragraphs: list[Paragraph] = Field(default_factory=list)
    speakers: list[Speaker] = Field(default_factory=list)
    turns: list[Turn] = Field(default_factory=list)  # exclusive: one speaker at a time
    # The diarizer's view with overlapped speech kept (several speakers at once); same
    # speaker ids as ``turns``. Words are assigned by ``turns``; the RTTM export holds this.
    overlapping_turns: list[Turn] = Field(default_factory=list)
    chapters: list[Chapter] = Field(default_factory=list)
    # What the episode is about, in 2-3 sentences: the page's summary, and the description
    # of the meta tags, the feed and JSON-LD.
    theme: str = ""
    summary: list[str] = Field(default_factory=list)  # the theme's sentences
    links: list[Link] = Field(default_factory=list)
    people: list[Person] = Field(default_factory=list)
    terms: list[Term] = Field(default_factory=list)
    annotations: list[Annotation] = Field(default_factory=list)
    related: list[RelatedDocument] = Field(default_factory=list)
    corrections: list[Correction] = Field(default_factory=list)
    stages: list[str] = Field(default_factory=list)  # names of the stages applied, in order
    # Stages left out because they only work for another language (e.g. the Japanese
    # punctuation model on an English episode); pages say so.
    skipped_stages: list[str] = Field(default_factory=list)

    def to_json(self) -> str:
        return self.model_dump_json(indent=1)

    @classmethod
    def from_json(cls, text: str) -> Episode:
        return cls.model_validate_json(text)

    @classmethod
    def load(cls, path: Path) -> Episode:
        return cls.from_json(path.read_text(encoding="utf-8"))

    def with_stage(self, name: str, **changes: object) -> Episode:
        """A copy with ``changes`` applied and ``name`` appended to the stage log."""
        return self.model_copy(update={**changes, "stages": [*self.stages, name]}, deep=True)

    def speaker_name(self, speaker_id: str | None) -> str:
        """What pages and captions call a speaker: the name given, else 話者1, 話者2…
        (Speaker 1… in other languages) in the order of ``speakers`` (first appearance)
        for a diarizer's label, else the label itself (a caption file's voice)."""
        if not speaker_id:
            return ""
        for number, speaker in enumerate(self.speakers, 1):
            if speaker.id == speaker_id:
                if speaker.name:
                    return speaker.name
                if _DIARIZER_LABEL.fullmatch(speaker_id):
                    return default_speaker_label(number, self.meta.language)
                break
        return speaker_id

    def chapter_sentences(self, chapter: Chapter) -> list[Sentence]:
        return self.sentences[chapter.first : chapter.end]

    @property
    def text(self) -> str:
        """The sentences joined, or the segments when no sentences exist yet."""
        if self.sentences:
            return "".join(s.text for s in self.sentences)
        return "".join(s.text for s in self.segments)


_DIARIZER_LABEL = re.compile(r"SPEAKER_\d+")


def default_speaker_label(number: int, language: str) -> str:
    return f"話者{number}" if language.startswith("ja") else f"Speaker {number}"


class DocumentBlock(_Model):
    """One block of a collection document, recovered from its plain-text structure."""

    id: str  # the HTML anchor on the document's page, e.g. "b12"
    kind: Literal["heading", "paragraph", "list-item", "preformatted"] = "paragraph"
    text: str
    level: int = 0  # heading level, or list nesting depth


class CollectionDocument(_Model):
    """Another document of the collection the show notes are published beside.

    Its page is ``href`` (relative to the site root); a block's anchor is ``href#id``.
    """

    doc_id: str  # the file stem, e.g. "000_bc7f45b8dcf56d7a"
    title: str
    text: str
    href: str  # e.g. "docs/000_bc7f45b8dcf56d7a/index.html"
    blocks: list[DocumentBlock] = Field(default_factory=list)
    source: str = ""
    date: str | None = None
    kind: str = "document"
