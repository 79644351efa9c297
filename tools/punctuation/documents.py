"""Conversations tokenised and labelled, as compact arrays the trainer batches from.

Each piece of a conversation is tokenised on its own (as ``punctuate_pieces`` does at
run time); the label of a morpheme is the mark after it. Training documents of the
written and typed sources are first made to look like talk (``speechlike``). Feature
values are stored as ids into one :class:`Vocabulary` per run, so every leave-one-out
fold can build its own tagger vocabulary from the same arrays.
"""

from __future__ import annotations

import pickle
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kikigaki.nlp import tokenize
from postprocess.punctuation import LABELS, MARKS, allowed_boundaries, split_marks, strongest_mark
from postprocess.punctuation_model import TAGGER_FIELDS, tagger_values
from tools.punctuation.corpora import UNKNOWN_END, Conversation
from tools.punctuation.speechlike import Rates, Token, make_speechlike

# Which training texts get the speech-like rewriting (J-CRe3 is transcribed talk already).
SPEECHLIKE_SOURCES = frozenset({"diet", "chat", "koniwa"})


@dataclass
class Vocabulary:
    """Per field, every value seen, with its count (ids start at 0)."""

    ids: list[dict[str, int]] = field(default_factory=lambda: [{} for _ in TAGGER_FIELDS])
    values: list[list[str]] = field(default_factory=lambda: [[] for _ in TAGGER_FIELDS])

    def encode(self, values: tuple[str, ...]) -> list[int]:
        out = []
        for f, value in enumerate(values):
            index = self.ids[f].get(value)
            if index is None:
                index = self.ids[f][value] = len(self.values[f])
                self.values[f].append(value)
            out.append(index)
        return out


@dataclass
class Document:
    source: str
    key: str
    ids: np.ndarray  # (n, len(TAGGER_FIELDS)) int32 Vocabulary ids
    labels: np.ndarray  # (n,) int8, index into LABELS; -1 an unknown sentence end
    allowed: np.ndarray  # bool: a mark may go here
    piece_end: np.ndarray  # bool: a piece (message, utterance, segment) ends here
    turn_end: np.ndarray  # bool: the speaker changes here, or the document ends
    gap: np.ndarray  # float32 seconds of silence after a piece, nan where unknown
    has_turns: bool
    has_cues: bool

    @property
    def trainable(self) -> np.ndarray:
        return self.allowed & (self.labels >= 0)


def label_of(run: str) -> int:
    if UNKNOWN_END in run and not strongest_mark(run):
        return -1
    return LABELS.index(strongest_mark(run))


def conversation_tokens(conversation: Conversation) -> list[Token]:
    tokens: list[Token] = []
    pieces = conversation.pieces
    for k, piece in enumerate(pieces):
        base, after = split_marks(piece.text, MARKS + UNKNOWN_END)
        morphemes = tokenize(base)
        if not morphemes:
            continue
        allowed = allowed_boundaries(morphemes)
        last = len(morphemes) - 1
        turn_ends = k == len(pieces) - 1 or (
            conversation.has_turns and pieces[k + 1].speaker != piece.speaker
        )
        gap = piece.gap_after if piece.gap_after is not None else float("nan")
        for i, m in enumerate(morphemes):
            tokens.append(Token(
                tagger_values(m), label_of(after[m.end - 1]), bool(allowed[i]),
                piece_end=i == last, turn_end=i == last and turn_ends,
                gap=gap if i == last else float("nan"),
            ))
    return tokens


def make_document(
    conversation: Conversation, vocabulary: Vocabulary, rng: random.Random | None = None,
    rates: Rates | None = None,
) -> Document | None:
    """The conversation as arrays; rewritten to look like talk when ``rng`` is given."""
    tokens = conversation_tokens(conversation)
    if rng is not None and conversation.source in SPEECHLIKE_SOURCES:
        tokens = make_speechlike(tokens, rng, rates or Rates())
    if not tokens:
        return None
    return Document(
        source=conversation.source,
        key=conversation.key,
        ids=np.array([vocabulary.encode(t.values) for t in tokens], dtype=np.int32),
        labels=np.array([t.label for t in tokens], dtype=np.int8),
        allowed=np.array([t.allowed for t in tokens], dtype=bool),
        piece_end=np.array([t.piece_end for t in tokens], dtype=bool),
        turn_end=np.array([t.turn_end for t in tokens], dtype=bool),
        gap=np.array([t.gap for t in tokens], dtype=np.float32),
        has_turns=conversation.has_turns,
        has_cues=conversation.has_cues,
    )


def make_documents(
    conversations: Iterable[Conversation], vocabulary: Vocabulary, *, speechlike: bool,
    seed: int,
) -> list[Document]:
    rng = random.Random(seed) if speechlike else None
    documents = (make_document(c, vocabulary, rng) for c in conversations)
    return [d for d in documents if d is not None]


def cached(path: Path, build):  # type: ignore[no-untyped-def]
    """``build()``, kept in ``path`` (a pickle) for the next run with the same key."""
    if path.is_file():
        with path.open("rb") as f:
            return pickle.load(f)
    value = build()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with partial.open("wb") as f:
        pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
    partial.replace(path)
    return value
