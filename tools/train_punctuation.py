"""Train the punctuation model shipped as ``postprocess/models/punctuation.npz``.

    uv run python tools/train_punctuation.py --corpora ../shared/corpora \\
        --out postprocess/models/punctuation.npz

Reads the licensed corpora (see their SOURCE.md files), normalises their punctuation,
strips 。、？！ and learns to put them back at SudachiPy morpheme boundaries with a
linear model on hashed features (scikit-learn's SGD, one-vs-rest log
loss). Each source keeps a "tune" split (for the decision offsets) and a "dev" split
(for the report) out of training. Deterministic for a given ``--seed``.
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
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse

from postprocess.nlp import tokenize
from postprocess.punctuation import (
    FEATURE_VERSION,
    LABELS,
    MARKS,
    N_FEATURES,
    PunctuationModel,
    allowed_boundaries,
    boundary_features,
    load_model,
    prf,
    punctuation_counts,
    restore_punctuation,
    split_marks,
    strongest_mark,
)

# Stands for "a sentence ends here, but the source does not say with which mark" (chat
# utterances and spoken turns without a final mark): ignored in training, 。 in evaluation.
UNKNOWN_END = "\x1f"
FILLERS = ("えーと", "えー", "あの", "あのー", "まあ", "なんか", "えっと", "うーん", "その")
EXCLAMATION_PRECISION = 0.6
SOURCE_WEIGHTS = {"diet": 1.0, "chat": 2.0, "j_cre3": 5.0, "koniwa": 1.0}


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


# ---------------------------------------------------------------- features


@dataclass
class Examples:
    ids: list[np.ndarray] = field(default_factory=list)
    labels: list[np.ndarray] = field(default_factory=list)
    weights: list[np.ndarray] = field(default_factory=list)

    def add(self, reference: str, hash_bits: int, weight: float) -> None:
        base, after = split_marks(reference, MARKS + UNKNOWN_END)
        morphemes = tokenize(base)
        if not morphemes:
            return
        keep = allowed_boundaries(morphemes)
        labels = np.array([_label(after[m.end - 1]) for m in morphemes], dtype=np.int64)
        keep &= labels >= 0
        self.ids.append(boundary_features(morphemes, hash_bits)[keep])
        self.labels.append(labels[keep])
        self.weights.append(np.full(int(keep.sum()), weight))

    def matrix(self, hash_bits: int) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
        ids = np.concatenate(self.ids)
        n = len(ids)
        indptr = np.arange(0, n * N_FEATURES + 1, N_FEATURES, dtype=np.int64)
        data = np.ones(n * N_FEATURES, dtype=np.float64)
        x = sparse.csr_matrix((data, ids.ravel(), indptr), shape=(n, 2**hash_bits))
        x.sum_duplicates()
        return x, np.concatenate(self.labels), np.concatenate(self.weights)


def _label(run: str) -> int:
    if UNKNOWN_END in run and not strongest_mark(run):
        return -1
    return LABELS.index(strongest_mark(run))


# ---------------------------------------------------------------- training


def train(x: sparse.csr_matrix, y: np.ndarray, w: np.ndarray, seed: int, epochs: int, alpha: float):  # type: ignore[no-untyped-def]
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
    f1s = []
    for scores, labels in scores_by_source.values():
        predicted = np.argmax(scores + offsets, axis=1)
        for column in columns:
            reference = int((labels == column).sum())
            if reference < 20:
                continue
            hits = int(((predicted == column) & (labels == column)).sum())
            f1s.append(prf(hits, int((predicted == column).sum()), reference)[2])
    return float(np.mean(f1s))


def export(model, offsets: np.ndarray, hash_bits: int, out: Path) -> None:  # type: ignore[no-untyped-def]
    weights = np.zeros((2**hash_bits, len(LABELS)), dtype=np.float32)
    bias = np.zeros(len(LABELS), dtype=np.float32)
    for row, label in enumerate(model.classes_):
        weights[:, label] = model.coef_[row]
        bias[label] = model.intercept_[row]
    # int8 with one scale per class: a quarter of the size, scores move by about 0.1.
    scale = np.maximum(np.abs(weights).max(axis=0), 1e-6) / 127
    quantised = np.round(weights / scale).astype(np.int8)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".partial.npz")
    np.savez_compressed(
        partial,
        weights_int8=quantised,
        weight_scale=scale.astype(np.float32),
        bias=bias,
        offsets=offsets.astype(np.float32),
        hash_bits=np.int64(hash_bits),
        feature_version=np.str_(FEATURE_VERSION),
        labels=np.array(LABELS),
    )
    partial.replace(out)


# ---------------------------------------------------------------- evaluation


def evaluate(
    corpus: Corpus, model: PunctuationModel, split: str = "dev"
) -> dict[str, tuple[float, float, float]]:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for reference in corpus.splits[split]:
        reference = reference.replace(UNKNOWN_END, "。")
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
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--alpha", type=float, default=1e-6, help="L2 regularisation")
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
    log("corpora read")
    rng = random.Random(args.seed)
    examples = Examples()
    tune_sets: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for corpus in corpora:
        for reference in corpus.splits["train"]:
            if corpus.name in ("diet", "chat"):
                reference = add_fillers(reference, rng)
            examples.add(reference, args.hash_bits, SOURCE_WEIGHTS[corpus.name])
        if corpus.splits["tune"]:
            tune = Examples()
            for reference in corpus.splits["tune"]:
                tune.add(reference, args.hash_bits, 1.0)
            tune_sets[corpus.name] = (np.concatenate(tune.ids), np.concatenate(tune.labels))
        log(f"{corpus.name}: " + ", ".join(f"{s} {len(t)} texts" for s, t in corpus.splits.items()))
    x, y, w = examples.matrix(args.hash_bits)
    log(f"training on {x.shape[0]:,} boundaries; label counts {np.bincount(y).tolist()}")
    model = train(x, y, w, args.seed, args.epochs, args.alpha)
    log("trained")
    export(model, np.zeros(len(LABELS)), args.hash_bits, args.out)
    load_model.cache_clear()
    raw = load_model(args.out)
    scored = {name: (raw.scores(ids), labels) for name, (ids, labels) in tune_sets.items()}
    offsets = tune_offsets(scored)
    log(f"decision offsets {dict(zip(LABELS, offsets.round(2).tolist(), strict=True))}")
    export(model, offsets, args.hash_bits, args.out)
    load_model.cache_clear()
    final = load_model(args.out)
    for corpus in corpora:
        n_chars = sum(len(t) for t in corpus.splits["dev"])
        print_table(corpus.name, evaluate(corpus, final), n_chars)
    size = args.out.stat().st_size
    log(f"wrote {args.out} ({size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
