"""Speech recognition speed: our ``transcribe_audio`` against bare faster-whisper.

Baseline, measured in the same run: ``faster_whisper.WhisperModel(...).transcribe(file,
**same options)`` with every segment consumed. Printed: both real-time factors (seconds
of processing per second of audio; lower is faster) and the ratio of our throughput to
the bare one (goal >= 0.95). Then the settings we chose between: beam 1 vs 5, batched
vs sequential, VAD on vs off, measured vs approximate word times, each with RTF and CER.
Our side also probes the file and checks its language (one extra 30 s encoder pass),
a fixed cost that weighs less the longer the audio.

Default audio: the 8 Common Voice clips of ../shared/audio (Japanese, with references)
then the pyannote sample (English, two speakers, no reference), 1 s of silence between,
repeated ``--repeat`` times. CER is scored on the Japanese part only.

    python bench/asr.py [--audio FILE] [--repeat 2] [--rounds 2] [--no-variants]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import wave
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from postprocess.evaluation import cer  # noqa: E402
from transcribe.asr import AsrSettings, load_model, transcribe_audio, transcribe_options  # noqa: E402
from transcribe.audio import SAMPLE_RATE, load_audio, probe  # noqa: E402
from transcribe.models import resolve_model  # noqa: E402

SHARED_AUDIO = REPO.parent / "shared" / "audio"
CLIPS = SHARED_AUDIO / "common_voice_ja"
PYANNOTE_SAMPLE = SHARED_AUDIO / "pyannote_sample" / "sample.wav"


def build_default_audio(target: Path, repeat: int) -> tuple[float, str]:
    """Write the default bench audio; return (seconds of Japanese, its reference text)."""
    manifest = [json.loads(line) for line in (CLIPS / "manifest.jsonl").open(encoding="utf-8")]
    gap = np.zeros(SAMPLE_RATE, np.float32)
    japanese = [part for m in manifest for part in (load_audio(CLIPS / m["audio"]), gap)]
    japanese_seconds = sum(len(p) for p in japanese) / SAMPLE_RATE
    english = [load_audio(PYANNOTE_SAMPLE), gap] if PYANNOTE_SAMPLE.exists() else []
    one_pass = np.concatenate(japanese + english)
    write_wav(target, np.tile(one_pass, repeat))
    reference = "".join(m["text"] for m in manifest)
    # Only the first pass is scored, to keep the reference simple.
    return japanese_seconds, reference


def write_wav(path: Path, samples: np.ndarray) -> None:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm.tobytes())


def timed(work: Callable[[], object]) -> tuple[float, object]:
    began = time.perf_counter()
    result = work()
    return time.perf_counter() - began, result


def bare_run(model: object, audio: Path, settings: AsrSettings) -> str:
    options = transcribe_options(settings)
    if settings.batched:
        from faster_whisper import BatchedInferencePipeline

        segments, _ = BatchedInferencePipeline(model).transcribe(str(audio), **options)
    else:
        segments, _ = model.transcribe(str(audio), **options)  # type: ignore[attr-defined]
    return "".join(s.text for s in segments)


def scored_text(audio: Path, settings: AsrSettings, until: float) -> tuple[float, str]:
    seconds, episode = timed(lambda: transcribe_audio(audio, settings))
    text = "".join(s.text for s in episode.segments if (s.start or 0) < until)  # type: ignore[attr-defined]
    return seconds, text


def compare_with_bare(audio: Path, settings: AsrSettings, rounds: int, duration: float) -> None:
    from faster_whisper import WhisperModel

    bare_model = WhisperModel(
        resolve_model(settings.model),
        device=settings.resolved_device(),
        compute_type=settings.resolved_compute_type(),
        cpu_threads=settings.resolved_threads(),
    )
    load_model(settings)
    transcribe_audio(audio, settings)  # warm-up: tokenizer dictionaries, VAD session
    bare_times, our_times = [], []
    for _ in range(rounds):  # interleaved, so drift from other load hits both alike
        bare_times.append(timed(lambda: bare_run(bare_model, audio, settings))[0])
        our_times.append(timed(lambda: transcribe_audio(audio, settings))[0])
    bare, ours = statistics.median(bare_times), statistics.median(our_times)
    print(f"audio {audio} ({duration:.1f} s), settings {settings}")
    print(f"  bare faster-whisper  RTF {bare / duration:.3f}  ({bare:.1f} s, median of {rounds})")
    print(f"  kikigaki transcribe  RTF {ours / duration:.3f}  ({ours:.1f} s)")
    print(f"  throughput ratio ours/bare = {bare / ours:.3f}  (goal >= 0.95)")


def compare_variants(
    audio: Path, settings: AsrSettings, duration: float, japanese: float, reference: str
) -> None:
    variants = {
        "beam 1, sequential": replace(settings, beam_size=1, batched=False),
        "beam 5, sequential": replace(settings, beam_size=5, batched=False),
        "beam 1, batched": replace(settings, beam_size=1, batched=True),
        "beam 5, batched": replace(settings, beam_size=5, batched=True),
        "beam 1, no VAD": replace(settings, beam_size=1, batched=False, vad=None),
        "default, words approximate": replace(settings, word_timestamps=False),
    }
    print("variant                     RTF     CER (Japanese part)")
    for name, variant in variants.items():
        seconds, text = scored_text(audio, variant, japanese)
        rate = cer([(reference, text)])[0] if reference else float("nan")
        print(f"  {name:24}  {seconds / duration:.3f}   {rate:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audio", type=Path, help="audio file (default: shared clips)")
    parser.add_argument("--repeat", type=int, default=2, help="passes of the default audio")
    parser.add_argument("--rounds", type=int, default=2, help="timed runs of each side")
    parser.add_argument("--beam", type=int, default=AsrSettings().beam_size)
    parser.add_argument("--no-variants", action="store_true")
    args = parser.parse_args()
    settings = replace(AsrSettings(), beam_size=args.beam)
    with tempfile.TemporaryDirectory() as scratch:
        japanese, reference = 0.0, ""
        audio = args.audio
        if audio is None:
            audio = Path(scratch) / "bench.wav"
            japanese, reference = build_default_audio(audio, args.repeat)
        duration = probe(audio).duration
        compare_with_bare(audio, settings, args.rounds, duration)
        if not args.no_variants:
            compare_variants(audio, settings, duration, japanese, reference)


if __name__ == "__main__":
    main()
