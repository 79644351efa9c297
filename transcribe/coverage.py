"""Speech the decoder skipped: stretches where the VAD heard speech and no word landed.

Whisper's batched decoder transcribes each VAD chunk (up to 30 s) in one pass and may
stop early: after a stretch in another language (an English phrase inside Japanese talk),
with a long prompt, or simply before the chunk's end. Nothing says so; the speech is
just missing. These pure functions find those stretches so that they can be decoded
again on their own (see ``transcribe.asr``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

Span = tuple[float, float]  # seconds

WORD_PAD_S = 0.3  # a word's timestamps are good to about this much
MIN_GAP_SPEECH_S = 1.0  # shorter uncovered speech is breath, noise or a lost syllable
MAX_CLIP_S = 30.0  # one Whisper window
_JOIN_S = 0.5  # gaps closer than this are decoded as one clip


def speech_spans(audio: np.ndarray, vad_options: dict[str, float] | None) -> list[Span]:
    """Where Silero VAD hears speech in ``audio`` (16 kHz), in seconds."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    if not len(audio):
        return []
    options = VadOptions(**vad_options) if vad_options else VadOptions()
    return [
        (stamp["start"] / 16_000, stamp["end"] / 16_000)
        for stamp in get_speech_timestamps(audio, options)
    ]


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
