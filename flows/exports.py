"""Timed files published beside an episode's page: captions, chapters and speaker turns.

- ``captions.vtt``: WebVTT, one cue per sentence (long sentences split at 、), the speaker
  in a ``<v Name>`` voice tag.
- ``captions.srt``: the same cues as SubRip.
- ``chapters.json``: Podcasting 2.0 JSON Chapters 1.2 (``startTime`` in seconds).
- ``diarization.rttm``: the diarizer's turns, one ``SPEAKER`` line each.

Only sentences with a start and an end become cues; an untimed transcript has no captions.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from kikigaki.document import Episode

CUE_MAX_CHARS = 42
_CLAUSE = re.compile(r"[^、]+、?")


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str
    speaker: str


def cues(episode: Episode) -> list[Cue]:
    result: list[Cue] = []
    for sentence in episode.sentences:
        if sentence.start is None or sentence.end is None:
            continue
        speaker = episode.speaker_name(sentence.speaker) if sentence.speaker else ""
        pieces = split_text(sentence.text, CUE_MAX_CHARS)
        result.extend(_timed_pieces(pieces, sentence.start, sentence.end, speaker))
    return result


def split_text(text: str, max_chars: int) -> list[str]:
    """``text`` in pieces of at most ``max_chars``, cut after 、 where possible."""
    pieces: list[str] = []
    current = ""
    for clause in _CLAUSE.findall(text) or [text]:
        while len(clause) > max_chars:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(clause[:max_chars])
            clause = clause[max_chars:]
        if current and len(current) + len(clause) > max_chars:
            pieces.append(current)
            current = ""
        current += clause
    if current:
        pieces.append(current)
    return pieces


def _timed_pieces(pieces: list[str], start: float, end: float, speaker: str) -> list[Cue]:
    total = sum(len(p) for p in pieces) or 1
    cues_: list[Cue] = []
    clock = start
    for piece in pieces:
        stop = clock + (end - start) * len(piece) / total
        cues_.append(Cue(round(clock, 3), round(stop, 3), piece, speaker))
        clock = stop
    return cues_


def _timestamp(seconds: float, separator: str) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webvtt(episode: Episode) -> str:
    blocks = ["WEBVTT"]
    for number, cue in enumerate(cues(episode), 1):
        text = _vtt_escape(cue.text)
        if cue.speaker:
            text = f"<v {_vtt_escape(cue.speaker)}>{text}</v>"
        timing = f"{_timestamp(cue.start, '.')} --> {_timestamp(cue.end, '.')}"
        blocks.append(f"{number}\n{timing}\n{text}")
    return "\n\n".join(blocks) + "\n"


def srt(episode: Episode) -> str:
    blocks = []
    for number, cue in enumerate(cues(episode), 1):
        text = f"{cue.speaker}: {cue.text}" if cue.speaker else cue.text
        timing = f"{_timestamp(cue.start, ',')} --> {_timestamp(cue.end, ',')}"
        blocks.append(f"{number}\n{timing}\n{text}")
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def chapters_json(episode: Episode) -> str:
    """Podcasting 2.0 JSON Chapters 1.2; chapters without a start time are left out."""
    chapters = []
    for chapter in episode.chapters:
        if chapter.start is None:
            continue
        entry: dict[str, object] = {"startTime": round(chapter.start, 3), "title": chapter.title}
        if chapter.end_time is not None:
            entry["endTime"] = round(chapter.end_time, 3)
        chapters.append(entry)
    document = {"version": "1.2.0", "chapters": chapters}
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def rttm(episode: Episode) -> str:
    uri = episode.meta.slug or "episode"
    lines = [
        f"SPEAKER {uri} 1 {turn.start:.3f} {turn.end - turn.start:.3f} <NA> <NA> "
        f"{turn.speaker} <NA> <NA>"
        for turn in episode.turns
    ]
    return "\n".join(lines) + ("\n" if lines else "")


def timed_files(episode: Episode) -> dict[str, str]:
    """The timed files for ``episode`` (none for an untimed transcript)."""
    if not any(s.start is not None for s in episode.sentences):
        return {}
    files = {
        "captions.vtt": webvtt(episode),
        "captions.srt": srt(episode),
        "chapters.json": chapters_json(episode),
    }
    if episode.turns:
        files["diarization.rttm"] = rttm(episode)
    return files
