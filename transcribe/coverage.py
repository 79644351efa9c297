"""Speech the decoder skipped: stretches where the VAD heard speech and no word landed.

Whisper's batched decoder transcribes each VAD chunk (up to 30 s) in one pass and may
stop early: after a stretch in another language (an English phrase inside Japanese talk),
with a long prompt, or simply before the chunk's end. Nothing says so; the speech is
just missing. These pure functions find those stretches so that they can be decoded
again on their own (see ``transcribe.asr``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

Span = tuple[float, float]  # seconds

WORD_PAD_S = 0.3  # a word's timestamps are good to about this much
MIN_GAP_SPEECH_S = 1.0  # shorter uncovered speech is breath, noise or a lost syllable
MAX_CLIP_S = 30.0  # one Whisper window
_JOIN_S = 0.5  # gaps closer than this are decoded as one clip


_heard = threading.local()  # the batched pipeline's last VAD result, per thread


def keep_pipeline_speech() -> None:
    """Have faster-whisper's batched pipeline leave the speech timestamps its VAD found
    for :func:`speech_spans`, so that the first pass's VAD (about 3 % of the ASR's time,
    on one core) is not run a second time over the same window.

    faster-whisper offers no hook for it, so its module's ``get_speech_timestamps`` is
    wrapped, once per process: the wrapper returns exactly what the original returns and
    keeps it, with the audio and options it was for, in a thread-local slot."""
    import faster_whisper.transcribe as engine

    original = engine.get_speech_timestamps
    if getattr(original, "keeps_speech", False):
        return

    def keeping(audio: np.ndarray, vad_options: Any = None, *args: Any,
                **kwargs: Any) -> list[dict[str, int]]:
        stamps = original(audio, vad_options, *args, **kwargs)
        _heard.last = (audio, vad_options, stamps)
        return stamps

    keeping.keeps_speech = True  # type: ignore[attr-defined]
    engine.get_speech_timestamps = keeping


def forget_pipeline_speech() -> None:
    """Drop what the pipeline's VAD left (with its window's audio), when no gap pass
    will ask for it."""
    _heard.last = None


def speech_spans(audio: np.ndarray, vad_options: dict[str, float] | None) -> list[Span]:
    """Where Silero VAD hears speech in ``audio`` (16 kHz), in seconds: the batched
    pipeline's own finding when it has just run on this very array with these options."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    if not len(audio):
        return []
    options = VadOptions(**vad_options) if vad_options else VadOptions()
    last = getattr(_heard, "last", None)
    _heard.last = None  # used once: the window's audio is not kept alive
    if last is not None and last[0] is audio and last[1] == options:
        stamps = last[2]
    else:
        stamps = get_speech_timestamps(audio, options)
    return [(stamp["start"] / 16_000, stamp["end"] / 16_000) for stamp in stamps]


def merge(spans: Iterable[Span], join: float = 0.0) -> list[Span]:
    """The union of ``spans``, joining spans less than ``join`` seconds apart."""
    merged: list[list[float]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + join:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def subtract(spans: Sequence[Span], holes: Sequence[Span]) -> list[Span]:
    """The parts of ``spans`` outside every hole."""
    result: list[Span] = []
    holes = merge(holes)
    for start, end in spans:
        cursor = start
        for hole_start, hole_end in holes:
            if hole_end <= cursor or hole_start >= end:
                continue
            if hole_start > cursor:
                result.append((cursor, hole_start))
            cursor = max(cursor, hole_end)
        if cursor < end:
            result.append((cursor, end))
    return result


def uncovered_speech(
    speech: Sequence[Span],
    heard: Sequence[Span],
    *,
    pad: float = WORD_PAD_S,
    min_speech: float = MIN_GAP_SPEECH_S,
) -> list[Span]:
    """Clips of at most 30 s to decode again: speech with no heard word near it.

    ``heard`` are the words' (or segments') spans; each counts ``pad`` seconds wider. Gaps
    close together are joined; a clip is kept when it holds ``min_speech`` seconds of
    speech or more."""
    missing = subtract(speech, [(s - pad, e + pad) for s, e in heard])
    clips: list[Span] = []
    for start, end in merge(missing, join=_JOIN_S):
        held = sum(min(e, end) - max(s, start) for s, e in missing if s < end and e > start)
        if held >= min_speech:
            clips.extend(_at_most(start, end, MAX_CLIP_S))
    return clips


def _at_most(start: float, end: float, length: float) -> list[Span]:
    pieces = max(1, int(np.ceil((end - start) / length)))
    step = (end - start) / pieces
    return [(start + k * step, start + (k + 1) * step) for k in range(pieces)]
