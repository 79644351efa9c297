"""The shared corpora as documents with a fixed split, for the homophone language model.

Splits are by whole unit, so no held-out text is seen in training: a Diet *meeting*
(all its speeches), a chat *dialogue*. ``train`` is 90 %, ``tune`` 5 % (thresholds are
chosen there) and ``test`` 5 % (figures are reported there). Three sources are never
trained on and are wholly ``test`` (a source left out): JGLUE (written Wikipedia text,
questions, captions), Koniwa's two radio-talk programmes and J-CRe3's spoken dialogue.

No corpus text is copied anywhere: callers read ``../shared/corpora`` at run time.
"""

from __future__ import annotations

import csv
import gzip
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

TRAINED_SOURCES = ("diet", "chat")
HELD_OUT_SOURCES = ("jglue", "koniwa", "j_cre3")
SPLITS = ("train", "tune", "test")


@dataclass(frozen=True)
class Document:
    source: str
    key: str
    split: str
    lines: tuple[str, ...]  # paragraphs or utterances, in order


def split_of(key: str) -> str:
    bucket = zlib.crc32(f"homophones:{key}".encode()) % 100
    return "train" if bucket < 90 else "tune" if bucket < 95 else "test"


def diet(root: Path) -> Iterator[Document]:
    """Diet speeches from 1990 on (older ones use historical kana), split by meeting."""
    with gzip.open(root / "kokkai_diet_speeches" / "speeches.jsonl.gz", "rt",
                   encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record["date"] < "1990":
                continue
            meeting = f"{record['date']}|{record['house']}|{record['meeting']}"
            paragraphs = tuple(p for p in record["text"].split("\n") if p.strip())
            yield Document("diet", record["speech_id"], split_of(meeting), paragraphs)


def chat(root: Path) -> Iterator[Document]:
    """RealPersonaChat dialogues, split by dialogue."""
    with gzip.open(root / "real_persona_chat" / "utterances.tsv.gz", "rt",
                   encoding="utf-8") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        current, lines = None, []
        for row in rows:
            if row["dialogue_id"] != current:
                if current is not None:
                    yield Document("chat", current, split_of(f"chat:{current}"), tuple(lines))
                current, lines = row["dialogue_id"], []
            lines.extend(p for p in row["text"].split("\\n") if p.strip())
        if current is not None:
            yield Document("chat", current, split_of(f"chat:{current}"), tuple(lines))


def jglue(root: Path) -> Iterator[Document]:
    with gzip.open(root / "jglue" / "sentences.tsv.gz", "rt", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            yield Document("jglue", f"{row['source']}:{row['id']}", "test", (row["text"],))


def koniwa(root: Path) -> Iterator[Document]:
    """The two spontaneous radio-talk programmes (not the read stories)."""
    files: dict[str, list[str]] = {}
    with open(root / "koniwa" / "segments.tsv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row["series"] != "tnc" and row["text"].strip():
                files.setdefault(row["file_id"], []).append(row["text"])
    for file_id, texts in files.items():
        yield Document("koniwa", file_id, "test", ("".join(texts),))


def j_cre3(root: Path) -> Iterator[Document]:
    scenarios: dict[str, list[str]] = {}
    with open(root / "j_cre3" / "utterances.tsv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row["text_clean"].strip():
                scenarios.setdefault(row["scenario_id"], []).append(row["text_clean"])
    for scenario, lines in scenarios.items():
        yield Document("j_cre3", scenario, "test", tuple(lines))


READERS = {"diet": diet, "chat": chat, "jglue": jglue, "koniwa": koniwa, "j_cre3": j_cre3}


def documents(root: Path, sources: tuple[str, ...], split: str | None = None
              ) -> Iterator[Document]:
    """The documents of ``sources`` (in that order), only those of ``split`` if given."""
    for source in sources:
        for document in READERS[source](root):
            if split is None or document.split == split:
                yield document
