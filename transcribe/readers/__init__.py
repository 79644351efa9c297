"""Readers of existing transcripts: the first stage of a re-clean.

``read_transcript(path)`` reads a transcript file and returns an :class:`Episode` with
``meta`` and ``segments`` filled and ``stages == ["read:<format>"]``. The format is chosen
by the file's content, the extension only breaking ties:

========================  ================================================================
``podcast-json``          Podcasting 2.0 transcript JSON (any content starting like JSON)
``vtt``                   WebVTT (``WEBVTT`` header; or cues in a ``.vtt`` file)
``srt``                   SubRip cues (``00:00:01,000 --> 00:00:04,000``) without that header
``seed-page``             an episode page saved from a podcast host (see :mod:`.seed_page`)
``text``                  anything else: each non-empty line is one untimed segment
========================  ================================================================

Any problem with the file — missing, a folder, unreadable, empty, binary, not UTF-8 or
Shift_JIS, malformed JSON, no transcript text — raises :class:`kikigaki.errors.InputError`
whose message is one line naming the file. The file is only read, never written.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kikigaki.document import Episode, EpisodeMeta, Segment
from kikigaki.errors import InputError
from kikigaki.slugs import slugify
from transcribe.readers._problem import TranscriptProblem
from transcribe.readers.captions import has_timing_lines, is_webvtt, parse_captions, webvtt_title
from transcribe.readers.podcast_json import looks_like_json, parse_podcast_json
from transcribe.readers.seed_page import looks_like_seed_page, parse_seed_page
from transcribe.readers.source import read_text

__all__ = ["FORMATS", "TranscriptProblem", "detect_format", "read_transcript"]

FORMATS = ("podcast-json", "vtt", "srt", "seed-page", "text")

_MetaFields = dict[str, object]
_Parser = Callable[[str], tuple[list[Segment], _MetaFields]]


def read_transcript(
    path: Path | str, *, slug: str | None = None, language: str = "ja"
) -> Episode:
    """The episode in the transcript file ``path``; raises InputError for bad input.

    ``meta.slug`` is ``slug`` or the file's stem, made a folder name by
    :func:`kikigaki.slugs.slugify`; ``meta.title`` the title the file gives (seed page,
    WebVTT header) or else the stem.
    """
    path = Path(path)
    try:
        text = read_text(path)
        source_format = detect_format(text, path.suffix)
        segments, fields = _PARSERS[source_format](text)
    except TranscriptProblem as problem:
        raise InputError(path, problem.problem, problem.hint) from problem
    meta = EpisodeMeta(
        **{
            **fields,
            "title": fields.get("title") or path.stem,
            "source": str(path),
            "source_format": source_format,
            "language": language,
            "slug": slugify(slug or path.stem),
        }
    )
    return Episode(meta=meta, segments=segments, stages=[f"read:{source_format}"])


def detect_format(text: str, suffix: str = "") -> str:
    """One of :data:`FORMATS`, from decoded text; ``suffix`` (``".vtt"``) breaks ties."""
    suffix = suffix.lower()
    if looks_like_json(text):
        return "podcast-json"
    if is_webvtt(text):
        return "vtt"
    if has_timing_lines(text):
        return "vtt" if suffix == ".vtt" else "srt"
    if looks_like_seed_page(text):
        return "seed-page"
    return "text"


def _read_podcast_json(text: str) -> tuple[list[Segment], _MetaFields]:
    return parse_podcast_json(text), {}


def _read_vtt(text: str) -> tuple[list[Segment], _MetaFields]:
    return parse_captions(text, "vtt"), {"title": webvtt_title(text)}


def _read_srt(text: str) -> tuple[list[Segment], _MetaFields]:
    return parse_captions(text, "srt"), {}


def _read_seed_page(text: str) -> tuple[list[Segment], _MetaFields]:
    page = parse_seed_page(text)
    fields: _MetaFields = {
        "show": page.show,
        "title": page.title,
        "episode_id": page.episode_id,
        "date": page.date,
        "description": page.description,
        "hosts": page.hosts,
        "audio": page.audio_url or None,  # the address the page links its audio at
    }
    return page.segments, fields


def _read_plain_text(text: str) -> tuple[list[Segment], _MetaFields]:
    segments = [Segment(text=line.strip()) for line in text.split("\n") if line.strip()]
    if not segments:
        raise TranscriptProblem("the file has no text", "give a transcript file with text in it")
    return segments, {}


_PARSERS: dict[str, _Parser] = {
    "podcast-json": _read_podcast_json,
    "vtt": _read_vtt,
    "srt": _read_srt,
    "seed-page": _read_seed_page,
    "text": _read_plain_text,
}
