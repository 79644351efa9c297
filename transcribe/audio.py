"""Decode any common audio file to 16 kHz mono float32 with PyAV (FFmpeg).

Three ways in, all yielding the same samples:

- :func:`load_audio` — the whole file as one array (fine for minutes; a 2-hour episode
  is about 460 MB of float32).
- :func:`iter_windows` — fixed windows streamed from the decoder: memory stays at one
  window plus the decoder's frame buffers however long the file is.
- :func:`decode_to_memmap` — the whole file written to a float32 file on disk and
  mapped back, for stages (diarization) that want random access without the RAM.

Every problem a user can cause raises :class:`kikigaki.errors.InputError` with a
one-line message: a missing, empty, non-audio, truncated or corrupt file, a file with
no audio stream, or one with no samples. Silence is not an error: it decodes to zeros.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from kikigaki.errors import InputError
from kikigaki.text import printable

__all__ = [
    "SAMPLE_RATE",
    "AudioInfo",
    "AudioWindow",
    "decode_to_memmap",
    "iter_windows",
    "load_audio",
    "probe",
]

SAMPLE_RATE = 16_000
# Decoded audio shorter than this share of the duration the container declares means
# the file was cut off (FFmpeg decodes what is there and stops without an error).
_TRUNCATED_BELOW = 0.9
_SUPPORTED = "wav, mp3, m4a/aac, flac, ogg/opus"


@dataclass(frozen=True)
class AudioInfo:
    duration: float  # seconds
    sample_rate: int  # of the file, before resampling
    channels: int
    codec: str  # FFmpeg's decoder name, e.g. "mp3", "aac", "pcm_s16le"


@dataclass(frozen=True)
class AudioWindow:
    """``samples`` (16 kHz mono float32) begin ``start`` seconds into the file."""

    start: float
    samples: np.ndarray

    @property
    def end(self) -> float:
        return self.start + len(self.samples) / SAMPLE_RATE


def probe(path: Path | str) -> AudioInfo:
    """Duration, sample rate, channels and codec of the first audio stream."""
    path = _existing_file(path)
    _check_wav_length(path)
    with _open(path) as container:
        stream = _audio_stream(container, path)
        declared = _declared_duration(container, stream)
        info = AudioInfo(
            duration=declared if declared is not None else 0.0,
            sample_rate=int(stream.codec_context.sample_rate or stream.rate or 0),
            channels=int(stream.codec_context.channels or 0),
            codec=stream.codec_context.name,
        )
    if declared is None:  # some streams (raw ADTS, some ogg) carry no duration: count
        info = AudioInfo(_decoded_seconds(path), info.sample_rate, info.channels, info.codec)
    if info.duration <= 0:
        raise _no_samples(path)
    return info


def load_audio(path: Path | str) -> np.ndarray:
    """The whole file as 16 kHz mono float32 samples in [-1, 1]."""
    path = Path(path)
    chunks = list(_decoded_chunks(path))
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    return samples


def iter_windows(
    path: Path | str, seconds: float = 600.0, overlap: float = 0.0
) -> Iterator[AudioWindow]:
    """Windows of ``seconds`` of audio; each starts ``seconds - overlap`` after the last.

    The last window is shorter. Only the current window (plus ``overlap`` carried from
    the previous one) and FFmpeg's small frame buffers are held in memory.
    """
    if seconds <= 0 or not 0 <= overlap < seconds:
        raise ValueError("need seconds > 0 and 0 <= overlap < seconds")
    size = round(seconds * SAMPLE_RATE)
    step = size - round(overlap * SAMPLE_RATE)
    buffer = np.zeros(0, np.float32)
    start = 0  # sample index of buffer[0]
    pending: list[np.ndarray] = []
    pending_len = 0
    emitted_to = 0  # samples already yielded from the end of the last window
    for chunk in _decoded_chunks(Path(path)):
        pending.append(chunk)
        pending_len += len(chunk)
        if len(buffer) + pending_len < size:
            continue
        buffer = np.concatenate([buffer, *pending])
        pending, pending_len = [], 0
        while len(buffer) >= size:
            yield AudioWindow(start / SAMPLE_RATE, buffer[:size])
            emitted_to = start + size
            buffer = buffer[step:]
            start += step
    buffer = np.concatenate([buffer, *pending])
    if start + len(buffer) > emitted_to:  # samples not yet seen by the caller
        yield AudioWindow(start / SAMPLE_RATE, buffer)


def decode_to_memmap(path: Path | str, target: Path | str) -> np.memmap:
    """Decode ``path`` into ``target`` (raw float32, 16 kHz mono) and map it read-only.

    The file is written in decoder-sized pieces and renamed into place when complete,
    so memory stays small and a half-written ``target`` is never left behind.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    try:
        with partial.open("wb") as handle:
            for chunk in _decoded_chunks(Path(path)):
                handle.write(chunk.tobytes())
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return np.memmap(target, dtype=np.float32, mode="r")


def _decoded_chunks(path: Path) -> Iterator[np.ndarray]:
    """16 kHz mono float32 pieces of the first audio stream, in order; checks the whole."""
    path = _existing_file(path)
    _check_wav_length(path)
    decoded = 0
    with _open(path) as container:
        stream = _audio_stream(container, path)
        declared = _declared_duration(container, stream)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        try:
            for frame in container.decode(stream):
                for piece in _resampled(resampler, frame):
                    decoded += len(piece)
                    yield piece
            for piece in _resampled(resampler, None):
                decoded += len(piece)
                yield piece
        except av.error.FFmpegError as error:
            raise _corrupt(path, f"decoding failed after {decoded / SAMPLE_RATE:.1f} s") from error
    if decoded == 0:
        raise _no_samples(path)
    if declared and decoded / SAMPLE_RATE < _TRUNCATED_BELOW * declared:
        raise _corrupt(
            path,
            f"only {decoded / SAMPLE_RATE:.1f} s of the declared {declared:.1f} s decode "
            "(the file is truncated)",
        )


def _resampled(resampler: av.AudioResampler, frame: av.AudioFrame | None) -> list[np.ndarray]:
    return [
        out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
        for out in resampler.resample(frame)
    ]


def _decoded_seconds(path: Path) -> float:
    return sum(len(chunk) for chunk in _decoded_chunks(path)) / SAMPLE_RATE


def _check_wav_length(path: Path) -> None:
    """A WAV whose data chunk promises more bytes than the file has was cut off.

    FFmpeg's WAV reader silently shortens such a file to what is there, so the
    declared-duration check in the decoder cannot see it.
    """
    with path.open("rb") as handle:
        header = handle.read(12)
        if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
            return
        while chunk := handle.read(8):
            if len(chunk) < 8:
                return
            size = int.from_bytes(chunk[4:], "little")
            if chunk[:4] == b"data":
                available = path.stat().st_size - handle.tell()
                # 0 and 0xFFFFFFFF are what streaming writers put before they know the size
                if size not in (0, 0xFFFFFFFF) and size > available:
                    raise _corrupt(
                        path,
                        f"the WAV header promises {size} bytes of samples but the file "
                        f"holds {available} (the file is truncated)",
                    )
                return
            handle.seek(size + (size & 1), 1)


def _existing_file(path: Path | str) -> Path:
    path = Path(path)
    if not path.exists():
        raise InputError(path, "no such file", "check the path of the audio file")
    if not path.is_file():
        raise InputError(path, "not a file", f"give an audio file ({_SUPPORTED})")
    if path.stat().st_size == 0:
        raise InputError(path, "the file is empty (0 bytes)", f"give an audio file ({_SUPPORTED})")
    return path


def _open(path: Path) -> av.container.InputContainer:
    try:
        return av.open(str(path), mode="r")
    except av.error.FFmpegError as error:
        raise InputError(
            path,
            "FFmpeg cannot read it as audio (not an audio file, or its header is damaged)",
            f"give an audio file ({_SUPPORTED})",
        ) from error
    except OSError as error:
        problem = f"cannot be read ({error.strerror})"
        raise InputError(path, problem, "check its permissions") from error


def _audio_stream(container: av.container.InputContainer, path: Path) -> av.audio.AudioStream:
    if not container.streams.audio:
        raise InputError(path, "the file has no audio stream", f"give an audio file ({_SUPPORTED})")
    stream = container.streams.audio[0]
    if stream.codec_context is None:  # e.g. a WAV whose format tag FFmpeg does not know
        raise InputError(path, "its audio is in an encoding FFmpeg does not know",
                         f"convert it to a common format ({_SUPPORTED})")
    return stream


def _declared_duration(
    container: av.container.InputContainer, stream: av.audio.AudioStream
) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def _corrupt(path: Path, problem: str) -> InputError:
    return InputError(path, f"corrupt audio: {problem}", "re-export or re-download the file")


def _no_samples(path: Path) -> InputError:
    return InputError(path, "the audio has zero duration", "give a file with recorded sound")


# Tag names as FFmpeg reports them (ID3, MP4 and Vorbis comments alike), by what we use.
_TAGS = {
    "title": ("title",),
    "show": ("album", "show", "tvshow", "podcast"),
    "date": ("date", "creation_time", "year", "tdrc", "tyer"),
    "description": ("comment", "description", "synopsis", "lyrics"),
    "episode_id": ("track", "episode_id", "episode_sort"),
}
_TAG_MAX_CHARS = 4000


def audio_tags(path: Path | str) -> dict[str, str]:
    """The file's own tags that describe the episode: ``title``, ``show`` (the album),
    ``date`` (as written), ``description`` (the comment), ``episode_id`` (the track)."""
    with _open(_existing_file(path)) as container:
        raw = dict(container.metadata)
        for stream in container.streams.audio[:1]:
            raw.update({k: v for k, v in stream.metadata.items() if k not in raw})
    lowered = {key.lower(): printable(str(value)).strip() for key, value in raw.items()}
    tags = {}
    for name, keys in _TAGS.items():
        value = next((lowered[k] for k in keys if lowered.get(k)), "")
        if value:
            tags[name] = value[:_TAG_MAX_CHARS]
    return tags
