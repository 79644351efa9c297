"""Normalisation, fillers, sentences and paragraphs: each a plain Episode -> Episode stage."""

from __future__ import annotations

import itertools

import pytest

from kikigaki.document import Chapter, Episode, EpisodeMeta, Segment, Word
from postprocess.fillers import remove_fillers, strip_fillers
from postprocess.normalize import normalize, normalize_text
from postprocess.paragraphs import HARD_LIMIT_CHARS, group_paragraphs
from postprocess.sentences import (
    _pauses_after_words,
    _word_clocks,
    punctuate_segments,
    sentence_spans,
    split_into_sentences,
)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Transformer を完璧に 理解 する", "Transformerを完璧に理解する"),
        ("ＡＢＣ１２３ のｶﾞｲﾄﾞ", "ABC123のガイド"),
        ("どうなってるの?みたいな", "どうなってるの？みたいな"),
        ("Hello  world です", "Hello worldです"),
        ("（テスト）\u3000全角スペース", "（テスト）全角スペース"),
        ("GPT-4 は 2023 年", "GPT-4は2023年"),
    ],
)
def test_normalize_text(raw: str, clean: str) -> None:
    assert normalize_text(raw) == clean


def test_normalize_drops_segments_that_become_empty() -> None:
    episode = Episode(segments=[Segment(text=" \u3000 "), Segment(text="はい です")])
    cleaned = normalize(episode)
    assert [s.text for s in cleaned.segments] == ["はいです"]
    assert [s.text for s in episode.segments] == [" \u3000 ", "はい です"]  # input untouched
    assert cleaned.stages == ["normalize"]


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("えーと、あのー、それはですね", "それはですね"),
        ("えー、そうですね", "そうですね"),
        ("僕ね、あの、これは", "僕ね、これは"),
        ("えっとまあ、うーんなんか違うかな", "なんか違うかな"),
    ],
)
def test_fillers_are_removed(raw: str, clean: str) -> None:
    assert strip_fillers(raw)[0] == clean


@pytest.mark.parametrize("text", ["あの本を読んだ", "まあいいや", "ええ、そうです", "その話です"])
def test_words_that_only_look_like_fillers_stay(text: str) -> None:
    assert strip_fillers(text) == (text, 0)


def test_verbatim_mode_keeps_fillers() -> None:
    episode = Episode(segments=[Segment(text="えーと、はい")])
    assert remove_fillers(episode, keep=True).segments[0].text == "えーと、はい"
    assert remove_fillers(episode).segments[0].text == "はい"


def test_sentence_spans_keep_closing_brackets_and_cap_length() -> None:
    text = "「そうです。」と言った。本当？" + "あ、" * 150
    pieces = [text[a:b] for a, b in sentence_spans(text)]
    assert pieces[0] == "「そうです。」"
    assert pieces[1] == "と言った。"
    assert pieces[2] == "本当？"
    assert all(len(p) <= 200 for p in pieces)
    assert "".join(pieces) == text


def test_a_quoted_question_stays_in_the_sentence_that_quotes_it() -> None:
    text = "何で？って思い出したらわかります。いいのかな？と思ってるんですが。本当？はい。"
    pieces = [text[a:b] for a, b in sentence_spans(text)]
    assert pieces == ["何で？って思い出したらわかります。", "いいのかな？と思ってるんですが。",
                      "本当？", "はい。"]


def _timed_episode() -> Episode:
    return Episode(
        meta=EpisodeMeta(source_format="srt"),
        segments=[
            Segment(text="今日はいい天気ですね明日は", start=0.0, end=4.0, speaker="A"),
            Segment(text="雨らしいですよ", start=4.0, end=6.0, speaker="A"),
            Segment(text="そうなんですか知りませんでした", start=6.5, end=9.0, speaker="B"),
        ],
    )


def test_sentences_are_punctuated_timed_and_keep_speakers() -> None:
    episode = split_into_sentences(_timed_episode())
    sentences = episode.sentences
    assert len(sentences) >= 3
    assert all(s.text[-1] in "。？！" for s in sentences)
    unpunctuated = "".join(s.text for s in sentences).translate(str.maketrans("", "", "。、？！"))
    assert unpunctuated == "今日はいい天気ですね明日は雨らしいですよそうなんですか知りませんでした"
    assert next(s.speaker for s in sentences) == "A"
    assert sentences[-1].speaker == "B"
    starts = [s.start for s in sentences]
    assert starts == sorted(starts)
    assert sentences[0].start == 0.0
    assert sentences[-1].end == 9.0
    assert all(s.start is not None and s.end is not None and s.start <= s.end for s in sentences)


def test_a_speaker_change_ends_a_sentence() -> None:
    episode = Episode(segments=[Segment(text="それでその本を読んだら", speaker="A"),
                                Segment(text="うんうん", speaker="B"),
                                Segment(text="すごく面白かったんですよ", speaker="A")])
    punctuated = punctuate_segments(episode)
    assert all(text[-1] in "。？！" for text in punctuated), punctuated


def test_lines_of_a_text_transcript_end_sentences() -> None:
    episode = Episode(meta=EpisodeMeta(source_format="text"),
                      segments=[Segment(text="今日はね"), Segment(text="僕はね")])
    assert [s.text[-1] for s in split_into_sentences(episode).sentences] == ["。", "。"]


def test_caption_cue_ends_are_not_forced() -> None:
    episode = Episode(meta=EpisodeMeta(source_format="srt"),
                      segments=[Segment(text="今日は東日本大震災に関すること", start=0, end=2),
                                Segment(text="市の取り組みについて伺います", start=2, end=4)])
    first, _ = punctuate_segments(episode)
    assert first[-1] not in "。？！"


def test_pauses_after_words_reach_into_the_next_segment() -> None:
    episode = Episode(
        segments=[Segment(text="今日は晴れ", start=0.0, end=1.0),
                  Segment(text="です", start=1.5, end=2.0)],
        words=[Word(text="今日は", start=0.0, end=0.4), Word(text="晴れ", start=0.5, end=1.0),
               Word(text="です", start=1.6, end=2.0)],
    )
    pauses = _pauses_after_words(episode, _word_clocks(episode))
    assert pauses[0] == ((2, pytest.approx(0.1)), (4, pytest.approx(0.6)))
    assert pauses[1] == ()


def test_untimed_sentences_have_no_times() -> None:
    episode = Episode(segments=[Segment(text="はいこんにちは今日はよろしくお願いします")])
    sentences = split_into_sentences(episode).sentences
    assert sentences
    assert all(s.start is None and s.end is None for s in sentences)


def test_paragraphs_respect_chapters_speakers_and_length() -> None:
    episode = split_into_sentences(_timed_episode())
    episode = episode.model_copy(
        update={"chapters": [Chapter(first=0, end=1, title="天気"),
                             Chapter(first=1, end=len(episode.sentences), title="雨")]}
    )
    paragraphs = group_paragraphs(episode).paragraphs
    firsts = {p.first for p in paragraphs}
    assert {0, 1} <= firsts
    assert paragraphs[0].first == 0
    assert paragraphs[-1].end == len(episode.sentences)
    for before, after in itertools.pairwise(paragraphs):
        assert before.end == after.first
    for paragraph in paragraphs:
        speakers = {s.speaker for s in episode.sentences[paragraph.first : paragraph.end]}
        assert len(speakers) == 1
        text = "".join(s.text for s in episode.sentences[paragraph.first : paragraph.end])
        assert len(text) <= HARD_LIMIT_CHARS or paragraph.end - paragraph.first == 1
