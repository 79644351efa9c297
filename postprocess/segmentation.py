"""Topic boundaries: where a conversation moves on to another subject.

Every gap between two sentences is described by TextTiling-style cohesion features
(Hearst 1997), at several window widths: how similar the sentences before the gap are to
the sentences after it (by sentence embedding, and by shared content words), and how deep
a valley the gap sits in on each similarity curve. Each curve is standardised within the
text, so a gap is judged against the rest of its own conversation, not against a fixed
scale. Where the episode has audio, a change of speaker and the length of the pause are
two more features (zero when unknown).

A logistic model weighs the features into a boundary probability per gap; its weights
(``GAP_WEIGHTS``) were fitted on same-register documents of the tune split by
``tools/bench_topics.py --fit`` (see ``postprocess/models/README.md``). Boundaries are then
picked greedily, most probable first, while the probability clears ``THRESHOLD`` and no
two boundaries are closer than a minimum chapter length; then a chapter longer than
``MAX_SENTENCES`` is split at its most probable gap. The number of chapters follows how
many clear shifts the text has, with the cap keeping a text of weak shifts from becoming
one long chapter.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from postprocess.embeddings import centroid

WINDOWS = (2, 4, 7)
FEATURE_NAMES = (
    *(f"{kind}_{w}" for w in WINDOWS for kind in ("emb", "emb_depth", "lex", "lex_depth")),
    "adjacent",
    "speaker_change",
    "pause",
)

# Fitted by ``uv run python -m tools.bench_topics --tune /tmp/topic-tune --encoders use --fit``
# (108 tune documents of four registers, USE vectors; see postprocess/models/README.md):
# the intercept, then one weight per name in FEATURE_NAMES. The speaker and pause weights
# are 0: fitted with them, held-out Pk got worse on every register (0.249 against 0.220
# mean), so they are left out until there is real audio to fit them on.
GAP_INTERCEPT = -4.960
GAP_WEIGHTS: tuple[float, ...] = (
    -0.359, -0.008, -0.464, 0.053,  # window 2: emb, emb depth, lex, lex depth
    -0.384, 0.163, -0.125, -0.062,  # window 4
    -0.015, 0.187, -0.949, 0.259,  # window 7
    -0.061,  # adjacent sentences
    0.0, 0.0,  # speaker change, pause
)
# Chosen with the weights, by the lowest mean Pk on the same tune documents.
THRESHOLD = 0.2
MIN_SENTENCES = 10
# No chapter longer than this many sentences: a cap, not a target (a text with clear
# shifts gets shorter chapters by the threshold alone).
MAX_SENTENCES = 40
GAP_ENCODER = "use"  # the sentence encoder the weights were fitted with


@dataclass(frozen=True)
class Cues:
    """What the audio says about each sentence, when there is audio."""

    speakers: Sequence[str | None] | None = None
    starts: Sequence[float | None] | None = None
    ends: Sequence[float | None] | None = None


# --------------------------------------------------------------------------- features


def gap_features(
    vectors: np.ndarray, words: Sequence[dict[str, int]], cues: Cues | None = None
) -> np.ndarray:
    """One row of ``FEATURE_NAMES`` per gap: row ``g`` is the gap before sentence ``g+1``."""
    n = len(vectors)
    columns: list[np.ndarray] = []
    for window in WINDOWS:
        semantic = _embedding_cohesion(vectors, window)
        lexical = _lexical_cohesion(words, window)
        columns += [
            _standardise(semantic),
            _standardise(depth_scores(_smooth(semantic))),
            _standardise(lexical),
            _standardise(depth_scores(_smooth(lexical))),
        ]
    columns.append(_standardise(_embedding_cohesion(vectors, 1)))
    columns += _cue_columns(cues, n)
    return np.stack(columns, axis=1)


def _embedding_cohesion(vectors: np.ndarray, window: int) -> np.ndarray:
    """For each gap: cosine of the mean directions of the windows either side."""
    n = len(vectors)
    values = np.zeros(n - 1)
    for gap in range(1, n):
        before = centroid(vectors[max(0, gap - window) : gap])
        after = centroid(vectors[gap : gap + window])
        values[gap - 1] = float(before @ after)
    return values


def _lexical_cohesion(words: Sequence[dict[str, int]], window: int) -> np.ndarray:
    n = len(words)
    values = np.zeros(n - 1)
    for gap in range(1, n):
        values[gap - 1] = _cosine(
            _sum_counts(words[max(0, gap - window) : gap]), _sum_counts(words[gap : gap + window])
        )
    return values


def _sum_counts(counts: Sequence[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for c in counts:
        for word, k in c.items():
            total[word] = total.get(word, 0) + k
    return total


def _cosine(a: dict[str, int], b: dict[str, int]) -> float:
    shared = sum(a[w] * b[w] for w in a.keys() & b.keys())
    if not shared:
        return 0.0
    norm = math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in b.values()))
    return shared / norm


def _cue_columns(cues: Cues | None, n: int) -> list[np.ndarray]:
    change = np.zeros(n - 1)
    pause = np.zeros(n - 1)
    if cues is not None and cues.speakers is not None:
        for g in range(1, n):
            a, b = cues.speakers[g - 1], cues.speakers[g]
            change[g - 1] = float(a is not None and b is not None and a != b)
    if cues is not None and cues.starts is not None and cues.ends is not None:
        for g in range(1, n):
            end, start = cues.ends[g - 1], cues.starts[g]
            if end is not None and start is not None:
                pause[g - 1] = math.log1p(max(0.0, start - end))
        pause = _standardise(pause)
    return [change, pause]


def _standardise(values: np.ndarray) -> np.ndarray:
    spread = values.std()
    if spread < 1e-9:
        return np.zeros_like(values)
    return (values - values.mean()) / spread


def _smooth(values: np.ndarray) -> np.ndarray:
    if len(values) < 3:
        return values.copy()
    padded = np.concatenate([values[:1], values, values[-1:]])
    return (padded[:-2] + padded[1:-1] + padded[2:]) / 3


def depth_scores(values: np.ndarray) -> np.ndarray:
    """How far each point sits below the highest ground it can climb to on either side."""
    depth = np.zeros_like(values)
    for i, value in enumerate(values):
        left = value
        for v in values[i::-1]:
            if v < left:
                break
            left = v
        right = value
        for v in values[i:]:
            if v < right:
                break
            right = v
        depth[i] = (left - value) + (right - value)
    return depth


# --------------------------------------------------------------------------- decisions


def boundary_probabilities(
    features: np.ndarray,
    weights: Sequence[float] = GAP_WEIGHTS,
    intercept: float = GAP_INTERCEPT,
) -> np.ndarray:
    logits = features @ np.asarray(weights) + intercept
    return 1.0 / (1.0 + np.exp(-logits))


def pick_boundaries(
    probabilities: np.ndarray,
    *,
    min_sentences: int = MIN_SENTENCES,
    threshold: float = THRESHOLD,
    max_segments: int | None = None,
    max_sentences: int | None = MAX_SENTENCES,
) -> list[int]:
    """Segment starts (0 first): gaps most probable first while they clear ``threshold``,
    none closer than ``min_sentences``; then, while a segment is longer than
    ``max_sentences``, it is split at its most probable gap."""
    n = len(probabilities) + 1
    most = max(1, n // max(1, min_sentences))
    if max_segments is not None:
        most = max(1, min(most, max_segments))
    chosen: list[int] = []
    for gap in np.argsort(-probabilities, kind="stable"):
        if len(chosen) + 1 >= most or probabilities[gap] < threshold:
            break
        _add_if_fits(chosen, int(gap) + 1, n, min_sentences)
    while max_sentences and len(chosen) + 1 < most:
        if not _split_longest(chosen, probabilities, n, min_sentences, max_sentences):
            break
    return [0, *sorted(chosen)]


def _add_if_fits(chosen: list[int], start: int, n: int, min_sentences: int) -> bool:
    if start < min_sentences or n - start < min_sentences:
        return False
    if any(abs(start - other) < min_sentences for other in chosen):
        return False
    chosen.append(start)
    return True


def _split_longest(
    chosen: list[int], probabilities: np.ndarray, n: int, min_sentences: int, longest: int
) -> bool:
    """Split the longest segment, if longer than ``longest``, at its most probable gap."""
    edges = [0, *sorted(chosen), n]
    first, end = max(pairwise(edges), key=lambda r: r[1] - r[0])
    if end - first <= longest:
        return False
    inside = range(first + min_sentences, end - min_sentences + 1)
    if not inside:
        return False
    best = max(inside, key=lambda start: probabilities[start - 1])
    return _add_if_fits(chosen, best, n, min_sentences)
