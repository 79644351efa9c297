"""Speech recognition: an audio file to a timed Japanese transcript, offline by default.

:func:`transcribe_audio` decodes the file in windows (:mod:`transcribe.audio`), runs
faster-whisper on each and returns an :class:`Episode` whose ``segments`` carry text and
times. The defaults (:class:`AsrSettings`) were chosen by measurement on this project's
2-core machine; ``bench/asr.py`` and ``bench/eval_cer.py`` repeat the measurements.

Long files: each window is transcribed with the unfinished tail of the one before it
prepended (from the end of its last complete segment), so no speech is cut at a window
edge, no segment is transcribed twice, and memory stays at about one window however long
the episode is.

Guards against Whisper's known failure modes (all pure functions, tested alone):

- Silence hallucinations (「ご視聴ありがとうございました」 and the like) are dropped when
  the decoder was unsure (low ``avg_logprob`` or high ``no_speech_prob``). The Silero VAD
  filter removes most silence before the decoder ever sees it.
- Repetition loops: a phrase repeated over and over inside a segment is collapsed to one
  copy; the same text in a run of consecutive segments becomes one segment.
- Wrong language: when the audio's first speech is confidently another language than the
  one requested, :class:`InputError` is raised (naming the language) rather than
  returning a forced, meaningless Japanese transcript. ``language=None`` auto-detects;
  ``language_check=False`` transcribes as the requested language regardless. With the
  batched decoder the check is made on the first batch's encoder output (the decoder's
  own), so it costs no extra pass over the audio.

Words: Whisper's own word timestamps (cross-attention alignment) cost about 8 % more time
with faster-whisper 1.2.1 on this machine (not the 5x an older measurement suggested), so
they are on by default and carry Whisper's ``probability``. Where no measured words exist
(``word_timestamps=False``, or a segment whose looping text was collapsed), words are
*approximate*: the segment's time is shared among its morphemes in proportion to their
characters, and ``probability`` is ``None`` to mark them as estimates.
"""

from __future__ import annotations

import functools
import gc
import os
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from kikigaki.document import Episode, EpisodeMeta, Segment, Word
from kikigaki.errors import InputError
from postprocess.normalize import normalize_text
from transcribe.audio import SAMPLE_RATE, iter_windows, probe
from transcribe.models import resolve_model

__all__ = [
    "AsrSettings",
    "RawSegment",
    "VadSettings",
    "approximate_words",
    "clean_segments",
    "collapse_repeated_phrases",
    "is_silence_hallucination",
    "load_model",
    "merge_repeated_segments",
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


@dataclass(frozen=True)
class RawSegment:
    """A decoded segment with the decoder's confidence, before the guards."""

    text: str
    start: float
    end: float
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    words: tuple[Word, ...] = ()


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
        "vad_parameters": settings.vad.options() if settings.vad else None,
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
    toward those spellings. ``progress(seconds_done, seconds_total)`` is called as the audio is
    transcribed. Raises InputError for unreadable audio or audio in another language;
    silence gives an episode with no segments.
    """
    settings = settings or AsrSettings()
    path = Path(path)
    info = probe(path)
    model = load_model(settings)
    language = settings.language
    finished: list[RawSegment] = []
    tentative: list[RawSegment] = []  # may run past the window's end; redone next window
    guard = _LanguageGuard(settings.language, path) if _checks_in_batch(settings) else None
    for offset, audio in _windows_with_carry(path, settings, finished):
        if language is None or (
            guard is None and settings.language_check and not _language_checked(finished)
        ):
            detected = _check_language(model, audio, settings, path)
            language = language or detected
        window_hotwords = hotwords("".join(s.text for s in finished)) if callable(hotwords) \
            else hotwords
        decoded = _decode(
            model, audio, offset, replace(settings, language=language), window_hotwords, guard
        )
        window_end = offset + len(audio) / SAMPLE_RATE
        done, tentative = _split_at_edge(decoded, window_end)
        finished.extend(done)
        if progress:
            progress(min(window_end, info.duration), info.duration)
    if progress:
        progress(info.duration, info.duration)
    segments = clean_segments([*finished, *tentative])
    return _episode(path, info.duration, language or "ja", segments, settings)


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
    audio: np.ndarray,
    offset: float,
    settings: AsrSettings,
    hotwords: str,
    guard: _LanguageGuard | None = None,
) -> list[RawSegment]:
    options = transcribe_options(settings, hotwords)
    if settings.batched:
        segments, _ = _pipeline(model, guard).transcribe(audio, **options)
    else:
        segments, _ = model.transcribe(audio, **options)
    return [_raw_segment(segment, offset) for segment in segments]


def _raw_segment(segment: Any, offset: float) -> RawSegment:
    words = tuple(
        Word(
            text=w.word.strip(),
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
    )


# --- language ----------------------------------------------------------------------

_LANGUAGE_SURE = 0.8
_LANGUAGE_PROBE_S = 120.0  # audio searched for the first speech to identify


def _checks_in_batch(settings: AsrSettings) -> bool:
    """Whether the language check can ride on the batched decoder's own encoder pass."""
    return bool(settings.batched and settings.language and settings.language_check)


@dataclass
class _LanguageGuard:
    """Judges the language of the first decoded batch of speech, from the encoder output
    the decoder computes anyway, so the check costs one decoder step instead of a
    separate VAD and encoder pass (about 0.7 s per file on the 2-core machine)."""

    wanted: str
    path: Path
    done: bool = False

    def check(self, language_probabilities: list[list[tuple[str, float]]]) -> None:
        if self.done or not language_probabilities:
            return
        self.done = True
        mean: dict[str, float] = {}
        for chunk in language_probabilities:
            for token, probability in chunk:
                code = token.strip("<|>")
                mean[code] = mean.get(code, 0.0) + probability / len(language_probabilities)
        language, probability = max(mean.items(), key=lambda item: item[1])
        if language != self.wanted and probability >= _LANGUAGE_SURE:
            raise _wrong_language(self.path, language, probability, self.wanted)


def _pipeline(model: Any, guard: _LanguageGuard | None) -> Any:
    from faster_whisper import BatchedInferencePipeline

    if guard is None:
        return BatchedInferencePipeline(model)

    class LanguageCheckingPipeline(BatchedInferencePipeline):  # type: ignore[misc]
        def generate_segment_batched(self, features: Any, tokenizer: Any, options: Any) -> Any:
            encoder_output, output = super().generate_segment_batched(
                features, tokenizer, options
            )
            if not guard.done:  # detect_language is skipped once judged
                guard.check(self.model.model.detect_language(encoder_output))
            return encoder_output, output

    return LanguageCheckingPipeline(model)


def _language_checked(raw: list[RawSegment]) -> bool:
    # The check runs until a window with speech has been seen; segments prove there was.
    return bool(raw)


def _check_language(model: Any, audio: np.ndarray, settings: AsrSettings, path: Path) -> str | None:
    """The language of the first speech in ``audio`` (None if there is no speech);
    raises InputError when it is confidently not the one asked for."""
    from faster_whisper.vad import VadOptions

    head = audio[: round(_LANGUAGE_PROBE_S * SAMPLE_RATE)]
    try:
        language, probability, _ = model.detect_language(
            head,
            vad_filter=settings.vad is not None,
            vad_parameters=VadOptions(**settings.vad.options()) if settings.vad else None,
        )
    except ValueError:  # the VAD found no speech: nothing to judge
        return None
    wanted = settings.language
    if wanted and language != wanted and probability >= _LANGUAGE_SURE:
        raise _wrong_language(path, language, probability, wanted)
    return language


def _wrong_language(path: Path, language: str, probability: float, wanted: str) -> InputError:
    return InputError(
        path,
        f"the speech is in {_language_name(language)} ({language}, "
        f"p={probability:.2f}), not {wanted}",
        f"pass --language {language} to transcribe it as {language}",
    )


def _language_name(code: str) -> str:
    names = {"en": "English", "ja": "Japanese", "zh": "Chinese", "ko": "Korean"}
    return names.get(code, code)


# --- guards (pure functions) ---------------------------------------------------------

# Phrases Whisper writes over silence or music, learned from video subtitles.
_SILENCE_HALLUCINATIONS = (
    "ご視聴ありがとうございました",
    "ご視聴ありがとうございます",
    "最後までご視聴いただきありがとうございました",
    "最後までご視聴いただきありがとうございます",
    "チャンネル登録よろしくお願いします",
    "チャンネル登録お願いします",
    "チャンネル登録と高評価よろしくお願いします",
    "おやすみなさい",
    "ありがとうございました",
    "お疲れ様でした",
)
_SUBTITLE_CREDIT = re.compile(r"^(字幕|翻訳|提供|作詞|作曲|編曲)")
_NOT_COMPARED = re.compile(r"[\s、。，．,.!?！？・…「」『』()（）]")
_UNSURE_LOGPROB = -0.7
_LIKELY_SILENCE = 0.4


def _comparable(text: str) -> str:
    return _NOT_COMPARED.sub("", unicodedata.normalize("NFKC", text))


def is_silence_hallucination(segment: RawSegment) -> bool:
    """A stock phrase of Whisper's over silence, decoded without confidence.

    The whole segment must be the phrase (a speaker saying 「ありがとうございました」 in
    a sentence is kept) and the decoder unsure: ``avg_logprob < -0.7`` or
    ``no_speech_prob > 0.4``.
    """
    text = _comparable(segment.text)
    if not text:
        return False
    stock = text in _SILENCE_HALLUCINATIONS or bool(_SUBTITLE_CREDIT.match(text))
    unsure = segment.avg_logprob < _UNSURE_LOGPROB or segment.no_speech_prob > _LIKELY_SILENCE
    return stock and unsure


_REPEATED_UNIT = re.compile(r"(.+?)\1{2,}", re.DOTALL)
_LOOP_MIN_UNIT = 4  # characters: a longer phrase said 3+ times running is a loop
_LOOP_MIN_REPEATS = 5  # a shorter one (そう, はい) needs 5+ to count as a loop


def collapse_repeated_phrases(text: str) -> str:
    """Collapse decoder loops inside one text to a single copy of the repeated phrase.

    Natural speech repeats short words a few times (「そうそうそう」, 「はいはいはい」),
    which is kept; a phrase of 4+ characters repeated 3+ times running, or any phrase
    repeated 5+ times running, is a loop.
    """

    def collapse(match: re.Match[str]) -> str:
        unit = match.group(1)
        repeats = len(match.group(0)) // len(unit)
        is_loop = (len(unit.strip()) >= _LOOP_MIN_UNIT and repeats >= 3) or (
            repeats >= _LOOP_MIN_REPEATS
        )
        return unit if is_loop else match.group(0)

    return _REPEATED_UNIT.sub(collapse, text)


_LONG_TEXT = 8  # characters: two identical segments this long in a row are a loop


def merge_repeated_segments(segments: Sequence[RawSegment]) -> list[RawSegment]:
    """One segment for each run of consecutive segments with the same text, when the run
    is a loop: 3+ segments, or 2 whose text has 8+ characters. The merged segment spans
    the run's times. Shorter runs (two 「はい」) are kept as they are."""
    merged: list[RawSegment] = []
    run: list[RawSegment] = []
    for segment in [*segments, None]:
        if segment is not None and run and _comparable(segment.text) == _comparable(run[0].text):
            run.append(segment)
            continue
        if run:
            merged.extend(_merge_run(run))
        run = [segment] if segment is not None else []
    return merged


def _merge_run(run: list[RawSegment]) -> list[RawSegment]:
    length = len(_comparable(run[0].text))
    if len(run) >= 3 or (len(run) == 2 and length >= _LONG_TEXT):
        return [replace(run[0], end=run[-1].end)]
    return run


def clean_segments(raw: Sequence[RawSegment]) -> list[RawSegment]:
    """All guards, then Japanese spacing: the segments an episode is built from."""
    kept = [_collapsed(s) for s in raw if not is_silence_hallucination(s)]
    return merge_repeated_segments([s for s in kept if s.text])


def _collapsed(segment: RawSegment) -> RawSegment:
    collapsed = collapse_repeated_phrases(segment.text)
    # Measured words would still spell out the loop: let approximate ones replace them.
    words = segment.words if collapsed == segment.text else ()
    return replace(segment, text=normalize_text(collapsed), words=words)


# --- words and the episode ------------------------------------------------------------

_UNTIMED = re.compile(r"[\s、。，．,.!?！？・…「」『』()（）]")


def approximate_words(segment: Segment) -> list[Word]:
    """The segment's morphemes, its time shared among them by their characters.

    Punctuation takes no time. ``probability`` is ``None``: the times are estimates.
    """
    from postprocess.nlp import tokenize

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
    segments = [Segment(text=s.text, start=s.start, end=s.end) for s in raw]
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
        slug=_slug(path.stem),
    )
    return Episode(meta=meta, segments=segments, words=words, stages=["transcribe:whisper"])


_NOT_SLUG = re.compile(r"[^\w-]+")


def _slug(stem: str) -> str:
    """The file stem with runs of spaces and symbols turned into one hyphen."""
    return _NOT_SLUG.sub("-", stem).strip("-_").lower() or "episode"
