"""Term correction: listed mishearings, mishearings found by their reading, and the guards
that keep correct text as it is. Real SudachiPy, the shipped glossary and the seeds."""

from __future__ import annotations

import csv
import dataclasses
import gzip
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commands.evaluate import eval_terms, read_expected_pairs
from commands.filters import correct_terms_in_text
from kikigaki.document import Episode, Segment
from postprocess.glossary import Glossary, GlossaryTerm, candidate_terms, default_glossary
from postprocess.terms import (
    allowed_distance,
    correct_terms,
    correct_text,
    phoneme_key,
    romaji_to_katakana,
)
from tests.conftest import EPISODE_SEED, REPO, SEEDS

EXPECTED = REPO / "bench" / "data" / "seed_002_mishearings.tsv"
COLLECTION = ("000", "001", "003", "004")


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return default_glossary()


def _fixed(text: str, glossary: Glossary) -> list[tuple[str, str, str]]:
    return [(f.original, f.canonical, f.how) for f in correct_text(text, glossary)[1]]


# --------------------------------------------------------------------------- listed forms


def test_listed_mishearings_are_replaced_and_nothing_else(glossary: Glossary) -> None:
    text = "LSDMとハギンフェイスの話です。\r\nLatifで書いた。"
    out, fixes = correct_text(text, glossary)
    assert out == "LSTMとHugging Faceの話です。\r\nLaTeXで書いた。"
    assert [f.how for f in fixes] == ["listed"] * 3


def test_a_listed_katakana_form_inside_a_longer_loanword_is_left(glossary: Glossary) -> None:
    assert correct_text("テンサーフローズ", glossary)[0] == "テンサーフローズ"


def test_replacement_adds_no_spaces(glossary: Glossary) -> None:
    assert correct_text("このテンサーフローgoogleが", glossary)[0] == "このTensorFlowgoogleが"


# --------------------------------------------------------------------------- by reading


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("テンサーフロでモデルを作る", "TensorFlow"),
        ("ハギングフエイスのモデル", "Hugging Face"),
        ("パイトッチで書いた", "PyTorch"),
        ("トランスホーマーの論文", "Transformer"),
        ("エヌビデアのGPU", "NVIDIA"),
        ("アンドレ・カルパシーの動画", "Andrej Karpathy"),
        ("ステイブルデフュージョンで", "Stable Diffusion"),
        ("ランチェーンを使う", "LangChain"),
        ("チャットジーピーディーに聞く", "ChatGPT"),
        ("ミッドジャニーで描く", "Midjourney"),
        ("ジェフリーフィントンの講演", "Geoffrey Hinton"),
        ("イリヤサツキバーが", "Ilya Sutskever"),
        ("インコンテクストラーニングで", "インコンテキストラーニング"),  # ends in ング
    ],
)
def test_unseen_katakana_mishearings_are_found_by_reading(
    text: str, canonical: str, glossary: Glossary
) -> None:
    fixes = correct_text(text, glossary)[1]
    assert [(f.canonical, f.how) for f in fixes] == [(canonical, "reading")]
    out = correct_text(text, glossary)[0]
    assert out == text.replace(fixes[0].original, canonical)


def test_reading_match_works_without_any_listed_form() -> None:
    glossary = Glossary((GlossaryTerm("PyTorch", reading="パイトーチ"),))
    assert correct_text("ハイトーチとパイトッチ", glossary)[0] == "PyTorchとPyTorch"
    assert correct_text("パイトーチ", glossary)[0] == "パイトーチ"  # the reading is correct


def test_a_term_and_junk_in_one_katakana_run(glossary: Glossary) -> None:
    # A repeated surname and a word run on after the name stay where they are.
    out = correct_text("アンドレ・カルパシーカルパシーいいのかな", glossary)[0]
    assert out == "Andrej Karpathyカルパシーいいのかな"
    assert correct_text("ジェレミー・ハワードファーストAIの", glossary)[0] == (
        "ジェレミー・ハワードfast.aiの"
    )


def test_acronyms_one_confusable_letter_off(glossary: Glossary) -> None:
    assert _fixed("LSTNとMMRU", glossary) == [
        ("LSTN", "LSTM", "acronym"),
        ("MMRU", "MMLU", "acronym"),
    ]
    # X and T do not sound alike; MIPS is its own word; ICML and ICLR are both terms.
    assert _fixed("LSXM と MIPS と ICML と ICLR", glossary) == []


def test_romaji_words_are_read(glossary: Glossary) -> None:
    assert romaji_to_katakana("paitoochi") == "パイトオチ"
    assert romaji_to_katakana("attention") is None  # not romaji
    assert _fixed("paitoochi と hagingufeisu", glossary) == [
        ("paitoochi", "PyTorch", "romaji"),
        ("hagingufeisu", "Hugging Face", "romaji"),
    ]


def test_phoneme_keys_ignore_what_hearing_cannot_settle() -> None:
    assert phoneme_key("ハギンフェイス") == phoneme_key("ハギングフェース")
    assert phoneme_key("テンソル") == phoneme_key("テンソル")
    assert phoneme_key("アンドレカーパシー") == phoneme_key("アンドレ・カルパシー")
    assert phoneme_key("ファーストAI") == phoneme_key("ファストエーアイ")
    assert phoneme_key("ギャーン") == ("gy", "a", "N")


def test_allowed_distance_grows_with_the_term() -> None:
    assert allowed_distance(2, 3) < 0  # too short to match by reading
    assert allowed_distance(3, 5) == 0.0
    assert allowed_distance(6, 9) == 1.0
    assert allowed_distance(12, 20) == 2.0


# --------------------------------------------------------------------------- guards


@pytest.mark.parametrize(
    "text",
    [
        "テンソルフローとパイトーチとハギングフェイス",  # the readings and variants
        "トランスフォーマーズっていうライブラリ",  # a term plus a suffix
        "ディフュージョンモデルとオートエンコーダとオートエンコーダーモデル",
        "クラウドで動かすメーターとアーカイブ",  # dictionary words near Claude, arXiv
        "チンチラとゴーファとミストラの町",
        "Tensorflow と Pytorch と Huggingface と Github",  # spellings, not mishearings
        "Lamma や Attension や Diffution",  # typos a writer made
        "Kobayashi さんと Toronto で",  # romaji that reads as ordinary words
    ],
)
def test_correct_and_ordinary_text_is_left_alone(text: str, glossary: Glossary) -> None:
    assert correct_text(text, glossary) == (text, [])


@pytest.mark.parametrize("name", COLLECTION)
def test_the_filter_leaves_the_collection_documents_alone(name: str) -> None:
    path = next(SEEDS.glob(f"{name}_*.txt"))
    text = path.read_text(encoding="utf-8")
    assert correct_terms_in_text(text) == text


def test_collection_candidates_do_not_change_the_collection(glossary: Glossary) -> None:
    texts = [next(SEEDS.glob(f"{n}_*.txt")).read_text(encoding="utf-8") for n in COLLECTION]
    extended = glossary.with_candidates(candidate_terms(texts))
    assert len(extended) > len(glossary)
    for text in texts:
        assert correct_text(text, extended)[0] == text


def test_collection_candidates_become_targets(glossary: Glossary) -> None:
    texts = ["ホールスライドイメージングの論文。", "ホールスライドイメージングを使う。"]
    extended = glossary.with_candidates(candidate_terms(texts))
    out = correct_text("ホールスライドイメジングで", extended)[0]
    assert out == "ホールスライドイメージングで"


_TEXT = st.lists(
    st.sampled_from([*"あいうえおかきくけこ今日話。、 \n\r", "モデル", "データ", "クラウド", "AI",
                     "Python", "テンソルフロー", "LSTM", "😀", "ー", "・"]),
    max_size=40,
).map("".join)


@settings(max_examples=80, deadline=None)
@given(_TEXT)
def test_only_fixed_spans_change(text: str) -> None:
    out, fixes = correct_text(text, default_glossary())
    pieces, cursor = [], 0
    for fix in fixes:
        assert fix.start >= cursor and text[fix.start : fix.end] == fix.original
        pieces += [text[cursor : fix.start], fix.replacement]
        cursor = fix.end
    assert out == "".join([*pieces, text[cursor:]])


# --------------------------------------------------------------------------- the seed episode


def test_the_seed_episode_mishearings_are_corrected() -> None:
    report = eval_terms(
        EPISODE_SEED, EXPECTED, [next(SEEDS.glob(f"{n}_*.txt")) for n in COLLECTION]
    )
    assert report["rate"] >= 0.9, report["missed"]
    assert set(report["unchanged_files_changed_chars"].values()) == {0}


def test_reading_alone_finds_many_seed_mishearings(glossary: Glossary) -> None:
    """With every listed mishearing removed, the reading pass still finds these."""
    bare = Glossary(tuple(dataclasses.replace(t, misheard=()) for t in glossary.terms))
    fixes = correct_text(EPISODE_SEED.read_text(encoding="utf-8"), bare)[1]
    found = {(f.original, f.canonical) for f in fixes}
    expected = set(read_expected_pairs(EXPECTED))
    assert {
        ("LSDM", "LSTM"),
        ("ハギンフェイス", "Hugging Face"),
        ("テンサーフロー", "TensorFlow"),
        ("アンドレカパーシー", "Andrej Karpathy"),
        ("アンドレ・カーパシー", "Andrej Karpathy"),
        ("オールグレアム", "Paul Graham"),
        ("ファーストAI", "fast.ai"),
    } <= found & expected
    assert found <= expected  # and nothing else


def test_correct_terms_records_corrections_per_segment(glossary: Glossary) -> None:
    episode = Episode(segments=[Segment(text="今日は"), Segment(text="LSDMとテンサーフロ")])
    corrected = correct_terms(episode, glossary)
    assert [s.text for s in corrected.segments] == ["今日は", "LSTMとTensorFlow"]
    assert [(c.segment, c.original, c.canonical) for c in corrected.corrections] == [
        (1, "LSDM", "LSTM"),
        (1, "テンサーフロ", "TensorFlow"),
    ]
    assert episode.segments[1].text == "LSDMとテンサーフロ"  # the input is not changed


# --------------------------------------------------------------------------- other Japanese


def test_ordinary_japanese_text_gets_no_reading_fixes(shared_dir: Path) -> None:
    """Wikipedia paragraphs (JGLUE, read at test time) are full of loanwords and names."""
    path = shared_dir / "corpora" / "jglue" / "sentences.tsv.gz"
    if not path.is_file():
        pytest.skip(f"{path} is not present")
    glossary = default_glossary()
    fixes, chars = [], 0
    with gzip.open(path, "rt", encoding="utf-8") as rows:
        for row in csv.DictReader(rows, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row["source"] != "jsquad_context":
                continue
            fixes += [f.original for f in correct_text(row["text"], glossary)[1]]
            chars += len(row["text"])
            if chars > 150_000:
                break
    assert fixes == []
