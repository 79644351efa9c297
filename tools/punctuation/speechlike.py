"""Rules that make written or typed training text look like transcribed talk.

The Diet minutes are edited (no fillers, no restarts, particles all there) and chat is
typed; everyday talk is neither. These rules rewrite a tokenised text the way talk
differs from it, keeping each boundary's label right:

- fillers (えーと, あの, まあ, なんか…) at the start of a sentence or clause;
- interjectional particles in the middle of a clause: 「今日はね、」「それでさ、」 — the
  boundary after ね/さ is a comma or nothing, never a sentence end;
- restarts: a word said twice, 「それ、それは」;
- dropped particles: 「僕(は)」「ご飯(を)食べた」, the mark moving to the noun;
- run-on clauses: a sentence that ends in です/ます/た/だ goes on with けど/し/から and 、;
- questions as they are spoken: 「食べたんですか？」→「食べたの？」, 「本当ですか？」→「本当？」,
  「そうじゃないですか？」→「そうじゃない？」, 「行くでしょうか？」→「行くでしょ？」.

Rates are per boundary and deliberately modest: the point is that the model meets these
forms in training, not that they dominate.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from functools import cache

from kikigaki.nlp import tokenize
from postprocess.punctuation_model import LABELS, tagger_values

NONE, COMMA, PERIOD, QUESTION = 0, LABELS.index("、"), LABELS.index("。"), LABELS.index("？")
FILLERS = ("えーと", "えー", "あの", "あのー", "まあ", "なんか", "えっと", "うーん", "その", "ま")
INTERJECTIONS = ("ね", "ね", "ね", "さ", "ねえ")
RUN_ON = ("けど", "けど", "し", "から")
_MID_CLAUSE_PARTICLES = frozenset({"は", "が", "を", "に", "で", "も", "から", "と", "まで"})
_DROPPABLE = frozenset({"は", "が", "を"})
_RUN_ON_ENDS = frozenset({"ます", "です", "た", "だ", "ました", "でした"})


@dataclass(frozen=True, slots=True)
class Token:
    """A morpheme as the trainer sees it, with the boundary after it."""

    values: tuple[str, ...]  # tagger_values
    label: int  # index into LABELS; -1 for an unknown sentence end
    allowed: bool = True
    piece_end: bool = False
    turn_end: bool = False
    gap: float = float("nan")

    @property
    def surface(self) -> str:
        return self.values[0]

    @property
    def pos(self) -> str:
        return self.values[1]


@dataclass(frozen=True)
class Rates:
    filler: float = 0.04
    interjection: float = 0.05
    restart: float = 0.006
    dropped_particle: float = 0.12
    run_on: float = 0.08
    plain_question: float = 0.4


@cache
def _words(text: str) -> tuple[tuple[str, ...], ...]:
    return tuple(tagger_values(m) for m in tokenize(text))


@cache
def _last_word_of(text: str) -> tuple[str, ...]:
    """The values of the last morpheme of ``text`` (a word as it is used there)."""
    return _words(text)[-1]


def _inserted(text: str, last_label: int) -> list[Token]:
    values = _words(text)
    return [Token(v, last_label if k == len(values) - 1 else NONE)
            for k, v in enumerate(values)]


def make_speechlike(tokens: list[Token], rng: random.Random, rates: Rates) -> list[Token]:
    """``tokens`` rewritten by the rules above (a new list; the input is not changed)."""
    out: list[Token] = []
    for i, token in enumerate(tokens):
        previous = out[-1] if out else None
        starts_clause = previous is None or previous.label != NONE
        if starts_clause and rng.random() < rates.filler:
            out += _inserted(rng.choice(FILLERS), COMMA if rng.random() < 0.5 else NONE)
        if token.pos.startswith("名詞") and starts_clause and rng.random() < rates.restart:
            out.append(replace(token, label=COMMA, piece_end=False, turn_end=False))
        if _droppable(token, previous) and rng.random() < rates.dropped_particle:
            if token.label != NONE:
                out[-1] = replace(out[-1], label=token.label, piece_end=token.piece_end,
                                  turn_end=token.turn_end, gap=token.gap)
            continue
        if _mid_clause(token, tokens, i) and rng.random() < rates.interjection:
            out.append(replace(token, label=NONE))
            out += _inserted(rng.choice(INTERJECTIONS), COMMA if rng.random() < 0.7 else NONE)
            continue
        if _polite_question(token, out) and rng.random() < rates.plain_question:
            _make_plain(out, token)
            continue
        if _runs_on(token) and rng.random() < rates.run_on:
            out.append(replace(token, label=NONE))
            out += _inserted(rng.choice(RUN_ON), COMMA)
            continue
        out.append(token)
    return out


def _droppable(token: Token, previous: Token | None) -> bool:
    return (
        token.surface in _DROPPABLE
        and token.pos.startswith("助詞")
        and previous is not None
        and previous.pos.startswith("名詞")
        and previous.label == NONE
        and not token.piece_end
    )


def _mid_clause(token: Token, tokens: list[Token], i: int) -> bool:
    """A case or binding particle inside a clause, not at the end of a piece."""
    if token.surface not in _MID_CLAUSE_PARTICLES or not token.pos.startswith("助詞"):
        return False
    if token.label not in (NONE, COMMA) or token.piece_end or i + 1 >= len(tokens):
        return False
    return not tokens[i + 1].pos.startswith(("助詞", "助動詞", "補助記号"))


def _runs_on(token: Token) -> bool:
    return (
        token.label == PERIOD
        and token.surface in _RUN_ON_ENDS
        and token.pos.startswith("助動詞")
        and not token.piece_end
    )


def _polite_question(token: Token, out: list[Token]) -> bool:
    """か？ after です or でしょう, with something before that."""
    return (token.surface == "か" and token.label == QUESTION and len(out) >= 2
            and out[-1].surface in ("です", "でしょう") and out[-1].pos.startswith("助動詞"))


def _make_plain(out: list[Token], question: Token) -> None:
    """Rewrite the end of ``out`` (…です + か？) as a plain spoken question."""
    polite = out.pop()
    before = out[-1]
    ending = {"label": QUESTION, "piece_end": question.piece_end,
              "turn_end": question.turn_end, "gap": question.gap}
    if polite.surface == "でしょう":
        out.append(Token(_last_word_of("行くでしょ"), **ending))
    elif before.surface in ("ん", "の") and before.pos.startswith("助詞-準体助詞"):
        out[-1] = Token(_last_word_of("何食べたの"), **ending)
    else:
        out[-1] = replace(before, **ending)
