"""Train the punctuation model shipped as ``postprocess/models/punctuation.npz``.

    uv run python tools/train_punctuation.py --corpora ../shared/corpora \\
        --out postprocess/models/punctuation.npz

Reads the licensed corpora (see their SOURCE.md files), normalises their punctuation,
strips 。、？！ and learns to put them back at SudachiPy morpheme boundaries with a
linear model on hashed features (scikit-learn's SGD, one-vs-rest log loss) and a
small convolutional tagger over morphemes (torch, CPU), whose scores are mixed. Each
source keeps a "tune" split (for the mixing weights and decision offsets) and a "dev"
split (for the report) out of training. Deterministic for a given ``--seed``.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import random
import re
import sys
import time
import unicodedata
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse

from kikigaki.nlp import Morpheme, tokenize
from postprocess.punctuation import (
    FEATURE_VERSION,
    LABELS,
    MARKS,
    N_FEATURES,
    TAGGER_FIELDS,
    PunctuationModel,
    allowed_boundaries,
    boundary_features,
    encode_for_tagger,
    load_model,
    prf,
    punctuation_counts,
    restore_punctuation,
    split_marks,
    strongest_mark,
    tagger_values,
)

# Stands for "a sentence ends here, but the source does not say with which mark" (chat
# utterances and spoken turns without a final mark): ignored in training, 。 in evaluation.
UNKNOWN_END = "\x1f"
FILLERS = ("えーと", "えー", "あの", "あのー", "まあ", "なんか", "えっと", "うーん", "その")
EXCLAMATION_PRECISION = 0.6
SOURCE_WEIGHTS = {"diet": 1.0, "chat": 2.0, "j_cre3": 5.0, "koniwa": 1.0}
TAGGER_SOURCE_WEIGHTS = {"diet": 1.0, "chat": 1.0, "j_cre3": 5.0, "koniwa": 1.0}
# Chat writers differ about 4x in how many 、 they type (10th vs 90th percentile of speakers
# with 5,000+ characters: 0.6 vs 2.8 per 100 characters; spoken transcripts have 2-3.4), so
# a chat boundary's "、 or nothing" is weak evidence; its sentence ends are not.
CHAT_COMMA_WEIGHT = 0.5
TAGGER_WINDOW = 192
TAGGER_BATCH = 64
TAGGER_LEARNING_RATE = 3e-3
# (linear, tagger) score weights tried on the tune splits.
MIXES = ((1.0, 0.0), (0.0, 1.0), (1.0, 0.5), (1.0, 1.0), (1.0, 2.0), (1.0, 3.0), (0.5, 2.0))


@dataclass
class Corpus:
    """Reference texts (with marks) of one source, by split: train, tune, dev."""

    name: str
    splits: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


# ---------------------------------------------------------------- normalisation

_WIDE = str.maketrans({"．": "。", "，": "、", "｡": "。", "､": "、", "?": "？", "!": "！"})
_MARK_RUN = re.compile(f"[{MARKS}{UNKNOWN_END}]{{2,}}")
_KAOMOJI = re.compile(r"[(（][^()（）ぁ-んァ-ヶ一-龥a-zA-Z0-9]{1,12}[)）]")


def normalise(text: str) -> str:
    """Full-width marks, one mark per boundary, no emoji or kaomoji."""
    text = _KAOMOJI.sub("", text.translate(_WIDE))
    text = "".join(c for c in text if unicodedata.category(c) not in ("So", "Cs", "Co"))
    text = text.replace("\u200d", "").replace("\ufe0f", "")
    return _MARK_RUN.sub(lambda m: strongest_mark(m.group()) or UNKNOWN_END, text)


def close_turn(text: str) -> str:
    """A turn of dialogue ends a sentence: mark it as an unknown end if it has no mark."""
    text = text.strip()
    if text and text[-1] not in MARKS:
        return text + UNKNOWN_END
    return text


def split_of(key: str, seed: int, dev_percent: int = 2) -> str:
    bucket = zlib.crc32(f"{seed}:{key}".encode()) % 100
    if bucket < dev_percent:
        return "dev"
    return "tune" if bucket < 2 * dev_percent else "train"


def sentence_count(text: str) -> int:
    return sum(text.count(c) for c in "。？！" + UNKNOWN_END)


# ---------------------------------------------------------------- sources


def load_diet(root: Path, budget: int, seed: int) -> Corpus:
    corpus = Corpus("diet")
    speeches: list[tuple[str, str]] = []
    path = root / "kokkai_diet_speeches" / "speeches.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            if record["date"] >= "1990" and record["text"].strip():
                speeches.append((record["speech_id"], record["text"]))
    random.Random(seed).shuffle(speeches)
    texts = ((key, diet_questions(normalise(text.replace("\n", "")))) for key, text in speeches)
    _fill(corpus, texts, budget, seed)
    return corpus


def diet_questions(text: str) -> str:
    """The minutes write questions as か。; speech transcripts (and chat) write か？."""
    return text.replace("か。", "か？")


def load_chat(root: Path, budget: int, seed: int) -> Corpus:
    corpus = Corpus("chat")
    dialogues: dict[str, list[str]] = defaultdict(list)
    with gzip.open(root / "real_persona_chat" / "utterances.tsv.gz", "rt", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            text = re.sub(r"<[A-Z]{2}>", "田中", row["text"]).replace("\\n", "\n")
            lines = [close_turn(normalise(part)) for part in text.split("\n")]
            dialogues[row["dialogue_id"]].append("".join(lines))
    keys = sorted(dialogues)
    random.Random(seed).shuffle(keys)
    _fill(corpus, ((key, "".join(dialogues[key])) for key in keys), budget, seed)
    return corpus


def _fill(corpus: Corpus, items: Iterator[tuple[str, str]], budget: int, seed: int) -> None:
    """Split items by key; stop once training, tune and dev have their sentences."""
    held_out_budget = max(budget // 20, 2_000)
    used = {"train": 0, "tune": 0, "dev": 0}
    limits = {"train": budget, "tune": held_out_budget, "dev": held_out_budget}
    for key, text in items:
        split = split_of(key, seed)
        if used[split] < limits[split]:
            corpus.splits[split].append(text)
            used[split] += sentence_count(text)
        if all(used[s] >= limits[s] for s in used):
            break


_JCRE_ALTERNATIVE = re.compile(r"\{([^{}|]*)(?:\|[^{}]*)?\}")
_JCRE_TAG = re.compile(r"\((?:[A-Z]\s*)?([^()]*)\)")


def clean_j_cre3(raw: str) -> str:
    """Transcription tags removed, filler words kept: (F えっと) becomes えっと."""
    text = re.sub(r"<[^<>]*>", "", raw).replace("(P)", "")
    text = _JCRE_ALTERNATIVE.sub(r"\1", text)
    for _ in range(3):  # tags nest, e.g. (F (えっと||っと))
        text = re.sub(r"\(([^()|]*)\|[^()]*\)", r"\1", text)
        text = _JCRE_TAG.sub(r"\1", text)
    return text.replace(" ", "")


def load_j_cre3(root: Path) -> Corpus:
    corpus = Corpus("j_cre3")
    scenarios: dict[str, list[tuple[float, str]]] = defaultdict(list)
    splits: dict[str, str] = {}
    with open(root / "j_cre3" / "utterances.tsv", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            text = close_turn(normalise(clean_j_cre3(row["text_raw"])))
            scenarios[row["scenario_id"]].append((float(row["start_sec"]), text))
            splits[row["scenario_id"]] = row["split"]
    upstream_to_ours = {"valid": "tune", "test": "dev"}
    for scenario in sorted(scenarios):
        turns = [text for _, text in sorted(scenarios[scenario])]
        corpus.splits[upstream_to_ours.get(splits[scenario], "train")].append("".join(turns))
    return corpus


def load_koniwa(root: Path) -> Corpus:
    """Radio talk is the held-out dev set; read-aloud stories are training data."""
    corpus = Corpus("koniwa")
    files: dict[str, list[str]] = defaultdict(list)
    series: dict[str, str] = {}
    with open(root / "koniwa" / "segments.tsv", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            files[row["file_id"]].append(normalise(row["text"].strip()))
            series[row["file_id"]] = row["series"]
    for file_id in sorted(files):
        split = "train" if series[file_id] == "tnc" else "dev"
        corpus.splits[split].append("".join(files[file_id]))
    return corpus


def add_fillers(text: str, rng: random.Random, rate: float = 0.05) -> str:
    """Spoken-style fillers (followed by 、) after some marks, as in ASR of talk."""
    out: list[str] = []
    for char in text:
        out.append(char)
        if char in "。、" and rng.random() < rate:
            out.append(rng.choice(FILLERS) + "、")
    return "".join(out)


# ---------------------------------------------------------------- documents


@dataclass
class Document:
    """One reference text, tokenised: the label of the boundary after each morpheme."""

    source: str
    reference: str
    morphemes: list[Morpheme]
    labels: np.ndarray  # index into LABELS; -1 for an unknown sentence end
    allowed: np.ndarray  # where restore_punctuation may put a mark

    @property
    def trainable(self) -> np.ndarray:
        return self.allowed & (self.labels >= 0)


def tokenise_corpora(corpora: list[Corpus], seed: int) -> dict[str, list[Document]]:
    """Documents by split; Diet and chat training texts get spoken fillers first."""
    rng = random.Random(seed)
    splits: dict[str, list[Document]] = defaultdict(list)
    for corpus in corpora:
        for split in ("train", "tune", "dev"):
            for reference in corpus.splits[split]:
                if split == "train" and corpus.name in ("diet", "chat"):
                    reference = add_fillers(reference, rng)
                document = _document(corpus.name, reference)
                if document is not None:
                    splits[split].append(document)
    return splits


def _document(source: str, reference: str) -> Document | None:
    base, after = split_marks(reference, MARKS + UNKNOWN_END)
    morphemes = tokenize(base)
    if not morphemes:
        return None
    labels = np.array([_label(after[m.end - 1]) for m in morphemes], dtype=np.int64)
    return Document(source, reference, morphemes, labels, allowed_boundaries(morphemes))


def _label(run: str) -> int:
    if UNKNOWN_END in run and not strongest_mark(run):
        return -1
    return LABELS.index(strongest_mark(run))


def boundary_weights(document: Document, source_weights: dict[str, float]) -> np.ndarray:
    """Training weight per boundary: 0 where nothing is learnt, else the source's weight.

    Chat writes 、 by personal habit (see CHAT_COMMA_WEIGHT), so whether a chat boundary
    has 、 or nothing counts for less than whether it ends a sentence.
    """
    weights = np.where(document.trainable, source_weights[document.source], 0.0)
    if document.source == "chat":
        weights[document.labels <= LABELS.index("、")] *= CHAT_COMMA_WEIGHT
    return weights


# ---------------------------------------------------------------- linear model


def linear_matrix(
    documents: list[Document], hash_bits: int
) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    ids, labels, weights = [], [], []
    for document in documents:
        keep = document.trainable
        ids.append(boundary_features(document.morphemes, hash_bits)[keep])
        labels.append(document.labels[keep])
        weights.append(boundary_weights(document, SOURCE_WEIGHTS)[keep])
    all_ids = np.concatenate(ids)
    n = len(all_ids)
    indptr = np.arange(0, n * N_FEATURES + 1, N_FEATURES, dtype=np.int64)
    data = np.ones(n * N_FEATURES, dtype=np.float64)
    x = sparse.csr_matrix((data, all_ids.ravel(), indptr), shape=(n, 2**hash_bits))
    x.sum_duplicates()
    return x, np.concatenate(labels), np.concatenate(weights)


def train_linear(
    x: sparse.csr_matrix, y: np.ndarray, w: np.ndarray, seed: int, epochs: int, alpha: float
):  # type: ignore[no-untyped-def]
    from sklearn.linear_model import SGDClassifier

    model = SGDClassifier(
        loss="log_loss",
        alpha=alpha,
        max_iter=epochs,
        tol=None,
        average=True,
        random_state=seed,
        n_jobs=2,
    )
    model.fit(x, y, sample_weight=w)
    return model


def linear_arrays(model, hash_bits: int) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    weights = np.zeros((2**hash_bits, len(LABELS)), dtype=np.float32)
    bias = np.zeros(len(LABELS), dtype=np.float32)
    for row, label in enumerate(model.classes_):
        weights[:, label] = model.coef_[row]
        bias[label] = model.intercept_[row]
    # int8 with one scale per class: a quarter of the size, scores move by about 0.1.
    scale = np.maximum(np.abs(weights).max(axis=0), 1e-6) / 127
    return {
        "weights_int8": np.round(weights / scale).astype(np.int8),
        "weight_scale": scale.astype(np.float32),
        "bias": bias,
        "hash_bits": np.int64(hash_bits),
    }


# ---------------------------------------------------------------- convolutional tagger


@dataclass(frozen=True)
class TaggerShape:
    hidden: int = 128
    kernel: int = 5
    dilations: tuple[int, ...] = (1, 2, 4)
    widths: tuple[int, ...] = (64, 16, 16, 8, 8, 4)  # embedding width per TAGGER_FIELDS
    vocabulary_limits: tuple[int, ...] = (24_000, 400, 600, 100, 100, 10)


def tagger_vocabularies(documents: list[Document], shape: TaggerShape) -> list[list[str]]:
    """Per field, the values seen at least 3 times, most frequent first (ties by value)."""
    counts: list[Counter[str]] = [Counter() for _ in TAGGER_FIELDS]
    for document in documents:
        for m in document.morphemes:
            for field_counts, value in zip(counts, tagger_values(m), strict=True):
                field_counts[value] += 1
    vocabularies = []
    for field_counts, limit in zip(counts, shape.vocabulary_limits, strict=True):
        ranked = sorted(field_counts.items(), key=lambda item: (-item[1], item[0]))
        vocabularies.append([value for value, count in ranked[:limit] if count >= 3])
    return vocabularies


def build_tagger(shape: TaggerShape, vocabularies: list[list[str]]):  # type: ignore[no-untyped-def]
    """The torch module whose weights ``tagger_arrays`` exports for ConvTagger."""
    import torch
    from torch import nn

    class Tagger(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embeddings = nn.ModuleList(
                nn.Embedding(len(v) + 2, width, padding_idx=0)
                for v, width in zip(vocabularies, shape.widths, strict=True)
            )
            self.input = nn.Linear(sum(shape.widths), shape.hidden)
            self.convs = nn.ModuleList(
                nn.Conv1d(
                    shape.hidden,
                    shape.hidden,
                    shape.kernel,
                    dilation=d,
                    padding=d * (shape.kernel // 2),
                )
                for d in shape.dilations
            )
            self.output = nn.Linear(2 * shape.hidden, len(LABELS))
            self.dropout = nn.Dropout(0.1)

        def forward(self, ids: torch.Tensor) -> torch.Tensor:  # (batch, time, fields)
            x = torch.cat([table(ids[..., f]) for f, table in enumerate(self.embeddings)], -1)
            h = torch.relu(self.input(self.dropout(x))).transpose(1, 2)
            for conv in self.convs:
                h = h + torch.relu(conv(self.dropout(h)))
            h = h.transpose(1, 2)
            following = torch.cat([h[:, 1:], torch.zeros_like(h[:, :1])], 1)
            return self.output(torch.cat([h, following], -1))

    return Tagger()


def tagger_windows(
    documents: list[Document], lookups: list[dict[str, int]], length: int
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(ids, labels, weights) in pieces of at most ``length`` morphemes."""
    windows = []
    for document in documents:
        ids = encode_for_tagger(document.morphemes, lookups)
        labels = np.maximum(document.labels, 0)
        weights = boundary_weights(document, TAGGER_SOURCE_WEIGHTS).astype(np.float32)
        for start in range(0, len(ids), length):
            piece = slice(start, start + length)
            windows.append((ids[piece], labels[piece], weights[piece]))
    return windows


def _padded(arrays: list[np.ndarray], dtype: type) -> np.ndarray:
    out = np.zeros((len(arrays), max(len(a) for a in arrays), *arrays[0].shape[1:]), dtype=dtype)
    for i, a in enumerate(arrays):
        out[i, : len(a)] = a
    return out


def train_tagger(  # type: ignore[no-untyped-def]
    documents: list[Document], shape: TaggerShape, epochs: float, seed: int, log
):
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(2)
    vocabularies = tagger_vocabularies(documents, shape)
    lookups = [{v: i + 2 for i, v in enumerate(values)} for values in vocabularies]
    windows = tagger_windows(documents, lookups, TAGGER_WINDOW)
    model = build_tagger(shape, vocabularies)
    steps = int(np.ceil(len(windows) / TAGGER_BATCH * epochs))
    optimiser = torch.optim.AdamW(model.parameters(), lr=TAGGER_LEARNING_RATE, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=TAGGER_LEARNING_RATE, total_steps=steps, pct_start=0.05
    )
    rng = np.random.default_rng(seed)
    log(f"tagger: {len(windows):,} windows, {steps:,} steps")
    model.train()
    step = 0
    while step < steps:
        order = rng.permutation(len(windows))
        for start in range(0, len(order), TAGGER_BATCH):
            if step == steps:
                break
            batch = [windows[i] for i in order[start : start + TAGGER_BATCH]]
            ids = torch.from_numpy(_padded([b[0] for b in batch], np.int64))
            labels = torch.from_numpy(_padded([b[1] for b in batch], np.int64))
            weights = torch.from_numpy(_padded([b[2] for b in batch], np.float32))
            logits = model(ids).reshape(-1, len(LABELS))
            losses = torch.nn.functional.cross_entropy(logits, labels.reshape(-1), reduction="none")
            loss = (losses * weights.reshape(-1)).sum() / weights.sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            step += 1
            if step % 200 == 0:
                log(f"tagger step {step}/{steps}, loss {loss.item():.4f}")
    model.eval()
    return model, vocabularies


def tagger_arrays(
    model, vocabularies: list[list[str]], shape: TaggerShape
) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    """Weights laid out as ConvTagger reads them (x @ W), stored as float16."""
    state = {name: value.detach().numpy() for name, value in model.state_dict().items()}
    arrays: dict[str, np.ndarray] = {"tagger_dilations": np.array(shape.dilations)}
    for f, field_name in enumerate(TAGGER_FIELDS):
        arrays[f"tagger_vocab_{field_name}"] = np.array(vocabularies[f], dtype=np.str_)
        arrays[f"tagger_embedding_{field_name}"] = state[f"embeddings.{f}.weight"]
    arrays["tagger_input_weight"] = state["input.weight"].T
    arrays["tagger_input_bias"] = state["input.bias"]
    for k in range(len(shape.dilations)):
        arrays[f"tagger_conv{k}_weight"] = state[f"convs.{k}.weight"].transpose(2, 1, 0)
        arrays[f"tagger_conv{k}_bias"] = state[f"convs.{k}.bias"]
    arrays["tagger_output_weight"] = state["output.weight"].T
    arrays["tagger_output_bias"] = state["output.bias"]
    return {
        name: value.astype(np.float16) if value.dtype == np.float32 else value
        for name, value in arrays.items()
    }


# ---------------------------------------------------------------- mixing and offsets


def export(
    out: Path, arrays: dict[str, np.ndarray], mix: tuple[float, float], offsets: np.ndarray
) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".partial.npz")
    np.savez_compressed(
        partial,
        **arrays,
        linear_weight=np.float32(mix[0]),
        tagger_weight=np.float32(mix[1]),
        offsets=offsets.astype(np.float32),
        feature_version=np.str_(FEATURE_VERSION),
        labels=np.array(LABELS),
    )
    partial.replace(out)
    load_model.cache_clear()


def part_scores(
    model: PunctuationModel, documents: list[Document]
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per source: linear scores, tagger log-probabilities and labels where marks can go."""
    parts: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = defaultdict(list)
    for document in documents:
        keep = document.trainable
        linear = model.linear.scores(document.morphemes)[keep]
        tagger = model.tagger.scores(document.morphemes)[keep] if model.tagger else linear * 0
        parts[document.source].append((linear, tagger, document.labels[keep]))
    return {
        source: tuple(np.concatenate([p[k] for p in pieces]) for k in range(3))  # type: ignore[misc]
        for source, pieces in parts.items()
    }


def tune_mix(
    parts: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]], log
) -> tuple[tuple[float, float], np.ndarray]:  # type: ignore[no-untyped-def]
    """The (linear, tagger) weights and offsets with the best mean F1 on the tune splits."""
    best: tuple[float, tuple[float, float], np.ndarray] = (-1.0, (1.0, 0.0), np.zeros(len(LABELS)))
    for mix in MIXES:
        scored = {s: (mix[0] * lin + mix[1] * tag, y) for s, (lin, tag, y) in parts.items()}
        offsets = tune_offsets(scored)
        score = _mean_f1(scored, offsets, range(1, LABELS.index("！")))
        log(f"mix {mix}: tune mean F1 {score:.4f}")
        if score > best[0]:
            best = (score, mix, offsets)
    return best[1], best[2]


def tune_offsets(scores_by_source: dict[str, tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Per-class decision offsets: the mean F1 of 。、？ over the sources, ！ for precision.

    ！ is a matter of style in transcripts (chat uses it for any cheerful sentence), so
    it is only put where the model is fairly sure: precision at least EXCLAMATION_PRECISION.
    """
    offsets = np.zeros(len(LABELS))
    grid = np.arange(-5.0, 5.01, 0.25)
    exclamation = LABELS.index("！")
    offsets[exclamation] = grid[0]
    for _ in range(3):
        for column in range(1, exclamation):
            best_value, best_score = offsets[column], -1.0
            for value in grid:
                offsets[column] = value
                score = _mean_f1(scores_by_source, offsets, range(1, exclamation))
                if score > best_score:
                    best_value, best_score = value, score
            offsets[column] = best_value
    for value in grid:
        offsets[exclamation] = value
        if _precision(scores_by_source, offsets, exclamation) < EXCLAMATION_PRECISION:
            offsets[exclamation] = value - 0.25
            break
    return offsets


def _precision(
    scores_by_source: dict[str, tuple[np.ndarray, np.ndarray]], offsets: np.ndarray, column: int
) -> float:
    hits = predicted = 0
    for scores, labels in scores_by_source.values():
        chosen = np.argmax(scores + offsets, axis=1) == column
        hits += int((chosen & (labels == column)).sum())
        predicted += int(chosen.sum())
    return hits / predicted if predicted else 1.0


def _mean_f1(
    scores_by_source: dict[str, tuple[np.ndarray, np.ndarray]],
    offsets: np.ndarray,
    columns: range,
) -> float:
    """Mean F1 over sources and marks; chat's 、 is left out (personal habit, see README)."""
    f1s = []
    for source, (scores, labels) in scores_by_source.items():
        predicted = np.argmax(scores + offsets, axis=1)
        for column in columns:
            reference = int((labels == column).sum())
            if reference < 20 or (source == "chat" and LABELS[column] == "、"):
                continue
            hits = int(((predicted == column) & (labels == column)).sum())
            f1s.append(prf(hits, int((predicted == column).sum()), reference)[2])
    return float(np.mean(f1s))


# ---------------------------------------------------------------- evaluation


def evaluate(
    documents: list[Document], model: PunctuationModel
) -> dict[str, tuple[float, float, float]]:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for document in documents:
        reference = document.reference.replace(UNKNOWN_END, "。")
        base, _ = split_marks(reference)
        predicted = restore_punctuation(base, model=model)
        for mark, counts in punctuation_counts(reference, predicted).items():
            for k in range(3):
                totals[mark][k] += counts[k]
    return {mark: prf(*counts) for mark, counts in totals.items()}


def print_table(name: str, scores: dict[str, tuple[float, float, float]], n_chars: int) -> None:
    print(f"\n{name} (dev, {n_chars:,} chars)")
    print(f"  {'mark':<5}{'P':>7}{'R':>7}{'F1':>7}")
    for mark in [*MARKS, "end"]:
        p, r, f1 = scores[mark]
        print(f"  {mark:<5}{p:7.3f}{r:7.3f}{f1:7.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    parser.add_argument("--out", type=Path, default=Path("postprocess/models/punctuation.npz"))
    parser.add_argument(
        "--max-sentences",
        type=int,
        default=100_000,
        help="training sentences taken from the Diet (twice as many short chat ones)",
    )
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--hash-bits", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=6, help="linear model passes")
    parser.add_argument("--alpha", type=float, default=1e-6, help="L2 regularisation")
    parser.add_argument("--tagger-epochs", type=float, default=3.0, help="0: linear only")
    args = parser.parse_args(argv)
    started = time.monotonic()

    def log(message: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    corpora = [
        load_diet(args.corpora, args.max_sentences, args.seed),
        load_chat(args.corpora, 2 * args.max_sentences, args.seed),
        load_j_cre3(args.corpora),
        load_koniwa(args.corpora),
    ]
    documents = tokenise_corpora(corpora, args.seed)
    log("corpora read and tokenised: " + ", ".join(f"{s} {len(d)}" for s, d in documents.items()))
    x, y, w = linear_matrix(documents["train"], args.hash_bits)
    log(f"linear model: {x.shape[0]:,} boundaries; label counts {np.bincount(y).tolist()}")
    arrays = linear_arrays(
        train_linear(x, y, w, args.seed, args.epochs, args.alpha), args.hash_bits
    )
    del x, y, w
    log("linear model trained")
    if args.tagger_epochs > 0:
        shape = TaggerShape()
        tagger, vocabularies = train_tagger(
            documents["train"], shape, args.tagger_epochs, args.seed, log
        )
        arrays |= tagger_arrays(tagger, vocabularies, shape)
        log("tagger trained")
    export(args.out, arrays, (1.0, 1.0), np.zeros(len(LABELS)))
    parts = part_scores(load_model(args.out), documents["tune"])
    mix, offsets = tune_mix(parts, log) if args.tagger_epochs > 0 else ((1.0, 0.0), None)
    if offsets is None:
        offsets = tune_offsets({s: (lin, y) for s, (lin, _, y) in parts.items()})
    log(f"mix {mix}, offsets {dict(zip(LABELS, offsets.round(2).tolist(), strict=True))}")
    export(args.out, arrays, mix, offsets)
    final = load_model(args.out)
    for corpus in corpora:
        dev = [d for d in documents["dev"] if d.source == corpus.name]
        n_chars = sum(len(t) for t in corpus.splits["dev"])
        print_table(corpus.name, evaluate(dev, final), n_chars)
    log(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
