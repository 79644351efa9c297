"""An episode's transcript files: plain text, Podcasting 2.0 JSON and HTML.

``transcript.json`` is written only for an episode whose every sentence has its times
(the JSON format's segments require ``startTime`` and ``endTime``); ``transcript.html``
and ``transcript.txt`` claim no timing and are written for every episode.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from kikigaki.document import Episode
from publish.templating import render_template
from publish.views import clock, episode_sentences, one_line, paragraph_ranges


@dataclass
class TranscriptParagraph:
    speaker: str
    time: str
    text: str


def transcript_text(episode: Episode) -> str:
    return "".join(one_line(s.text) + "\n" for s in episode_sentences(episode))


def fully_timed(episode: Episode) -> bool:
    """Every sentence has its start and end: what a Podcasting 2.0 JSON transcript needs."""
    sentences = episode_sentences(episode)
    return bool(sentences) and all(s.start is not None and s.end is not None for s in sentences)


def transcript_json(episode: Episode) -> str:
    """Podcasting 2.0 transcript JSON (for a fully timed episode); the speaker where known."""
    segments = []
    for sentence in episode_sentences(episode):
        segment: dict[str, object] = {}
        if sentence.speaker:
            segment["speaker"] = episode.speaker_name(sentence.speaker)
        segment["startTime"] = round(sentence.start or 0.0, 3)
        segment["endTime"] = round(sentence.end or 0.0, 3)
        segment["body"] = one_line(sentence.text)
        segments.append(segment)
    document = {"version": "1.0.0", "segments": segments}
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def transcript_html(episode: Episode) -> str:
    """The Podcasting 2.0 HTML transcript: each paragraph a ``<p>``, led by its speaker in
    ``<cite>`` when the speaker changes and by its start in ``<time>`` when known."""
    sentences = episode_sentences(episode)
    paragraphs = []
    previous = None
    for first, end, speaker in paragraph_ranges(episode, 0, len(sentences)):
        name = episode.speaker_name(speaker) if speaker else ""
        paragraphs.append(TranscriptParagraph(
            speaker=name if name and speaker != previous else "",
            time=clock(sentences[first].start),
            text=("" if episode.meta.language.startswith("ja") else " ").join(
                one_line(s.text) for s in sentences[first:end]),
        ))
        previous = speaker
    return render_template(
        "transcript.html.j2",
        title=episode.meta.title or episode.meta.slug or "文字起こし",
        language=episode.meta.language or "ja",
        paragraphs=paragraphs,
    )
