"""Compare punctuation models on the same held-out splits: the tune objective, then dev F1.

    uv run python -m tools.compare_punctuation postprocess/models/punctuation.npz NEW.npz

The tune objective is the one ``tools/train_punctuation.py`` maximises (mean F1 of 。、？
over the sources, chat's 、 left out); a new model replaces the shipped one only when it
scores higher there. Dev F1 per source and mark is printed for the record, not to choose.
Both splits are drawn as the training script draws them (same seed and budget), so no
text of either was trained on.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from postprocess.punctuation import load_model
from tools.train_punctuation import (
    LABELS,
    Document,
    _mean_f1,
    evaluate,
    load_chat,
    load_diet,
    load_j_cre3,
    load_koniwa,
    part_scores,
    print_table,
    tokenise_corpora,
)


def tune_objective(model_path: Path, tune: list[Document]) -> dict[str, float]:
    """The objective over all sources ("all") and for each source alone."""
    model = load_model(model_path)
    columns = range(1, LABELS.index("！"))
    scored = {
        source: (model.linear_weight * linear + model.tagger_weight * tagger, labels)
        for source, (linear, tagger, labels) in part_scores(model, tune).items()
    }
    result = {"all": _mean_f1(scored, model.offsets, columns)}
    for source, pair in scored.items():
        result[source] = _mean_f1({source: pair}, model.offsets, columns)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", type=Path, nargs="+")
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    parser.add_argument("--max-sentences", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    corpora = [load_diet(args.corpora, args.max_sentences, args.seed),
               load_chat(args.corpora, 2 * args.max_sentences, args.seed),
               load_j_cre3(args.corpora), load_koniwa(args.corpora)]
    splits = tokenise_corpora(corpora, args.seed)
    for path in args.models:
        objective = tune_objective(path, splits["tune"])
        parts = ", ".join(f"{s} {v:.4f}" for s, v in objective.items() if s != "all")
        print(f"{path}: tune objective {objective['all']:.4f} ({parts})")
        model = load_model(path)
        for corpus in corpora:
            dev = [d for d in splits["dev"] if d.source == corpus.name]
            chars = sum(len(t) for t in corpus.splits["dev"])
            print_table(corpus.name, evaluate(dev, model), chars)


if __name__ == "__main__":
    main()
