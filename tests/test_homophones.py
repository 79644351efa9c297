"""The homophone stage: the shipped character model and sound index, the guards, the audio
path (Whisper's word probabilities) and the log. Sentences here are written for the tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kikigaki.document import Correction, Episode, Segment, Word
from kikigaki.errors import InputError, KikigakiError
from kikigaki.sidecar import read_sidecar
from postprocess.charlm import lm_view
from postprocess.glossary import Glossary, GlossaryTerm, default_glossary
from postprocess.homophones import (
    HomophoneSettings,
    apply_fixes,
    char_confidence,
    correct_homophones,
    find_fixes,
    load_model,
    score_candidates,
    select_fixes,
)
from postprocess.sound_index import mora_symbols, sound_distance, sound_key

MISHEARD = "彼は日本王を勉強している"  # 日本語 heard as 日本王
FIXED = "彼は日本語を勉強している"


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return default_glossary()


def _episode(*texts: str, words: list[Word] | None = None) -> Episode:
    segments = [Segment(text=t, start=float(i), end=float(i + 1)) for i, t in enumerate(texts)]
    return Episode(segments=segments, words=words or [])


# --------------------------------------------------------------------------- pieces


def test_the_model_reads_letters_only() -> None:
    view, spans = lm_view("今日は、GPT-4で 2023年！")
    assert view == "今日はA0で0年"
    assert [spans[i] for i in (3, 4)] == [(4, 7), (8, 9)]


def test_sound_keys_ignore_length_and_gemination() -> None:
    assert sound_key("コウコウ") == sound_key("ココ") == ("k", "o", "k", "o")
    assert mora_symbols(sound_key("カイギ")) == mora_symbols(sound_key("ガイキ"))
    assert sound_distance(sound_key("ニホンゴ"), sound_key("ニホンオウ"), 2.0) == 1.0
    assert sound_distance(sound_key("カ"), sound_key("ガ"), 2.0) == 0.5
    assert sound_distance(sound_key("カンシ"), sound_key("ソウリ"), 2.0) is None


def test_a_missing_model_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(KikigakiError, match="homophone model"):
        load_model.__wrapped__(tmp_path / "missing.npz")


# --------------------------------------------------------------------------- the stage


def test_a_misheard_word_is_corrected_and_logged(glossary: Glossary) -> None:
    episode = correct_homophones(_episode("こんにちは", MISHEARD), glossary=glossary)
    assert [s.text for s in episode.segments] == ["こんにちは", FIXED]
    (correction,) = episode.corrections
    assert (correction.segment, correction.replacement) == (1, "日本語")
    assert correction.reason == "near-homophone" and correction.score >= 3.0
    assert episode.stages[-1] == "homophones"


def test_correct_text_is_left_alone(glossary: Glossary) -> None:
    text = "会議に参加する機会がありました。モデルの精度が高いです。"
    assert correct_homophones(_episode(text), glossary=glossary).segments[0].text == text


@pytest.mark.parametrize(
    ("text", "keep"),
    [
        (MISHEARD, ("日本王",)),  # the sidecar's keep list
        ("彼は「日本王」を勉強している", ()),  # a title or a quotation
    ],
)
def test_guarded_words_stay(text: str, keep: tuple[str, ...], glossary: Glossary) -> None:
    episode = correct_homophones(_episode(text), glossary=glossary, keep=keep)
    assert episode.segments[0].text == text and not episode.corrections


def test_glossary_terms_are_never_changed() -> None:
    glossary = Glossary((GlossaryTerm("日本王", reading="ニホンオウ"),))
    episode = correct_homophones(_episode(MISHEARD), glossary=glossary)
    assert episode.segments[0].text == MISHEARD


def test_names_and_numbers_are_never_changed() -> None:
    text = "山田さんは二本の線を引いた"
    anything = HomophoneSettings(margin=-100.0, per_distance=0.0, prior_weight=0.0)
    candidates = score_candidates(text, load_model(), anything, floor=-100.0)
    fixes = select_fixes(candidates, anything)
    assert fixes  # everything else that sounds alike replaces what is there
    changed = apply_fixes(text, fixes)
    assert changed.startswith("山田") and "二" in changed


# --------------------------------------------------------------------------- audio


def _words(text: str, unsure: str, probability: float) -> list[Word]:
    """One word per character over [0, 1]; those in ``unsure`` get ``probability``."""
    step = 1.0 / len(text)
    return [Word(text=c, start=i * step, end=(i + 1) * step,
                 probability=probability if c in unsure else 0.99)
            for i, c in enumerate(text)]


def test_a_confident_word_is_left_alone(glossary: Glossary) -> None:
    episode = _episode(MISHEARD, words=_words(MISHEARD, "", 0.99))
    assert correct_homophones(episode, glossary=glossary).segments[0].text == MISHEARD


def test_an_unsure_word_is_corrected(glossary: Glossary) -> None:
    episode = _episode(MISHEARD, words=_words(MISHEARD, "王", 0.3))
    assert correct_homophones(episode, glossary=glossary).segments[0].text == FIXED


def test_word_probabilities_follow_the_text_the_stages_changed() -> None:
    words = [Word(text="パイトッチ", start=0.1, end=0.5, probability=0.4),
             Word(text="で書い", start=0.5, end=0.9, probability=0.95)]
    segment = Segment(text="PyTorchで書いた", start=0.0, end=1.0)
    confidence = char_confidence(segment, words)
    assert confidence[:7] == [None] * 7  # replaced by the term stage: unknown
    assert confidence[7:10] == [0.95] * 3 and confidence[10] is None


# --------------------------------------------------------------------------- the log


def test_old_episode_files_still_load() -> None:
    old = Correction.model_validate({"segment": 0, "original": "a", "replacement": "b",
                                     "canonical": "b"})
    assert old.reason == "" and old.score is None


def test_the_sidecar_keep_list(tmp_path: Path) -> None:
    path = tmp_path / "episode.kikigaki.toml"
    path.write_text('keep = ["予想市", "全座"]\n', encoding="utf-8")
    assert read_sidecar(path).keep == ("予想市", "全座")
    path.write_text("keep = \"予想市\"\n", encoding="utf-8")
    with pytest.raises(InputError, match="keep must be a list"):
        read_sidecar(path)


def test_scores_are_log_ratios(glossary: Glossary) -> None:
    fixes = find_fixes(MISHEARD, load_model())
    assert len(fixes) == 1 and np.isfinite(fixes[0].score)
