"""Choose the topic segmenter's settings on the *tune* split, never on the dev split.

    uv run python -m tools.make_topic_eval --split tune --out /tmp/topic-tune
    uv run python -m tools.tune_topics /tmp/topic-tune/*.txt

Sentence embeddings and content words are computed once per document; then every
combination of the grid below is scored by mean Pk (lower is better) and the best ones
are printed. The defaults in ``postprocess/topics.py`` are set from this table, and the
dev split (``tools/make_topic_eval.py``) is scored once afterwards.

Run of 2026-11-23 (60 tune documents each; best first, mean Pk):

- passages of 10-20/10-25 sentences (the defaults): min 10, weight 0.6, strong 1.5,
  ceiling 1200: 0.159; ... min 10, 0.6, 2.0, 1200: 0.172; the best with min 8: > 0.175.
- passages of 6-30 sentences (``--lengths 6 30 --seed 2``): min 10, 0.6, 2.0, 1200:
  0.237 (the best); min 10, 0.6, 1.5, 1200: > 0.249.

Chosen: min 10, weight 0.6, strong depth 2.0, ceiling 1200 (the best on the mean of both).
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np

from commands.evaluate import read_topic_reference
from kikigaki.nlp import tokenize
from postprocess import topics
from postprocess.embeddings import embed

GRID = {
    "min_sentences": (6, 8, 10, 12),
    "EMBEDDING_WEIGHT": (0.6, 0.8),
    "STRONG_DEPTH": (1.0, 1.5, 2.0),
    "CHARS_PER_CHAPTER_CEILING": (850, 1200),
}


def features(path: Path) -> tuple[list[str], np.ndarray, list, list[int]]:
    sentences, reference = read_topic_reference(path)
    words = [topics.content_words(tokenize(s)) for s in sentences]
    return sentences, embed(sentences), words, reference


def score(documents: list, settings: dict) -> float:
    for name, value in settings.items():
        if name != "min_sentences":
            setattr(topics, name, value)
    values = []
    for sentences, vectors, words, reference in documents:
        found = topics._boundaries(sentences, vectors, words,
                                   min_sentences=settings["min_sentences"], max_segments=None)
        n = len(sentences)
        values.append(topics.pk(topics.labels(reference, n), topics.labels(found, n)))
    return float(np.mean(values))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("documents", type=Path, nargs="+")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args(argv)
    documents = [features(path) for path in args.documents]
    names = list(GRID)
    results = []
    for values in itertools.product(*GRID.values()):
        settings = dict(zip(names, values, strict=True))
        results.append((score(documents, settings), settings))
    results.sort(key=lambda pair: pair[0])
    print(f"{len(documents)} documents, {len(results)} settings")
    for value, settings in results[: args.top]:
        print(f"Pk {value:.4f}  {settings}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
