"""Spoken languages as users name them and as Whisper knows them.

Users type ``ja``, ``japanese``, ``Japanese``, ``日本語``, ``jpn`` or ``ja-JP``; Whisper wants
its own code (``ja``). :func:`whisper_language` turns any of these into the code, or raises
a one-line :class:`InputError` that lists what is accepted. ``auto`` means "detect".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import langcodes
import numpy as np

from kikigaki.errors import InputError

AUTO = "auto"
# Whisper's codes that are not the ISO 639-1 code langcodes gives for the language.
_WHISPER_SPELLING = {"jv": "jw"}


@cache
def whisper_codes() -> tuple[str, ...]:
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    return tuple(_LANGUAGE_CODES)


def whisper_language(given: str) -> str | None:
    """Whisper's code for the language ``given`` (a code, tag or name in any language);
    ``None`` for ``auto``."""
    text = given.strip()
    if text.lower() == AUTO:
        return None
    code = _code_of(text)
    if code in whisper_codes():
        return code
    raise InputError(
        "--language",
        f"{given!r} is not a language Whisper knows",
        f"use auto or a code or English name, e.g. ja, en, japanese; codes: "
        f"{' '.join(whisper_codes())}",
    )


def _code_of(text: str) -> str:
    lowered = text.lower()
    if lowered in whisper_codes():
        return lowered
    try:
        code = langcodes.Language.get(text).language or ""
    except (ValueError, LookupError):
        code = ""
    if not _known(code):
        try:
            code = langcodes.find(text).language or ""
        except (ValueError, LookupError):
            return ""
    return _WHISPER_SPELLING.get(code, code)


def _known(code: str) -> bool:
    return bool(code) and (
        code in whisper_codes() or _WHISPER_SPELLING.get(code, "") in whisper_codes()
    )


def language_name(code: str) -> str:
    """The English name of a language code (``ja`` → ``Japanese``)."""
    try:
        return langcodes.Language.get(code).display_name()
    except (ValueError, LookupError):
        return code


def is_japanese(code: str | None) -> bool:
    return (code or "ja").split("-")[0].lower() == "ja"


# --- what the audio says ------------------------------------------------------------

SURE = 0.8  # a language this likely is the audio's language, whatever was asked
SWITCH = 0.5  # a clip this likely in another language is decoded in that language
_PROBE_S = 120.0  # audio searched for the first speech to identify
_SAMPLE_RATE = 16_000


def wrong_language(path: Path, language: str, probability: float, wanted: str) -> InputError:
    return InputError(
        path,
        f"the speech is in {language_name(language)} ({language}, "
        f"p={probability:.2f}), not {wanted}",
        f"pass --language {language} to transcribe it as {language}",
    )


@dataclass
class LanguageGuard:
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
        if language != self.wanted and probability >= SURE:
            raise wrong_language(self.path, language, probability, self.wanted)


def batched_pipeline(model: Any, guard: LanguageGuard | None = None) -> Any:
    """faster-whisper's batched pipeline; with ``guard``, the first batch's language is
    checked on the encoder output the decoder computed anyway."""
    from faster_whisper import BatchedInferencePipeline

    if guard is None:
        return BatchedInferencePipeline(model)
    return _listening_pipeline()(model, guard.check, once=True)


@cache
def _listening_pipeline() -> type:
    from faster_whisper import BatchedInferencePipeline

    class ListeningPipeline(BatchedInferencePipeline):  # type: ignore[misc]
        """Hands each batch's language probabilities (from the encoder output the decoder
        computed anyway) to ``listener``; with ``once``, only the first batch's."""

        def __init__(self, model: Any, listener: Any, once: bool = False) -> None:
            super().__init__(model)
            self.listener = listener
            self.once = once
            self.heard = False

        def generate_segment_batched(self, features: Any, tokenizer: Any, options: Any) -> Any:
            encoder_output, output = super().generate_segment_batched(
                features, tokenizer, options
            )
            if not (self.once and self.heard):
                self.heard = True
                self.listener(self.model.model.detect_language(encoder_output))
            return encoder_output, output

    return ListeningPipeline


def check_language(
    model: Any, audio: np.ndarray, vad_options: dict[str, float] | None, path: Path,
    wanted: str | None,
) -> str | None:
    """The language of the first speech in ``audio`` (None if there is no speech);
    raises InputError when it is confidently not ``wanted``."""
    from faster_whisper.vad import VadOptions

    head = audio[: round(_PROBE_S * _SAMPLE_RATE)]
    try:
        language, probability, _ = model.detect_language(
            head,
            vad_filter=vad_options is not None,
            vad_parameters=VadOptions(**vad_options) if vad_options else None,
        )
    except ValueError:  # the VAD found no speech: nothing to judge
        return None
    if wanted and language != wanted and probability >= SURE:
        raise wrong_language(path, language, probability, wanted)
    return language


def decode_clips(
    model: Any, audio: np.ndarray, clips: Sequence[tuple[float, float]],
    options: dict[str, Any],
) -> list[tuple[Any, str | None]]:
    """Each clip of ``audio`` decoded on its own, without hotwords: ``(segment, language)``
    with ``language`` set where the clip was confidently in another language than
    ``options["language"]`` and was decoded in that one (code-switched speech)."""
    wanted = options["language"]
    first, languages = _decode_listening(model, audio, clips, {**options, "hotwords": None})
    switched = {
        index: language
        for index, (language, probability) in enumerate(languages)
        if language != wanted and probability >= SWITCH
    }
    found = [
        (segment, None)
        for segment in first
        if _clip_of(segment, clips) not in switched
    ]
    for language in set(switched.values()):
        chosen = [clips[i] for i, code in switched.items() if code == language]
        again, _ = _decode_listening(model, audio, chosen, {**options, "language": language})
        found += [(segment, language) for segment in again]
    return sorted(found, key=lambda pair: pair[0].start)


def _decode_listening(
    model: Any, audio: np.ndarray, clips: Sequence[tuple[float, float]],
    options: dict[str, Any],
) -> tuple[list[Any], list[tuple[str, float]]]:
    heard: list[tuple[str, float]] = []

    def listen(probabilities: list[list[tuple[str, float]]]) -> None:
        heard.extend((chunk[0][0].strip("<|>"), chunk[0][1]) for chunk in probabilities)

    stamps = [{"start": start, "end": end} for start, end in clips]
    pipeline = _listening_pipeline()(model, listen)
    clip_options = {**options, "vad_filter": False, "vad_parameters": None,
                    "clip_timestamps": stamps}
    segments, _ = pipeline.transcribe(audio, **clip_options)
    return list(segments), heard


def _clip_of(segment: Any, clips: Sequence[tuple[float, float]]) -> int:
    middle = (segment.start + segment.end) / 2
    return min(range(len(clips)), key=lambda i: abs((clips[i][0] + clips[i][1]) / 2 - middle))
