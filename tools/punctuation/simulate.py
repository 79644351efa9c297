"""What a document's boundaries would look like in each input condition, for training.

A training window is shown to the tagger as one of the conditions it meets at run time:

- one stream (only the end of the document is a unit end);
- speaker turns known (every speaker change is a unit end, so a sentence ends there);
- caption cues or ASR segments known (their ends are a feature): the source's own
  pause-cut segments where it has them (J-CRe3, Koniwa), otherwise drawn per boundary with
  the rates at which segments end at sentence ends, commas and elsewhere (Koniwa's
  caption segments or Whisper's segments, half the time each);
- words timed: the silence after each morpheme is drawn from the distribution measured on
  real recordings for that kind of boundary (``pauses.json``, see ``pauses.py``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from postprocess.punctuation_model import BoundaryInfo

PAUSES = Path(__file__).resolve().parent / "pauses.json"
CLASSES = ("none", "comma", "end")


@dataclass(frozen=True)
class Condition:
    turns: bool = False
    cues: bool = False
    timed: bool = False


@dataclass(frozen=True)
class ConditionRates:
    """How often a training window is shown with each kind of extra information."""

    turns: float = 0.5
    cues: float = 0.35
    timed: float = 0.3

    def draw(self, rng: np.random.Generator) -> Condition:
        return Condition(rng.random() < self.turns, rng.random() < self.cues,
                         rng.random() < self.timed)


@dataclass(frozen=True)
class PauseModel:
    """Per boundary class (none, comma, end): pause quantiles and segment-end rates."""

    quantiles: np.ndarray  # (3, q)
    cue_rates: np.ndarray  # (2, 3): caption segments (Koniwa), ASR segments (Whisper)

    def classes(self, labels: np.ndarray) -> np.ndarray:
        """0 none, 1 comma, 2 sentence end (unknown ends count as ends)."""
        return np.where(labels < 0, 2, np.minimum(labels, 2))

    def pauses(self, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        kinds = self.classes(labels)
        u = rng.random(len(labels)) * (self.quantiles.shape[1] - 1)
        low = np.floor(u).astype(int)
        high = np.minimum(low + 1, self.quantiles.shape[1] - 1)
        q = self.quantiles[kinds]
        rows = np.arange(len(labels))
        return (q[rows, low] + (u - low) * (q[rows, high] - q[rows, low])).astype(np.float32)

    def cue_ends(self, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Caption-like or ASR-like segment ends (one kind per call, half the time each)."""
        rates = self.cue_rates[int(rng.random() < 0.5)]
        return rng.random(len(labels)) < rates[self.classes(labels)]


@cache
def pause_model(path: Path = PAUSES) -> PauseModel:
    data = json.loads(path.read_text(encoding="utf-8"))
    pooled = data["pooled"]
    quantiles = np.array([pooled[c]["quantiles"] for c in CLASSES], dtype=np.float32)
    cue_rates = np.array([[data["cue_rates"][c] for c in CLASSES],
                          [pooled[c]["segment_end_rate"] for c in CLASSES]], dtype=np.float32)
    return PauseModel(quantiles, cue_rates)


def boundary_info(
    labels: np.ndarray,
    piece_end: np.ndarray,
    turn_end: np.ndarray,
    doc_end: np.ndarray,
    *,
    has_turns: bool,
    has_cues: bool,
    condition: Condition,
    rng: np.random.Generator,
) -> BoundaryInfo:
    """The BoundaryInfo the tagger sees for these boundaries under ``condition``."""
    unit_end = doc_end | (turn_end if condition.turns and has_turns else False)
    model = pause_model()
    if condition.cues:
        cue_end = piece_end if has_cues else model.cue_ends(labels, rng)
        cue_end = cue_end | unit_end
    else:
        cue_end = np.zeros(len(labels), bool)
    if condition.timed:
        pause = model.pauses(labels, rng)
    else:
        pause = np.full(len(labels), np.nan, np.float32)
    return BoundaryInfo(np.asarray(unit_end, bool), np.asarray(cue_end, bool), pause,
                        cues_known=condition.cues, timed=condition.timed)
