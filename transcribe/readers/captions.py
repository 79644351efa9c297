"""Caption files: WebVTT and SubRip (SRT) cues to segments.

Both flavours are read by one tolerant cue scanner: a cue is a timing line
(``start --> end``, with ``hh:mm:ss.mmm``, ``mm:ss.mmm`` or a comma before the
milliseconds) and the text lines after it up to a blank line. Anything outside cues —
the ``WEBVTT`` header, ``NOTE``/``STYLE``/``REGION`` blocks, cue identifiers and SRT
cue numbers — is skipped.

Cue text loses its markup (``<c>``, ``<i>``, ``<b>``, ``<u>``, ``<lang>``, ruby readings,
karaoke timestamps, SRT ``<font>`` and ``{\\an8}`` codes) and HTML entities are decoded.
Lines of one cue are joined without a space, except between two Latin words.

Speakers: a WebVTT voice tag ``<v Name>`` names the speaker of the text after it; a
cue with several voices gives one segment per voice, all with the cue's times. In SRT a
line that starts with ``Name:`` (or ``Name：``), ``[Name]`` or ``（Name）`` starts a turn by
that speaker; sound notes such as ``[拍手]`` or ``（笑）`` and labels with hiragana (other
than an honorific such as さん) are left as text, not taken for names.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Literal

from kikigaki.document import Segment
from transcribe.readers._problem import TranscriptProblem

Flavor = Literal["vtt", "srt"]

_TIMESTAMP = r"(?:(\d{1,5}):)?([0-5]?\d):([0-5]\d)(?:[.,](\d{1,3}))?"
TIMING_LINE = re.compile(rf"^[ \t]*{_TIMESTAMP}[ \t]*-->[ \t]*{_TIMESTAMP}(?:[ \t].*)?$")
_TIME_LIKE = re.compile(r"^[ \t]*[\d:.,]+[ \t]*-->[ \t]*[\d:.,]+(?:[ \t].*)?$")
VTT_HEADER = re.compile(r"^WEBVTT(?:[ \t]+(?P<title>.*))?$")

_VOICE_OPEN = re.compile(r"<v(?:\.[^\s>]*)?(?:[ \t]+(?P<name>[^>]*))?>")
_RUBY_READING = re.compile(r"<(rt|rp)(?:[.\s][^>]*)?>.*?</\1>", re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:[.\s][^<>]*)?>|<\d[\d:.]*>")
_ASS_CODE = re.compile(r"\{\\[^{}]*\}")
_LATIN_END = re.compile(r"[A-Za-z0-9.,!?;:)'\"]$")
_LATIN_START = re.compile(r"^[A-Za-z0-9('\"]")

_NOT_IN_NAME = r":：\[\]()（）<>「」『』、。，．,.!?！？"
_NAME_CHARS = rf"[^\s{_NOT_IN_NAME}][^{_NOT_IN_NAME}]{{0,19}}?"
_SPEAKER_PREFIX = re.compile(
    rf"^\s*(?:\[(?P<bracket>{_NAME_CHARS})\]|[(（](?P<paren>{_NAME_CHARS})[)）]"
    rf"|(?P<colon>{_NAME_CHARS})\s*[:：](?![\d/]))\s*(?P<rest>.*)$",
    re.DOTALL,
)
_HIRAGANA = re.compile(r"[\u3041-\u309f]")
_HONORIFIC = re.compile(r"(さん|くん|ちゃん|さま)$")
_SOUND_NOTES = frozenset(
    {"音楽", "拍手", "笑", "笑い", "爆笑", "歓声", "効果音", "bgm", "無音", "沈黙", "咳"}
    | {"music", "applause", "laughter", "laughs", "silence", "inaudible", "noise", "crosstalk"}
)


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    lines: list[str]


def is_webvtt(text: str) -> bool:
    return VTT_HEADER.match(_first_line(text).strip()) is not None


def has_timing_lines(text: str) -> bool:
    return any(TIMING_LINE.match(line) for line in text.split("\n"))


def webvtt_title(text: str) -> str:
    """The free text after ``WEBVTT`` on the header line, e.g. ``WEBVTT - 第12回``."""
    header = VTT_HEADER.match(_first_line(text).strip())
    if header is None or not header.group("title"):
        return ""
    return header.group("title").strip().lstrip("-–— \t").strip()


def parse_captions(text: str, flavor: Flavor) -> list[Segment]:
    """Segments of a WebVTT or SRT file, one per cue (or per speaker turn in a cue)."""
    cues = scan_cues(text)
    if not cues:
        raise TranscriptProblem(
            f"{_name(flavor)} file with no cues",
            "add cues such as '00:00:01.000 --> 00:00:04.000' followed by their text",
        )
    segments = [segment for cue in cues for segment in _cue_segments(cue, flavor)]
    if not segments:
        raise TranscriptProblem(
            f"the {_name(flavor)} cues have no text", "give a caption file whose cues have text"
        )
    return segments


def scan_cues(text: str) -> list[Cue]:
    lines = text.split("\n")
    cues: list[Cue] = []
    i = 0
    while i < len(lines):
        timing = TIMING_LINE.match(lines[i])
        if timing is None:
            _check_not_a_broken_timing(lines[i], i + 1)
            i += 1
            continue
        j = i + 1
        while j < len(lines) and lines[j].strip() and not TIMING_LINE.match(lines[j]):
            j += 1
        body = lines[i + 1 : j]
        if j < len(lines) and lines[j].strip() and body and body[-1].strip().isdecimal():
            body = body[:-1]  # the next SRT cue's number, when the blank line is missing
        start, end = _seconds(timing.groups()[:4]), _seconds(timing.groups()[4:])
        cues.append(Cue(start=start, end=max(start, end), lines=body))
        i = j
    return cues


def _check_not_a_broken_timing(line: str, number: int) -> None:
    """A line with ``-->`` between two time-like values that is not a valid timing line
    (``00:00:04.000 --> 00:00:60.000``): its cue would be lost, so it is reported."""
    if "-->" in line and _TIME_LIKE.match(line):
        raise TranscriptProblem(
            f"line {number} has a cue time that is not valid ({line.strip()[:60]!r})",
            "write times as hh:mm:ss.mmm with minutes and seconds below 60",
        )


def _cue_segments(cue: Cue, flavor: Flavor) -> list[Segment]:
    turns = _voice_turns("\n".join(cue.lines))
    if flavor == "srt":
        turns = [split for speaker, raw in turns for split in _prefix_turns(speaker, raw)]
    segments: list[Segment] = []
    for speaker, raw in turns:
        text = clean_cue_text(raw)
        if not text:
            continue
        if segments and segments[-1].speaker == speaker:
            segments[-1].text = join_lines([segments[-1].text, text])
        else:
            segments.append(Segment(text=text, start=cue.start, end=cue.end, speaker=speaker))
    return segments


def _voice_turns(payload: str) -> list[tuple[str | None, str]]:
    """``(speaker, raw text)`` runs, split at each ``<v Name>`` tag."""
    turns: list[tuple[str | None, str]] = []
    speaker: str | None = None
    position = 0
    for voice in _VOICE_OPEN.finditer(payload):
        turns.append((speaker, payload[position : voice.start()]))
        speaker = clean_cue_text(voice.group("name") or "") or None
        position = voice.end()
    turns.append((speaker, payload[position:]))
    return turns


def _prefix_turns(speaker: str | None, raw: str) -> list[tuple[str | None, str]]:
    """Splits SRT text at lines that start with a speaker label."""
    turns: list[tuple[str | None, list[str]]] = [(speaker, [])]
    for line in raw.split("\n"):
        label, rest = speaker_label(clean_cue_text(line))
        if label:
            turns.append((label, [rest]))
        else:
            turns[-1][1].append(line)
    return [(who, "\n".join(lines)) for who, lines in turns]


def speaker_label(line: str) -> tuple[str | None, str]:
    """``("市來", "こんにちは")`` for ``市來: こんにちは``; ``(None, line)`` otherwise."""
    match = _SPEAKER_PREFIX.match(line)
    if match is None:
        return None, line
    name = (match.group("bracket") or match.group("paren") or match.group("colon")).strip()
    rest = match.group("rest").strip()
    is_colon_form = match.group("colon") is not None
    if not _plausible_name(name) or (is_colon_form and not rest):
        return None, line
    return name, rest


def _plausible_name(name: str) -> bool:
    if not name or name.isdecimal() or name.lower() in _SOUND_NOTES:
        return False
    if len(name.split()) > 3:
        return False
    return _HIRAGANA.search(_HONORIFIC.sub("", name)) is None


def clean_cue_text(raw: str) -> str:
    """Cue text without markup, with entities decoded and its lines joined."""
    text = _RUBY_READING.sub("", raw)
    text = _TAG.sub("", text)
    text = _ASS_CODE.sub("", text)
    text = html.unescape(text)
    return join_lines(text.split("\n"))


def join_lines(lines: list[str]) -> str:
    """Lines joined with no space, except a space between two Latin words."""
    joined = ""
    for line in (part.strip() for part in lines):
        if not line:
            continue
        if joined and _LATIN_END.search(joined) and _LATIN_START.match(line):
            joined += " "
        joined += line
    return joined


def _seconds(parts: tuple[str | None, ...]) -> float:
    hours, minutes, seconds, fraction = parts
    whole = int(hours or 0) * 3600 + int(minutes or 0) * 60 + int(seconds or 0)
    return round(whole + (int(fraction) / 10 ** len(fraction) if fraction else 0.0), 3)


def _first_line(text: str) -> str:
    stripped = text.lstrip("\n \t")
    return stripped.split("\n", 1)[0]


def _name(flavor: Flavor) -> str:
    return "WebVTT" if flavor == "vtt" else "SRT"
