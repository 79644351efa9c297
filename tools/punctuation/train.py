"""Train the punctuation model shipped as ``postprocess/models/punctuation.npz``.

    nice -n 10 uv run python -m tools.punctuation.train --corpora ../shared/corpora \\
        --out postprocess/models/punctuation.npz

Reads the licensed corpora as conversations (``corpora``), makes the written and typed
training texts look like talk (``speechlike``), tokenises them and trains the recurrent
tagger of ``postprocess/punctuation_model.py`` with torch on the CPU, each window shown
as one stream, with turns, with cues and/or with timed words (``simulate``). Decision
offsets are chosen on the tune splits (never on dev or on a held-out source). The arrays
are exported for numpy. Deterministic for a given ``--seed`` (on one machine).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from postprocess.punctuation_model import (
    FEATURE_VERSION,
    LABELS,
    N_BOUNDARY_FEATURES,
    TAGGER_FIELDS,
    boundary_features,
    load_model,
)
from tools.punctuation import corpora as corpora_module
from tools.punctuation.documents import Document, Vocabulary, cached, make_documents
from tools.punctuation.simulate import Condition, ConditionRates, boundary_info

Log = Callable[[str], None]
SOURCE_WEIGHTS = {"diet": 1.0, "chat": 1.0, "j_cre3": 4.0, "koniwa": 2.0}
# Chat writers differ about 4x in how many 、 they type (10th vs 90th percentile of speakers
# with 5,000+ characters: 0.6 vs 2.8 per 100 characters; spoken transcripts have 2-3.4), so
# a chat boundary's "、 or nothing" is weak evidence; its sentence ends are not.
CHAT_COMMA_WEIGHT = 0.5
EXCLAMATION_PRECISION = 0.6
WINDOW = 160
BATCH = 32
LEARNING_RATE = 3e-3
TRAINED_SPLITS = ("diet/train", "chat/train", "j_cre3/train", "koniwa/train", "koniwa/dev")
# The conditions the tune objective scores: one stream, and speaker turns known.
TUNE_CONDITIONS = {"stream": Condition(), "turns": Condition(turns=True)}


@dataclass(frozen=True)
class TaggerShape:
    hidden: int = 96
    gru: int = 64
    kernel: int = 3
    widths: tuple[int, ...] = (48, 16, 16, 8, 8, 4)  # embedding width per TAGGER_FIELDS
    vocabulary_limits: tuple[int, ...] = (20_000, 400, 600, 100, 100, 10)


@dataclass
class TrainingData:
    train: list[Document]
    tune: list[Document]
    vocabulary: Vocabulary
    sources: dict[str, list[Document]] = field(default_factory=dict)  # held-out, by source


# ---------------------------------------------------------------- vocabulary


def fold_vocabularies(
    documents: Sequence[Document], vocabulary: Vocabulary, shape: TaggerShape
) -> tuple[list[list[str]], list[np.ndarray]]:
    """Per field: the values seen 3+ times in ``documents`` (most frequent first), and a
    lookup from Vocabulary ids to tagger ids (0 padding, 1 unknown, 2.. the values)."""
    values, lookups = [], []
    for f, limit in enumerate(shape.vocabulary_limits):
        counts = np.zeros(len(vocabulary.values[f]), dtype=np.int64)
        for document in documents:
            counts += np.bincount(document.ids[:, f], minlength=len(counts))
        names = vocabulary.values[f]
        ranked = sorted((i for i in range(len(counts)) if counts[i] >= 3),
                        key=lambda i: (-counts[i], names[i]))[:limit]
        lookup = np.ones(len(counts), dtype=np.int64)
        lookup[ranked] = np.arange(2, len(ranked) + 2)
        values.append([names[i] for i in ranked])
        lookups.append(lookup)
    return values, lookups


def tagger_ids(document: Document, lookups: Sequence[np.ndarray]) -> np.ndarray:
    return np.stack([lookups[f][document.ids[:, f]] for f in range(len(TAGGER_FIELDS))], 1)


# ---------------------------------------------------------------- torch module


def build_tagger(shape: TaggerShape, vocabularies: Sequence[Sequence[str]]):  # type: ignore[no-untyped-def]
    """The torch module whose weights ``tagger_arrays`` exports for RecurrentTagger."""
    import torch
    from torch import nn

    class Tagger(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embeddings = nn.ModuleList(
                nn.Embedding(len(v) + 2, width, padding_idx=0)
                for v, width in zip(vocabularies, shape.widths, strict=True)
            )
            self.input = nn.Linear(sum(shape.widths) + N_BOUNDARY_FEATURES, shape.hidden)
            self.conv = nn.Conv1d(shape.hidden, shape.hidden, shape.kernel,
                                  padding=shape.kernel // 2)
            self.gru = nn.GRU(shape.hidden, shape.gru, batch_first=True, bidirectional=True)
            self.output = nn.Linear(4 * shape.gru + N_BOUNDARY_FEATURES, len(LABELS))
            self.dropout = nn.Dropout(0.1)

        def forward(self, ids: torch.Tensor, boundary: torch.Tensor) -> torch.Tensor:
            x = torch.cat([table(ids[..., f]) for f, table in enumerate(self.embeddings)]
                          + [boundary], -1)
            h = torch.relu(self.input(self.dropout(x)))
            h = h + torch.relu(self.conv(self.dropout(h).transpose(1, 2))).transpose(1, 2)
            states, _ = self.gru(h)
            following = torch.cat([states[:, 1:], torch.zeros_like(states[:, :1])], 1)
            return self.output(torch.cat([self.dropout(states), self.dropout(following),
                                          boundary], -1))

    return Tagger()


def tagger_arrays(
    model, vocabularies: Sequence[Sequence[str]]  # type: ignore[no-untyped-def]
) -> dict[str, np.ndarray]:
    """Weights laid out as RecurrentTagger reads them (x @ W), stored as float16."""
    state = {name: value.detach().numpy() for name, value in model.state_dict().items()}
    arrays: dict[str, np.ndarray] = {}
    for f, field_name in enumerate(TAGGER_FIELDS):
        arrays[f"tagger_vocab_{field_name}"] = np.array(vocabularies[f], dtype=np.str_)
        arrays[f"tagger_embedding_{field_name}"] = state[f"embeddings.{f}.weight"]
    arrays["tagger_input_weight"] = state["input.weight"].T
    arrays["tagger_input_bias"] = state["input.bias"]
    arrays["tagger_conv_weight"] = state["conv.weight"].transpose(2, 1, 0)
    arrays["tagger_conv_bias"] = state["conv.bias"]
    for name, suffix in (("forward", ""), ("backward", "_reverse")):
        arrays[f"tagger_gru_{name}_input_weight"] = state[f"gru.weight_ih_l0{suffix}"].T
        arrays[f"tagger_gru_{name}_input_bias"] = state[f"gru.bias_ih_l0{suffix}"]
        arrays[f"tagger_gru_{name}_hidden_weight"] = state[f"gru.weight_hh_l0{suffix}"].T
        arrays[f"tagger_gru_{name}_hidden_bias"] = state[f"gru.bias_hh_l0{suffix}"]
    arrays["tagger_output_weight"] = state["output.weight"].T
    arrays["tagger_output_bias"] = state["output.bias"]
    return {
        name: value.astype(np.float16) if value.dtype == np.float32 else value
        for name, value in arrays.items()
    }


# ---------------------------------------------------------------- batches


def boundary_weights(document: Document) -> np.ndarray:
    """Training weight per boundary: 0 where nothing is learnt, else the source's weight."""
    weights = np.where(document.trainable, SOURCE_WEIGHTS[document.source], 0.0)
    if document.source == "chat":
        weights[document.labels <= LABELS.index("、")] *= CHAT_COMMA_WEIGHT
    return weights.astype(np.float32)


def document_features(
    document: Document, condition: Condition, rng: np.random.Generator,
    span: slice = slice(None),
) -> np.ndarray:
    """Boundary features of ``document[span]`` under ``condition``."""
    labels = document.labels[span]
    doc_end = np.zeros(len(labels), bool)
    if span.stop is None or span.stop >= len(document.labels):
        doc_end[-1] = True
    info = boundary_info(
        labels, document.piece_end[span], document.turn_end[span], doc_end,
        has_turns=document.has_turns, has_cues=document.has_cues, condition=condition, rng=rng,
    )
    return boundary_features(info)


def _padded(arrays: list[np.ndarray], dtype: type) -> np.ndarray:
    out = np.zeros((len(arrays), max(len(a) for a in arrays), *arrays[0].shape[1:]), dtype=dtype)
    for i, a in enumerate(arrays):
        out[i, : len(a)] = a
    return out


def train_tagger(  # type: ignore[no-untyped-def]
    data: TrainingData, shape: TaggerShape, epochs: float, seed: int, log: Log,
    rates: ConditionRates | None = None,
):
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(1)  # the cores are shared; one thread wastes least on waiting
    rates = rates or ConditionRates()
    vocabularies, lookups = fold_vocabularies(data.train, data.vocabulary, shape)
    ids = [tagger_ids(d, lookups) for d in data.train]
    weights = [boundary_weights(d) for d in data.train]
    windows = [(k, start) for k, d in enumerate(data.train)
               for start in range(0, len(d.labels), WINDOW)]
    model = build_tagger(shape, vocabularies)
    steps = max(int(np.ceil(len(windows) / BATCH * epochs)), 1)
    optimiser = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=LEARNING_RATE, total_steps=steps, pct_start=0.05
    )
    rng = np.random.default_rng(seed)
    log(f"tagger: {len(windows):,} windows of {WINDOW}, {steps:,} steps")
    model.train()
    step = 0
    while step < steps:
        order = rng.permutation(len(windows))
        for begin in range(0, len(order), BATCH):
            if step == steps:
                break
            batch = [_window(data.train[k], ids[k], weights[k], start, rates, rng)
                     for k, start in (windows[i] for i in order[begin : begin + BATCH])]
            loss = _step(model, optimiser, batch)
            schedule.step()
            step += 1
            if step % 100 == 0:
                log(f"tagger step {step}/{steps}, loss {loss:.4f}")
    model.eval()
    return model, vocabularies, lookups


def _window(document: Document, ids: np.ndarray, weights: np.ndarray, start: int,
            rates: ConditionRates, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    span = slice(start, start + WINDOW)
    features = document_features(document, rates.draw(rng), rng, span)
    labels = np.maximum(document.labels[span], 0).astype(np.int64)
    return ids[span], features, labels, weights[span]


def _step(model, optimiser, batch: list[tuple[np.ndarray, ...]]) -> float:  # type: ignore[no-untyped-def]
    import torch

    ids = torch.from_numpy(_padded([b[0] for b in batch], np.int64))
    features = torch.from_numpy(_padded([b[1] for b in batch], np.float32))
    labels = torch.from_numpy(_padded([b[2] for b in batch], np.int64))
    weights = torch.from_numpy(_padded([b[3] for b in batch], np.float32))
    logits = model(ids, features).reshape(-1, len(LABELS))
    losses = torch.nn.functional.cross_entropy(logits, labels.reshape(-1), reduction="none")
    loss = (losses * weights.reshape(-1)).sum() / weights.sum().clamp(min=1.0)
    optimiser.zero_grad()
    loss.backward()
    optimiser.step()
    return float(loss.item())


# ---------------------------------------------------------------- offsets


Scored = dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]  # key: (log-probs, labels, unit)


def tune_scores(model, documents: Sequence[Document], lookups, seed: int) -> Scored:  # type: ignore[no-untyped-def]
    """Log-probabilities on the tune documents, per "source/condition"."""
    import torch

    rng = np.random.default_rng(seed)
    parts: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = defaultdict(list)
    with torch.no_grad():
        for document in documents:
            ids = torch.from_numpy(tagger_ids(document, lookups)[None])
            keep = document.trainable
            for name, condition in TUNE_CONDITIONS.items():
                if condition.turns and not document.has_turns:
                    continue
                features = document_features(document, condition, rng)
                logits = model(ids, torch.from_numpy(features[None]))[0]
                scores = torch.log_softmax(logits, -1).numpy()
                parts[f"{document.source}/{name}"].append(
                    (scores[keep], document.labels[keep], features[keep, 0] > 0))
    return {key: tuple(np.concatenate([p[k] for p in pieces]) for k in range(3))  # type: ignore[misc]
            for key, pieces in parts.items()}


def decide(scores: np.ndarray, unit: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    total = scores + offsets
    decisions = np.argmax(total, axis=1)
    ends = 2 + np.argmax(total[:, 2:], axis=1)
    return np.where(unit, ends, decisions)


def mean_f1(scored: Scored, offsets: np.ndarray) -> float:
    """Mean F1 of 。、？ over source/condition pairs; chat's 、 is left out (see README)."""
    f1s = []
    for key, (scores, labels, unit) in scored.items():
        predicted = decide(scores, unit, offsets)
        for column in (1, 2, 3):
            reference = int((labels == column).sum())
            if reference < 20 or (key.startswith("chat/") and column == 1):
                continue
            hits = int(((predicted == column) & (labels == column)).sum())
            f1s.append(_f1(hits, int((predicted == column).sum()), reference))
    return float(np.mean(f1s)) if f1s else 0.0


def _f1(hits: int, predicted: int, reference: int) -> float:
    return 2 * hits / (predicted + reference) if predicted + reference else 0.0


def tune_offsets(scored: Scored) -> np.ndarray:
    """Per-class offsets: the mean F1 of 。、？; ！ only as far as its precision holds.

    ！ is a matter of style in transcripts (chat uses it for any cheerful sentence), so it
    is only put where the model is fairly sure: precision at least EXCLAMATION_PRECISION.
    """
    offsets = np.zeros(len(LABELS))
    grid = np.arange(-4.0, 4.01, 0.25)
    exclamation = LABELS.index("！")
    offsets[exclamation] = grid[0]
    for _ in range(2):
        for column in (1, 2, 3):
            best_value, best_score = offsets[column], -1.0
            for value in grid:
                offsets[column] = value
                score = mean_f1(scored, offsets)
                if score > best_score:
                    best_value, best_score = value, score
            offsets[column] = best_value
    for value in grid:
        offsets[exclamation] = value
        if _precision(scored, offsets, exclamation) < EXCLAMATION_PRECISION:
            offsets[exclamation] = value - 0.25
            break
    return offsets


def _precision(scored: Scored, offsets: np.ndarray, column: int) -> float:
    hits = predicted = 0
    for scores, labels, unit in scored.values():
        chosen = decide(scores, unit, offsets) == column
        hits += int((chosen & (labels == column)).sum())
        predicted += int(chosen.sum())
    return hits / predicted if predicted else 1.0


# ---------------------------------------------------------------- data and export


def export(out: Path, arrays: dict[str, np.ndarray], offsets: np.ndarray) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".partial.npz")
    np.savez_compressed(partial, **arrays, offsets=offsets.astype(np.float32),
                        feature_version=np.str_(FEATURE_VERSION), labels=np.array(LABELS))
    partial.replace(out)
    load_model.cache_clear()


def load_documents(root: Path, budget: int, seed: int, cache_dir: Path | None,
                   log: Log) -> tuple[dict[str, corpora_module.Corpus], dict[str, list[Document]],
                                      Vocabulary]:
    """Corpora, and their documents by "source/split" (training ones made speech-like)."""

    def build():  # type: ignore[no-untyped-def]
        corpora = corpora_module.load_all(root, budget, seed)
        log("corpora read: " + ", ".join(
            f"{name} {sum(len(c.splits[s]) for s in corpora_module.SPLITS)}"
            for name, c in corpora.items()))
        vocabulary = Vocabulary()
        documents = {}
        for name, corpus in corpora.items():
            for split in corpora_module.SPLITS:
                documents[f"{name}/{split}"] = make_documents(
                    corpus.splits[split], vocabulary, speechlike=split == "train", seed=seed)
            log(f"{name} tokenised")
        return corpora, documents, vocabulary

    if cache_dir is None:
        return build()
    return cached(cache_dir / f"documents-{budget}-{seed}-v2.pickle", build)


def train_and_export(data: TrainingData, out: Path, *, epochs: float, seed: int, log: Log,
                     shape: TaggerShape | None = None) -> np.ndarray:
    shape = shape or TaggerShape()
    model, vocabularies, lookups = train_tagger(data, shape, epochs, seed, log)
    log("tagger trained")
    offsets = tune_offsets(tune_scores(model, data.tune, lookups, seed))
    log(f"offsets {dict(zip(LABELS, offsets.round(2).tolist(), strict=True))}")
    export(out, tagger_arrays(model, vocabularies), offsets)
    return offsets


def label_counts(documents: Sequence[Document]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for document in documents:
        for label, n in zip(*np.unique(document.labels[document.trainable],
                                       return_counts=True), strict=True):
            counts[LABELS[label] or "none"] += int(n)
    return counts


def logger() -> Log:
    started = time.monotonic()

    def log(message: str) -> None:
        print(f"[{time.monotonic() - started:7.1f}s] {message}", file=sys.stderr, flush=True)

    return log


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    parser.add_argument("--out", type=Path, default=Path("postprocess/models/punctuation.npz"))
    parser.add_argument("--max-sentences", type=int, default=40_000,
                        help="training sentences taken from the Diet (twice as many from chat)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--epochs", type=float, default=3.0)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/kikigaki-punctuation"),
                        help="where tokenised corpora are kept between runs")
    args = parser.parse_args(argv)
    log = logger()
    _, documents, vocabulary = load_documents(args.corpora, args.max_sentences, args.seed,
                                              args.cache, log)
    # The shipped model's held-out figures are the leave-one-source-out ones
    # (tools/punctuation/loso.py), so it also learns from Koniwa's radio talk; J-CRe3's
    # upstream test scenarios stay out for the test suite's sanity check.
    train = [d for key in TRAINED_SPLITS for d in documents[key]]
    tune = [d for key, docs in documents.items() if key.endswith("/tune") for d in docs]
    log(f"training boundaries: {dict(label_counts(train))}")
    train_and_export(TrainingData(train, tune, vocabulary), args.out, epochs=args.epochs,
                     seed=args.seed, log=log)
    log(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
