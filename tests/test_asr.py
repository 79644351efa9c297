"""Speech recognition with the real embedded Whisper model on real audio, and its guards."""

from __future__ import annotations

import json
import os
import wave
from pathlib import Path

import numpy as np
import pytest

from kikigaki.document import Segment
from kikigaki.errors import InputError
from postprocess.evaluation import cer
from transcribe import models
from transcribe.asr import AsrSettings, approximate_words, transcribe_audio
from transcribe.audio import SAMPLE_RATE, load_audio
from transcribe.guards import (
    RawSegment,
    clean_segments,
    collapse_repeated_phrases,
    is_silence_hallucination,
    merge_repeated_segments,
)

FIXTURES = Path(__file__).parent / "fixtures" / "audio"
CLIP = FIXTURES / "common_voice_ja_38853932_16k.wav"
ENGLISH = FIXTURES / "pyannote_sample_en_12s.opus"


def reference_text() -> str:
    line = (FIXTURES / "references.jsonl").read_text(encoding="utf-8").splitlines()[0]
    return json.loads(line)["text"]


def write_wav(path: Path, samples: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


# --- the embedded model ----------------------------------------------------------------


def test_embedded_model_is_assembled_verified_reused_and_repaired(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIKIGAKI_CACHE", str(tmp_path))
    folder = Path(models.resolve_model(None))
    model_bin = folder / "model.bin"
    assert folder.parent == tmp_path / "models"
    assert model_bin.stat().st_size == models.BASE_MODEL_SIZE
    assert models.file_sha256(model_bin) == models.BASE_MODEL_SHA256
    assert {p.name for p in folder.iterdir()} >= {"config.json", "tokenizer.json"}

    first_inode = model_bin.stat().st_ino
    assert models.resolve_model("base") == str(folder)
    assert model_bin.stat().st_ino == first_inode  # reused, not rebuilt

    with model_bin.open("r+b") as handle:  # damage one byte in the middle
        handle.seek(models.BASE_MODEL_SIZE // 2)
        byte = handle.read(1)
        handle.seek(-1, os.SEEK_CUR)
        handle.write(bytes([byte[0] ^ 0xFF]))
    assert models.resolve_model(None) == str(folder)
    assert models.file_sha256(model_bin) == models.BASE_MODEL_SHA256
    assert [p.name for p in (tmp_path / "models").iterdir()] == [folder.name]  # no leftovers


def test_local_model_folder_must_hold_model_bin(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no model\.bin") as caught:
        models.resolve_model(str(tmp_path))
    assert "\n" not in str(caught.value)


def test_hub_model_offline_gives_a_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", "/nonexistent-kikigaki-hf-home")
    with pytest.raises(InputError) as caught:
        models.resolve_model("kikigaki-test/no-such-whisper")
    message = str(caught.value)
    assert message.startswith("kikigaki-test/no-such-whisper: model cannot be loaded")
    assert "\n" not in message and "local CTranslate2 model folder" in message


# --- transcription ---------------------------------------------------------------------


def test_common_voice_clip_is_transcribed_with_low_cer() -> None:
    seen: list[tuple[float, float]] = []
    episode = transcribe_audio(CLIP, progress=lambda done, total: seen.append((done, total)))
    rate, _, _ = cer([(reference_text(), episode.text)])
    assert rate < 0.3, episode.text
    meta = episode.meta
    assert (meta.source_format, meta.language, meta.audio) == ("audio", "ja", str(CLIP))
    assert meta.slug == "common_voice_ja_38853932_16k"
    assert meta.duration == pytest.approx(6.41, abs=0.05)
    assert episode.stages == ["transcribe:whisper"]
    for segment in episode.segments:
        assert 0 <= segment.start < segment.end <= meta.duration + 0.5
        assert " " not in segment.text
    assert "".join(w.text for w in episode.words) == episode.text  # measured words
    assert all(w.probability is not None and w.start <= w.end for w in episode.words)
    assert seen and seen[-1][0] == pytest.approx(seen[-1][1])


def test_small_windows_neither_drop_nor_repeat_speech(tmp_path: Path) -> None:
    clip = load_audio(CLIP)
    twice = write_wav(tmp_path / "twice.wav", np.concatenate([clip, np.zeros(8000), clip]))
    episode = transcribe_audio(twice, AsrSettings(window_seconds=4.0, approximate_words=False))
    reference = reference_text() * 2
    assert cer([(reference, episode.text)])[0] < 0.3, episode.text
    starts = [s.start for s in episode.segments]
    assert starts == sorted(starts)


def test_silence_gives_an_empty_transcript(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    quiet = write_wav(tmp_path / "quiet.wav", rng.normal(0, 1e-4, 20 * SAMPLE_RATE))
    episode = transcribe_audio(quiet)
    assert episode.segments == [] and episode.words == []
    assert episode.meta.duration == pytest.approx(20.0)


def test_speech_in_another_language_is_refused_with_a_hint() -> None:
    with pytest.raises(InputError) as caught:
        transcribe_audio(ENGLISH)
    message = str(caught.value)
    assert "English (en" in message and "--language en" in message
    assert "\n" not in message


def test_the_batched_language_check_is_judged_over_the_first_batch_of_speech() -> None:
    from transcribe.languages import LanguageGuard

    guard = LanguageGuard("ja", Path("intro.wav"))
    english_jingle = [("<|en|>", 0.97), ("<|ja|>", 0.02)]
    japanese = [("<|ja|>", 0.98), ("<|en|>", 0.01)]
    guard.check([english_jingle, japanese, japanese])  # an English intro alone is no reason
    assert guard.done
    with pytest.raises(InputError, match="English"):
        LanguageGuard("ja", Path("talk.wav")).check([english_jingle, english_jingle])


def test_sequential_decoding_still_refuses_another_language() -> None:
    from transcribe.asr import AsrSettings

    with pytest.raises(InputError, match="--language en"):
        transcribe_audio(ENGLISH, AsrSettings(batched=False, beam_size=1))


def test_bad_audio_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        transcribe_audio(tmp_path / "empty.wav")


# --- guards (pure functions) --------------------------------------------------------------


def raw(text: str, start: float = 0.0, end: float = 1.0, **confidence: float) -> RawSegment:
    return RawSegment(text=text, start=start, end=end, **confidence)


@pytest.mark.parametrize(
    "text",
    [
        "ご視聴ありがとうございました",
        "ご視聴ありがとうございました。",
        "おやすみなさい",
        "チャンネル登録よろしくお願いします!",
        "字幕作成者 山田",
    ],
)
def test_unsure_stock_phrases_are_hallucinations(text: str) -> None:
    assert is_silence_hallucination(raw(text, avg_logprob=-1.2))
    assert is_silence_hallucination(raw(text, avg_logprob=-0.2, no_speech_prob=0.8))
    assert not is_silence_hallucination(raw(text, avg_logprob=-0.2, no_speech_prob=0.1))


def test_stock_phrase_inside_real_speech_is_kept() -> None:
    segment = raw("今日はおやすみなさいと言って寝ました", avg_logprob=-1.5, no_speech_prob=0.9)
    assert not is_silence_hallucination(segment)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ありがとうございます。" * 4, "ありがとうございます。"),
        ("その結果そうですねそうですねそうですね", "その結果そうですね"),
        ("はいはいはいはいはいはい", "はい"),
        ("そうそうそう、それです", "そうそうそう、それです"),
        ("ははは", "ははは"),
        ("普通の文です。", "普通の文です。"),
    ],
)
def test_repetition_loops_collapse_but_natural_repeats_stay(text: str, expected: str) -> None:
    assert collapse_repeated_phrases(text) == expected


def test_consecutive_repeated_segments_merge_into_one() -> None:
    loop = [raw("それでは始めましょうか", t, t + 1) for t in range(3)]
    merged = merge_repeated_segments([raw("はい", 0, 1), raw("はい", 1, 2), *loop])
    assert [s.text for s in merged] == ["はい", "はい", "それでは始めましょうか"]
    assert (merged[-1].start, merged[-1].end) == (0, 3)
    triple = merge_repeated_segments([raw("うん", t, t + 1) for t in range(3)])
    assert len(triple) == 1


def test_clean_segments_normalises_japanese_spacing() -> None:
    cleaned = clean_segments(
        [raw("今日は 機械学習の 話を します"), raw("ご視聴ありがとうございました", avg_logprob=-2)]
    )
    assert [s.text for s in cleaned] == ["今日は機械学習の話をします"]


def test_approximate_words_share_the_segment_time_by_characters() -> None:
    words = approximate_words(Segment(text="今日は、機械学習です。", start=10.0, end=13.0))
    assert "".join(w.text for w in words) == "今日は、機械学習です。"
    assert words[0].start == 10.0 and words[-1].end == 13.0
    assert all(w.probability is None for w in words)
    ends = [w.end for w in words]
    assert ends == sorted(ends)
    comma = next(w for w in words if w.text == "、")
    assert comma.start == comma.end  # punctuation takes no time
