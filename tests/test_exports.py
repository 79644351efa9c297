"""Captions, chapters and RTTM written from a timed episode parse with standard readers."""

from __future__ import annotations

import json
import re

from kikigaki.document import Chapter, Episode, EpisodeMeta, Sentence, Speaker, Turn
from publish.captions import chapters_json, cues, rttm, split_text, srt, timed_files, webvtt

LONG = (
    "今日はですね、機械学習の勉強会で話した内容を、"
    "順番に振り返っていきたいと思いますが、まずは学習率の話からです。"
)


def timed_episode() -> Episode:
    sentences = [
        Sentence(text="こんにちは<b>&</b>。", start=0.0, end=1.5, speaker="SPEAKER_00"),
        Sentence(text=LONG, start=1.5, end=9.0, speaker="SPEAKER_01"),
        Sentence(text="はい。", start=9.0, end=9.6, speaker="SPEAKER_00"),
    ]
    return Episode(
        meta=EpisodeMeta(slug="ep1", title="t"),
        sentences=sentences,
        speakers=[Speaker(id="SPEAKER_00", name="市來"), Speaker(id="SPEAKER_01")],
        chapters=[
            Chapter(first=0, end=1, title="挨拶", start=0.0, end_time=1.5),
            Chapter(first=1, end=3, title="学習率", start=1.5, end_time=9.6),
        ],
        turns=[
            Turn(start=0.0, end=1.5, speaker="SPEAKER_00"),
            Turn(start=1.5, end=9.0, speaker="SPEAKER_01"),
        ],
    )


def test_split_text_cuts_after_commas_within_the_limit() -> None:
    pieces = split_text(LONG, 42)
    assert "".join(pieces) == LONG
    assert all(len(p) <= 42 for p in pieces)
    assert all(p.endswith("、") for p in pieces[:-1])


def test_cues_cover_each_sentence_in_order() -> None:
    found = cues(timed_episode())
    assert [c.start for c in found] == sorted(c.start for c in found)
    assert found[-1].end == 9.6
    assert found[0].speaker == "市來"


def test_webvtt_has_voice_tags_and_escapes() -> None:
    text = webvtt(timed_episode())
    assert text.startswith("WEBVTT\n\n")
    assert "<v 市來>こんにちは&lt;b&gt;&amp;&lt;/b&gt;。</v>" in text
    timings = re.findall(r"(\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})", text)
    assert len(timings) == len(cues(timed_episode()))


def test_srt_numbering_and_commas() -> None:
    blocks = srt(timed_episode()).strip().split("\n\n")
    assert blocks[0].split("\n")[0] == "1"
    assert "00:00:00,000 --> 00:00:01,500" in blocks[0]


def test_chapters_json_is_podcasting_chapters_1_2() -> None:
    document = json.loads(chapters_json(timed_episode()))
    assert document["version"] == "1.2.0"
    assert [c["startTime"] for c in document["chapters"]] == [0.0, 1.5]
    assert all(isinstance(c["title"], str) for c in document["chapters"])


def test_rttm_lines() -> None:
    lines = rttm(timed_episode()).splitlines()
    assert lines[0].split() == [
        "SPEAKER", "ep1", "1", "0.000", "1.500", "<NA>", "<NA>", "SPEAKER_00", "<NA>", "<NA>"
    ]


def test_untimed_episode_has_no_timed_files() -> None:
    episode = Episode(sentences=[Sentence(text="こんにちは。")])
    assert timed_files(episode) == {}
    assert set(timed_files(timed_episode())) == {
        "captions.vtt", "captions.srt", "chapters.json", "diarization.rttm"
    }


HANGING = "。、」』）!?！？"


def test_japanese_captions_hold_two_lines_of_sixteen_characters() -> None:
    from publish.captions import JAPANESE_LINE_WIDTH, caption_lines, display_width

    episode = timed_episode()
    for cue in cues(episode):
        lines = cue.text.split("\n")
        assert len(lines) <= 2
        # 16 full-width characters, and a stop or closing bracket may hang past them
        assert all(display_width(line.rstrip(HANGING)) <= JAPANESE_LINE_WIDTH for line in lines)
        assert all(display_width(line) <= JAPANESE_LINE_WIDTH + 2 for line in lines)
    text = "トランスフォーマーズの論文、アテンション・イズ・オール・ユー・ニードを読む"
    lines = caption_lines(text)
    assert "".join(lines) == text
    assert all(display_width(line) <= JAPANESE_LINE_WIDTH for line in lines)
    assert lines[0].endswith("、") or "トランスフォーマーズ" in lines[0]


def test_unnamed_speakers_are_numbered_in_order_of_appearance() -> None:
    text = webvtt(timed_episode())
    assert "<v 話者2>" in text  # SPEAKER_01 has no name
    assert "SPEAKER_01" not in text


def test_no_caption_line_starts_with_a_stop_or_a_closing_bracket() -> None:
    from publish.captions import caption_lines

    # 。 falls on the 17th full-width place: it hangs on the line instead of starting one
    for text in (
        "今日は Transformer の話をします。",
        "あいうえおかきくけこさしすせそた」。次の文です。",
        "まずは学習率の話からですが、順番に振り返っていきたいと思います。",
    ):
        lines = caption_lines(text)
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")
        assert not any(line[0] in HANGING for line in lines), lines
