"""Compare punctuation models on the tune objective, then (for the record) on dev texts.

    uv run python -m tools.compare_punctuation postprocess/models/punctuation.npz NEW.npz

The tune objective is the one ``tools/punctuation/train.py`` maximises: the mean F1 of
。、？ over the sources' tune splits, each read as one stream and with its speaker turns
known (chat's 、 left out). A candidate replaces the shipped model only when it scores
higher there; the leave-one-source-out table (``tools/punctuation/loso.py``) is the
figure to quote. Splits are drawn as the training script draws them (same seed and
budget), so no tune text was trained on.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import numpy as np

from postprocess.punctuation_model import PunctuationModel, load_model
from tools.punctuation.documents import Document, Vocabulary
from tools.punctuation.loso import SCORED, new_model_system, score
from tools.punctuation.train import TUNE_CONDITIONS, document_features, logger, mean_f1
from tools.punctuation.train import load_documents as load_training_documents


def model_ids(document: Document, vocabulary: Vocabulary, model: PunctuationModel) -> np.ndarray:
    """The document's Vocabulary ids as the model's own vocabulary ids (1 unknown)."""
    columns = []
    for f, lookup in enumerate(model.tagger.vocabularies):
        to_model = np.array([lookup.get(v, 1) for v in vocabulary.values[f]], dtype=np.int64)
        columns.append(to_model[document.ids[:, f]])
    return np.stack(columns, 1)


def tune_objective(model: PunctuationModel, tune: list[Document], vocabulary: Vocabulary,
                   seed: int) -> dict[str, float]:
    """The objective over everything ("all") and per source/condition."""
    rng = np.random.default_rng(seed)
    parts: dict[str, list[tuple[np.ndarray, ...]]] = defaultdict(list)
    for document in tune:
        ids = model_ids(document, vocabulary, model)
        keep = document.trainable
        for name, condition in TUNE_CONDITIONS.items():
            if condition.turns and not document.has_turns:
                continue
            features = document_features(document, condition, rng)
            scores = model.tagger.log_probabilities_of_ids(ids, features)
            parts[f"{document.source}/{name}"].append(
                (scores[keep], document.labels[keep], features[keep, 0] > 0))
    scored = {key: tuple(np.concatenate([p[k] for p in pieces]) for k in range(3))
              for key, pieces in parts.items()}
    result = {"all": mean_f1(scored, model.offsets)}  # type: ignore[arg-type]
    for key, triple in scored.items():
        result[key] = mean_f1({key: triple}, model.offsets)  # type: ignore[dict-item]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", type=Path, nargs="+")
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    parser.add_argument("--max-sentences", type=int, default=40_000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/kikigaki-punctuation"))
    args = parser.parse_args()
    corpora, documents, vocabulary = load_training_documents(
        args.corpora, args.max_sentences, args.seed, args.cache, logger())
    tune = [d for key, docs in documents.items() if key.endswith("/tune") for d in docs]
    for path in args.models:
        model = load_model(path)
        objective = tune_objective(model, tune, vocabulary, args.seed)
        parts = ", ".join(f"{k} {v:.3f}" for k, v in objective.items() if k != "all")
        print(f"{path}: tune objective {objective['all']:.4f} ({parts})")
        system = new_model_system(path)
        for name, corpus in corpora.items():
            dev = corpus.splits["dev"][:200]
            for condition in ("stream", "turns"):
                counts = score(system, dev, condition)
                if not counts["end"][2]:
                    continue  # no conversation of this source has turns
                cells = []
                for mark in SCORED:
                    hits, predicted, reference = counts[mark]
                    f1 = 2 * hits / (predicted + reference) if predicted + reference else 0.0
                    cells.append(f"{mark} {f1:.3f}")
                print(f"  dev {name:<7} {condition:<7} " + "  ".join(cells))


if __name__ == "__main__":
    main()
