"""Correct misheard everyday words: a word Whisper wrote for another that sounds alike.

Runs after term correction. For every stretch of one to three Sudachi morphemes with a
kanji in it, the stretch is read as a whole (Sudachi's reading, and the other readings
its dictionary gives each morpheme) and the phrases that sound the same or one mora
apart are looked up (:mod:`postprocess.sound_index`). Each is tried in place and both
texts are scored by a character n-gram model (:mod:`postprocess.charlm`) over the
changed characters and the few after them. A phrase replaces the stretch only when the
model prefers it by a wide margin::

    delta - prior_weight * prior - per_distance * distance >= margin

where ``delta`` is log10 P(text with the phrase) - log10 P(text), ``prior`` the same for
the two strings alone (how much more common the phrase is anyway) and ``distance`` how
far apart the two sound (0 for the same reading): 「彼は日本王を勉強している」 becomes
「彼は日本語を勉強している」. The shipped margin (5) is strict: the model knows debates
and chat, not a talk's technical words (see ``postprocess/models/README.md``).

Never touched: glossary terms (any writing of a term), the ``keep`` forms (a sidecar's
``keep = [...]``), words with a kanji the episode uses twice or more (a speaker's own
vocabulary), names and numbers (Sudachi proper nouns and numerals), words inside 「」 or
『』 (titles and quotations), kana, Latin text and digits. A phrase is never replaced by
a name, by kana, nor by a spelling of the same word (わかる/分かる: same normalised form).

Audio: when the episode carries Whisper's words with their probabilities, each character
of a segment gets the probability of the word it came from (see :func:`char_confidence`):
the segment's words (by time) are joined and aligned with the segment's current text
with ``difflib``, so characters the earlier stages changed or added get no probability.
A change must touch at least one character whose word was not confident
(probability below ``confident``, or none); a confident word is left alone.

Every change is logged in ``episode.corrections`` with ``reason`` ("homophone" or
"near-homophone") and ``score`` (the log10 likelihood ratio).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cache, lru_cache
from pathlib import Path

import numpy as np

from kikigaki.document import Correction, Episode, Segment, Word
from kikigaki.errors import InputError
from kikigaki.nlp import Morpheme, tokenize
from postprocess.charlm import BOUNDARY, CharLM, lm_view
from postprocess.glossary import Glossary
from postprocess.sound_index import (
    GLOSSARY,
    NUMERAL,
    PROPER,
    Phrase,
    SoundIndex,
    mora_symbols,
    sound_distance,
    sound_key,
)

MODEL_PATH = Path(__file__).resolve().parent / "models" / "homophones.npz"

_KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々]")
_KATAKANA_READING = re.compile(r"[\u30a1-\u30fa\u30fc]+")
_KATAKANA = re.compile(r"[\u30a1-\u30fa\u30fc]")
_NUMERAL_CHARS = frozenset("〇一二三四五六七八九十百千万億兆零")
_QUOTED = re.compile(r"「[^「」]*」|『[^『』]*』")
_NOT_A_START = frozenset({"助動詞", "接尾辞"})
_BREAKS = frozenset({"助詞", "補助記号", "空白", "記号"})  # a stretch never holds one
MAX_MORPHEMES = 3
MAX_READINGS = 4  # readings tried per stretch (products of the morphemes' readings)
GLOSSARY_COUNT = 1_000_000  # glossary terms are always among the candidates tried


@dataclass(frozen=True)
class HomophoneSettings:
    margin: float = 5.0  # log10: the candidate must be this much more likely
    per_distance: float = 1.0  # and this much more per unit of sound distance
    prior_weight: float = 0.25  # share of the context-free frequency gain discounted
    max_distance: float = 1.0  # a consonant or a vowel changed, added or dropped
    confident: float = 0.9  # audio: a word at least this probable is left alone
    max_candidates: int = 16  # per stretch, the most frequent phrases first
    near_min_morae: int = 2  # shorter stretches only match the same reading


@dataclass(frozen=True)
class HomophoneFix:
    start: int
    end: int
    original: str
    replacement: str
    score: float
    distance: float

    @property
    def reason(self) -> str:
        return "homophone" if self.distance == 0 else "near-homophone"


@dataclass(frozen=True)
class HomophoneModel:
    lm: CharLM
    index: SoundIndex
    backward: CharLM | None = None  # the same model trained on reversed text


@cache
def load_model(path: Path = MODEL_PATH) -> HomophoneModel:
    try:
        with np.load(path) as data:
            arrays = {name: data[name] for name in data.files}
    except (OSError, ValueError) as error:
        raise InputError(path, f"cannot read the homophone model ({error})",
                         "reinstall kikigaki or retrain with tools/train_homophones.py") from None
    backward = CharLM.from_arrays(arrays, "lmb_") if "lmb_order" in arrays else None
    return HomophoneModel(CharLM.from_arrays(arrays), SoundIndex.from_arrays(arrays), backward)


# --------------------------------------------------------------------------- stretches


@dataclass(frozen=True)
class _Stretch:
    start: int  # character offsets in the text
    end: int
    surface: str
    normalized: str
    keys: tuple[tuple[str, ...], ...]  # its possible sound keys, Sudachi's first


def _stretches(morphemes: Sequence[Morpheme]) -> list[_Stretch]:
    found = []
    for i, first in enumerate(morphemes):
        if first.pos[0] in _NOT_A_START:
            continue
        for n in range(1, MAX_MORPHEMES + 1):
            group = morphemes[i : i + n]
            if len(group) < n or any(m.pos[0] in _BREAKS for m in group):
                break
            surface = "".join(m.surface for m in group)
            if not _KANJI.search(surface):
                continue
            keys = _keys(group)
            if keys:
                found.append(_Stretch(group[0].begin, group[-1].end, surface,
                                      "".join(m.normalized for m in group), keys))
    return found


def _keys(group: Sequence[Morpheme]) -> tuple[tuple[str, ...], ...]:
    readings = [""]
    for morpheme in group:
        options = _readings_of(morpheme.surface, morpheme.reading, morpheme.pos[0])
        if not options:
            return ()
        readings = [r + o for r in readings for o in options][:MAX_READINGS]
    keys = dict.fromkeys(sound_key(r) for r in readings)
    return tuple(k for k in keys if len(k) >= 2)


@cache
def _readings_of(surface: str, reading: str, pos: str) -> tuple[str, ...]:
    """Sudachi's reading of a morpheme, then, for a noun, another its dictionary gives
    the same surface as a noun (日本: ニッポン, ニホン)."""
    from kikigaki.nlp import sudachi_dictionary

    options = [reading] if _KATAKANA_READING.fullmatch(reading or "") else []
    if options and pos == "名詞" and _KANJI.search(surface):
        for entry in sudachi_dictionary().lookup(surface):
            other = entry.reading_form()
            if entry.part_of_speech()[0] == pos and _KATAKANA_READING.fullmatch(other) \
                    and other not in options:
                options.append(other)
    return tuple(options[:2])


# --------------------------------------------------------------------------- guards


def _blocked(text: str, morphemes: Sequence[Morpheme], protected: Iterable[tuple[int, int]],
             ) -> np.ndarray:
    """Characters no change may touch: protected spans, quotes, names, numbers, Latin."""
    blocked = np.zeros(len(text) + 1, dtype=bool)
    for start, end in protected:
        blocked[start:end] = True
    for quote in _QUOTED.finditer(text):
        blocked[quote.start() : quote.end()] = True
    for m in morphemes:
        if m.pos[1] in ("固有名詞", "数詞") or not _KATAKANA_READING.fullmatch(m.reading or ""):
            blocked[m.begin : m.end] = True
    return blocked


@lru_cache(maxsize=8)
def glossary_index(glossary: Glossary) -> SoundIndex:
    """The glossary's terms written with kanji (not people), as candidates."""
    from kikigaki.nlp import reading_of

    phrases = []
    for term in glossary.terms:
        if term.category == "person":
            continue
        for writing in dict.fromkeys((term.canonical, *term.variants)):
            reading = term.reading or reading_of(writing)
            if _KANJI.search(writing) and _KATAKANA_READING.fullmatch(reading):
                phrases.append(Phrase(writing, reading, writing, GLOSSARY_COUNT, GLOSSARY))
    return SoundIndex.from_phrases(phrases)


def repeated_words(text: str, times: int = 2) -> list[str]:
    """Words with a kanji that ``text`` uses at least ``times`` times. A speaker's own
    vocabulary (自己回帰 in a talk on language models) recurs, while a mishearing of an
    everyday word is a slip: what recurs is left alone (the model, trained on debates and
    chat, does not know a talk's technical words)."""
    counts: dict[str, int] = {}
    for m in tokenize(text):
        if len(m.surface) >= 2 and _KANJI.search(m.surface):
            counts[m.surface] = counts.get(m.surface, 0) + 1
    return [w for w, n in counts.items() if n >= times]


def protected_spans(text: str, glossary: Glossary, keep: Sequence[str] = ()
                    ) -> list[tuple[int, int]]:
    """Where ``text`` holds a writing of a glossary term or a ``keep`` form."""
    forms = {f for t in glossary.terms for f in (t.canonical, *t.variants, t.reading) if f}
    forms.update(k for k in keep if k)
    spans = []
    for form in forms:
        start = text.find(form)
        while start >= 0:
            spans.append((start, start + len(form)))
            start = text.find(form, start + 1)
    return spans


def _mostly_kanji(part: str) -> bool:
    """Kanji, with no more kana than kanji and no katakana (the term stage's)."""
    kanji = len(_KANJI.findall(part))
    return kanji > 0 and 2 * kanji >= len(part) and not _KATAKANA.search(part)


def _changed(original: str, replacement: str) -> tuple[int, int, int]:
    """(prefix, original suffix start, replacement suffix start) of the differing middle."""
    prefix = 0
    while prefix < min(len(original), len(replacement)) and \
            original[prefix] == replacement[prefix]:
        prefix += 1
    suffix = 0
    while suffix < min(len(original), len(replacement)) - prefix and \
            original[-1 - suffix] == replacement[-1 - suffix]:
        suffix += 1
    return prefix, len(original) - suffix, len(replacement) - suffix


# --------------------------------------------------------------------------- scoring


@dataclass(frozen=True)
class _Trial:
    stretch: _Stretch
    index: SoundIndex
    phrase: int
    surface: str


def _trials(stretches: Sequence[_Stretch], indexes: Sequence[SoundIndex],
            settings: HomophoneSettings, blocked: np.ndarray, uncertain: np.ndarray | None
            ) -> list[_Trial]:
    """Per stretch, the most frequent phrases that sound alike and may replace it."""
    owner = np.array([n for n, s in enumerate(stretches) for _ in s.keys], dtype=np.int64)
    keys = [k for s in stretches for k in s.keys]
    near = [len(mora_symbols(k)) >= settings.near_min_morae for k in keys]
    options: list[list[tuple[int, SoundIndex, int]]] = [[] for _ in stretches]  # (apart, ..)
    for index in indexes:
        queries, phrases, apart = index.lookup(keys, near)
        stretch_of = owner[queries]
        counts = index.counts[phrases].astype(np.int64)
        # the same sound first, then the most frequent; twice as many as will be
        # tried, as some are refused
        order = np.lexsort((-counts, apart, stretch_of))
        stretch_of, phrases, apart = stretch_of[order], phrases[order], apart[order]
        first = np.searchsorted(stretch_of, stretch_of)
        top = (np.arange(len(order)) - first) < 2 * settings.max_candidates
        for stretch, phrase, rank in zip(stretch_of[top].tolist(), phrases[top].tolist(),
                                         apart[top].tolist(), strict=True):
            options[stretch].append((rank, index, phrase))
    trials = []
    for stretch, found in zip(stretches, options, strict=True):
        found.sort(key=lambda option: (option[0], -int(option[1].counts[option[2]])))
        seen: set[str] = set()
        for _, index, i in found:
            surface = index.surfaces[i]
            if surface in seen or not _allowed(stretch, i, index, blocked, uncertain):
                continue
            seen.add(surface)
            trials.append(_Trial(stretch, index, i, surface))
            if len(seen) >= settings.max_candidates:
                break
    return trials


def _allowed(stretch: _Stretch, i: int, index: SoundIndex, blocked: np.ndarray,
             uncertain: np.ndarray | None) -> bool:
    surface = index.surfaces[i]
    if surface == stretch.surface or index.normalized[i] == stretch.normalized:
        return False
    if index.flags[i] & PROPER or any(c.isdigit() for c in surface):
        return False
    prefix, original_end, replacement_end = _changed(stretch.surface, surface)
    if not (_mostly_kanji(stretch.surface[prefix:original_end])
            and _mostly_kanji(surface[prefix:replacement_end])):
        return False  # kanji misheard for kanji; kana is left alone, and never written
    start, end = stretch.start + prefix, stretch.start + original_end
    if blocked[start:end].any():
        return False
    if index.flags[i] & NUMERAL and _NUMERAL_CHARS & set(surface[prefix:replacement_end]):
        return False
    return uncertain is None or bool(uncertain[start:end].any())


def score_replacements(text: str, replacements: Sequence[tuple[int, int, str]], lm: CharLM,
                       backward: CharLM | None = None) -> tuple[np.ndarray, np.ndarray]:
    """For each (start, end, new text), two log10 differences between the text with
    ``text[start:end]`` replaced and the text as it is: in context (over the changed
    characters and the ``order - 1`` after them; with a ``backward`` model, the mean
    of both directions) and alone (the two strings without any context: how much more
    common the new one is anyway)."""
    if not replacements:
        return np.zeros(0), np.zeros(0)
    view, spans = lm_view(text)
    starts = np.array([s for s, _ in spans] + [len(text)])
    ends = np.array([e for _, e in spans] + [len(text)])
    bounds = [(int(np.searchsorted(starts, start)), int(np.searchsorted(ends, end, "right")))
              for start, end, _ in replacements]
    news = [new for _, _, new in replacements]
    delta, prior = _directional(view, bounds, news, lm, reverse=False)
    if backward is not None:
        delta = (delta + _directional(view, bounds, news, backward, reverse=True)[0]) / 2
    return delta, prior


def _directional(view: str, bounds: Sequence[tuple[int, int]], news: Sequence[str],
                 lm: CharLM, *, reverse: bool) -> tuple[np.ndarray, np.ndarray]:
    """``score_replacements`` with one model, reading the text forwards or backwards."""
    if reverse:
        view = view[::-1]
        bounds = [(len(view) - b, len(view) - a) for a, b in bounds]
    view_ids = lm.ids(view)
    batch = _Batch(lm)
    originals: dict[tuple[int, int], tuple[int, int]] = {}
    pairs = []
    for (a, b), new in zip(bounds, news, strict=True):
        if (a, b) not in originals:
            originals[(a, b)] = (batch.in_context(view_ids, a, b, view_ids[a:b]),
                                 batch.alone(view_ids[a:b]))
        new_ids = _view_ids(lm, new[::-1] if reverse else new)
        pairs.append((*originals[(a, b)], batch.in_context(view_ids, a, b, new_ids),
                      batch.alone(new_ids)))
    totals = batch.totals()
    old, old_alone, new_, new_alone = np.array(pairs).T
    return totals[new_] - totals[old], totals[new_alone] - totals[old_alone]


class _Batch:
    """Pieces of id sequences scored in one pass, each with the positions that count."""

    def __init__(self, lm: CharLM) -> None:
        self.lm = lm
        self.context = lm.order - 1
        # padding of boundaries: no n-gram reaches back into the piece before
        self.padding = np.full(self.context, BOUNDARY)
        self.pieces: list[np.ndarray] = []
        self.regions: list[tuple[int, int]] = []
        self.length = 0

    def _add(self, parts: Sequence[np.ndarray], scored: int) -> int:
        size = sum(len(p) for p in parts)
        self.pieces.extend(parts)
        self.regions.append((self.length + size - scored, self.length + size))
        self.length += size
        return len(self.regions) - 1

    def in_context(self, view_ids: np.ndarray, a: int, b: int, middle: np.ndarray) -> int:
        left = view_ids[max(0, a - self.context) : a]
        right = view_ids[b : b + self.context]
        head = (self.padding, np.array([BOUNDARY])) if a < self.context else (self.padding,)
        return self._add((*head, left, middle, right), len(middle) + len(right))

    def alone(self, ids: np.ndarray) -> int:
        return self._add((np.array([self.lm.isolator]), ids), len(ids))

    def totals(self) -> np.ndarray:
        needed = np.zeros(self.length, dtype=bool)
        for start, end in self.regions:
            needed[start:end] = True
        logprobs = self.lm.position_logprobs(np.concatenate(self.pieces), needed)
        cumulative = np.concatenate([[0.0], np.cumsum(logprobs)])
        bounds = np.array(self.regions)
        return cumulative[bounds[:, 1]] - cumulative[bounds[:, 0]]


@lru_cache(maxsize=65536)
def _view_ids(lm: CharLM, surface: str) -> np.ndarray:
    return lm.ids(lm_view(surface)[0])


# --------------------------------------------------------------------------- entry points


@dataclass(frozen=True)
class Candidate:
    """A phrase tried in place of a stretch, with the model's verdict."""

    start: int
    end: int
    original: str
    replacement: str
    delta: float  # log10 P(with the replacement) - log10 P(as it is), in context
    prior: float  # the same for the two strings alone (no context)
    distance: float  # how far apart they sound

    def score(self, settings: HomophoneSettings) -> float:
        """How far the context favours the replacement, beyond what its being more
        common explains, less the penalty for sounding different."""
        return (self.delta - settings.prior_weight * self.prior
                - settings.per_distance * self.distance)


def score_candidates(
    text: str,
    model: HomophoneModel,
    settings: HomophoneSettings = HomophoneSettings(),
    *,
    protected: Iterable[tuple[int, int]] = (),
    confidence: Sequence[float | None] | None = None,
    extra_indexes: Sequence[SoundIndex] = (),
    floor: float = 0.0,
) -> list[Candidate]:
    """Every allowed candidate for ``text`` that the model prefers in context by at least
    ``floor``. ``confidence`` (audio) gives each character's word probability (None:
    unknown)."""
    morphemes = tokenize(text)
    blocked = _blocked(text, morphemes, protected)
    uncertain = None
    if confidence is not None:
        uncertain = np.array([p is None or p < settings.confident for p in confidence] + [False])
    indexes = (model.index, *extra_indexes)
    trials = _trials(_stretches(morphemes), indexes, settings, blocked, uncertain)
    deltas, priors = score_replacements(
        text, [(t.stretch.start, t.stretch.end, t.surface) for t in trials], model.lm,
        model.backward,
    )
    candidates = []
    for trial, delta, prior in zip(trials, deltas, priors, strict=True):
        if delta < floor:
            continue
        distance = _distance(trial, settings.max_distance)
        if distance is not None:
            candidates.append(Candidate(trial.stretch.start, trial.stretch.end,
                                        trial.stretch.surface, trial.surface,
                                        round(float(delta), 3), round(float(prior), 3),
                                        distance))
    return candidates


def _distance(trial: _Trial, limit: float) -> float | None:
    key = trial.index.key(trial.phrase)
    distances = [d for k in trial.stretch.keys if (d := sound_distance(k, key, limit)) is not None]
    return min(distances) if distances else None


def select_fixes(candidates: Iterable[Candidate], settings: HomophoneSettings
                 ) -> list[HomophoneFix]:
    """The candidates that win by the margin (after the distance penalty); where they
    overlap, the best."""
    winners = [
        (c.score(settings), c) for c in candidates
        if c.distance <= settings.max_distance and c.score(settings) >= settings.margin
    ]
    winners.sort(key=lambda pair: -pair[0])
    chosen: list[HomophoneFix] = []
    for score, c in winners:
        if all(c.end <= f.start or f.end <= c.start for f in chosen):
            chosen.append(HomophoneFix(c.start, c.end, c.original, c.replacement,
                                       round(score, 3), c.distance))
    return sorted(chosen, key=lambda f: f.start)


def find_fixes(
    text: str,
    model: HomophoneModel,
    settings: HomophoneSettings = HomophoneSettings(),
    *,
    protected: Iterable[tuple[int, int]] = (),
    confidence: Sequence[float | None] | None = None,
    extra_indexes: Sequence[SoundIndex] = (),
) -> list[HomophoneFix]:
    """The changes to make in ``text``, in order, none overlapping."""
    candidates = score_candidates(text, model, settings, protected=protected,
                                  confidence=confidence, extra_indexes=extra_indexes)
    return select_fixes(candidates, settings)


def apply_fixes(text: str, fixes: Sequence[HomophoneFix]) -> str:
    out, cursor = [], 0
    for fix in fixes:
        out += [text[cursor : fix.start], fix.replacement]
        cursor = fix.end
    return "".join(out) + text[cursor:]


def correct_homophones(
    episode: Episode,
    *,
    glossary: Glossary,
    keep: Sequence[str] = (),
    settings: HomophoneSettings | None = None,
    model: HomophoneModel | None = None,
) -> Episode:
    """The episode with misheard everyday words corrected; each change is logged."""
    settings = settings or HomophoneSettings()
    model = model or load_model()
    confidences = segment_confidences(episode)
    terms = (glossary_index(glossary),)
    repeated = repeated_words("\n".join(s.text for s in episode.segments))
    segments: list[Segment] = []
    corrections = list(episode.corrections)
    for i, segment in enumerate(episode.segments):
        protected = protected_spans(segment.text, glossary, (*keep, *repeated))
        fixes = find_fixes(segment.text, model, settings, protected=protected,
                           confidence=confidences[i], extra_indexes=terms)
        segments.append(segment.model_copy(update={"text": apply_fixes(segment.text, fixes)}))
        corrections.extend(
            Correction(segment=i, original=f.original, replacement=f.replacement,
                       canonical=f.replacement, reason=f.reason, score=f.score)
            for f in fixes
        )
    return episode.with_stage("homophones", segments=segments, corrections=corrections)


# --------------------------------------------------------------------------- audio words


def segment_confidences(episode: Episode) -> list[list[float | None] | None]:
    """Per segment, each character's word probability, or None for the whole segment
    when the episode has no measured words (a transcript, not audio)."""
    measured = [w for w in episode.words if w.probability is not None and w.start is not None]
    if not measured:
        return [None] * len(episode.segments)
    return [char_confidence(s, measured) for s in episode.segments]


def char_confidence(segment: Segment, words: Sequence[Word]) -> list[float | None] | None:
    """The probability of the word each character of ``segment.text`` came from.

    The words whose middle falls inside the segment's time are joined and aligned with
    the segment's text character by character (``difflib``); characters an earlier stage
    added or changed match no word and get None (unknown)."""
    if segment.start is None or segment.end is None:
        return None
    inside = [w for w in words
              if segment.start <= ((w.start or 0.0) + (w.end or w.start or 0.0)) / 2 <= segment.end]
    spoken = "".join(w.text for w in inside)
    owner = [p for w in inside for p in [w.probability] * len(w.text)]
    result: list[float | None] = [None] * len(segment.text)
    matcher = SequenceMatcher(None, spoken, segment.text, autojunk=False)
    for a, b, size in matcher.get_matching_blocks():
        for k in range(size):
            result[b + k] = owner[a + k]
    return result
