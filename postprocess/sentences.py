"""Punctuate the episode's segments and cut each speaker's stretch into timed sentences.

Segments (caption cues, ASR windows, lines) rarely coincide with sentences. The whole
episode is punctuated as one stream of segments (``punctuate_pieces``), with what the
segments tell: a line of a plain-text or seed-page transcript, and the last segment
before another speaker, always end a sentence; a caption cue or ASR segment end is
evidence the model weighs; with timed words, so is the silence after each word. A
speaker's consecutive segments are then joined, cut at 。？！, and each sentence gets its
times back from the segments it overlaps. Inside a segment, a sentence's start and end
snap to the start and end of the ASR word at that character position when the episode
has timed words (pauses are then not spread over the text), and are interpolated by
character position otherwise.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from kikigaki.document import Episode, Segment, Sentence, Word
from postprocess.punctuation import TextPiece, punctuate_pieces

MAX_SENTENCE_CHARS = 120
# Formats whose segments are lines someone wrote: each ends a sentence.
_LINE_FORMATS = frozenset({"seed-page", "text"})
_MARKS = frozenset("。、？！")
_SENTENCE_END = re.compile(r"[。？！]+[」』）)】〕\"]*")
_SOFT_BREAK = re.compile(r"、")
# A question or exclamation that is quoted (「何で？って思ったら」「いいのかな？と思って」)
# belongs to the sentence that quotes it.
_QUOTATIVE = re.compile(r"って|とか|と(?:思|おも|言|い[うっいわ]|考|聞)|みたいな|なんて")


@dataclass(frozen=True, slots=True)
class _Stream:
    """A speaker's consecutive segments joined: ``text`` and where each segment starts."""

    text: str
    segment_ids: list[int]
    offsets: list[int]  # offsets[k] is where segment segment_ids[k] starts in text


@dataclass(frozen=True, slots=True)
class _WordClock:
    """A segment's timed words on its character axis: word k covers [ends[k-1], ends[k])."""

    ends: list[float]  # cumulative character ends, scaled to the segment's text length
    starts_s: list[float]
    ends_s: list[float]

    def start_at(self, position: float) -> float:
        k = min(bisect.bisect_right(self.ends, position), len(self.ends) - 1)
        return self.starts_s[k]

    def end_at(self, position: float) -> float:
        k = min(bisect.bisect_left(self.ends, position), len(self.ends) - 1)
        return self.ends_s[k]


def _word_clocks(episode: Episode) -> dict[int, _WordClock]:
    """Each timed segment's words (those whose middle lies inside it), as a clock."""
    timed = [w for w in episode.words if w.start is not None and w.end is not None]
    middles = [(w.start + w.end) / 2 for w in timed]  # type: ignore[operator]
    clocks: dict[int, _WordClock] = {}
    for index, segment in enumerate(episode.segments):
        if segment.start is None or segment.end is None or not segment.text:
            continue
        first = bisect.bisect_left(middles, segment.start)
        last = bisect.bisect_right(middles, segment.end)
        if last > first:
            clocks[index] = _clock(timed[first:last], len(segment.text))
    return clocks


def _clock(words: list[Word], text_length: int) -> _WordClock:
    lengths = [max(len(w.text), 1) for w in words]
    scale = text_length / sum(lengths)
    ends, total = [], 0
    for length in lengths:
        total += length
        ends.append(total * scale)
    return _WordClock(ends, [w.start for w in words], [w.end for w in words])  # type: ignore[misc]


def split_into_sentences(episode: Episode, *, restore: bool = True) -> Episode:
    """Sentences of the episode: each speaker's stretch punctuated by the trained
    Japanese model and cut at 。？！. With ``restore=False`` (a language written with
    spaces between words) and for code-switched segments in another language, the
    marks Whisper wrote are kept and sentences end at . ? ! as well."""
    sentences: list[Sentence] = []
    clocks = _word_clocks(episode)
    punctuated_segments = (
        punctuate_segments(episode, clocks) if restore else [seg.text for seg in episode.segments]
    )
    for stream in _speaker_streams(episode.segments, spaced=not restore):
        foreign = not restore or episode.segments[stream.segment_ids[0]].language is not None
        if foreign:
            punctuated, spans = stream.text, spaced_sentence_spans(stream.text)
        else:
            punctuated = "".join(punctuated_segments[i] for i in stream.segment_ids)
            spans = sentence_spans(punctuated)
        to_stream = _alignment(punctuated, stream.text)
        language = episode.segments[stream.segment_ids[0]].language
        for begin, end in spans:
            text = punctuated[begin:end].strip()
            if text:
                sentence = _timed_sentence(
                    text, to_stream[begin], to_stream[end - 1], stream, episode, clocks
                )
                sentences.append(sentence.model_copy(update={"language": language}))
    return episode.with_stage("sentences", sentences=sentences)


_SPACED_END = re.compile(r"[.?!。？！][\"'”’)\]]*(?=\s)")
_ABBREVIATION = re.compile(r"(?:^|\s)(?:mr|mrs|ms|dr|prof|st|vs|etc|e\.g|i\.e|no)\.$", re.I)


def spaced_sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentences of text that carries its own marks: cut after . ? ! (and a closing quote)
    before a space, except after a common abbreviation (Mr., e.g.)."""
    spans, start = [], 0
    for match in _SPACED_END.finditer(text):
        if _ABBREVIATION.search(text, start, match.start() + 1):
            continue
        spans.append((start, match.end()))
        start = match.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    return [(a + len(text[a:b]) - len(text[a:b].lstrip()), b) for a, b in spans]


def punctuate_segments(episode: Episode, clocks: dict[int, _WordClock] | None = None
                       ) -> list[str]:
    """Each segment's text with 。、？！ restored, the episode read as one stream."""
    segments = episode.segments
    lines = episode.meta.source_format in _LINE_FORMATS
    clocks = _word_clocks(episode) if clocks is None else clocks
    pauses = _pauses_after_words(episode, clocks)
    pieces = [
        TextPiece(
            segment.text,
            unit_end=lines or k + 1 == len(segments) or segments[k + 1].speaker != segment.speaker,
            cue_end=not lines,
            pauses=pauses.get(k, ()),
        )
        for k, segment in enumerate(segments)
    ]
    return punctuate_pieces(pieces, cues_known=not lines, timed=bool(clocks),
                            max_sentence_chars=MAX_SENTENCE_CHARS)


def _pauses_after_words(episode: Episode, clocks: dict[int, _WordClock]
                        ) -> dict[int, tuple[tuple[int, float], ...]]:
    """Per timed segment: (character offset, silence in s) after each of its words.

    A word's silence runs to the next timed word of the episode, in this segment or a
    later one; the last word's runs to the next segment's first word.
    """
    ordered = sorted(clocks)
    pauses: dict[int, tuple[tuple[int, float], ...]] = {}
    for position, index in enumerate(ordered):
        clock = clocks[index]
        following = clocks[ordered[position + 1]] if position + 1 < len(ordered) else None
        next_starts = [*clock.starts_s[1:], following.starts_s[0] if following else None]
        pauses[index] = tuple(
            (max(round(end) - 1, 0), max(start - stop, 0.0))
            for end, stop, start in zip(clock.ends, clock.ends_s, next_starts, strict=True)
            if start is not None
        )
    return pauses


def _speaker_streams(segments: list[Segment], *, spaced: bool = False) -> list[_Stream]:
    """Runs of consecutive segments with one speaker and one language."""
    streams: list[_Stream] = []
    run: list[int] = []
    for index, segment in enumerate(segments):
        previous = segments[run[-1]] if run else None
        if previous and (previous.speaker, previous.language) != (
            segment.speaker, segment.language
        ):
            streams.append(_join(segments, run, spaced or previous.language is not None))
            run = []
        run.append(index)
    if run:
        streams.append(_join(segments, run, spaced or segments[run[-1]].language is not None))
    return streams


def _join(segments: list[Segment], run: list[int], spaced: bool = False) -> _Stream:
    """The segments' text as one stream; a language with spaces gets one between them."""
    joiner = " " if spaced else ""
    offsets, cursor = [], 0
    for index in run:
        offsets.append(cursor)
        cursor += len(segments[index].text) + len(joiner)
    return _Stream(joiner.join(segments[i].text for i in run), run, offsets)


def _alignment(punctuated: str, original: str) -> list[int]:
    """For each character of ``punctuated``, the index of the ``original`` character it is.

    The two differ only in 。、？！; an inserted mark maps to the character before it.
    """
    mapping: list[int] = []
    j = 0
    for char in punctuated:
        while j < len(original) and original[j] != char and original[j] in _MARKS:
            j += 1  # a mark the punctuator removed
        if j < len(original) and original[j] == char:
            mapping.append(j)
            j += 1
        else:
            mapping.append(max(j - 1, 0))  # a mark the punctuator inserted
    return mapping


def sentence_spans(text: str, max_chars: int = 200) -> list[tuple[int, int]]:
    """Character spans of the sentences of punctuated ``text``, none longer than ``max_chars``."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        if _is_quoted(text, match):
            continue
        spans.append((start, match.end()))
        start = match.end()
    if start < len(text) and text[start:].strip():
        spans.append((start, len(text)))
    return [piece for span in spans for piece in _cap_length(text, span, max_chars)]


def _is_quoted(text: str, end_mark: re.Match[str]) -> bool:
    marks = end_mark.group().rstrip("」』）)】〕\"")
    return "。" not in marks and _QUOTATIVE.match(text, end_mark.end()) is not None


def _cap_length(text: str, span: tuple[int, int], max_chars: int) -> list[tuple[int, int]]:
    """Cut an over-long sentence at the comma nearest its middle (a last resort)."""
    begin, end = span
    if end - begin <= max_chars:
        return [span]
    middle = (begin + end) // 2
    commas = [m.end() for m in _SOFT_BREAK.finditer(text, begin, end - 1)]
    cut = min(commas, key=lambda c: abs(c - middle)) if commas else middle
    return _cap_length(text, (begin, cut), max_chars) + _cap_length(text, (cut, end), max_chars)


def _timed_sentence(
    text: str, first: int, last: int, stream: _Stream, episode: Episode,
    clocks: dict[int, _WordClock],
) -> Sentence:
    k_first = _segment_at(stream, first)
    k_last = _segment_at(stream, last)
    segment = episode.segments[stream.segment_ids[k_first]]
    return Sentence(
        text=text,
        start=_time_at(stream, k_first, first, episode, clocks, at_end=False),
        end=_time_at(stream, k_last, last + 1, episode, clocks, at_end=True),
        speaker=segment.speaker,
        segment=stream.segment_ids[k_first],
    )


def _segment_at(stream: _Stream, position: int) -> int:
    k = 0
    while k + 1 < len(stream.offsets) and stream.offsets[k + 1] <= position:
        k += 1
    return k


def _time_at(
    stream: _Stream, k: int, position: int, episode: Episode,
    clocks: dict[int, _WordClock], *, at_end: bool,
) -> float | None:
    segment = episode.segments[stream.segment_ids[k]]
    if segment.start is None or segment.end is None:
        return segment.end if at_end else segment.start
    clock = clocks.get(stream.segment_ids[k])
    if clock is not None:
        inside = position - stream.offsets[k]
        return round(clock.end_at(inside) if at_end else clock.start_at(inside), 3)
    length = max(len(segment.text), 1)
    fraction = min(max((position - stream.offsets[k]) / length, 0.0), 1.0)
    return round(segment.start + fraction * (segment.end - segment.start), 3)
