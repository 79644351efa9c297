"""Build same-register topic-segmentation documents from the corpora in ../shared.

    uv run python -m tools.make_topic_eval --out /tmp/topic-eval           # dev split
    uv run python -m tools.make_topic_eval --split tune --out /tmp/topic-tune
    uv run python -m tools.bench_topics --tune /tmp/topic-tune --dev /tmp/topic-eval

Each document joins passages (15-40 sentences) of different conversations of ONE register,
so word statistics of the register cannot give the answer away:

- ``chat``: RealPersonaChat dialogues (typed casual chat), split by the punctuation
  model's hash, so nothing here was seen when that model was trained;
- ``diet``: Diet speeches from 1990 on (stenographer-edited spoken debate), same hash;
- ``jcre3``: J-CRe3 spoken two-party dialogues, with speakers and start times
  (upstream ``test`` and half of ``train`` are dev, ``valid`` and the other half tune);
- ``radio``: Koniwa's radio programmes (two talk shows and four stories read on air), with
  times. There are only six, so the tune and dev documents share them (different passages);
  for the leave-one-source-out figure radio is never tuned on while it is held out.

A document is ``NAME.txt`` (one sentence per line, a blank line where the conversation
changes: what ``kikigaki eval topics`` reads) and, for sources with a clock,
``NAME.json`` with each sentence's speaker and start/end seconds. Passages are laid end to
end on one clock with the source's median pause between them, so a pause at a junction
tells no more than any other pause. The documents are written outside the repository: the
corpus text is not ours to redistribute.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import random
import re
import statistics
import zlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from tools.punctuation.corpora import clean_j_cre3, split_of

TRAINING_SEED = 13
SHORTEST, LONGEST = 15, 40
_SENTENCE = re.compile(r"[^。？！?!]+[。？！?!]*")


@dataclass
class Line:
    text: str
    speaker: str | None = None
    start: float | None = None
    end: float | None = None


@dataclass
class Conversation:
    key: str
    lines: list[Line] = field(default_factory=list)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text.replace("\n", "")) if len(s.strip()) > 1]


def timed_sentences(
    text: str, speaker: str | None, start: float | None, end: float | None
) -> list[Line]:
    """The sentences of one timed utterance, its span shared out by length."""
    found = sentences(text)
    if start is None or end is None or not found:
        return [Line(s, speaker, start, end) for s in found]
    total = sum(len(s) for s in found)
    lines, clock = [], start
    for s in found:
        length = (end - start) * len(s) / total
        lines.append(Line(s, speaker, round(clock, 3), round(clock + length, 3)))
        clock += length
    return lines


# ---------------------------------------------------------------- sources


def chat_conversations(root: Path, split: str) -> Iterator[Conversation]:
    turns: dict[str, list[Line]] = defaultdict(list)
    path = root / "real_persona_chat" / "utterances.tsv.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            if split_of(row["dialogue_id"], TRAINING_SEED) == split:
                text = row["text"].replace("\\n", "")
                turns[row["dialogue_id"]].extend(Line(s) for s in sentences(text))
    for key in sorted(turns, key=int):
        yield Conversation(f"chat:{key}", turns[key])


def diet_conversations(root: Path, split: str) -> Iterator[Conversation]:
    path = root / "kokkai_diet_speeches" / "speeches.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            if record["date"] < "1990" or split_of(record["speech_id"], TRAINING_SEED) != split:
                continue
            found = sentences(record["text"])
            if len(found) >= SHORTEST:
                yield Conversation(f"diet:{record['speech_id']}", [Line(s) for s in found])


def jcre3_conversations(root: Path, split: str) -> Iterator[Conversation]:
    rows: dict[str, list[dict[str, str]]] = defaultdict(list)
    with open(root / "j_cre3" / "utterances.tsv", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            rows[row["scenario_id"]].append(row)
    for key in sorted(rows):
        if _jcre3_split(key, rows[key][0]["split"]) != split:
            continue
        ordered = sorted(rows[key], key=lambda r: float(r["start_sec"]))
        lines: list[Line] = []
        for i, row in enumerate(ordered):
            start = float(row["start_sec"])
            following = float(ordered[i + 1]["start_sec"]) if i + 1 < len(ordered) else None
            text = clean_j_cre3(row["text_raw"])
            end = _utterance_end(start, following, len(text))
            lines.extend(timed_sentences(text, row["speaker"], start, end))
        yield Conversation(f"jcre3:{key}", lines)


def _jcre3_split(key: str, upstream: str) -> str:
    if upstream == "valid":
        return "tune"
    if upstream == "train":
        return "tune" if zlib.crc32(key.encode()) % 2 else "dev"
    return "dev"


def _utterance_end(start: float, following: float | None, chars: int) -> float:
    """J-CRe3 gives start times only: about 7 characters a second, never past the next."""
    spoken = start + max(0.5, chars / 7)
    return round(min(spoken, following - 0.05) if following else spoken, 3)


def radio_conversations(root: Path, split: str) -> Iterator[Conversation]:
    del split  # six programmes only: both splits use them (see the module docstring)
    segments: dict[str, list[dict[str, str]]] = defaultdict(list)
    with open(root / "koniwa" / "segments.tsv", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row["text"].strip():
                segments[row["file_id"]].append(row)
    for key in sorted(segments):
        yield Conversation(f"radio:{key}", _radio_lines(segments[key]))


def _radio_lines(rows: list[dict[str, str]]) -> list[Line]:
    """Pause-segmented rows joined into sentences; a sentence spans its first row's start
    to its last row's end."""
    lines: list[Line] = []
    text, start = "", None
    for row in rows:
        if start is None:
            start = float(row["start_sec"])
        text += row["text"].strip()
        if text and text[-1] in "。？！?!":
            lines.extend(timed_sentences(text, None, start, float(row["end_sec"])))
            text, start = "", None
    if text:
        lines.extend(timed_sentences(text, None, start, float(rows[-1]["end_sec"])))
    return lines


SOURCES = {
    "chat": chat_conversations,
    "diet": diet_conversations,
    "jcre3": jcre3_conversations,
    "radio": radio_conversations,
}


# ---------------------------------------------------------------- documents


def passage(conversation: Conversation, rng: random.Random) -> list[Line]:
    length = min(len(conversation.lines), rng.randint(SHORTEST, LONGEST))
    start = rng.randint(0, len(conversation.lines) - length)
    return conversation.lines[start : start + length]


def documents(
    conversations: list[Conversation], count: int, rng: random.Random, reuse: bool
) -> Iterator[list[list[Line]]]:
    """``count`` documents of 3-6 passages from different conversations; a conversation
    is used once unless ``reuse`` (for a source with few conversations)."""
    usable = [c for c in conversations if len(c.lines) >= SHORTEST]
    rng.shuffle(usable)
    cursor = 0
    for _ in range(count):
        parts = min(rng.randint(3, 6), len(usable))
        if reuse:
            chosen = rng.sample(usable, parts)
        elif cursor + parts > len(usable):
            return
        else:
            chosen = usable[cursor : cursor + parts]
            cursor += parts
        yield [passage(c, rng) for c in chosen]


def one_clock(passages: list[list[Line]]) -> list[list[Line]]:
    """Passages shifted onto one clock, the source's median pause between them."""
    if any(line.start is None or line.end is None for p in passages for line in p):
        return passages
    pauses = [
        b.start - a.end  # type: ignore[operator]
        for p in passages
        for a, b in pairwise(p)
        if b.start is not None and a.end is not None and b.start >= a.end
    ]
    pause = statistics.median(pauses) if pauses else 0.3
    shifted, clock = [], 0.0
    for p in passages:
        offset = clock - p[0].start  # type: ignore[operator]
        moved = [
            Line(x.text, x.speaker, round(x.start + offset, 3), round(x.end + offset, 3))  # type: ignore[operator]
            for x in p
        ]
        shifted.append(moved)
        clock = moved[-1].end + pause  # type: ignore[operator]
    return shifted


def write(out: Path, name: str, passages: list[list[Line]]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    text = "\n\n".join("\n".join(line.text for line in p) for p in passages) + "\n"
    (out / f"{name}.txt").write_text(text, encoding="utf-8")
    lines = [line for p in passages for line in p]
    if any(line.start is not None for line in lines):
        cues = {
            "speakers": [line.speaker for line in lines],
            "starts": [line.start for line in lines],
            "ends": [line.end for line in lines],
        }
        (out / f"{name}.json").write_text(json.dumps(cues), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--documents", type=int, default=30, help="per source (30)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--split",
        choices=("dev", "tune"),
        default="dev",
        help="dev: to report; tune: to choose settings",
    )
    parser.add_argument("--sources", nargs="+", choices=sorted(SOURCES), default=list(SOURCES))
    args = parser.parse_args(argv)
    rng = random.Random(f"{args.seed}:{args.split}")
    for name in args.sources:
        conversations = list(SOURCES[name](args.corpora, args.split))
        reuse = len(conversations) < 3 * args.documents
        count = args.documents if not reuse else min(args.documents, 3 * len(conversations))
        made = documents(conversations, count, rng, reuse)
        for i, passages in enumerate(made):
            write(args.out, f"{name}_{i:03d}", one_clock(passages))
    print(f"wrote {len(list(args.out.glob('*.txt')))} documents to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
