"""The training side of the punctuation model: speech-like rewriting, simulated conditions,
and how the leave-one-source-out protocol cuts a conversation into units."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np

from kikigaki.nlp import tokenize
from postprocess.punctuation_model import LABELS, tagger_values
from tools.punctuation.corpora import UNKNOWN_END, Conversation, Piece, normalise
from tools.punctuation.loso import reference_text, units
from tools.punctuation.simulate import Condition, boundary_info, pause_model
from tools.punctuation.speechlike import Rates, Token, make_speechlike

_NOTHING = Rates(filler=0, interjection=0, restart=0, dropped_particle=0, run_on=0,
                 plain_question=0)


def _tokens(text: str) -> list[Token]:
    base, after = text.rstrip("。？"), text[-1]
    morphemes = tokenize(base)
    last = len(morphemes) - 1
    return [Token(tagger_values(m), LABELS.index(after) if i == last else 0)
            for i, m in enumerate(morphemes)]


def _text(tokens: list[Token]) -> str:
    return "".join(t.surface + LABELS[t.label] for t in tokens)


def test_polite_questions_are_said_plainly() -> None:
    rates = replace(_NOTHING, plain_question=1.0)
    rewrite = {"昨日は何を食べたんですか？": "昨日は何を食べたの？",
               "それは本当ですか？": "それは本当？",
               "明日は雨でしょうか？": "明日は雨でしょ？"}
    for polite, plain in rewrite.items():
        assert _text(make_speechlike(_tokens(polite), random.Random(0), rates)) == plain


def test_interjections_never_end_a_sentence() -> None:
    rates = replace(_NOTHING, interjection=1.0)
    tokens = _tokens("今日は学校で友達と本を読みました。")
    out = _text(make_speechlike(tokens, random.Random(0), rates))
    assert "ね" in out or "さ" in out
    assert out.count("。") == 1 and out.endswith("。")


def test_dropped_particles_keep_the_mark() -> None:
    rates = replace(_NOTHING, dropped_particle=1.0)
    out = _text(make_speechlike(_tokens("先生はご飯を食べた。"), random.Random(0), rates))
    assert out == "先生ご飯食べた。"


def test_simulated_pauses_follow_the_measured_distributions() -> None:
    model = pause_model()
    labels = np.array([0] * 500 + [LABELS.index("。")] * 500)
    pauses = model.pauses(labels, np.random.default_rng(0))
    assert np.median(pauses[500:]) > np.median(pauses[:500])
    assert (pauses >= 0).all()


def test_turns_are_unit_ends_only_when_turns_are_known() -> None:
    labels = np.array([0, 2, 0, 2])
    turn_end = np.array([False, True, False, True])
    doc_end = np.array([False, False, False, True])
    rng = np.random.default_rng(0)
    stream = boundary_info(labels, turn_end, turn_end, doc_end, has_turns=True,
                           has_cues=True, condition=Condition(), rng=rng)
    turns = boundary_info(labels, turn_end, turn_end, doc_end, has_turns=True,
                          has_cues=True, condition=Condition(turns=True, cues=True), rng=rng)
    assert stream.unit_end.tolist() == [False, False, False, True]
    assert turns.unit_end.tolist() == [False, True, False, True]
    assert turns.cue_end.tolist() == [False, True, False, True] and turns.cues_known


def test_protocol_units() -> None:
    conversation = Conversation("j_cre3", "x", [
        Piece("えっと、それ取って" + UNKNOWN_END, "A"), Piece("これ？", "A"),
        Piece("うん。", "B")], has_cues=True)
    assert units(conversation, "stream") == [("えっとそれ取ってこれうん", True)]
    assert units(conversation, "turns") == [("えっとそれ取ってこれ", True), ("うん", True)]
    assert units(conversation, "cues") == [("えっとそれ取って", False), ("これ", False),
                                           ("うん", True)]
    assert reference_text(conversation) == "えっと、それ取って。これ？うん。"


def test_normalise_marks() -> None:
    assert normalise("本当?!すごい!!") == "本当？すごい！"
    assert normalise("はい．．そう，です") == "はい。そう、です"
