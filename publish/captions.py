"""Timed files published beside an episode's page.

- ``captions.vtt``: WebVTT, the speaker in a ``<v Name>`` voice tag;
- ``captions.srt``: the same cues as SubRip (the speaker's name before the text);
- ``chapters.json``: Podcasting 2.0 JSON Chapters 1.2 (``startTime`` in seconds);
- ``diarization.rttm``: the diarizer's turns with overlapped speech kept (the overlapping
  view; the exclusive ``turns`` when there is none).

Only sentences with a start and an end become cues; an untimed transcript has no captions.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from kikigaki.document import Episode
from transcribe.languages import is_japanese
from transcribe.rttm import format_rttm

# Line widths: Japanese captions hold about 16 full-width characters a line (a half-width
# character counts half), other languages about 42 characters; 2 lines a cue.
JAPANESE_LINE_WIDTH = 16.0
OTHER_LINE_WIDTH = 42.0
LINES_PER_CUE = 2
_BREAK_AFTER = ("、", "。", "？", "！", ",", ".", "?", "!", ";", ":")


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str  # its lines, joined by "\n"
    speaker: str


def cues(episode: Episode, *, label_speakers: bool = False) -> list[Cue]:
    """The captions: each timed sentence in cues of at most two lines, cut between words
    only. With ``label_speakers`` (SubRip, which has no voices) a cue where the speaker
    changes starts with the speaker's name."""
    japanese = is_japanese(episode.meta.language)
    result: list[Cue] = []
    previous = None
    for sentence in episode.sentences:
        if sentence.start is None or sentence.end is None:
            continue
        speaker = episode.speaker_name(sentence.speaker) if sentence.speaker else ""
        text = sentence.text
        if label_speakers and speaker and sentence.speaker != previous:
            text = f"{speaker}：{text}" if japanese else f"{speaker}: {text}"
        previous = sentence.speaker
        lines = caption_lines(text, japanese=japanese and sentence.language is None)
        pieces = ["\n".join(lines[i : i + LINES_PER_CUE])
                  for i in range(0, len(lines), LINES_PER_CUE)]
        result.extend(_timed_pieces(pieces, sentence.start, sentence.end, speaker))
    return result


def caption_lines(text: str, *, japanese: bool = True) -> list[str]:
    """``text`` in lines no wider than a caption line, broken between words (morphemes
    in Japanese), after a comma or a stop where one falls in the second half of a line."""
    width_of = display_width if japanese else len
    limit = JAPANESE_LINE_WIDTH if japanese else OTHER_LINE_WIDTH
    lines: list[str] = []
    line = ""
    for unit in _units(text, japanese=japanese):
        if japanese and line.strip() and _hangs(unit, line, width_of, limit):
            line += unit  # a stop or a closing bracket never starts a line
            continue
        if line.strip() and width_of((line + unit).rstrip()) > limit:
            line, carried = _break_at_mark(line, width_of, limit)
            lines.append(line.rstrip())
            line = carried
        line += unit
        while width_of(line.rstrip()) > limit:  # one word wider than a line
            head, line = _cut(line, width_of, limit)
            lines.append(head)
    if line.strip():
        lines.append(line.strip())
    return [piece.strip() for piece in lines if piece.strip()]


# Characters a Japanese line must not start with (kinsoku): stops, commas, closing
# brackets. Such marks hang past the line's end instead (ぶら下げ), by at most two
# full-width characters (」。).
_HANG_WIDTH = 2.0
_NO_LINE_START = frozenset("。、，．,.」』）)］]】〉》！？!?…‥：；:;")


def _hangs(unit: str, line: str, width_of: Callable[[str], float], limit: float) -> bool:
    """``unit`` is closing punctuation that may stay on ``line`` past the limit."""
    mark = unit.strip()
    return (
        bool(mark)
        and all(c in _NO_LINE_START for c in mark)
        and width_of((line + unit).rstrip()) <= limit + _HANG_WIDTH
    )


def split_text(text: str, max_chars: int) -> list[str]:
    """``text`` in pieces of at most ``max_chars`` characters, cut between morphemes,
    after 、 where possible."""
    lines, line = [], ""
    for unit in _units(text, japanese=True):
        if line and len(line + unit) > max_chars:
            line, carried = _break_at_mark(line, len, max_chars)
            lines.append(line)
            line = carried
        line += unit
        while len(line) > max_chars:
            lines.append(line[:max_chars])
            line = line[max_chars:]
    return [*lines, line] if line else lines


def display_width(text: str) -> float:
    """Width in full-width characters: a half-width character counts half."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WFA" else 0.5 for c in text)


def _units(text: str, *, japanese: bool) -> list[str]:
    """Pieces a line may break between: morphemes, or words with the space after them."""
    if not japanese:
        return re.findall(r"\S+\s*", text)
    from kikigaki.nlp import tokenize

    morphemes = tokenize(text)
    ends = [m.end for m in morphemes]
    starts = [0, *ends[:-1]]
    return [text[a:b] for a, b in zip(starts, ends, strict=True)] + (
        [text[ends[-1]:]] if ends and ends[-1] < len(text) else []
    ) if morphemes else [text]


def _break_at_mark(line: str, width_of: Callable[[str], float], limit: float) -> tuple[str, str]:
    """(the line, what moves to the next): cut after the last mark in the line's second
    half, so a clause stays together; else keep the line whole."""
    for index in range(len(line) - 1, 0, -1):
        if line[index] in _BREAK_AFTER and width_of(line[: index + 1]) >= limit / 2:
            return line[: index + 1], line[index + 1 :].lstrip()
    return line, ""


def _cut(line: str, width_of: Callable[[str], float], limit: float) -> tuple[str, str]:
    """A word too wide for a line, cut at the width (nothing better exists)."""
    end = 1
    while end < len(line) and width_of(line[: end + 1]) <= limit:
        end += 1
    return line[:end], line[end:]


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
    for number, cue in enumerate(cues(episode, label_speakers=True), 1):
        text = cue.text
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
    return format_rttm(episode.overlapping_turns or episode.turns, episode.meta.slug or "episode")


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


