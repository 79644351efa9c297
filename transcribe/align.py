"""One timeline for ASR and diarization: cut ASR segments where the speaker changes.

Whisper's segments (up to 30 s) often hold two speakers' words. After diarization every
word has one speaker (the exclusive view), so a segment is cut between the words where
the speaker changes, never inside a word. The pieces keep the words' own times, so the
sentences made from them later start and end where their words do.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from kikigaki.document import Episode, Segment, Word
from kikigaki.text import comparable, normalize_text

_BLIP_SECONDS = 0.8  # a shorter run of one speaker's words is diarization noise
_SNAP_SECONDS = 0.8  # how far a speaker change may move to fall on a pause


def split_segments_by_speaker(episode: Episode) -> Episode:
    """Segments cut at speaker changes, each with one speaker and its words' times."""
    if not episode.words or not episode.turns:
        return episode
    words_of = _words_by_segment(episode.segments, episode.words)
    segments: list[Segment] = []
    for segment, words in zip(episode.segments, words_of, strict=True):
        segments.extend(_split(segment, words))
    return episode.with_stage("align-speakers", segments=segments)


def _words_by_segment(segments: Sequence[Segment], words: Sequence[Word]) -> list[list[Word]]:
    """The words whose middle falls inside each segment (both are in time order)."""
    found: list[list[Word]] = [[] for _ in segments]
    index = 0
    for word in words:
        if word.start is None or word.end is None:
            continue
        middle = (word.start + word.end) / 2
        while index + 1 < len(segments) and _end(segments[index]) < middle:
            index += 1
        found[index].append(word)
    return found


def _end(segment: Segment) -> float:
    return segment.end if segment.end is not None else float("inf")


def _split(segment: Segment, words: list[Word]) -> list[Segment]:
    runs = _speaker_runs(words)
    if len(runs) <= 1:
        speaker = runs[0][0].speaker if runs else segment.speaker
        return [segment.model_copy(update={"speaker": speaker})]
    joined = "".join(word.text for word in words)
    if comparable(joined) != comparable(segment.text):
        # The segment's text was changed after decoding (a loop collapsed): keep it whole,
        # with the speaker who holds most of its time.
        return [segment.model_copy(update={"speaker": _main_speaker(runs)})]
    runs = _at_word_boundaries(words, _absorb_blips(runs))
    return [
        Segment(
            text=normalize_text("".join(word.text for word in run)),
            start=run[0].start,
            end=run[-1].end,
            speaker=run[0].speaker,
        )
        for run in runs
    ]


def _speaker_runs(words: list[Word]) -> list[list[Word]]:
    runs: list[list[Word]] = []
    for word in words:
        if runs and runs[-1][0].speaker == word.speaker:
            runs[-1].append(word)
        else:
            runs.append([word])
    return runs


def _duration(run: list[Word]) -> float:
    return (run[-1].end or 0.0) - (run[0].start or 0.0)


def _absorb_blips(runs: list[list[Word]]) -> list[list[Word]]:
    """Runs too short to be a turn join the run before them (the first, the next one);
    a short run that is a whole sentence of its own ("Hello." answering "Hello?") stays."""
    kept: list[list[Word]] = []
    for run in runs:
        blip = _duration(run) < _BLIP_SECONDS and not (kept and _whole_sentence(kept[-1], run))
        if kept and (blip or kept[-1][0].speaker == run[0].speaker):
            kept[-1] = kept[-1] + _relabelled(run, kept[-1][0].speaker)
        else:
            kept.append(list(run))
    if len(kept) > 1 and _duration(kept[0]) < _BLIP_SECONDS:
        kept[:2] = [_relabelled(kept[0], kept[1][0].speaker) + kept[1]]
    return kept


_SENTENCE_END = re.compile(r"[.?!。？！][\"'”’)」』]*\s*$")


def _whole_sentence(before: list[Word], run: list[Word]) -> bool:
    """Whether ``run`` is a sentence of its own: the words before it end one, and so
    does it (Whisper's own marks)."""
    return bool(_SENTENCE_END.search(before[-1].text) and _SENTENCE_END.search(run[-1].text))


def _relabelled(run: list[Word], speaker: str | None) -> list[Word]:
    return [word.model_copy(update={"speaker": speaker}) for word in run]


def _at_word_boundaries(words: list[Word], runs: list[list[Word]]) -> list[list[Word]]:
    """Move each speaker change to the longest pause nearby that falls between two
    morphemes: the diarizer's change points are only good to a few hundred ms, and
    Whisper's word pieces can end inside a Japanese word."""
    cuts = _allowed_cuts(words)
    speakers = [run[0].speaker for run in runs]
    changes, index = [], 0
    for run in runs[:-1]:
        index += len(run)
        changes.append(_best_cut(words, cuts, index))
    bounds = [0, *sorted(set(changes)), len(words)]
    pieces = [words[a:b] for a, b in itertools.pairwise(bounds) if b > a]
    if len(pieces) != len(runs):  # two changes met at one cut: keep the diarizer's runs
        return runs
    return [_relabelled(piece, speaker) for piece, speaker in zip(pieces, speakers, strict=True)]


def _allowed_cuts(words: list[Word]) -> set[int]:
    """Indexes i such that a cut before words[i] falls between two morphemes."""
    from kikigaki.nlp import tokenize

    text = "".join(word.text for word in words)
    boundaries = {morpheme.end for morpheme in tokenize(text)}
    cuts, offset = set(), 0
    for i, word in enumerate(words[:-1], 1):
        offset += len(word.text)
        if offset in boundaries:
            cuts.add(i)
    return cuts


def _best_cut(words: list[Word], cuts: set[int], change: int) -> int:
    at = words[change].start or 0.0
    candidates = [i for i in cuts if abs((words[i].start or 0.0) - at) <= _SNAP_SECONDS]
    if not candidates:
        return change

    def pause(i: int) -> tuple[float, float]:
        gap = (words[i].start or 0.0) - (words[i - 1].end or 0.0)
        return gap, -abs((words[i].start or 0.0) - at)

    return max(candidates, key=pause)


def _main_speaker(runs: list[list[Word]]) -> str | None:
    seconds: dict[str | None, float] = {}
    for run in runs:
        seconds[run[0].speaker] = seconds.get(run[0].speaker, 0.0) + _duration(run)
    return max(seconds, key=lambda speaker: seconds[speaker])
