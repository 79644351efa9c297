"""Score topic segmentation on same-register documents, leaving one register out.

    uv run python -m tools.make_topic_eval --split tune --out /tmp/topic-tune
    uv run python -m tools.make_topic_eval --out /tmp/topic-eval
    uv run python -m tools.bench_topics --tune /tmp/topic-tune --dev /tmp/topic-eval
    uv run python -m tools.bench_topics --tune /tmp/topic-tune --fit   # the shipped weights

For each held-out register (chat, diet, jcre3, radio) the gap model is fitted, and its
threshold and minimum chapter length chosen, on the TUNE documents of the other three
registers only; it is then scored on the DEV documents of the held-out register (Pk and
WindowDiff, mean over documents; lower is better). Beside it: no boundary at all, an even
split into the reference's number of segments (an oracle count), and the segmenter that
shipped before this one (``--shipped``, its figures measured with ``kikigaki eval topics``).

Sentence vectors are cached under ``--cache`` (per encoder and text), so a second run
only scores.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from commands.evaluate import read_topic_reference
from kikigaki.nlp import tokenize
from postprocess import segmentation
from postprocess.embeddings import embed
from postprocess.evaluation import labels, pk, window_diff
from postprocess.topics import content_words, snap_to_openings

REGISTERS = ("chat", "diet", "jcre3", "radio")
THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6)
MIN_SENTENCES = (5, 6, 8, 10)
MAX_SENTENCES = (30, 40, 60, None)


@dataclass
class Document:
    name: str
    register: str
    sentences: list[str]
    reference: list[int]
    words: list[dict[str, int]]
    cues: segmentation.Cues | None
    vectors: dict[str, np.ndarray]


def load(
    folder: Path, encoders: list[str], cache: Path, registers: Sequence[str] = REGISTERS
) -> list[Document]:
    documents = []
    for path in sorted(folder.glob("*.txt")):
        if path.stem.split("_")[0] not in registers:
            continue
        sentences, reference = read_topic_reference(path)
        cue_path = path.with_suffix(".json")
        cues = None
        if cue_path.exists():
            data = json.loads(cue_path.read_text(encoding="utf-8"))
            cues = segmentation.Cues(data["speakers"], data["starts"], data["ends"])
        words = [dict(content_words(tokenize(s))) for s in sentences]
        vectors = {e: cached_vectors(sentences, e, cache) for e in encoders}
        register = path.stem.split("_")[0]
        documents.append(Document(path.stem, register, sentences, reference, words, cues, vectors))
    return documents


def cached_vectors(sentences: list[str], encoder: str, cache: Path) -> np.ndarray:
    key = hashlib.sha256("\n".join(sentences).encode()).hexdigest()[:24]
    path = cache / encoder / f"{key}.npy"
    if path.exists():
        return np.load(path)
    vectors = embed(sentences, encoder)  # type: ignore[arg-type]
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


_FEATURES: dict[tuple[int, str, bool], np.ndarray] = {}


def features(doc: Document, encoder: str, use_cues: bool) -> np.ndarray:
    """The gap features of ``doc`` (computed once per run)."""
    key = (id(doc), encoder, use_cues)
    if key not in _FEATURES:
        cues = doc.cues if use_cues else None
        _FEATURES[key] = segmentation.gap_features(doc.vectors[encoder], doc.words, cues)
    return _FEATURES[key]


def gap_labels(doc: Document) -> np.ndarray:
    y = np.zeros(len(doc.sentences) - 1, dtype=int)
    for start in doc.reference[1:]:
        y[start - 1] = 1
    return y


def fit(docs: list[Document], encoder: str, use_cues: bool) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    x = np.concatenate([features(d, encoder, use_cues) for d in docs])
    y = np.concatenate([gap_labels(d) for d in docs])
    model = LogisticRegression(C=0.5, max_iter=2000).fit(x, y)
    return model.coef_[0], float(model.intercept_[0])


def scores(doc: Document, starts: list[int]) -> tuple[float, float]:
    n = len(doc.sentences)
    ref, hyp = labels(doc.reference, n), labels(starts, n)
    return pk(ref, hyp), window_diff(ref, hyp)


SNAP = {"on": False}  # --snap: move boundaries to openings, as segment_topics does


def decode(doc: Document, probabilities: np.ndarray, settings: tuple) -> list[int]:
    threshold, minimum, longest = settings
    starts = segmentation.pick_boundaries(
        probabilities, min_sentences=minimum, threshold=threshold, max_sentences=longest
    )
    if SNAP["on"]:
        starts = snap_to_openings(starts, doc.sentences, probabilities, minimum)
    return starts


def choose(
    docs: list[Document], encoder: str, use_cues: bool, weights: np.ndarray, intercept: float
) -> tuple[tuple, float]:
    """The (threshold, minimum, maximum chapter length) with the lowest mean Pk on
    ``docs``, and that Pk."""
    probabilities = [
        segmentation.boundary_probabilities(features(d, encoder, use_cues), weights, intercept)
        for d in docs
    ]
    best: tuple[float, tuple] = (1.0, ())
    for settings in itertools.product(THRESHOLDS, MIN_SENTENCES, MAX_SENTENCES):
        pairs = zip(docs, probabilities, strict=True)
        value = float(np.mean([scores(d, decode(d, p, settings))[0] for d, p in pairs]))
        if value < best[0]:
            best = (value, settings)
    return best[1], best[0]


def evaluate(docs: list[Document], method) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    values = np.array([scores(d, method(d)) for d in docs])
    segments = np.mean([len(method(d)) for d in docs])
    return float(values[:, 0].mean()), float(values[:, 1].mean()), float(segments)


def even(doc: Document) -> list[int]:
    n, k = len(doc.sentences), len(doc.reference)
    return sorted({round(i * n / k) for i in range(k)})


def leave_one_out(
    tune: list[Document], dev: list[Document], encoder: str, use_cues: bool
) -> dict[str, tuple[float, float, float]]:
    results = {}
    for held in REGISTERS:
        train = [d for d in tune if d.register != held]
        test = [d for d in dev if d.register == held]
        if not test or not train:
            continue
        weights, intercept = fit(train, encoder, use_cues)
        settings, _ = choose(train, encoder, use_cues, weights, intercept)

        def method(d: Document, w=weights, b=intercept, chosen=settings) -> list[int]:
            p = segmentation.boundary_probabilities(features(d, encoder, use_cues), w, b)
            return decode(d, p, chosen)

        results[held] = evaluate(test, method)
    return results


def compare(tune: list[Document], dev: list[Document], args: argparse.Namespace) -> int:
    """Each encoder fitted on the same tune registers and scored on the same dev ones."""
    for encoder in args.encoders:
        weights, intercept = fit(tune, encoder, False)
        settings, _ = choose(tune, encoder, False, weights, intercept)
        results = {}
        for register in args.registers:
            docs = [d for d in dev if d.register == register]

            def method(
                d: Document, w=weights, b=intercept, chosen=settings, e=encoder
            ) -> list[int]:
                p = segmentation.boundary_probabilities(features(d, e, False), w, b)
                return decode(d, p, chosen)

            results[register] = evaluate(docs, method)
        print_table(f"{encoder} (fit on {'+'.join(args.fit_on)})", results)
    if args.speed:
        sample = [s for d in dev[:20] for s in d.sentences][:400]
        for encoder in args.encoders:
            print(f"{encoder}: {speed(encoder, sample):.0f} sentences/s ({len(sample)} sentences)")
    return 0


def speed(encoder: str, sentences: list[str]) -> float:
    from postprocess import embeddings

    embeddings._memo.clear()
    start = time.perf_counter()
    embed(sentences, encoder)  # type: ignore[arg-type]
    return len(sentences) / (time.perf_counter() - start)


def print_table(title: str, results: dict[str, tuple[float, float, float]]) -> None:
    cells = "  ".join(
        f"{r} Pk {v[0]:.3f} WD {v[1]:.3f} ({v[2]:.1f} seg)" for r, v in results.items()
    )
    mean_pk = np.mean([v[0] for v in results.values()])
    mean_wd = np.mean([v[1] for v in results.values()])
    print(f"{title:<28} {cells}  | mean Pk {mean_pk:.3f} WD {mean_wd:.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tune", type=Path, required=True)
    parser.add_argument("--dev", type=Path)
    parser.add_argument("--encoders", nargs="+", default=["use", "e5", "ginza"])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/kikigaki-topic-vectors"))
    parser.add_argument("--fit", action="store_true", help="fit on all tune documents, print")
    parser.add_argument("--speed", action="store_true", help="time each encoder")
    parser.add_argument("--cues", action="store_true", help="--fit with speaker/pause cues")
    parser.add_argument("--no-cues", action="store_true", help="score without cues only")
    parser.add_argument(
        "--registers", nargs="+", default=list(REGISTERS), help="dev registers to load (all)"
    )
    parser.add_argument(
        "--fit-on",
        nargs="+",
        choices=REGISTERS,
        help="compare encoders: fit on these tune registers, score --registers",
    )
    parser.add_argument("--snap", action="store_true", help="snap boundaries to openings")
    args = parser.parse_args(argv)
    SNAP["on"] = args.snap
    tune = load(args.tune, args.encoders, args.cache, args.fit_on or REGISTERS)
    if args.fit_on:
        return compare(tune, load(args.dev, args.encoders, args.cache, args.registers), args)
    if args.fit:
        for encoder in args.encoders:
            weights, intercept = fit(tune, encoder, args.cues)
            settings, value = choose(tune, encoder, args.cues, weights, intercept)
            print(f"{encoder}: GAP_INTERCEPT = {intercept:.3f}")
            print("GAP_WEIGHTS = (" + ", ".join(f"{w:.3f}" for w in weights) + ")")
            print(f"THRESHOLD, MIN_SENTENCES, MAX_SENTENCES = {settings}  (tune Pk {value:.3f})")
        return 0
    dev = load(args.dev, args.encoders, args.cache, args.registers)
    by_register = {r: [d for d in dev if d.register == r] for r in REGISTERS}
    print_table("no boundary", {r: evaluate(ds, lambda d: [0]) for r, ds in by_register.items()})
    print_table(
        "even split (oracle count)", {r: evaluate(ds, even) for r, ds in by_register.items()}
    )
    for encoder in args.encoders:
        for use_cues in (False,) if args.no_cues else (False, True):
            label = f"gap model {encoder}{' +cues' if use_cues else ''}"
            print_table(label, leave_one_out(tune, dev, encoder, use_cues))
    if args.speed:
        sample = [s for d in dev[:20] for s in d.sentences][:400]
        for encoder in args.encoders:
            print(f"{encoder}: {speed(encoder, sample):.0f} sentences/s ({len(sample)} sentences)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
