"""Glossaries: the shipped AI/ML one, the documented format and its one-line errors,
merging, and candidate terms proposed by the collection."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kikigaki.errors import GlossaryError
from postprocess.glossary import (
    CANDIDATE_CATEGORY,
    DEFAULT_GLOSSARY,
    Glossary,
    GlossaryTerm,
    candidate_terms,
    default_glossary,
    load_glossary,
    parse_glossary,
    read_glossary,
)
from tests.conftest import SEEDS

KATAKANA_READING = re.compile(r"[\u30a1-\u30fa\u30fc・ ]+")


# --------------------------------------------------------------------------- the shipped one


def test_the_shipped_glossary_is_broad_and_complete() -> None:
    glossary = default_glossary()
    assert len(glossary) >= 120
    for term in glossary.terms:
        assert KATAKANA_READING.fullmatch(term.reading), term.canonical
        assert term.category and term.definition, term.canonical
        assert "\n" not in term.definition
        assert not term.link or term.link.startswith("https://"), term.canonical
    categories = {t.category for t in glossary.terms}
    assert {"person", "library", "model", "paper", "org", "concept", "dataset"} <= categories


def test_the_shipped_glossary_knows_the_seed_episode_terms() -> None:
    names = {t.canonical for t in default_glossary().terms}
    assert {"LSTM", "Hugging Face", "TensorFlow", "Andrej Karpathy", "NumPy", "GAN",
            "Paul Graham", "char-rnn", "fast.ai", "ZENKEI AI FORUM", "LaTeX"} <= names


def test_hotwords_leave_out_people_and_fit_the_budget() -> None:
    glossary = default_glossary()
    words = glossary.hotwords(max_chars=200)
    assert len(words) <= 200 and "Karpathy" not in words and "LSTM" in words


# --------------------------------------------------------------------------- the format


def test_a_full_entry_is_read() -> None:
    text = """
[[term]]
canonical = "LSTM"
variants = ["エルエスティーエム"]
misheard = ["LSDM"]
reading = "えるえすてぃーえむ"
link = "https://example.org/lstm"
definition = "長短期記憶。"
category = "model"
"""
    term = parse_glossary(text, "my.toml").terms[0]
    assert term == GlossaryTerm(
        canonical="LSTM", variants=("エルエスティーエム",), misheard=("LSDM",),
        reading="エルエスティーエム", link="https://example.org/lstm",
        definition="長短期記憶。", category="model",
    )


def test_only_canonical_is_required() -> None:
    assert parse_glossary('[[term]]\ncanonical = " GAN "\n', "g.toml").terms == (
        GlossaryTerm("GAN"),
    )


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[[term]\ncanonical = 'x'", "is not valid TOML"),
        ("[[terms]]\ncanonical = 'x'", "unknown tables ['terms']"),
        ("term = 'x'", "'term' must be an array of tables"),
        ("[[term]]\ncanonical = 'x'\nspelling = 'y'", "term 1 has unknown keys ['spelling']"),
        ("[[term]]\nreading = 'エックス'", "term 1 has no 'canonical'"),
        ("[[term]]\ncanonical = '  '", "term 1 has no 'canonical'"),
        ("[[term]]\ncanonical = 'x'\nvariants = 'y'", "term 1 (x): 'variants' is not a list"),
        ("[[term]]\ncanonical = 'x'\nmisheard = ['y', '']", "'misheard' is not a list"),
        ("[[term]]\ncanonical = 'x'\nreading = 3", "term 1 (x): 'reading' is not text"),
        ("[[term]]\ncanonical = 'LSTM'\nreading = 'LSTM'", "'reading' 'LSTM' is not kana"),
        ("[[term]]\ncanonical = 'x'\nlink = 'example.org'", "'link' is not a web address"),
        ("[[term]]\ncanonical = 'x'\ndefinition = '''a\nb'''", "more than one line"),
        ("[[term]]\ncanonical = 'x'\n[[term]]\ncanonical = 'x'", "'x' has two entries"),
        (
            "[[term]]\ncanonical = 'A'\nvariants = ['エー']\n"
            "[[term]]\ncanonical = 'B'\nmisheard = ['エー']",
            "'エー' is listed as misheard for 'B' but is a correct writing of 'A'",
        ),
    ],
)
def test_broken_entries_raise_one_line(text: str, words: str) -> None:
    with pytest.raises(GlossaryError) as caught:
        parse_glossary(text, "my.toml")
    message = str(caught.value)
    assert message.startswith("my.toml: ") and words in message
    assert "\n" not in message and "; " in message


def test_unreadable_files_raise_one_line(tmp_path: Path) -> None:
    binary = tmp_path / "cp932.toml"
    binary.write_bytes("[[term]]\ncanonical = '機械学習'\n".encode("cp932"))
    for path, words in (
        (tmp_path / "missing.toml", "does not exist"),
        (tmp_path, "is a folder"),
        (binary, "is not UTF-8 text"),
    ):
        with pytest.raises(GlossaryError, match=words) as caught:
            read_glossary(path)
        assert "\n" not in str(caught.value)


def test_a_user_glossary_replaces_and_adds(tmp_path: Path) -> None:
    mine = tmp_path / "mine.toml"
    mine.write_text(
        "[[term]]\ncanonical = 'LSTM'\nmisheard = ['エルエスティーエヌ']\n"
        "[[term]]\ncanonical = 'KIKIGAKI'\nreading = 'キキガキ'\n",
        encoding="utf-8",
    )
    glossary = load_glossary([mine])
    shipped = default_glossary()
    assert len(glossary) == len(shipped) + 1
    lstm = next(t for t in glossary.terms if t.canonical == "LSTM")
    assert lstm.misheard == ("エルエスティーエヌ",)
    assert load_glossary([mine], include_default=False).terms[1].canonical == "KIKIGAKI"
    assert DEFAULT_GLOSSARY.is_file()


# --------------------------------------------------------------------------- candidates


def test_candidate_terms_from_documents() -> None:
    documents = [
        "RedPajama と GPT-3 を比べた。ホールスライドイメージングの話。LLM の講義。",
        "RedPajama のデータ。GPT-3 の論文 https://example.org/RedPajamaX/GPT-9 を読む。",
        "LLM と LLM。ホールスライドイメージング。データとデータ。Research と Research。",
    ]
    found = {t.canonical: t for t in candidate_terms(documents)}
    assert set(found) == {"RedPajama", "GPT-3", "LLM", "ホールスライドイメージング"}
    assert found["LLM"].reading == "エルエルエム"
    assert found["ホールスライドイメージング"].reading == "ホールスライドイメージング"
    assert {t.category for t in found.values()} == {CANDIDATE_CATEGORY}
    assert candidate_terms(documents)[0].canonical == "LLM"  # most used first
    assert candidate_terms(documents, min_count=3) == (found["LLM"],)


def test_candidate_spellings_are_merged_under_the_commonest() -> None:
    found = candidate_terms(["FlashAttention", "FlashAttention", "Flash-Attention"])
    assert [t.canonical for t in found] == ["FlashAttention"]


def test_candidates_from_the_seed_collection() -> None:
    texts = [next(SEEDS.glob(f"{n}_*.txt")).read_text(encoding="utf-8")
             for n in ("000", "001", "003", "004")]
    names = [t.canonical for t in candidate_terms(texts)]
    assert {"LLM", "RedPajama", "ファインチューニング", "ハイパーパラメータ"} <= set(names)
    assert not {"データ", "アルゴリズム", "amazonaws", "com"} & set(names)


def test_with_candidates_adds_only_what_is_new() -> None:
    glossary = Glossary((GlossaryTerm("TensorFlow", variants=("テンソルフロー",)),))
    candidates = (
        GlossaryTerm("Tensorflow", category=CANDIDATE_CATEGORY),  # a known term, other case
        GlossaryTerm("テンソル・フロー", category=CANDIDATE_CATEGORY),  # a known writing
        GlossaryTerm("RedPajama", category=CANDIDATE_CATEGORY),
        GlossaryTerm("Red-Pajama", category=CANDIDATE_CATEGORY),  # the same as the last
    )
    extended = glossary.with_candidates(candidates)
    assert [t.canonical for t in extended.terms] == ["TensorFlow", "RedPajama"]
    assert glossary.terms == (GlossaryTerm("TensorFlow", variants=("テンソルフロー",)),)
