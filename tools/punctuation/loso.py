"""The leave-one-source-out protocol: per-mark P/R/F1 on a source never trained or tuned on.

    nice -n 10 uv run python -m tools.punctuation.loso [--budget 20000] [--epochs 2]

For each source (J-CRe3 spoken dialogue, Koniwa radio talk, RealPersonaChat typed chat,
Diet formal speech), a model is trained on all the other sources, with its decision
offsets chosen on their tune splits, and tested on the held-out one in each condition:

- ``stream``: the conversation as one text without line breaks (the re-clean case);
- ``turns``: each speaker turn a unit whose end is a sentence end (turns known);
- ``cues``: the source's pause-cut segments as caption cues, their ends only evidence.

Beside it: the model shipped before this protocol existed (commit ``BASELINE_COMMIT``, read
from git; trained on parts of J-CRe3, chat and the Diet, so flattered on those), run the
way ``kikigaki punctuate`` ran it (one call per turn, a turn end without a sentence end
forced to 。), and a trivial baseline (a sentence end at every unit or cue end, nothing
else). Test texts: J-CRe3 all 94 scenarios; Koniwa both radio programmes; chat and Diet
their dev splits, up to ``--test-chars`` characters each. Fold models are kept in
``--cache`` so the table can be printed again without training (``--reuse``).
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

from postprocess.punctuation import (
    MARKS,
    SENTENCE_ENDS,
    TextPiece,
    load_model,
    prf,
    punctuate_pieces,
    punctuation_counts,
    split_marks,
)
from tools.punctuation.corpora import SOURCE_NAMES, SOURCES, UNKNOWN_END, Conversation, Corpus
from tools.punctuation.train import TrainingData, load_documents, logger, train_and_export

BASELINE_COMMIT = "77656d0"
CONDITIONS = ("stream", "turns", "cues")
SCORED = ("。", "、", "？", "end")
Counts = dict[str, list[int]]  # mark -> [true positives, predicted, reference]
System = Callable[[Conversation, str], str]  # (conversation, condition) -> punctuated text


# ---------------------------------------------------------------- test texts


def units(conversation: Conversation, condition: str) -> list[tuple[str, bool]]:
    """The conversation's text (marks stripped) as (piece, is a unit end) per condition.

    ``stream``: one piece. ``turns``: consecutive pieces of one speaker joined, each turn a
    unit. ``cues``: the source's pieces, only the last a unit end.
    """
    plain = [split_marks(p.text, MARKS + UNKNOWN_END)[0] for p in conversation.pieces]
    if condition == "stream":
        return [("".join(plain), True)]
    if condition == "cues":
        return [(text, k == len(plain) - 1) for k, text in enumerate(plain)]
    turns: list[tuple[str, bool]] = []
    for k, (piece, text) in enumerate(zip(conversation.pieces, plain, strict=True)):
        if k and conversation.pieces[k - 1].speaker == piece.speaker and turns:
            turns[-1] = (turns[-1][0] + text, True)
        else:
            turns.append((text, True))
    return turns


def applies(conversation: Conversation, condition: str) -> bool:
    return (condition == "stream" or (condition == "turns" and conversation.has_turns)
            or (condition == "cues" and conversation.has_cues))


def reference_text(conversation: Conversation) -> str:
    return conversation.reference.replace(UNKNOWN_END, "。")


def test_conversations(corpus: Corpus, max_chars: int) -> list[Conversation]:
    if corpus.name == "j_cre3":
        return [c for split in ("train", "tune", "dev") for c in corpus.splits[split]]
    chosen, chars = [], 0
    for conversation in corpus.splits["dev"]:
        if chars >= max_chars:
            break
        chosen.append(conversation)
        chars += len(conversation.reference)
    return chosen


# ---------------------------------------------------------------- systems


def new_model_system(model_path: Path) -> System:
    model = load_model(model_path)

    def run(conversation: Conversation, condition: str) -> str:
        pieces = [TextPiece(text, unit_end=end, cue_end=condition == "cues")
                  for text, end in units(conversation, condition)]
        return "".join(punctuate_pieces(pieces, cues_known=condition == "cues", model=model))

    return run


def trivial_system(conversation: Conversation, condition: str) -> str:
    """A sentence end at the end of every unit (and cue), nothing else."""
    return "".join(text + "。" if text else "" for text, _ in units(conversation, condition))


def legacy_module(commit: str, scratch: Path) -> tuple[ModuleType, Path]:
    """The punctuation module and model file as they were at ``commit``."""
    code, weights = scratch / "legacy_punctuation.py", scratch / "legacy_punctuation.npz"
    for source, target in (("postprocess/punctuation.py", code),
                           ("postprocess/models/punctuation.npz", weights)):
        target.write_bytes(subprocess.run(["git", "show", f"{commit}:{source}"], check=True,
                                          capture_output=True).stdout)
    spec = importlib.util.spec_from_file_location("legacy_punctuation", code)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {code}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module, weights


def legacy_system(module: ModuleType, model_path: Path) -> System:
    """The shipped model as ``kikigaki punctuate`` ran it: per turn, the end forced to 。."""
    model = module.load_model(model_path)

    def run(conversation: Conversation, condition: str) -> str:
        if condition != "turns":  # it knew no cues: the segments were joined
            return module.restore_punctuation(units(conversation, "stream")[0][0], model=model)
        out = []
        for text, _ in units(conversation, condition):
            punctuated = module.restore_punctuation(text, model=model)
            if punctuated and punctuated[-1] not in SENTENCE_ENDS:
                punctuated = punctuated.rstrip("、") + "。"
            out.append(punctuated)
        return "".join(out)

    return run


# ---------------------------------------------------------------- scoring


def score(system: System, conversations: Sequence[Conversation], condition: str) -> Counts:
    totals: Counts = defaultdict(lambda: [0, 0, 0])
    for conversation in conversations:
        if not applies(conversation, condition):
            continue
        predicted = system(conversation, condition)
        for mark, counts in punctuation_counts(reference_text(conversation), predicted).items():
            for k in range(3):
                totals[mark][k] += counts[k]
    return totals


def table_rows(name: str, counts_by_condition: dict[str, Counts]) -> list[str]:
    rows = []
    for condition, counts in counts_by_condition.items():
        cells = []
        for mark in SCORED:
            p, r, f1 = prf(*counts[mark])
            cells.append(f"{f1:.3f} ({p:.2f}/{r:.2f})")
        rows.append(f"| {name} | {condition} | " + " | ".join(cells) + " |")
    return rows


def print_source_table(source: str, conversations: Sequence[Conversation],
                       systems: dict[str, System]) -> None:
    chars = sum(len(c.reference) for c in conversations)
    ends = sum(reference_text(c).count(m) for c in conversations for m in "。？！")
    questions = sum(c.reference.count("？") for c in conversations)
    print(f"\n### {SOURCE_NAMES[source]}: {chars:,} characters, {ends:,} sentence ends, "
          f"{questions:,} ？\n")
    print("| system | condition | 。 F1 (P/R) | 、 F1 (P/R) | ？ F1 (P/R) | any end F1 (P/R) |")
    print("|---|---|---|---|---|---|")
    conditions = [c for c in CONDITIONS if any(applies(x, c) for x in conversations)]
    for name, system in systems.items():
        by_condition = {c: score(system, conversations, c) for c in conditions}
        for row in table_rows(name, by_condition):
            print(row, flush=True)


# ---------------------------------------------------------------- folds


def fold_splits(held_out: str) -> tuple[list[str], list[str]]:
    """(training keys, tune keys) of documents for the fold that leaves ``held_out`` out."""
    others = [s for s in SOURCES if s != held_out]
    train = [f"{s}/train" for s in others]
    train += [f"{s}/dev" for s in others if s in ("j_cre3", "koniwa")]
    return train, [f"{s}/tune" for s in others]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    parser.add_argument("--budget", type=int, default=20_000,
                        help="training sentences from the Diet per fold (twice that from chat)")
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--test-chars", type=int, default=40_000)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/kikigaki-punctuation"))
    parser.add_argument("--reuse", action="store_true", help="use fold models already trained")
    parser.add_argument("--sources", nargs="+", default=list(SOURCES), choices=SOURCES)
    parser.add_argument("--no-baselines", action="store_true")
    args = parser.parse_args(argv)
    log = logger()
    corpora, documents, vocabulary = load_documents(args.corpora, args.budget, args.seed,
                                                    args.cache, log)
    with tempfile.TemporaryDirectory() as scratch:
        baselines: dict[str, System] = {}
        if not args.no_baselines:
            module, path = legacy_module(BASELINE_COMMIT, Path(scratch))
            baselines = {f"shipped before ({BASELINE_COMMIT})": legacy_system(module, path),
                         "trivial: unit/cue ends only": trivial_system}
        for source in args.sources:
            fold = args.cache / f"loso-{source}-{args.budget}-{args.epochs}-{args.seed}.npz"
            if not (args.reuse and fold.is_file()):
                train_keys, tune_keys = fold_splits(source)
                data = TrainingData([d for k in train_keys for d in documents[k]],
                                    [d for k in tune_keys for d in documents[k]], vocabulary)
                log(f"fold {source}: {len(data.train)} training documents")
                train_and_export(data, fold, epochs=args.epochs, seed=args.seed, log=log)
            systems = {**baselines, "new, source left out": new_model_system(fold)}
            print_source_table(source, test_conversations(corpora[source], args.test_chars),
                               systems)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
