"""An episode's metadata: the command line over the sidecar over the audio's own tags or
the transcript; the file's day when nothing dates it. Languages by code or by name."""

from __future__ import annotations

import os
from pathlib import Path

import av
import numpy as np
import pytest

from commands.cli import EXIT_BAD_INPUT, main
from kikigaki.errors import InputError
from kikigaki.sidecar import Sidecar
from pipeline import steps
from pipeline.options import EpisodeDetails
from transcribe.audio import audio_tags
from transcribe.languages import whisper_language

TAGS = {"title": "第5回 テスト回", "album": "テストラジオ", "date": "2024-03-05",
        "comment": "説明文です", "track": "5"}


def _tagged_mp3(path: Path, tags: dict[str, str]) -> Path:
    """One second of a tone as MP3, with ID3 tags."""
    with av.open(str(path), "w") as out:
        out.metadata.update(tags)
        stream = out.add_stream("mp3", rate=16000)
        stream.layout = "mono"
        tone = np.sin(np.arange(16000) / 16000 * 2 * np.pi * 440) * 8000
        frame = av.AudioFrame.from_ndarray(tone.astype(np.int16)[None, :], format="s16",
                                           layout="mono")
        frame.sample_rate = 16000
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    return path


def _metadata(source: Path, details: EpisodeDetails | None = None,
              sidecar: Sidecar | None = None) -> steps.Episode:
    return steps.metadata(steps.start(source, audio=True), details=details or EpisodeDetails(),
                          sidecar=sidecar or Sidecar(), slug=None)


def test_the_audio_tags_are_the_defaults(tmp_path: Path) -> None:
    audio = _tagged_mp3(tmp_path / "ep.mp3", TAGS)
    assert audio_tags(audio)["show"] == "テストラジオ"
    meta = _metadata(audio).meta
    assert (meta.title, meta.show, meta.date, meta.description, meta.episode_id) == (
        "第5回 テスト回", "テストラジオ", "2024-03-05", "説明文です", "5")
    assert meta.date_source == "audio-tags"
    assert meta.slug == "ep" and meta.audio == str(audio)


def test_the_command_line_wins_over_the_sidecar_over_the_tags(tmp_path: Path) -> None:
    audio = _tagged_mp3(tmp_path / "ep.mp3", TAGS)
    sidecar = Sidecar(meta=(("title", "サイドカーの題"), ("show", "サイドカー番組"),
                            ("date", "2023-01-01")))
    meta = _metadata(audio, EpisodeDetails(title="コマンドの題"), sidecar).meta
    assert (meta.title, meta.show, meta.date, meta.date_source) == (
        "コマンドの題", "サイドカー番組", "2023-01-01", "sidecar")


def test_an_undated_episode_gets_its_file_day_marked_as_such(tmp_path: Path) -> None:
    audio = _tagged_mp3(tmp_path / "ep.mp3", {})
    os.utime(audio, (1_700_000_000, 1_700_000_000))  # 2023-11-14
    meta = _metadata(audio).meta
    assert (meta.title, meta.date, meta.date_source) == ("ep", "2023-11-14", "file-modified")


@pytest.mark.parametrize(("given", "code"), [
    ("ja", "ja"), ("japanese", "ja"), ("Japanese", "ja"), ("日本語", "ja"), ("jpn", "ja"),
    ("ja-JP", "ja"), ("English", "en"), ("auto", None), ("cantonese", "yue"),
])
def test_languages_by_code_or_name(given: str, code: str | None) -> None:
    assert whisper_language(given) == code


def test_an_unknown_language_is_one_line_listing_the_codes() -> None:
    with pytest.raises(InputError) as caught:
        whisper_language("klingon")
    assert "\n" not in caught.value.one_line() and " ja " in caught.value.one_line()


@pytest.mark.parametrize("arguments", [
    ["--language", "xx"], ["--beam-size", "0"], ["--beam-size", "-3"], ["--date", "05/03/2024"],
])
def test_bad_options_are_one_line_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str]
) -> None:
    audio = _tagged_mp3(tmp_path / "ep.mp3", {})
    site = tmp_path / "site"
    code = main(["transcribe", str(audio), "--out", str(site), "--quiet", *arguments])
    assert code == EXIT_BAD_INPUT
    error = capsys.readouterr().err.strip()
    assert error.startswith("kikigaki: ") and "\n" not in error
    assert not site.exists()
