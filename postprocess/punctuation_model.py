"""The punctuation model: a bidirectional recurrent tagger over morphemes, run with numpy.

Each morpheme is the concatenation of embeddings of its surface, part of speech,
inflection, first and last character class and length, plus what is known about the
boundary after it: whether a line or speaker turn ends there (a sentence must end),
whether a caption cue or ASR segment ends there, and how long the silence is (bucketed).
A projection and a residual convolution (two morphemes either side) feed a bidirectional
GRU that reads the whole stream, so a boundary is judged with the sentence around it and
the turn after it. The boundary after morpheme ``i`` is scored from the GRU states at
``i`` and ``i + 1`` and the boundary features: log-probabilities of no mark, 、, 。, ？, ！.

Trained with torch by ``tools/punctuation/train.py``; the shipped ``.npz`` holds the
arrays, so inference needs only numpy and SudachiPy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from kikigaki.nlp import Morpheme

LABELS: tuple[str, ...] = ("", "、", "。", "？", "！")
FEATURE_VERSION = "sudachi-bigru-boundary-v3"
MODEL_PATH = Path(__file__).resolve().parent / "models" / "punctuation.npz"

# What the tagger sees of each morpheme, in the order of its embedding tables.
TAGGER_FIELDS = ("surface", "pos", "conjugation", "first_char", "last_char", "length")
# Silence after a morpheme, in seconds: bucket k holds [PAUSE_EDGES[k-1], PAUSE_EDGES[k]).
PAUSE_EDGES = (0.05, 0.15, 0.3, 0.6, 1.2)
# Boundary features: unit end, cue end, cues known, timing known, then one pause bucket.
N_BOUNDARY_FEATURES = 4 + len(PAUSE_EDGES) + 1


def char_class(char: str) -> str:
    if "\u3040" <= char <= "\u309f":
        return "hira"
    if "\u30a0" <= char <= "\u30ff":
        return "kata"
    if "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff":
        return "kanji"
    if char.isdigit():
        return "digit"
    if (char.isascii() and char.isalpha()) or "\uff21" <= char <= "\uff5a":
        return "latin"
    if char.isspace():
        return "space"
    return "other:" + char


def tagger_values(m: Morpheme) -> tuple[str, ...]:
    surface = m.surface
    return (
        surface,
        m.tag,
        m.pos[4] + "|" + m.pos[5],
        char_class(surface[0]) if surface else "",
        char_class(surface[-1]) if surface else "",
        str(min(len(surface), 6)),
    )


def encode_for_tagger(
    morphemes: Sequence[Morpheme], vocabularies: Sequence[Mapping[str, int]]
) -> np.ndarray:
    """Vocabulary ids (n, len(TAGGER_FIELDS)); 1 stands for a value not in the vocabulary."""
    ids = np.ones((len(morphemes), len(TAGGER_FIELDS)), dtype=np.int64)
    for i, m in enumerate(morphemes):
        for f, value in enumerate(tagger_values(m)):
            ids[i, f] = vocabularies[f].get(value, 1)
    return ids


@dataclass(frozen=True, slots=True)
class BoundaryInfo:
    """What the stream says about each boundary besides its words, one entry per morpheme."""

    unit_end: np.ndarray  # bool: a line or speaker turn ends here, so a sentence does
    cue_end: np.ndarray  # bool: a caption cue or ASR segment ends here
    pause: np.ndarray  # float seconds of silence after the morpheme; nan where unknown
    cues_known: bool = False
    timed: bool = False

    @classmethod
    def plain(cls, n: int) -> BoundaryInfo:
        """Nothing known: one stream of text."""
        return cls(np.zeros(n, bool), np.zeros(n, bool), np.full(n, np.nan, np.float32))


def boundary_features(info: BoundaryInfo) -> np.ndarray:
    """(n, N_BOUNDARY_FEATURES) float32, as the tagger was trained on them."""
    n = len(info.unit_end)
    features = np.zeros((n, N_BOUNDARY_FEATURES), dtype=np.float32)
    features[:, 0] = info.unit_end
    features[:, 1] = info.cue_end & info.cues_known
    features[:, 2] = info.cues_known
    features[:, 3] = info.timed
    if info.timed:
        pause = np.nan_to_num(info.pause, nan=0.0)
        buckets = np.searchsorted(np.array(PAUSE_EDGES), pause, side="right")
        features[np.arange(n), 4 + buckets] = 1.0
    return features


@dataclass(frozen=True, slots=True)
class GruDirection:
    """One direction of a torch ``nn.GRU`` layer, weights laid out for ``x @ W``."""

    input_weight: np.ndarray  # (inputs, 3 * hidden): reset, update, new
    input_bias: np.ndarray
    hidden_weight: np.ndarray  # (hidden, 3 * hidden)
    hidden_bias: np.ndarray


def run_bidirectional(x: np.ndarray, forward: GruDirection, backward: GruDirection
                      ) -> np.ndarray:
    """(n, 2 * hidden): the forward states, then the backward ones, as torch's GRU gives.

    Both directions advance in one loop: step t runs the forward direction at t and the
    backward one at n - 1 - t, with one matrix product for both hidden states.
    """
    n, size = len(x), forward.hidden_weight.shape[0]
    gates_f = x @ forward.input_weight + forward.input_bias
    gates_b = (x @ backward.input_weight + backward.input_bias)[::-1]
    # Columns: forward r, backward r, forward z, backward z, forward n, backward n.
    gates_x = np.empty((n, 6 * size), dtype=np.float32)
    weight = np.zeros((2 * size, 6 * size), dtype=np.float32)
    bias = np.empty(6 * size, dtype=np.float32)
    for gate in range(3):
        own = slice(gate * size, (gate + 1) * size)
        f_cols = slice(2 * gate * size, (2 * gate + 1) * size)
        b_cols = slice((2 * gate + 1) * size, (2 * gate + 2) * size)
        gates_x[:, f_cols], gates_x[:, b_cols] = gates_f[:, own], gates_b[:, own]
        weight[:size, f_cols] = forward.hidden_weight[:, own]
        weight[size:, b_cols] = backward.hidden_weight[:, own]
        bias[f_cols], bias[b_cols] = forward.hidden_bias[own], backward.hidden_bias[own]
    both = 2 * size
    states = np.empty((n, both), dtype=np.float32)
    h = np.zeros(both, dtype=np.float32)
    for t in range(n):
        gx = gates_x[t]
        gh = h @ weight + bias
        rz = 0.5 * (1.0 + np.tanh(0.5 * (gx[: 2 * both] + gh[: 2 * both])))
        candidate = np.tanh(gx[2 * both :] + rz[:both] * gh[2 * both :])
        h = candidate + rz[both:] * (h - candidate)
        states[t] = h
    return np.hstack([states[:, :size], states[::-1, size:]])


@dataclass(frozen=True, slots=True)
class RecurrentTagger:
    vocabularies: tuple[dict[str, int], ...]  # per field; 0 is padding, 1 unknown
    embeddings: tuple[np.ndarray, ...]  # per field (vocabulary size + 2, width)
    input_weight: np.ndarray  # (sum of widths + N_BOUNDARY_FEATURES, hidden)
    input_bias: np.ndarray
    conv_weight: np.ndarray  # (kernel, hidden, hidden)
    conv_bias: np.ndarray
    forward: GruDirection
    backward: GruDirection
    output_weight: np.ndarray  # (2 * 2 * gru hidden + N_BOUNDARY_FEATURES, len(LABELS))
    output_bias: np.ndarray

    def log_probabilities(self, morphemes: Sequence[Morpheme], info: BoundaryInfo) -> np.ndarray:
        """(n, len(LABELS)) log-probabilities for the boundary after each morpheme."""
        if not morphemes:
            return np.zeros((0, len(LABELS)), dtype=np.float32)
        return self.log_probabilities_of_ids(encode_for_tagger(morphemes, self.vocabularies),
                                             boundary_features(info))

    def log_probabilities_of_ids(self, ids: np.ndarray, boundary: np.ndarray) -> np.ndarray:
        """The same from vocabulary ids (n, fields) and boundary features (n, features)."""
        x = np.concatenate(
            [table[ids[:, f]] for f, table in enumerate(self.embeddings)] + [boundary], 1
        )
        h = np.maximum(x @ self.input_weight + self.input_bias, 0)
        h = h + np.maximum(self._convolve(h), 0)
        states = run_bidirectional(h, self.forward, self.backward)
        following = np.vstack([states[1:], np.zeros((1, states.shape[1]), states.dtype)])
        logits = np.hstack([states, following, boundary]) @ self.output_weight + self.output_bias
        logits -= logits.max(axis=1, keepdims=True)
        return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))

    def _convolve(self, h: np.ndarray) -> np.ndarray:
        reach = len(self.conv_weight) // 2
        padded = np.pad(h, ((reach, reach), (0, 0)))
        out = np.broadcast_to(self.conv_bias, h.shape).copy()
        for k, tap in enumerate(self.conv_weight):
            out += padded[k : k + len(h)] @ tap
        return out


@dataclass(frozen=True, slots=True)
class PunctuationModel:
    tagger: RecurrentTagger
    offsets: np.ndarray  # (len(LABELS),) decision offsets tuned on held-out data

    def scores(self, morphemes: Sequence[Morpheme], info: BoundaryInfo) -> np.ndarray:
        """Decision scores (n, len(LABELS)) for the boundary after each morpheme."""
        return self.tagger.log_probabilities(morphemes, info) + self.offsets


@cache
def load_model(path: Path = MODEL_PATH) -> PunctuationModel:
    with np.load(path) as data:
        version = str(data["feature_version"])
        if version != FEATURE_VERSION:
            raise ValueError(
                f"{path}: model features are {version!r}, code expects {FEATURE_VERSION!r}; "
                "retrain with tools/punctuation/train.py"
            )
        return PunctuationModel(tagger_from_arrays(data), data["offsets"].astype(np.float32))


def tagger_from_arrays(data: Mapping[str, np.ndarray]) -> RecurrentTagger:
    """The tagger stored under the ``tagger_*`` names (see tools/punctuation/train.py)."""

    def floats(name: str) -> np.ndarray:
        return data[name].astype(np.float32)

    def direction(name: str) -> GruDirection:
        return GruDirection(*(floats(f"tagger_gru_{name}_{part}")
                              for part in ("input_weight", "input_bias",
                                           "hidden_weight", "hidden_bias")))

    return RecurrentTagger(
        vocabularies=tuple(
            {str(v): i + 2 for i, v in enumerate(data[f"tagger_vocab_{field}"])}
            for field in TAGGER_FIELDS
        ),
        embeddings=tuple(floats(f"tagger_embedding_{field}") for field in TAGGER_FIELDS),
        input_weight=floats("tagger_input_weight"),
        input_bias=floats("tagger_input_bias"),
        conv_weight=floats("tagger_conv_weight"),
        conv_bias=floats("tagger_conv_bias"),
        forward=direction("forward"),
        backward=direction("backward"),
        output_weight=floats("tagger_output_weight"),
        output_bias=floats("tagger_output_bias"),
    )
