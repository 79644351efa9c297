"""Punctuation restoration: the text contract, sentence-length cap, and held-out quality."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pytest

from kikigaki.nlp import tokenize
from postprocess.punctuation import (
    MARKS,
    MODEL_PATH,
    TAGGER_FIELDS,
    encode_for_tagger,
    load_model,
    restore_punctuation,
    score_punctuation,
    split_marks,
    tagger_from_arrays,
    tagger_values,
)
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
    assert model.linear.weights.shape[1] == 5
    assert model.offsets.shape == (5,)
    assert model.tagger is not None and model.tagger_weight > 0
    assert MODEL_PATH.stat().st_size < 10_000_000


def test_numpy_tagger_matches_the_torch_module() -> None:
    """The exported arrays, run by numpy, give the trained module's log-probabilities."""
    torch = pytest.importorskip("torch")
    from tools.train_punctuation import TaggerShape, build_tagger, tagger_arrays

    morphemes = tokenize(_OWN_SENTENCES[0] + "。" + _OWN_SENTENCES[1])
    vocabularies = [
        sorted({tagger_values(m)[f] for m in morphemes}) for f in range(len(TAGGER_FIELDS))
    ]
    shape = TaggerShape(hidden=16, dilations=(1, 2))
    torch.manual_seed(0)
    module = build_tagger(shape, vocabularies).eval()
    tagger = tagger_from_arrays(tagger_arrays(module, vocabularies, shape))
    ids = encode_for_tagger(morphemes, tagger.vocabularies)
    assert (ids > 1).all()  # every value is in the vocabulary built from these morphemes
    with torch.no_grad():
        expected = torch.log_softmax(module(torch.from_numpy(ids)[None])[0], -1).numpy()
    assert np.allclose(tagger.scores(morphemes), expected, atol=1e-2)


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
