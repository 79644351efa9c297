"""Punctuation restoration: the text contract, lines as units, the hard rules, the
sentence-length cap, the numpy tagger against torch, and held-out quality."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pytest

from kikigaki.nlp import tokenize
from postprocess.punctuation import (
    LABELS,
    MARKS,
    MODEL_PATH,
    TextPiece,
    load_model,
    punctuate_pieces,
    restore_punctuation,
    score_punctuation,
    split_marks,
)
from postprocess.punctuation_model import (
    N_BOUNDARY_FEATURES,
    TAGGER_FIELDS,
    BoundaryInfo,
    boundary_features,
    encode_for_tagger,
    tagger_from_arrays,
    tagger_values,
)
from postprocess.punctuation_rules import apply_rules
from tests.conftest import EPISODE_SEED

_ENDS = re.compile("[。？！]")
_OWN_SENTENCES = [
    "えーとですねあの今日はまあトランスフォーマーの話をしようと思うんですけどみなさん聞こえてますか",
    "PyTorchで書いたコードをGitHubに公開しましたなのでぜひ見てくださいね",
    "昨日は雨だったので家で本を読みました。今日は晴れたので散歩に行きます。",
    "それでですねLSTMとかRNNとかいろいろあったわけですがアテンションが出てきて全部変わりました",
]
_WELL_PUNCTUATED = (
    "今日は、機械学習の勉強会を開きました。参加者は十人ほどで、みんな熱心に聞いていました。"
    "最初に、ニューラルネットワークの基本を説明しました。次に、実際にコードを書いてみました。"
    "最後に、質問の時間を取りました。来月もまた開く予定です。"
)


def _without_marks(text: str) -> str:
    return split_marks(text)[0]


def _episode_body() -> str:
    text = EPISODE_SEED.read_text(encoding="utf-8")
    return text[text.index("** 注") : text.index("...more")]


@pytest.fixture(scope="module")
def episode_output() -> tuple[str, str]:
    body = _episode_body()
    return body, restore_punctuation(body)


def test_model_loads_and_is_small() -> None:
    model = load_model()
    assert model.offsets.shape == (len(LABELS),)
    assert model.tagger.output_weight.shape[1] == len(LABELS)
    assert MODEL_PATH.stat().st_size < 10_000_000


def _timed_info(n: int) -> BoundaryInfo:
    rng = np.random.default_rng(0)
    return BoundaryInfo(rng.random(n) < 0.1, rng.random(n) < 0.3,
                        rng.random(n).astype(np.float32) * 2, cues_known=True, timed=True)


def test_boundary_features_bucket_pauses() -> None:
    info = BoundaryInfo(np.array([True, False]), np.array([False, True]),
                        np.array([0.0, 2.0], np.float32), cues_known=True, timed=True)
    features = boundary_features(info)
    assert features.shape == (2, N_BOUNDARY_FEATURES)
    assert features[0, :4].tolist() == [1, 0, 1, 1] and features[1, :4].tolist() == [0, 1, 1, 1]
    assert features[0, 4] == 1 and features[1, -1] == 1  # shortest and longest pause bucket
    assert boundary_features(BoundaryInfo.plain(3)).sum() == 0


def test_numpy_tagger_matches_the_torch_module() -> None:
    """The exported arrays, run by numpy, give the trained module's log-probabilities."""
    torch = pytest.importorskip("torch")
    from tools.punctuation.train import TaggerShape, build_tagger, tagger_arrays

    morphemes = tokenize(_OWN_SENTENCES[0] + "。" + _OWN_SENTENCES[1])
    vocabularies = [
        sorted({tagger_values(m)[f] for m in morphemes}) for f in range(len(TAGGER_FIELDS))
    ]
    shape = TaggerShape(hidden=16, gru=8)
    torch.manual_seed(0)
    module = build_tagger(shape, vocabularies).eval()
    tagger = tagger_from_arrays(tagger_arrays(module, vocabularies))
    ids = encode_for_tagger(morphemes, tagger.vocabularies)
    assert (ids > 1).all()  # every value is in the vocabulary built from these morphemes
    info = _timed_info(len(morphemes))
    features = torch.from_numpy(boundary_features(info)[None])
    with torch.no_grad():
        expected = torch.log_softmax(module(torch.from_numpy(ids)[None], features)[0], -1)
    assert np.allclose(tagger.log_probabilities(morphemes, info), expected.numpy(), atol=1e-2)


def test_only_marks_change_on_the_episode(episode_output: tuple[str, str]) -> None:
    body, output = episode_output
    assert _without_marks(output) == _without_marks(body)
    assert output != body


@pytest.mark.parametrize("text", _OWN_SENTENCES)
def test_only_marks_change_on_own_sentences(text: str) -> None:
    output = restore_punctuation(text)
    assert _without_marks(output) == _without_marks(text)
    assert any(mark in output for mark in MARKS)


def test_newlines_spaces_and_ascii_marks_are_kept() -> None:
    text = (
        "ZENKEI AI FORUM です\nはい皆さんこんばんは\n今のAIはどうしてこうなってるの?みたいな話です"
    )
    output = restore_punctuation(text)
    assert _without_marks(output) == text
    assert output.count("\n") == 2
    assert "?" in output and "?。" not in output


@pytest.mark.parametrize("limit", [40, 80, 120])
def test_no_stretch_exceeds_the_limit(episode_output: tuple[str, str], limit: int) -> None:
    body, default_output = episode_output
    output = default_output if limit == 120 else restore_punctuation(body, max_sentence_chars=limit)
    assert max(len(piece) for piece in _ENDS.split(output)) <= limit


def test_limit_holds_without_any_boundary() -> None:
    text = "あ" * 300
    output = restore_punctuation(text, max_sentence_chars=50)
    assert _without_marks(output) == text
    assert max(len(piece) for piece in _ENDS.split(output)) <= 50


def test_run_on_speech_gets_sentence_ends_often(episode_output: tuple[str, str]) -> None:
    _, output = episode_output
    ends = output.count("。") + output.count("？")
    assert len(output) / ends < 80


def test_long_text_is_handled() -> None:
    body = _episode_body()
    text = body * 10  # about 60,000 characters: more than Sudachi takes at once
    output = restore_punctuation(text)
    assert _without_marks(output) == _without_marks(text)


def test_well_punctuated_text_is_mostly_kept() -> None:
    output = restore_punctuation(_WELL_PUNCTUATED)
    scores = score_punctuation(_WELL_PUNCTUATED, output)
    assert scores["。"][2] >= 0.9
    assert scores["、"][1] >= 0.8  # existing commas are kept


def test_empty_and_latin_text_unchanged() -> None:
    assert restore_punctuation("") == ""
    latin = "Attention Is All You Need, by Vaswani et al. (2017)"
    assert restore_punctuation(latin) == latin


def test_question_ends_with_question_mark() -> None:
    assert restore_punctuation("これは何ですか").endswith("？")


def test_fillers_do_not_end_sentences() -> None:
    output = restore_punctuation("えーとあのまあそういうことなんですよね")
    assert "えーと。" not in output and "あの。" not in output


def test_score_punctuation_sanity() -> None:
    reference = "今日は、晴れです。明日は？"
    assert score_punctuation(reference, reference)["。"] == (1.0, 1.0, 1.0)
    scores = score_punctuation(reference, "今日は晴れです、明日は？")
    assert scores["、"] == (0.0, 0.0, 0.0)
    assert scores["。"][1] == 0.0
    assert scores["？"] == (1.0, 1.0, 1.0)
    assert scores["end"] == (1.0, 0.5, pytest.approx(2 / 3))
    with pytest.raises(ValueError):
        score_punctuation("今日は。", "明日は。")


def test_held_out_dialogue_quality(shared_dir: Path) -> None:
    """j_cre3's upstream test scenarios (never trained on): 。 F1 above a modest floor."""
    path = shared_dir / "corpora" / "j_cre3" / "utterances.tsv"
    if not path.is_file():
        pytest.skip(f"{path} is not present")
    with path.open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)]
    turns = [r["text_clean"].strip() for r in rows if r["split"] == "test"][:150]
    reference = "".join(t if t[-1] in MARKS else t + "。" for t in turns if t)
    reference = reference.replace("?", "？").replace("!", "！")
    predicted = restore_punctuation(_without_marks(reference))
    assert score_punctuation(reference, predicted)["。"][2] > 0.6


# ---------------------------------------------------------------- lines, turns, cues


def test_each_line_ends_a_sentence() -> None:
    output = restore_punctuation("そうなんだ\nうん\n今日は何食べたの\n")
    lines = output.split("\n")
    assert lines[-1] == ""
    assert all(line[-1] in "。？！" for line in lines[:-1]), output
    assert lines[2].endswith("？"), output


def test_a_question_turn_ends_with_a_question_mark() -> None:
    pieces = [TextPiece("これは単4なんだっけ", unit_end=True),
              TextPiece("うんそうだよ", unit_end=True)]
    first, second = punctuate_pieces(pieces)
    assert first == "これは単4なんだっけ？" and second.endswith("。")


def test_a_cue_end_is_evidence_not_a_rule() -> None:
    pieces = [TextPiece("今日は東日本大震災に関すること", cue_end=True),
              TextPiece("それから市の取り組みについてお話を伺います", cue_end=True, unit_end=True)]
    first, second = punctuate_pieces(pieces, cues_known=True)
    assert first[-1] not in "。？！" and second.endswith("。")


def test_line_ends_after_symbols_or_latin_are_left_alone() -> None:
    text = "本当ですか?\nOpenAIのGPT (2023)\nHello world\n"
    output = restore_punctuation(text)
    assert output.splitlines()[0] == "本当ですか?"
    assert output.splitlines()[2] == "Hello world"


# ---------------------------------------------------------------- hard rules


def _rules_on(text: str, label: str) -> str:
    """``text`` with ``label`` decided at every boundary, after the rules."""
    morphemes = tokenize(text)
    n = len(morphemes)
    decisions = np.array([LABELS.index(label) if m.surface.strip() else 0 for m in morphemes])
    unit_end = np.zeros(n, bool)
    unit_end[-1] = True
    decided = apply_rules(morphemes, decisions, unit_end=unit_end, given=np.zeros(n, bool))
    return "".join(m.surface + LABELS[d] for m, d in zip(morphemes, decided, strict=True))


@pytest.mark.parametrize("word", ["トランスフォーマーズ", "TensorFlowgoogle", "2023", "ヘンゼル"])
def test_no_mark_inside_a_katakana_or_latin_word(word: str) -> None:
    assert word in _rules_on(f"今日は{word}の話です", "、")


def test_no_mark_inside_a_latin_phrase() -> None:
    assert "Attention Is All You Need" in _rules_on("Attention Is All You Needという論文", "、")


def test_no_sentence_end_after_a_mid_clause_interjection() -> None:
    output = _rules_on_sentences(["今日ね。", "僕ね。", "レビューペーパーがね。", "出たんだよね。"])
    assert output == "今日ね、僕ね、レビューペーパーがね、出たんだよね。"


def test_a_particle_phrase_is_not_a_sentence() -> None:
    morphemes = tokenize("ちらっとね盛り上がってたのを見ました")
    decisions = np.zeros(len(morphemes), int)
    decisions[2] = LABELS.index("。")  # after ちらっとね
    decisions[-1] = LABELS.index("。")
    unit_end = np.zeros(len(morphemes), bool)
    unit_end[-1] = True
    decided = apply_rules(morphemes, decisions, unit_end=unit_end,
                          given=np.zeros(len(morphemes), bool))
    assert LABELS[decided[2]] == "、" and LABELS[decided[-1]] == "。"


def test_short_questions_and_interjections_stay_sentences() -> None:
    output = _rules_on_sentences(["誰が？", "はい。", "そうですね。"])
    assert output == "誰が？はい。そうですね。"


def _rules_on_sentences(sentences: list[str]) -> str:
    text = "".join(sentences)
    base, after = split_marks(text)
    morphemes = tokenize(base)
    decisions = np.array([LABELS.index(after[m.end - 1][:1]) for m in morphemes])
    unit_end = np.zeros(len(morphemes), bool)
    unit_end[-1] = True
    decided = apply_rules(morphemes, decisions, unit_end=unit_end,
                          given=np.zeros(len(morphemes), bool))
    return "".join(m.surface + LABELS[d] for m, d in zip(morphemes, decided, strict=True))


def test_the_input_marks_are_not_touched_by_the_rules() -> None:
    output = restore_punctuation("コーヒー、ケーキ、紅茶を頼みました")
    assert output.startswith("コーヒー、ケーキ、")


def test_no_sentence_end_before_a_quotative() -> None:
    output = _rules_on_sentences(["アテンションが大事よ。", "って言ってても", "わからない。"])
    assert output == "アテンションが大事よって言っててもわからない。"
    assert _rules_on_sentences(["何で？", "って思った。"]) == "何で？って思った。"
