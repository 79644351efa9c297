"""Speech recognition: an audio file to a timed transcript, offline by default.

:func:`transcribe_audio` decodes the file in windows (:mod:`transcribe.audio`), runs
faster-whisper on each and returns an :class:`Episode` whose ``segments`` carry text and
times. The defaults (:class:`AsrSettings`) were chosen by measurement on this project's
2-core machine; ``bench/asr.py`` and ``bench/eval_cer.py`` repeat the measurements.

Long files: each window is transcribed with the unfinished tail of the one before it
prepended (from the end of its last complete segment), so no speech is cut at a window
edge, no segment is transcribed twice, and memory stays at about one window however long
the episode is.

No speech lost: the batched decoder may stop before the end of a VAD chunk (after a
stretch in another language, or with hotwords in the prompt) and say nothing. After each
window, the stretches where the VAD heard speech but no word landed
(:mod:`transcribe.coverage`) are decoded again on their own, without hotwords, each in its
own language when it is confidently another one (English phrases in Japanese talk).

Guards against Whisper's known failure modes are in :mod:`transcribe.guards` (silence
phrases, repetition loops); the language check is in :mod:`transcribe.languages`: when
the audio's first speech is confidently another language than the one requested,
:class:`InputError` is raised (naming the language) rather than returning a forced,
meaningless transcript. ``language=None`` auto-detects; ``language_check=False``
transcribes as the requested language regardless.

Words: Whisper's own word timestamps (cross-attention alignment) cost about 8 % more time
with faster-whisper 1.2.1 on this machine, so they are on by default and carry Whisper's
``probability``. Where no measured words exist (``word_timestamps=False``, or a segment
whose looping text was collapsed), words are *approximate*: the segment's time is shared
among its morphemes in proportion to their characters, and ``probability`` is ``None``.
"""

from __future__ import annotations

import functools
import gc
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from kikigaki.document import Episode, EpisodeMeta, Segment, Word
from kikigaki.errors import InputError
from kikigaki.slugs import slugify
from transcribe.audio import SAMPLE_RATE, iter_windows, probe
from transcribe.coverage import (
    forget_pipeline_speech,
    keep_pipeline_speech,
    speech_spans,
    uncovered_speech,
)
from transcribe.guards import RawSegment, clean_segments
from transcribe.languages import LanguageGuard, batched_pipeline, check_language, decode_clips
from transcribe.models import resolve_model

__all__ = [
    "AsrSettings",
    "VadSettings",
    "approximate_words",
    "load_model",
    "release_models",
    "transcribe_audio",
    "transcribe_options",
]

Device = Literal["cpu", "cuda", "auto"]
Progress = Callable[[float, float], None]
# Hotwords for the next window, given the transcript so far.
HotwordPicker = Callable[[str], str]


@dataclass(frozen=True)
class VadSettings:
    """Silero VAD parameters (faster-whisper's ``vad_parameters``)."""

    threshold: float = 0.5
    min_speech_duration_ms: int = 250
    min_silence_duration_ms: int = 1000
    speech_pad_ms: int = 300
    max_speech_duration_s: float = 30.0

    def options(self) -> dict[str, float]:
        return {
            "threshold": self.threshold,
            "min_speech_duration_ms": self.min_speech_duration_ms,
            "min_silence_duration_ms": self.min_silence_duration_ms,
            "speech_pad_ms": self.speech_pad_ms,
            "max_speech_duration_s": self.max_speech_duration_s,
        }


@dataclass(frozen=True)
class AsrSettings:
    model: str | None = None  # None/"base": the embedded model; or a folder, or a hub id
    device: Device = "cpu"
    compute_type: str | None = None  # None: "float32" on CPU (faster than int8 here)
    beam_size: int = 5  # batched: beam 5 costs ~20 % more than beam 1, CER 0.210 vs 0.218
    language: str | None = "ja"  # None: detect
    language_check: bool = True  # refuse audio confidently in another language
    vad: VadSettings | None = field(default_factory=VadSettings)
    temperature: tuple[float, ...] = (0.0,)  # no fallback: it once cost 2.7x
    condition_on_previous_text: bool = False  # conditioning feeds repetition loops
    word_timestamps: bool = True  # measured word times: ~8 % more time here
    approximate_words: bool = True  # estimated word times where none were measured
    cpu_threads: int = 0  # 0: all cores
    batched: bool = True  # BatchedInferencePipeline: ~1.8x faster here, same CER
    batch_size: int = 8
    window_seconds: float = 600.0  # audio decoded and transcribed at a time
    fill_gaps: bool = True  # decode again the speech the first pass skipped

    def vad_options(self) -> dict[str, float] | None:
        return self.vad.options() if self.vad else None

    def resolved_compute_type(self) -> str:
        if self.compute_type:
            return self.compute_type
        return "float16" if self.resolved_device() == "cuda" else "float32"

    def resolved_device(self) -> str:
        if self.device != "auto":
            return self.device
        import ctranslate2

        return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"

    def resolved_threads(self) -> int:
        # OMP_NUM_THREADS is how a batch runner (Dask's workers) shares out the cores;
        # ignoring it would put several processes' threads on each core.
        from_env = os.environ.get("OMP_NUM_THREADS", "")
        return self.cpu_threads or (int(from_env) if from_env.isdigit() else 0) \
            or os.cpu_count() or 1


# --- the model ---------------------------------------------------------------------


def load_model(settings: AsrSettings) -> Any:
    """The faster-whisper model for ``settings`` (loaded once per process)."""
    return _cached_model(
        resolve_model(settings.model),
        settings.resolved_device(),
        settings.resolved_compute_type(),
        settings.resolved_threads(),
    )


def release_models() -> None:
    """Drop the loaded Whisper models. The flows call this once the ASR is done: the
    model's half gigabyte would otherwise sit under diarization and GiNZA's peaks."""
    _cached_model.cache_clear()
    gc.collect()


@functools.lru_cache(maxsize=2)
def _cached_model(path: str, device: str, compute_type: str, threads: int) -> Any:
    from faster_whisper import WhisperModel

    try:
        return WhisperModel(path, device=device, compute_type=compute_type, cpu_threads=threads)
    except (RuntimeError, ValueError) as error:
        raise InputError(
            path,
            f"the Whisper model does not load on {device}/{compute_type} ({error})",
            "try --device cpu, another --compute-type, or the default model",
        ) from error


def transcribe_options(settings: AsrSettings, hotwords: str = "") -> dict[str, Any]:
    """The keyword arguments given to faster-whisper's ``transcribe`` for ``settings``."""
    options: dict[str, Any] = {
        "language": settings.language,
        "beam_size": settings.beam_size,
        "temperature": list(settings.temperature),
        "condition_on_previous_text": settings.condition_on_previous_text,
        "word_timestamps": settings.word_timestamps,
        "vad_filter": settings.vad is not None,
        "vad_parameters": settings.vad_options(),
        "hotwords": hotwords or None,
    }
    if settings.batched:
        options["batch_size"] = settings.batch_size
        options["without_timestamps"] = False  # segment times inside each VAD chunk
    return options


# --- transcription -----------------------------------------------------------------

_EDGE_GUARD_S = 1.0  # a segment ending this close to a window's end may be cut short
_MAX_CARRY_S = 40.0  # a Whisper segment is at most 30 s


def transcribe_audio(
    path: Path | str,
    settings: AsrSettings | None = None,
    *,
    hotwords: str | HotwordPicker = "",
    progress: Progress | None = None,
) -> Episode:
    """The episode spoken in the audio file ``path``: ``meta``, ``segments``, ``words``.

    ``hotwords`` (e.g. glossary terms separated by spaces, or a function from the
    transcript so far to such a string, asked before each window) bias the decoder
    toward those spellings. ``progress(seconds_done, seconds_total)`` is called as the
    audio is transcribed, after every decoded segment. Raises InputError for unreadable
    audio or audio in another language; silence gives an episode with no segments.
    """
    settings = settings or AsrSettings()
    path = Path(path)
    info = probe(path)
    model = load_model(settings)
    language = settings.language
    finished: list[RawSegment] = []
    tentative: list[RawSegment] = []  # may run past the window's end; redone next window
    guard = LanguageGuard(settings.language, path) if _checks_in_batch(settings) else None
    for offset, audio in _windows_with_carry(path, settings, finished):
        if language is None or (
            guard is None and settings.language_check and not _language_checked(finished)
        ):
            detected = check_language(model, audio, settings.vad_options(), path, language)
            language = language or detected
        window_hotwords = hotwords("".join(s.text for s in finished)) if callable(hotwords) \
            else hotwords
        window_settings = replace(settings, language=language)
        window = _Window(offset, audio, info.duration, progress)
        decoded = _decode(model, window, window_settings, window_hotwords, guard)
        if settings.fill_gaps:
            decoded = _fill_gaps(model, window, window_settings, decoded)
        done, tentative = _split_at_edge(decoded, window.end)
        finished.extend(done)
    forget_pipeline_speech()  # the last window's audio is not kept alive
    if progress:
        progress(info.duration, info.duration)
    segments = clean_segments([*finished, *tentative])
    return _episode(path, info.duration, language or "ja", segments, settings)


def _checks_in_batch(settings: AsrSettings) -> bool:
    """Whether the language check can ride on the batched decoder's own encoder pass."""
    return bool(settings.batched and settings.language and settings.language_check)


def _language_checked(raw: list[RawSegment]) -> bool:
    # The check runs until a window with speech has been seen; segments prove there was.
    return bool(raw)


@dataclass(frozen=True)
class _Window:
    """``audio`` starting ``offset`` seconds into a file of ``duration`` seconds."""

    offset: float
    audio: np.ndarray
    duration: float
    progress: Progress | None = None

    @property
    def end(self) -> float:
        return self.offset + len(self.audio) / SAMPLE_RATE

    def reached(self, seconds_in: float) -> None:
        if self.progress:
            self.progress(min(self.offset + seconds_in, self.duration), self.duration)


def _windows_with_carry(
    path: Path, settings: AsrSettings, finished: list[RawSegment]
) -> Iterator[tuple[float, np.ndarray]]:
    """(start seconds, samples) for each window, with the unfinished tail prepended.

    ``finished`` is read after each window is processed: the next window starts where
    its last finished segment ends (at most ``_MAX_CARRY_S`` before the window's end).
    """
    carry = np.zeros(0, np.float32)
    carry_start = 0.0
    for window in iter_windows(path, seconds=settings.window_seconds):
        audio = np.concatenate([carry, window.samples]) if len(carry) else window.samples
        yield carry_start, audio
        end = carry_start + len(audio) / SAMPLE_RATE
        last_end = finished[-1].end if finished else 0.0
        resume = max(last_end, end - _MAX_CARRY_S, carry_start)
        carry = audio[round((resume - carry_start) * SAMPLE_RATE) :]
        carry_start = resume


def _split_at_edge(
    segments: list[RawSegment], window_end: float
) -> tuple[list[RawSegment], list[RawSegment]]:
    """(finished, tentative): segments ending near the window's end may be cut short."""
    cut = len(segments)
    while cut and segments[cut - 1].end > window_end - _EDGE_GUARD_S:
        cut -= 1
    return segments[:cut], segments[cut:]


def _decode(
    model: Any,
    window: _Window,
    settings: AsrSettings,
    hotwords: str,
    guard: LanguageGuard | None = None,
) -> list[RawSegment]:
    options = transcribe_options(settings, hotwords)
    if settings.batched:
        keep_pipeline_speech()  # its VAD's finding serves the gap-filling pass too
        segments, _ = batched_pipeline(model, guard).transcribe(window.audio, **options)
    else:
        segments, _ = model.transcribe(window.audio, **options)
    decoded = []
    for segment in segments:
        decoded.append(_raw_segment(segment, window.offset))
        window.reached(segment.end)
    return decoded


def _raw_segment(segment: Any, offset: float, language: str | None = None) -> RawSegment:
    # Words keep Whisper's own spacing (" didn't"): joined, they give the segment's text
    # in any language; Japanese spacing is normalised where text is built from them.
    words = tuple(
        Word(
            text=w.word,
            start=round(offset + w.start, 3),
            end=round(offset + w.end, 3),
            probability=round(w.probability, 4),
        )
        for w in segment.words or ()
        if w.word.strip()
    )
    return RawSegment(
        text=segment.text,
        start=round(offset + segment.start, 3),
        end=round(offset + segment.end, 3),
        avg_logprob=segment.avg_logprob,
        no_speech_prob=segment.no_speech_prob,
        words=words,
        language=language,
    )


# --- speech the first pass skipped -----------------------------------------------------

# Whisper's own rule for "this was silence": both unsure and likely no speech.
_SILENT_LOGPROB = -1.0
_SILENT_NO_SPEECH = 0.6


def _fill_gaps(
    model: Any, window: _Window, settings: AsrSettings, decoded: list[RawSegment]
) -> list[RawSegment]:
    """``decoded`` with the speech it skipped decoded again, clip by clip, without
    hotwords and in the clip's own language when it is confidently another one."""
    speech = speech_spans(window.audio, settings.vad_options())
    heard = [
        (span.start - window.offset, span.end - window.offset)
        for segment in decoded
        for span in (segment.words or (segment,))
        if span.start is not None and span.end is not None
    ]
    clips = uncovered_speech(speech, heard)
    if not clips:
        return decoded
    found = [
        _raw_segment(segment, window.offset, language)
        for segment, language in decode_clips(
            model, window.audio, clips, transcribe_options(settings)
        )
        if not _silent(segment)
    ]
    return sorted([*decoded, *found], key=lambda segment: segment.start)


def _silent(segment: Any) -> bool:
    unsure = segment.avg_logprob < _SILENT_LOGPROB and segment.no_speech_prob > _SILENT_NO_SPEECH
    return unsure or not segment.text.strip()


# --- words and the episode ------------------------------------------------------------

_UNTIMED = re.compile(r"[\s、。，．,.!?！？・…「」『』()（）]")


def approximate_words(segment: Segment) -> list[Word]:
    """The segment's morphemes, its time shared among them by their characters.

    Punctuation takes no time. ``probability`` is ``None``: the times are estimates.
    """
    from kikigaki.nlp import tokenize

    if segment.start is None or segment.end is None:
        return []
    pieces = [m.surface for m in tokenize(segment.text) if m.surface.strip()]
    weights = [len(_UNTIMED.sub("", piece)) for piece in pieces]
    total = sum(weights) or 1
    span = segment.end - segment.start
    words: list[Word] = []
    elapsed = 0
    for piece, weight in zip(pieces, weights, strict=True):
        start = segment.start + span * elapsed / total
        elapsed += weight
        end = segment.start + span * elapsed / total
        words.append(Word(text=piece, start=round(start, 3), end=round(end, 3)))
    return words


def _episode(
    path: Path,
    duration: float,
    language: str,
    raw: list[RawSegment],
    settings: AsrSettings,
) -> Episode:
    segments = [
        Segment(text=s.text, start=s.start, end=s.end, language=s.language) for s in raw
    ]
    words: list[Word] = []
    for raw_segment, segment in zip(raw, segments, strict=True):
        if raw_segment.words:
            words.extend(raw_segment.words)
        elif settings.approximate_words:
            words.extend(approximate_words(segment))
    meta = EpisodeMeta(
        title=path.stem,
        source=str(path),
        source_format="audio",
        audio=str(path),
        duration=round(duration, 3),
        language=language,
        slug=slugify(path.stem),
    )
    return Episode(meta=meta, segments=segments, words=words, stages=["transcribe:whisper"])
