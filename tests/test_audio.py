"""Audio decoding: every common format to 16 kHz mono float32, and one-line errors."""

from __future__ import annotations

import struct
import wave
import zlib
from pathlib import Path

import av
import numpy as np
import pytest

from kikigaki.errors import InputError
from transcribe.audio import (
    SAMPLE_RATE,
    decode_to_memmap,
    iter_windows,
    load_audio,
    probe,
)

FIXTURES = Path(__file__).parent / "fixtures" / "audio"
CLIP = FIXTURES / "common_voice_ja_38853932_16k.wav"


def encode(samples: np.ndarray, path: Path, codec: str, rate: int, layout: str) -> Path:
    """Write 16 kHz mono ``samples`` to ``path`` with PyAV, resampled to ``rate``/``layout``."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=rate, layout=layout)
        resampler = av.AudioResampler(
            format=stream.format.name,
            layout=layout,
            rate=rate,
            frame_size=stream.codec_context.frame_size or None,
        )
        frame = av.AudioFrame.from_ndarray(
            samples.reshape(1, -1).astype(np.float32), format="flt", layout="mono"
        )
        frame.sample_rate = SAMPLE_RATE
        for piece in [*resampler.resample(frame), *resampler.resample(None)]:
            out.mux(stream.encode(piece))
        out.mux(stream.encode(None))
    return path


def write_wav(path: Path, samples: np.ndarray, rate: int = SAMPLE_RATE) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


@pytest.fixture(scope="module")
def clip() -> np.ndarray:
    return load_audio(CLIP)


FORMATS = [
    ("clip.mp3", "libmp3lame", 44_100, "stereo"),
    ("clip.m4a", "aac", 44_100, "stereo"),
    ("clip.flac", "flac", 16_000, "mono"),
    ("clip.ogg", "libopus", 48_000, "mono"),
    ("clip.opus", "libopus", 48_000, "stereo"),
    ("clip.wav", "pcm_s16le", 44_100, "stereo"),
    ("clip_8k.wav", "pcm_s16le", 8_000, "mono"),
]


@pytest.mark.parametrize(("name", "codec", "rate", "layout"), FORMATS)
def test_every_format_decodes_to_16k_mono(
    tmp_path: Path, clip: np.ndarray, name: str, codec: str, rate: int, layout: str
) -> None:
    path = encode(clip, tmp_path / name, codec, rate, layout)
    info = probe(path)
    samples = load_audio(path)
    assert info.sample_rate == rate
    assert info.channels == (2 if layout == "stereo" else 1)
    assert info.duration == pytest.approx(len(clip) / SAMPLE_RATE, abs=0.1)
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert len(samples) == pytest.approx(len(clip), abs=0.05 * SAMPLE_RATE)
    loudness = float(np.sqrt(np.mean(samples**2)) / np.sqrt(np.mean(clip**2)))
    assert loudness == pytest.approx(1.0, abs=0.2)


def test_windows_cover_the_file_exactly(clip: np.ndarray) -> None:
    windows = list(iter_windows(CLIP, seconds=2.0))
    assert [w.start for w in windows] == [0.0, 2.0, 4.0, 6.0][: len(windows)]
    assert all(len(w.samples) <= 2 * SAMPLE_RATE for w in windows)
    np.testing.assert_array_equal(np.concatenate([w.samples for w in windows]), clip)


def test_overlapping_windows_step_by_seconds_minus_overlap(clip: np.ndarray) -> None:
    windows = list(iter_windows(CLIP, seconds=2.0, overlap=0.5))
    assert [w.start for w in windows[:3]] == [0.0, 1.5, 3.0]
    assert windows[-1].end == pytest.approx(len(clip) / SAMPLE_RATE)
    for window in windows:
        begin = round(window.start * SAMPLE_RATE)
        np.testing.assert_array_equal(window.samples, clip[begin : begin + len(window.samples)])


def test_memmap_holds_the_same_samples(tmp_path: Path, clip: np.ndarray) -> None:
    mapped = decode_to_memmap(CLIP, tmp_path / "clip.f32")
    np.testing.assert_array_equal(np.asarray(mapped), clip)
    assert [p.name for p in tmp_path.iterdir()] == ["clip.f32"]


def test_silence_is_audio_not_an_error(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "silence.wav", np.zeros(3 * SAMPLE_RATE))
    assert probe(path).duration == pytest.approx(3.0)
    assert not load_audio(path).any()


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 2, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + b"\xff\x00\x00" * 2)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def _bad_files(folder: Path, clip: np.ndarray) -> dict[str, tuple[Path, str]]:
    """name -> (file, a phrase its error must contain)."""
    (folder / "empty.mp3").write_bytes(b"")
    (folder / "notes.txt").write_text("これは音声ではありません\n" * 20, encoding="utf-8")
    (folder / "picture.png").write_bytes(_png())
    write_wav(folder / "zero.wav", np.zeros(0))
    whole_wav = write_wav(folder / "whole.wav", clip).read_bytes()
    (folder / "cut.wav").write_bytes(whole_wav[: len(whole_wav) // 3])
    whole_mp3 = encode(clip, folder / "whole.mp3", "libmp3lame", 44_100, "mono").read_bytes()
    (folder / "cut.mp3").write_bytes(whole_mp3[: len(whole_mp3) // 3])
    flac = bytearray(encode(clip, folder / "whole.flac", "flac", 16_000, "mono").read_bytes())
    (folder / "cut.flac").write_bytes(bytes(flac[: len(flac) // 2]))
    return {
        "missing": (folder / "missing.wav", "no such file"),
        "folder": (folder, "not a file"),
        "empty": (folder / "empty.mp3", "empty"),
        "text": (folder / "notes.txt", "cannot read it as audio"),
        "image": (folder / "picture.png", "no audio stream"),
        "zero duration": (folder / "zero.wav", "zero duration"),
        "truncated wav": (folder / "cut.wav", "truncated"),
        "truncated mp3": (folder / "cut.mp3", "truncated"),
        "truncated flac": (folder / "cut.flac", "corrupt"),
    }


def test_bad_files_raise_one_line_errors(tmp_path: Path, clip: np.ndarray) -> None:
    for name, (path, phrase) in _bad_files(tmp_path, clip).items():
        with pytest.raises(InputError) as caught:
            load_audio(path)
        message = str(caught.value)
        assert message.startswith(str(path)), name
        assert phrase in message, (name, message)
        assert "\n" not in message and ";" in message, name


def test_probe_refuses_what_it_can_see_is_not_audio(tmp_path: Path, clip: np.ndarray) -> None:
    bad = _bad_files(tmp_path, clip)
    for name in ("missing", "empty", "text", "image", "zero duration", "truncated wav"):
        with pytest.raises(InputError):
            probe(bad[name][0])


def test_window_size_must_exceed_overlap() -> None:
    with pytest.raises(ValueError):
        list(iter_windows(CLIP, seconds=1.0, overlap=1.0))
