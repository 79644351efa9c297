"""Build topic-segmentation test documents from held-out conversations of the corpora.

    uv run python tools/make_topic_eval.py --corpora ../shared/corpora --out /tmp/topic-eval
    uv run kikigaki eval topics /tmp/topic-eval/*.txt

Each document concatenates passages of different conversations (casual chat dialogues, or
Diet speeches), one sentence per line and a blank line where the conversation changes,
which is the format ``kikigaki eval topics`` reads. Only conversations in the punctuation
model's "dev" split are used (the same hash as ``tools/train_punctuation.py``), so nothing
here was seen in training; ``--split tune`` takes the "tune" split instead, on which the
segmenter's settings are chosen (``tools/tune_topics.py``). The documents are written
outside the repository: the corpus text is not ours to redistribute.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import random
import re
from collections.abc import Iterator
from pathlib import Path

from tools.train_punctuation import split_of

TRAINING_SEED = 13
_SENTENCE = re.compile(r"[^。？！?!]+[。？！?!]*")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text.replace("\n", "")) if len(s.strip()) > 1]


def chat_conversations(root: Path, split: str = "dev") -> Iterator[list[str]]:
    turns: dict[str, list[str]] = {}
    path = root / "real_persona_chat" / "utterances.tsv.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            if split_of(row["dialogue_id"], TRAINING_SEED) == split:
                turns.setdefault(row["dialogue_id"], []).append(row["text"].replace("\\n", ""))
    for key in sorted(turns, key=int):
        yield [t.strip() for t in turns[key] if t.strip()]


def diet_conversations(root: Path, split: str = "dev") -> Iterator[list[str]]:
    path = root / "kokkai_diet_speeches" / "speeches.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            if record["date"] < "1990" or split_of(record["speech_id"], TRAINING_SEED) != split:
                continue
            found = sentences(record["text"])
            if len(found) >= 12:
                yield found


def passage(conversation: list[str], rng: random.Random, shortest: int, longest: int) -> list[str]:
    length = min(len(conversation), rng.randint(shortest, longest))
    start = rng.randint(0, len(conversation) - length)
    return conversation[start : start + length]


def documents(
    conversations: list[list[str]], count: int, rng: random.Random, shortest: int, longest: int
) -> Iterator[list[list[str]]]:
    usable = [c for c in conversations if len(c) >= shortest]
    rng.shuffle(usable)
    cursor = 0
    for _ in range(count):
        parts = rng.randint(4, 7)
        if cursor + parts > len(usable):
            return
        yield [passage(c, rng, shortest, longest) for c in usable[cursor : cursor + parts]]
        cursor += parts


def write(out: Path, name: str, passages: list[list[str]]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    text = "\n\n".join("\n".join(p) for p in passages) + "\n"
    (out / name).write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--documents", type=int, default=20, help="per source (20)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--split", choices=("dev", "tune"), default="dev",
                        help="dev: to report; tune: to choose settings (tools/tune_topics.py)")
    parser.add_argument("--lengths", type=int, nargs=2, metavar=("SHORTEST", "LONGEST"),
                        help="passage lengths in sentences (default: chat 10-20, Diet 10-25)")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    chat, diet = (args.lengths, args.lengths) if args.lengths else ((10, 20), (10, 25))
    sources = {
        "chat": (list(chat_conversations(args.corpora, args.split)), *chat),
        "diet": (list(diet_conversations(args.corpora, args.split)), *diet),
    }
    for name, (conversations, shortest, longest) in sources.items():
        made = documents(conversations, args.documents, rng, shortest, longest)
        for i, passages in enumerate(made):
            write(args.out, f"{name}_{i:03d}.txt", passages)
    print(f"wrote {len(list(args.out.glob('*.txt')))} documents to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
