"""Restore Japanese punctuation (。、？！) in run-on or under-punctuated speech transcripts.

Two scorers rate, at every morpheme boundary, five outcomes: no mark, 、, 。, ？, ！.
A linear model sees hashed combinations of SudachiPy attributes (surface, part of speech,
inflection, normalised form, character class) within about three morphemes of the
boundary; a small convolutional tagger sees embeddings of each morpheme's surface, part
of speech, inflection and character classes within about a dozen morphemes either side,
so it can tell where a clause really ends. Their scores are added with weights and
per-class offsets tuned on held-out data. Both were trained by
``tools/train_punctuation.py`` on the licensed corpora (see ``postprocess/models/README.md``)
and are plain numpy arrays, so inference needs only numpy and SudachiPy.

Marks already in the input are strong evidence: their outcome gets a bonus, so a mark is
removed or changed only where the model is confident it is wrong. Finally no stretch of
the output runs longer than ``max_sentence_chars`` without a sentence end: where the model
put none, 。 goes at the boundary it found most sentence-final.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from kikigaki.nlp import Morpheme, tokenize

MARKS = "。、？！"
SENTENCE_ENDS = frozenset("。？！")
# Model classes, in the order of the weight matrix's columns.
LABELS: tuple[str, ...] = ("", "、", "。", "？", "！")
# When several marks stand together (？！, 。。) the boundary counts as the strongest one.
_MARK_PRIORITY = {"？": 4, "！": 3, "。": 2, "、": 1}
FEATURE_VERSION = "sudachi-window3-conv-v2"
MODEL_PATH = Path(__file__).resolve().parent / "models" / "punctuation.npz"

# Score bonus for the outcome a mark already in the input stands for.
_EXISTING_END_BONUS = 6.0
_EXISTING_COMMA_BONUS = 5.0
_NEWLINE_END_BONUS = 2.0
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")

_PAD = 3
_BOS, _EOS = "<s>", "</s>"
# Each template is a tuple of (attribute, offset); offset 0 is the morpheme before the
# boundary, 1 the one after it. The empty template is the per-class bias of the hash space.
_TEMPLATES: tuple[tuple[tuple[str, int], ...], ...] = (
    (("surface", -2),),
    (("surface", -1),),
    (("surface", 0),),
    (("surface", 1),),
    (("surface", 2),),
    (("surface", 3),),
    (("tag", -3),),
    (("tag", -2),),
    (("tag", -1),),
    (("tag", 0),),
    (("tag", 1),),
    (("tag", 2),),
    (("tag", 3),),
    (("normalized", 0),),
    (("normalized", 1),),
    (("form", 0),),
    (("form", -1),),
    (("conj", 0),),
    (("surface", -1), ("surface", 0)),
    (("surface", 0), ("surface", 1)),
    (("surface", -2), ("surface", -1), ("surface", 0)),
    (("surface", -1), ("surface", 0), ("surface", 1)),
    (("surface", 0), ("surface", 1), ("surface", 2)),
    (("normalized", -1), ("normalized", 0)),
    (("tag", 0), ("tag", 1)),
    (("tag", -1), ("tag", 0), ("tag", 1)),
    (("tag", 0), ("tag", 1), ("tag", 2)),
    (("surface", 0), ("tag", 1)),
    (("tag", 0), ("surface", 1)),
    (("surface", 0), ("form", 0)),
    (("form", 0), ("tag", 1)),
    (("form", 0), ("surface", 1)),
    (("surface", -1), ("surface", 0), ("tag", 1)),
    (("last_char", 0), ("first_char", 1)),
    (("surface", 0), ("first_char", 1)),
)
N_FEATURES = len(_TEMPLATES)
_MIX = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True, slots=True)
class LinearScorer:
    """Per-class weights of hashed boundary features (one-vs-rest log-loss margins)."""

    weights: np.ndarray  # (2**hash_bits, len(LABELS)) float32
    bias: np.ndarray  # (len(LABELS),)
    hash_bits: int

    def scores(self, morphemes: Sequence[Morpheme]) -> np.ndarray:
        feature_ids = boundary_features(morphemes, self.hash_bits)
        if len(feature_ids) == 0:
            return np.zeros((0, len(LABELS)), dtype=np.float32)
        return self.weights[feature_ids].sum(axis=1) + self.bias


@dataclass(frozen=True, slots=True)
class ConvTagger:
    """A small convolutional tagger over morphemes: log-probabilities per boundary.

    Each morpheme is the concatenated embeddings of its TAGGER_FIELDS, projected to ``hidden``
    channels, then residual dilated 1-D convolutions widen the view to about a dozen
    morphemes either side. A boundary is read from the morphemes before and after it.
    """

    vocabularies: tuple[dict[str, int], ...]  # per field; 0 is padding, 1 unknown
    embeddings: tuple[np.ndarray, ...]  # per field (vocabulary size + 2, width)
    input_weight: np.ndarray  # (sum of widths, hidden)
    input_bias: np.ndarray
    conv_weights: tuple[np.ndarray, ...]  # per layer (kernel, hidden, hidden)
    conv_biases: tuple[np.ndarray, ...]
    dilations: tuple[int, ...]
    output_weight: np.ndarray  # (2 * hidden, len(LABELS))
    output_bias: np.ndarray

    def scores(self, morphemes: Sequence[Morpheme]) -> np.ndarray:
        if not morphemes:
            return np.zeros((0, len(LABELS)), dtype=np.float32)
        ids = encode_for_tagger(morphemes, self.vocabularies)
        x = np.concatenate([table[ids[:, f]] for f, table in enumerate(self.embeddings)], 1)
        h = np.maximum(x @ self.input_weight + self.input_bias, 0)
        n = len(h)
        for weight, bias, dilation in zip(
            self.conv_weights, self.conv_biases, self.dilations, strict=True
        ):
            reach = dilation * (len(weight) // 2)
            padded = np.pad(h, ((reach, reach), (0, 0)))
            out = np.broadcast_to(bias, h.shape).copy()
            for k, tap in enumerate(weight):
                out += padded[k * dilation : k * dilation + n] @ tap
            h = h + np.maximum(out, 0)
        following = np.vstack([h[1:], np.zeros((1, h.shape[1]), h.dtype)])
        logits = np.hstack([h, following]) @ self.output_weight + self.output_bias
        logits -= logits.max(axis=1, keepdims=True)
        return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))


@dataclass(frozen=True, slots=True)
class PunctuationModel:
    """Linear and tagger scores mixed with tuned weights, plus per-class offsets."""

    linear: LinearScorer
    tagger: ConvTagger | None
    linear_weight: float
    tagger_weight: float
    offsets: np.ndarray  # (len(LABELS),) decision offsets tuned on held-out data

    def scores(self, morphemes: Sequence[Morpheme]) -> np.ndarray:
        """Decision scores (n, len(LABELS)) for the boundary after each morpheme."""
        total = self.offsets + np.zeros((len(morphemes), len(LABELS)), dtype=np.float32)
        if self.linear_weight:
            total += self.linear_weight * self.linear.scores(morphemes)
        if self.tagger is not None and self.tagger_weight:
            total += self.tagger_weight * self.tagger.scores(morphemes)
        return total


@cache
def load_model(path: Path = MODEL_PATH) -> PunctuationModel:
    with np.load(path) as data:
        version = str(data["feature_version"])
        if version != FEATURE_VERSION:
            raise ValueError(
                f"{path}: model features are {version!r}, code expects {FEATURE_VERSION!r}; "
                "retrain with tools/train_punctuation.py"
            )
        linear = LinearScorer(
            weights=data["weights_int8"].astype(np.float32) * data["weight_scale"],
            bias=data["bias"].astype(np.float32),
            hash_bits=int(data["hash_bits"]),
        )
        tagger = tagger_from_arrays(data) if "tagger_dilations" in data else None
        return PunctuationModel(
            linear=linear,
            tagger=tagger,
            linear_weight=float(data["linear_weight"]),
            tagger_weight=float(data["tagger_weight"]) if tagger else 0.0,
            offsets=data["offsets"].astype(np.float32),
        )


def tagger_from_arrays(data: Mapping[str, np.ndarray]) -> ConvTagger:
    """The tagger stored under the ``tagger_*`` names (see tools/train_punctuation.py)."""

    def floats(name: str) -> np.ndarray:
        return data[name].astype(np.float32)

    dilations = tuple(int(d) for d in data["tagger_dilations"])
    return ConvTagger(
        vocabularies=tuple(
            {str(v): i + 2 for i, v in enumerate(data[f"tagger_vocab_{field}"])}
            for field in TAGGER_FIELDS
        ),
        embeddings=tuple(floats(f"tagger_embedding_{field}") for field in TAGGER_FIELDS),
        input_weight=floats("tagger_input_weight"),
        input_bias=floats("tagger_input_bias"),
        conv_weights=tuple(floats(f"tagger_conv{k}_weight") for k in range(len(dilations))),
        conv_biases=tuple(floats(f"tagger_conv{k}_bias") for k in range(len(dilations))),
        dilations=dilations,
        output_weight=floats("tagger_output_weight"),
        output_bias=floats("tagger_output_bias"),
    )


# ---------------------------------------------------------------- features


def _char_class(char: str) -> str:
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


def _attributes(m: Morpheme) -> dict[str, str]:
    return {
        "surface": m.surface,
        "tag": "-".join(m.pos[:2]),
        "normalized": m.normalized,
        "form": m.pos[5].split("-")[0],
        "conj": m.pos[4].split("-")[0] + "|" + m.pos[5],
        "last_char": _char_class(m.surface[-1]) if m.surface else "",
        "first_char": _char_class(m.surface[0]) if m.surface else "",
    }


# What the tagger sees of each morpheme, in the order of its embedding tables.
TAGGER_FIELDS = ("surface", "pos", "conjugation", "first_char", "last_char", "length")


def tagger_values(m: Morpheme) -> tuple[str, ...]:
    surface = m.surface
    return (
        surface,
        m.tag,
        m.pos[4] + "|" + m.pos[5],
        _char_class(surface[0]) if surface else "",
        _char_class(surface[-1]) if surface else "",
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


@cache
def _code(value: str) -> int:
    return zlib.crc32(value.encode("utf-8")) * 0x100000001 + len(value)


def _attribute_codes(morphemes: Sequence[Morpheme]) -> dict[str, np.ndarray]:
    """For each attribute, the codes of all morphemes, padded with sentinels both sides."""
    rows = [_attributes(m) for m in morphemes]
    codes: dict[str, np.ndarray] = {}
    for name in ("surface", "tag", "normalized", "form", "conj", "last_char", "first_char"):
        values = [_code(_BOS)] * _PAD + [_code(name + row[name]) for row in rows]
        values += [_code(_EOS)] * _PAD
        codes[name] = np.array(values, dtype=np.uint64)
    return codes


def boundary_features(morphemes: Sequence[Morpheme], hash_bits: int) -> np.ndarray:
    """Hashed feature ids (n, N_FEATURES) for the boundary after each morpheme."""
    n = len(morphemes)
    ids = np.zeros((n, N_FEATURES), dtype=np.int32)
    if n == 0:
        return ids
    codes = _attribute_codes(morphemes)
    with np.errstate(over="ignore"):
        for column, template in enumerate(_TEMPLATES):
            mixed = np.full(n, np.uint64(column + 1) * _MIX, dtype=np.uint64)
            for name, offset in template:
                window = codes[name][_PAD + offset : _PAD + offset + n]
                mixed = (mixed ^ window) * _MIX
                mixed ^= mixed >> np.uint64(29)
            ids[:, column] = (mixed >> np.uint64(64 - hash_bits)).astype(np.int32)
    return ids


def _is_blank(m: Morpheme) -> bool:
    return m.pos[0] == "空白" or not m.surface.strip()


def allowed_boundaries(morphemes: Sequence[Morpheme]) -> np.ndarray:
    """Where a mark may go: not after blanks or symbols, not before symbols or ASCII ?!.

    Closing brackets may be followed by a mark and opening brackets may follow one.
    """
    allowed = np.ones(len(morphemes), dtype=bool)
    for i, m in enumerate(morphemes):
        symbol = m.pos[0] == "補助記号" and m.pos[1] != "括弧閉"
        if _is_blank(m) or symbol or m.surface[-1] in "?!":
            allowed[i] = False
        elif i + 1 < len(morphemes):
            following = morphemes[i + 1]
            if following.pos[0] == "補助記号" and following.pos[1] != "括弧開":
                allowed[i] = False
    return allowed


# ---------------------------------------------------------------- marks


def split_marks(text: str, marks: str = MARKS) -> tuple[str, list[str]]:
    """``text`` without ``marks``, and for each remaining character the marks after it.

    Marks before the first character are dropped.
    """
    base: list[str] = []
    after: list[str] = []
    for char in text:
        if char in marks:
            if after:
                after[-1] += char
        else:
            base.append(char)
            after.append("")
    return "".join(base), after


def strongest_mark(run: str) -> str:
    """The mark a run of marks counts as (？！ counts as ？, 。。 as 。)."""
    known = [c for c in run if c in _MARK_PRIORITY]
    return max(known, key=_MARK_PRIORITY.__getitem__) if known else ""


# ---------------------------------------------------------------- restoration


def restore_punctuation(
    text: str, *, max_sentence_chars: int = 120, model: PunctuationModel | None = None
) -> str:
    """``text`` with 。、？！ inserted, kept, or removed where wrong; nothing else changes.

    Text without any Japanese character (kana or kanji) is returned unchanged. ``model``
    defaults to the shipped one.
    """
    if not _JAPANESE.search(text):
        return text
    base, existing = split_marks(text)
    morphemes = tokenize(base)
    allowed = allowed_boundaries(morphemes)
    scores = boundary_scores(base, morphemes, existing, model or load_model())
    decided = _decide_marks(morphemes, existing, scores, allowed)
    _cap_stretches(
        decided, _end_scores_by_char(base, morphemes, scores, allowed), max_sentence_chars
    )
    return "".join(char + mark for char, mark in zip(base, decided, strict=True))


def boundary_scores(
    base: str, morphemes: list[Morpheme], existing: list[str], model: PunctuationModel
) -> np.ndarray:
    """Decision scores (n, len(LABELS)) per morpheme boundary, with the input's evidence."""
    scores = model.scores(morphemes)
    for i, m in enumerate(morphemes):
        mark = strongest_mark(existing[m.end - 1])
        if mark:
            bonus = _EXISTING_COMMA_BONUS if mark == "、" else _EXISTING_END_BONUS
            scores[i, LABELS.index(mark)] += bonus
        if m.end < len(base) and base[m.end] == "\n":
            scores[i, LABELS.index("。")] += _NEWLINE_END_BONUS
    return scores


def _decide_marks(
    morphemes: list[Morpheme], existing: list[str], scores: np.ndarray, allowed: np.ndarray
) -> list[str]:
    """The marks after each character: model decisions at boundaries, input elsewhere."""
    decided = list(existing)
    for i, m in enumerate(morphemes):
        if not allowed[i]:
            continue  # marks the input has here (after a symbol, say) stay as written
        position = m.end - 1
        label = LABELS[int(np.argmax(scores[i]))]
        if label and strongest_mark(existing[position]) == label:
            continue  # the input's own run of marks (？！ too) stays as written
        decided[position] = label
    return decided


def _end_scores_by_char(
    base: str, morphemes: list[Morpheme], scores: np.ndarray, allowed: np.ndarray
) -> np.ndarray:
    """How sentence-final each character boundary is; -inf where no mark may go."""
    by_char = np.full(len(base), -np.inf, dtype=np.float32)
    end_columns = [LABELS.index(mark) for mark in ("。", "？", "！")]
    for i, m in enumerate(morphemes):
        if allowed[i]:
            by_char[m.end - 1] = scores[i, end_columns].max() - scores[i, 0]
    return by_char


def _cap_stretches(marks: list[str], end_scores: np.ndarray, max_chars: int) -> None:
    """Put 。 into every stretch of more than ``max_chars`` output characters without an end.

    A stretch is what lies between two sentence ends in the output (marks included).
    """
    start, length, j = 0, 0, 0
    while j < len(marks):
        length += 1
        if length > max_chars and j > start:
            cut = _best_cut(end_scores, start, j - 1, max_chars)
            marks[cut] = "。"
            start, length, j = cut + 1, 0, cut + 1
            continue
        if any(c in SENTENCE_ENDS for c in marks[j]):
            start, length = j + 1, 0
        else:
            length += len(marks[j])
        j += 1


def _best_cut(end_scores: np.ndarray, start: int, stop: int, max_chars: int) -> int:
    """The most sentence-final boundary in ``start..stop``, avoiding very short pieces."""
    window = end_scores[start : stop + 1].copy()
    shortest = max_chars // 3
    if len(window) > shortest and np.isfinite(window[shortest:]).any():
        window[:shortest] = -np.inf  # a cut this early would leave a tiny sentence
    best = int(np.argmax(window))
    if not np.isfinite(window[best]):
        return stop  # no morpheme boundary at all: cut where the limit is reached
    return start + best


# ---------------------------------------------------------------- evaluation


def mark_positions(text: str) -> tuple[str, dict[int, str]]:
    """``text`` without marks, and the mark after each character index that has one."""
    base, after = split_marks(text)
    return base, {j: strongest_mark(run) for j, run in enumerate(after) if run}


def score_punctuation(reference: str, predicted: str) -> dict[str, tuple[float, float, float]]:
    """Per-mark precision, recall and F1 of ``predicted`` against ``reference``.

    Both must be the same text apart from 。、？！. A mark counts as right when the same
    mark follows the same non-mark character. The key "end" scores 。？！ as one class
    (any sentence end where the reference has any sentence end).
    """
    counts = punctuation_counts(reference, predicted)
    return {mark: prf(*counts[mark]) for mark in counts}


def punctuation_counts(reference: str, predicted: str) -> dict[str, tuple[int, int, int]]:
    """(true positives, predicted, reference) per mark and for "end"; see score_punctuation."""
    ref_base, ref_marks = mark_positions(reference)
    pred_base, pred_marks = mark_positions(predicted)
    if ref_base != pred_base:
        raise ValueError("reference and prediction differ in more than 。、？！")
    counts: dict[str, tuple[int, int, int]] = {}
    for mark in [*MARKS, "end"]:
        wanted = _positions_of(ref_marks, mark)
        got = _positions_of(pred_marks, mark)
        counts[mark] = (len(wanted & got), len(got), len(wanted))
    return counts


def _positions_of(marks: dict[int, str], mark: str) -> set[int]:
    if mark == "end":
        return {j for j, m in marks.items() if m in SENTENCE_ENDS}
    return {j for j, m in marks.items() if m == mark}


def prf(true_positives: int, predicted: int, reference: int) -> tuple[float, float, float]:
    precision = true_positives / predicted if predicted else 0.0
    recall = true_positives / reference if reference else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1
