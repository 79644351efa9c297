"""Podcasting 2.0 transcript JSON (``{"version": "1.0.0", "segments": [...]}``) to segments.

Each JSON segment (``speaker``, ``startTime``, ``endTime``, ``body``) becomes one
:class:`Segment`; segments whose body is blank are skipped. Times must be finite,
non-negative numbers; an ``endTime`` before its ``startTime`` is an error. A missing
``version`` is tolerated.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from kikigaki.document import Segment
from transcribe.readers._problem import TranscriptProblem

_EXAMPLE = 'give a Podcasting 2.0 transcript: {"version": "1.0.0", "segments": [...]}'
_ARRAY_START = re.compile(r"\[\s*(?:[\[{\"\]\d-]|true|false|null)")


def looks_like_json(text: str) -> bool:
    """Content clearly meant as JSON: an object, or an array (not ``[市來] こんにちは``)."""
    head = text.lstrip()
    return head.startswith("{") or _ARRAY_START.match(head) is not None


def parse_podcast_json(text: str) -> list[Segment]:
    document = _load(text)
    if not isinstance(document, dict) or not isinstance(document.get("segments"), list):
        found = (
            'an object without a "segments" list'
            if isinstance(document, dict)
            else (f"a JSON {_json_type(document)}")
        )
        raise TranscriptProblem(f"not a Podcasting 2.0 transcript ({found})", _EXAMPLE)
    segments = [
        segment
        for number, item in enumerate(document["segments"], start=1)
        if (segment := _segment(number, item)) is not None
    ]
    if not segments:
        raise TranscriptProblem(
            "the transcript JSON has no segment with text", 'give segments with a "body"'
        )
    return segments


def _load(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise TranscriptProblem(
            f"malformed JSON at line {error.lineno} column {error.colno} ({error.msg})",
            "fix the JSON, or " + _EXAMPLE,
        ) from error
    except (RecursionError, ValueError) as error:
        raise TranscriptProblem(f"malformed JSON ({_short(error)})", _EXAMPLE) from error


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a valid JSON number")


def _segment(number: int, item: object) -> Segment | None:
    if not isinstance(item, dict):
        raise TranscriptProblem(
            f"segment {number} is a JSON {_json_type(item)}, not an object", _EXAMPLE
        )
    body = item.get("body")
    if body is None or (isinstance(body, str) and not body.strip()):
        return None
    if not isinstance(body, str):
        raise TranscriptProblem(f'segment {number} has a "body" that is not text', _EXAMPLE)
    start = _time(number, item, "startTime")
    end = _time(number, item, "endTime")
    if start is not None and end is not None and end < start:
        raise TranscriptProblem(
            f"segment {number} ends ({end}) before it starts ({start})",
            "fix its startTime and endTime",
        )
    return Segment(text=body.strip(), start=start, end=end, speaker=_speaker(item.get("speaker")))


def _time(number: int, item: dict[str, Any], key: str) -> float | None:
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            value = None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TranscriptProblem(f"segment {number} has a {key} that is not a number", _EXAMPLE)
    try:
        seconds = float(value)
    except OverflowError:
        seconds = math.inf
    if not math.isfinite(seconds) or seconds < 0:
        raise TranscriptProblem(
            f"segment {number} has a {key} out of range ({_short(value)})",
            "times are seconds from the start, 0 or more",
        )
    return seconds


def _speaker(value: object) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    name = str(value).strip()
    return name or None


def _json_type(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def _short(value: object) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= 40 else text[:37] + "..."
