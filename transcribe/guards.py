"""Guards against Whisper's known failure modes, as pure functions tested alone.

- Silence hallucinations (「ご視聴ありがとうございました」 and the like) are dropped when
  the decoder was unsure (low ``avg_logprob`` or high ``no_speech_prob``). The Silero VAD
  filter removes most silence before the decoder ever sees it.
- Repetition loops: a phrase repeated over and over inside a segment is collapsed to one
  copy; the same text in a run of consecutive segments becomes one segment.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from kikigaki.document import Word
from kikigaki.text import comparable, normalize_text


@dataclass(frozen=True)
class RawSegment:
    """A decoded segment with the decoder's confidence, before the guards."""

    text: str
    start: float
    end: float
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    words: tuple[Word, ...] = ()
    language: str | None = None  # set when it differs from the episode's language


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
_UNSURE_LOGPROB = -0.7
_LIKELY_SILENCE = 0.4


def is_silence_hallucination(segment: RawSegment) -> bool:
    """A stock phrase of Whisper's over silence, decoded without confidence.

    The whole segment must be the phrase (a speaker saying 「ありがとうございました」 in
    a sentence is kept) and the decoder unsure: ``avg_logprob < -0.7`` or
    ``no_speech_prob > 0.4``.
    """
    text = comparable(segment.text)
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
        if segment is not None and run and comparable(segment.text) == comparable(run[0].text):
            run.append(segment)
            continue
        if run:
            merged.extend(_merge_run(run))
        run = [segment] if segment is not None else []
    return merged


def _merge_run(run: list[RawSegment]) -> list[RawSegment]:
    length = len(comparable(run[0].text))
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
