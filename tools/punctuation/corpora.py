"""The licensed corpora as conversations: speaker turns, caption cues and gaps between them.

Every source is read into :class:`Conversation` objects made of :class:`Piece` objects (a
chat message, a transcribed utterance, a radio caption segment, a Diet paragraph), each
with its speaker when the source says. Marks are normalised (full-width, one mark per
boundary, the strongest of a run); a piece that ends a turn without a mark gets
``UNKNOWN_END`` (a sentence ends there but the source does not say with which mark).

Splits are by speech / dialogue / scenario / file, so no held-out text is trained on:
``train``, ``tune`` (decision settings) and ``dev`` (reports).
"""

from __future__ import annotations

import csv
import gzip
import json
import random
import re
import unicodedata
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from postprocess.punctuation import MARKS, strongest_mark

UNKNOWN_END = "\x1f"
SPLITS = ("train", "tune", "dev")
SOURCES = ("diet", "chat", "j_cre3", "koniwa")
# What each source is, for tables.
SOURCE_NAMES = {
    "diet": "Diet (formal speech)",
    "chat": "RealPersonaChat (typed chat)",
    "j_cre3": "J-CRe3 (spoken dialogue)",
    "koniwa": "Koniwa radio talk",
}


@dataclass(frozen=True, slots=True)
class Piece:
    """A stretch of reference text (with marks) as the source cuts it."""

    text: str
    speaker: str | None = None
    gap_after: float | None = None  # seconds of silence before the next piece, when known


@dataclass(slots=True)
class Conversation:
    source: str
    key: str
    pieces: list[Piece]
    has_turns: bool = True  # the source names speakers
    has_cues: bool = False  # pieces are pause-cut segments, like ASR or caption cues

    @property
    def reference(self) -> str:
        return "".join(p.text for p in self.pieces)


@dataclass
class Corpus:
    name: str
    splits: dict[str, list[Conversation]] = field(default_factory=lambda: defaultdict(list))

    def chars(self, split: str) -> int:
        return sum(len(c.reference) for c in self.splits[split])


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


def split_of(key: str, seed: int, held_out_percent: int = 2) -> str:
    bucket = zlib.crc32(f"{seed}:{key}".encode()) % 100
    if bucket < held_out_percent:
        return "dev"
    return "tune" if bucket < 2 * held_out_percent else "train"


def sentence_count(text: str) -> int:
    return sum(text.count(c) for c in "。？！" + UNKNOWN_END)


def _fill(corpus: Corpus, items: Iterable[Conversation], budget: int, seed: int) -> None:
    """Split conversations by key; stop once train, tune and dev have their sentences."""
    held_out_budget = max(budget // 20, 2_000)
    used = dict.fromkeys(SPLITS, 0)
    limits = {"train": budget, "tune": held_out_budget, "dev": held_out_budget}
    for conversation in items:
        split = split_of(conversation.key, seed)
        if used[split] < limits[split]:
            corpus.splits[split].append(conversation)
            used[split] += sentence_count(conversation.reference)
        if all(used[s] >= limits[s] for s in used):
            break


# ---------------------------------------------------------------- sources


def load_diet(root: Path, budget: int, seed: int) -> Corpus:
    """Diet speeches since 1990; a speech is one turn, its paragraphs are its pieces."""
    speeches: list[tuple[str, str]] = []
    with gzip.open(root / "kokkai_diet_speeches" / "speeches.jsonl.gz", "rt",
                   encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            if record["date"] >= "1990" and record["text"].strip():
                speeches.append((record["speech_id"], record["text"]))
    random.Random(seed).shuffle(speeches)
    corpus = Corpus("diet")
    _fill(corpus, (_diet_speech(key, text) for key, text in speeches), budget, seed)
    return corpus


def _diet_speech(key: str, text: str) -> Conversation:
    paragraphs = [close_turn(diet_questions(normalise(p))) for p in text.split("\n")]
    pieces = [Piece(p, speaker=key) for p in paragraphs if p]
    return Conversation("diet", key, pieces)


def diet_questions(text: str) -> str:
    """The minutes write questions as か。; speech transcripts (and chat) write か？."""
    return text.replace("か。", "か？")


def load_chat(root: Path, budget: int, seed: int) -> Corpus:
    """RealPersonaChat dialogues; each message is a piece, ending a sentence."""
    dialogues: dict[str, list[Piece]] = defaultdict(list)
    with gzip.open(root / "real_persona_chat" / "utterances.tsv.gz", "rt",
                   encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            text = re.sub(r"<[A-Z]{2}>", "田中", row["text"]).replace("\\n", "\n")
            message = "".join(close_turn(normalise(part)) for part in text.split("\n"))
            if message:
                dialogues[row["dialogue_id"]].append(Piece(message, speaker=row["speaker"]))
    keys = sorted(dialogues)
    random.Random(seed).shuffle(keys)
    corpus = Corpus("chat")
    _fill(corpus, (Conversation("chat", k, dialogues[k]) for k in keys), budget, seed)
    return corpus


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
    """Scenarios in the upstream split: train, valid (our tune), test (our dev)."""
    rows_by_scenario: dict[str, list[dict[str, str]]] = defaultdict(list)
    with open(root / "j_cre3" / "utterances.tsv", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            rows_by_scenario[row["scenario_id"]].append(row)
    corpus = Corpus("j_cre3")
    upstream_to_ours = {"valid": "tune", "test": "dev"}
    for scenario in sorted(rows_by_scenario):
        rows = sorted(rows_by_scenario[scenario], key=lambda r: float(r["start_sec"]))
        pieces = [Piece(close_turn(normalise(clean_j_cre3(r["text_raw"]))), r["speaker"])
                  for r in rows]
        conversation = Conversation("j_cre3", scenario, [p for p in pieces if p.text],
                                    has_cues=True)
        corpus.splits[upstream_to_ours.get(rows[0]["split"], "train")].append(conversation)
    return corpus


def load_koniwa(root: Path) -> Corpus:
    """Radio talk (two programmes, no speaker labels) is dev; read-aloud stories train.

    Pieces are the pause-cut segments with the silence before the next one.
    """
    rows_by_file: dict[str, list[dict[str, str]]] = defaultdict(list)
    with open(root / "koniwa" / "segments.tsv", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row["text"].strip():
                rows_by_file[row["file_id"]].append(row)
    corpus = Corpus("koniwa")
    for file_id in sorted(rows_by_file):
        rows = rows_by_file[file_id]
        pieces = [
            Piece(normalise(row["text"].strip()), None,
                  float(after["start_sec"]) - float(row["end_sec"]) if after else None)
            for row, after in zip(rows, [*rows[1:], None], strict=True)
        ]
        conversation = Conversation("koniwa", file_id, pieces, has_turns=False, has_cues=True)
        split = "train" if rows[0]["series"] == "tnc" else "dev"
        corpus.splits[split].append(conversation)
    return corpus


def load_all(root: Path, budget: int, seed: int) -> dict[str, Corpus]:
    """Every source; ``budget`` training sentences from the Diet, twice that from chat."""
    return {
        "diet": load_diet(root, budget, seed),
        "chat": load_chat(root, 2 * budget, seed),
        "j_cre3": load_j_cre3(root),
        "koniwa": load_koniwa(root),
    }


def iter_conversations(corpora: dict[str, Corpus], split: str) -> Iterator[Conversation]:
    for corpus in corpora.values():
        yield from corpus.splits[split]
