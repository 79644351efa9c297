"""Episode pages saved as text from a podcast host (the ``seeds/002_…`` page is one).

Such a page reads, top to bottom:

1. the show's name as the host lists it (``HELLO! AI ポッドキャスト``);
2. the episode title, perhaps led by an episode code (``S38E02 …``, ``#12``, ``第5回``,
   ``Ep. 7``);
3. page chrome (``Listen Later``, player messages such as ``このブラウザでは再生できません。``,
   link bullets ``• …``) mixed with the description paragraphs;
4. one or more transcript marker lines — short lines about the transcript, framed by
   brackets or asterisks or saying 以下 (``(以下は、OpenAI の Whisper を使って
   文字起こししたものを修正したものです。)``, ``** 注:以下は未編集の草稿です **``);
5. the transcript body, one paragraph per line;
6. footer chrome (``...more``, ``View all episodes``, ``Download on the App Store``) and
   the footer show line ``<show>By <host>, <host>``.

What becomes of each part:

* ``show`` is the podcast's own name when a description line starts with it
  (``ZENKEI AI ポッドキャスト、シーズン38は…`` gives ``ZENKEI AI ポッドキャスト``): that is the
  name listeners know. Otherwise it is the first line. The host's listing name is then
  dropped — it is only the feed's label on the hosting site and the document model has no
  field for it.
* ``title`` is the whole title line; ``episode_id`` its leading code, if any.
* ``description`` is the description lines without chrome, joined with newlines; ``date``
  the first date written in it (``2023年2月22日``, ``2023-02-22``, ``2023/2/22``), else in
  the title.
* ``hosts`` are the names after ``By`` in the footer, split at commas, 、 and ``&``.
* ``audio_url`` is the first http(s) address of an audio file (``….mp3``, ``….m4a``…)
  written around the transcript (a download link the page shows as text), if any.
* Each non-empty body line is one untimed segment; a trailing ``...more`` is cut off.

Without a marker line, the body is taken to start after the last player-chrome line; a
page with neither, or with nothing between its start and the footer, has no transcript.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from kikigaki.document import Segment
from transcribe.readers._problem import TranscriptProblem

_HEAD_CHROME = re.compile(
    r"^(?:Listen [Ll]ater|Play|Pause|Share|Follow|Subscribe|Save|Episode [Ww]ebsite|More [Ii]nfo)$"
    r"|再生できません|再生できない場合|こちらからご覧ください|ダウンロードは.*こちら"
)
_BULLET = re.compile(r"^[•◦▪▸►]")
_END_CHROME = re.compile(
    r"^(?:\.\.\.|…)\s*more$|^(?:View|See) all episodes|^Download on the App Store"
    r"|^Get it on Google Play",
    re.IGNORECASE,
)
_MORE_SUFFIX = re.compile(r"\s*(?:\.\.\.|…)\s*more$", re.IGNORECASE)
_FOOTER = re.compile(r"^(?P<show>.*\S)\s*By\s+(?P<hosts>\S.*)$")
_HOST_SEPARATOR = re.compile(r"\s*(?:,|、|，|&|＆|/|／|\band\b)\s*")

_MARKER_WORDS = re.compile(r"文字起こし|書き起こし|草稿|Whisper|トランスクリプト|transcript", re.I)
_MARKER_FRAME = re.compile(
    r"^[(（\[【<＜*＊※]|[)）\]】>＞*＊]$|以下|below|following", re.IGNORECASE
)
_MARKER_HEADING = re.compile(
    r"^(?:文字起こし|書き起こし|トランスクリプト|transcript)\s*[:：]?$", re.IGNORECASE
)
_MAX_MARKER_CHARS = 120

_EPISODE_CODE = re.compile(
    r"^(?P<code>S\d+\s?E\d+|Ep(?:isode)?\.?\s?\d+|Vol\.?\s?\d+|#\d+"
    r"|第[0-9０-９一二三四五六七八九十百千]+[回話])(?=[\s:：.\-–—|｜、]|$)",
    re.IGNORECASE,
)
_PODCAST_WORD = re.compile(r"ポッドキャスト|Podcast|PODCAST|ラジオ|Radio")
_NAME_BREAK = re.compile(r"[、。「」『』()（）:：]")
_NOT_A_NAME = re.compile(r"^(?:この|その|あの|どの|本|当|弊社の)$|の$")
_DATES = (
    re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"),
    re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)"),
)


@dataclass
class SeedPage:
    show: str = ""
    title: str = ""
    episode_id: str = ""
    date: str | None = None
    description: str = ""
    hosts: list[str] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    audio_url: str = ""


def looks_like_seed_page(text: str) -> bool:
    """Two or more kinds of host-page chrome, or one and a transcript marker line."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    chrome = {line for line in lines if _HEAD_CHROME.search(line) or _END_CHROME.search(line)}
    if lines and _footer_index(lines, lines[0]) is not None:
        chrome.add(lines[-1])
    has_marker = any(is_transcript_marker(line) for line in lines)
    return len(chrome) >= 2 or (len(chrome) == 1 and has_marker)


def is_transcript_marker(line: str) -> bool:
    """A short line announcing the transcript, e.g. ``(以下は…文字起こししたものです。)``."""
    line = line.strip()
    if len(line) > _MAX_MARKER_CHARS or not _MARKER_WORDS.search(line):
        return False
    return bool(_MARKER_FRAME.search(line) or _MARKER_HEADING.match(line))


def parse_seed_page(text: str) -> SeedPage:
    lines = [line.strip() for line in text.split("\n")]
    head = [i for i, line in enumerate(lines) if _is_content(line)]
    if not head:
        raise _no_body()
    show_index = head[0]
    body_start = _body_start(lines, show_index + 1)
    if body_start is None:
        raise _no_body()
    title_index = next((i for i in head[1:] if i < body_start), None)
    body_end = _body_end(lines, body_start, page_show=lines[show_index])
    segments = _body_segments(lines[body_start:body_end])
    if not segments:
        raise _no_body()
    description_from = (title_index if title_index is not None else show_index) + 1
    description = [line for line in lines[description_from:body_start] if _is_content(line)]
    title = lines[title_index] if title_index is not None else ""
    return SeedPage(
        show=_podcast_name(description) or lines[show_index],
        title=title,
        episode_id=_episode_code(title),
        date=_first_date([*description, title]),
        description="\n".join(description),
        hosts=_hosts(lines[body_end:]),
        segments=segments,
        audio_url=_audio_url([*lines[:body_start], *lines[body_end:]]),
    )


_AUDIO_URL = re.compile(
    r"https?://[^\s<>\"'「」『』（）()]+?\.(?:mp3|m4a|aac|ogg|oga|opus|wav|flac)"
    r"(?:\?[^\s<>\"'「」『』（）()。、]*)?(?=[\s<>\"'「」『』（）()。、,]|$)",
    re.IGNORECASE,
)


def _audio_url(lines: list[str]) -> str:
    for line in lines:
        match = _AUDIO_URL.search(line)
        if match:
            return match.group(0)
    return ""


def _no_body() -> TranscriptProblem:
    return TranscriptProblem(
        "no transcript body found on this episode page",
        "save the page with its transcript, or give the transcript as plain text",
    )


def _is_content(line: str) -> bool:
    """A line of the page's own text: not blank, chrome, a link bullet or a marker."""
    return bool(line) and not (
        _is_chrome(line) or _BULLET.match(line) or is_transcript_marker(line)
    )


def _is_chrome(line: str) -> bool:
    return bool(_HEAD_CHROME.search(line) or _END_CHROME.search(line))


def _body_start(lines: list[str], first: int) -> int | None:
    """The line after the transcript marker(s); else after the last player chrome."""
    last_chrome: int | None = None
    for i in range(first, len(lines)):
        if _END_CHROME.search(lines[i]):
            break
        if is_transcript_marker(lines[i]):
            while i < len(lines) and (not lines[i] or is_transcript_marker(lines[i])):
                i += 1
            return i
        if _HEAD_CHROME.search(lines[i]):
            last_chrome = i
    return None if last_chrome is None else last_chrome + 1


def _body_end(lines: list[str], start: int, page_show: str) -> int:
    for i in range(start, len(lines)):
        if _END_CHROME.search(lines[i]) or _is_footer(lines[i], page_show):
            return i
    return len(lines)


def _body_segments(body: list[str]) -> list[Segment]:
    segments: list[Segment] = []
    for line in body:
        text = _MORE_SUFFIX.sub("", line).strip()
        if text:
            segments.append(Segment(text=text))
        if _MORE_SUFFIX.search(line):
            break
    return segments


def _footer_index(lines: list[str], page_show: str) -> int | None:
    for i in range(len(lines) - 1, -1, -1):
        if lines[i] and not _END_CHROME.search(lines[i]):
            return i if _is_footer(lines[i], page_show) else None
    return None


def _is_footer(line: str, page_show: str) -> bool:
    match = _FOOTER.match(line)
    return match is not None and match.group("show").strip() == page_show.strip()


def _hosts(tail: list[str]) -> list[str]:
    for line in reversed(tail):
        if not line or _END_CHROME.search(line):
            continue
        match = _FOOTER.match(line)
        if match is None:
            return []
        return [name for name in _HOST_SEPARATOR.split(match.group("hosts")) if name]
    return []


def _podcast_name(description: list[str]) -> str:
    """``ZENKEI AI ポッドキャスト`` when a description line starts with the podcast's name."""
    for line in description:
        word = _PODCAST_WORD.search(line)
        if word is None:
            continue
        prefix = line[: word.start()]
        if _starts_with_name(prefix.strip()):
            return (prefix + word.group()).strip()
    return ""


def _starts_with_name(prefix: str) -> bool:
    """``ZENKEI AI`` in ``ZENKEI AI ポッドキャスト、…``, not ``この`` in ``このポッドキャスト``."""
    return (
        0 < len(prefix) <= 40
        and _NAME_BREAK.search(prefix) is None
        and _NOT_A_NAME.search(prefix) is None
    )


def _episode_code(title: str) -> str:
    match = _EPISODE_CODE.match(title)
    return match.group("code") if match else ""


def _first_date(texts: list[str]) -> str | None:
    for text in texts:
        matches = [match for pattern in _DATES for match in pattern.finditer(text)]
        found = sorted((match.start(), match.groups()) for match in matches)
        for _, (year, month, day) in found:
            try:
                return dt.date(int(year), int(month), int(day)).isoformat()
            except ValueError:
                continue
    return None
