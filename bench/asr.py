"""ASR throughput: the flow's ASR stage against bare faster-whisper, model loading included.

**Ours** is exactly what ``kikigaki transcribe`` runs: the context built from default
options (``pipeline.context.build_context``, so the real hotword policy), the declared
stages before the ASR (``metadata``), then the bound ``asr`` stage: probe, language
check, the batched decoder in windows, the gap-filling pass, guards, and the release of
the model at the end. **Baseline**: bare faster-whisper with the same settings,
``WhisperModel(...)`` then ``BatchedInferencePipeline(model).transcribe(file,
**transcribe_options(settings))`` with every segment consumed. Both load the model inside
the clock (the stage does). The two run in turn in one process (A B A B ...), after one
uncounted pair on a 30 s clip; printed per length: medians of both times, the median of
the per-pair throughput ratios bare/ours (goal >= 0.95), and the CER of both on the
first five minutes (the synthetic conversation's reference).

Audio: a 5-minute synthetic 3-speaker Japanese conversation (``bench/synth_episode.py``,
kokoro voices) repeated to each length.

    uv run python bench/asr.py [--minutes 3 10 30] [--rounds 3]
    uv run python bench/asr.py --once ours|bare [FILE]   # one side, as a whole process
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.measure import bench_cache, load, long_episode, speech_clip, spread  # noqa: E402
from kikigaki.document import Episode  # noqa: E402
from pipeline.context import build_context  # noqa: E402
from pipeline.options import Options  # noqa: E402
from pipeline.stages import plan  # noqa: E402
from pipeline.steps import start  # noqa: E402
from postprocess.evaluation import cer  # noqa: E402
from postprocess.hotwords import likely_terms  # noqa: E402
from transcribe.asr import transcribe_options  # noqa: E402
from transcribe.models import resolve_model  # noqa: E402

SCORED_SECONDS = 300.0  # one copy of the conversation


def ours(audio: Path, options: Options) -> tuple[float, str, int]:
    """(seconds of the ASR stage, its text, hotwords it could use) as the flow runs it."""
    context = build_context(audio, options)
    episode = start(audio, audio=True)
    for bound in plan(context, audio=True):
        if bound.name == "asr":
            began = time.perf_counter()
            episode = bound(episode)
            seconds = time.perf_counter() - began
            hotwords = context.hotwords
            terms = likely_terms(hotwords.glossary, hotwords.user_terms, episode.meta)
            return seconds, _text(episode), len(terms)
        episode = bound(episode)
    raise AssertionError("no asr stage in the plan")


def _text(episode: Episode) -> str:
    return "".join(s.text for s in episode.segments if (s.start or 0) < SCORED_SECONDS)


def bare(audio: Path, options: Options) -> tuple[float, str]:
    """(seconds, text) of bare faster-whisper with the stage's settings, loading included."""
    from faster_whisper import BatchedInferencePipeline, WhisperModel

    settings = options.asr
    began = time.perf_counter()
    model = WhisperModel(resolve_model(settings.model), device=settings.resolved_device(),
                         compute_type=settings.resolved_compute_type(),
                         cpu_threads=settings.resolved_threads())
    segments, _ = BatchedInferencePipeline(model).transcribe(
        str(audio), **transcribe_options(settings))
    texts = [(s.start, s.text) for s in segments]
    seconds = time.perf_counter() - began
    return seconds, "".join(text for start, text in texts if start < SCORED_SECONDS)


def reference(base: Path, seconds: float) -> str:
    lines = (base / "reference.txt").read_text(encoding="utf-8").splitlines()
    return "".join(line.split("\t")[3] for line in lines if float(line.split("\t")[1]) < seconds)


def compare(minutes: float, rounds: int) -> None:
    cache = bench_cache()
    audio = long_episode(minutes, cache / f"episode-{minutes:g}min.wav", cache)
    truth = reference(cache / "base", min(SCORED_SECONDS, minutes * 60))
    options = Options(show_progress=False)
    warm_up = speech_clip(cache / "clip30.wav")
    ours(warm_up, options), bare(warm_up, options)  # file caches, VAD session, tokenizer
    pairs = []
    for _ in range(rounds):
        ours_seconds, ours_text, hotwords = ours(audio, options)
        bare_seconds, bare_text = bare(audio, options)
        pairs.append((ours_seconds, bare_seconds))
    duration = minutes * 60
    ratio = spread([b / o for o, b in pairs])
    print(f"{minutes:g} min ({hotwords} hotword terms): ours RTF "
          f"{spread([o for o, _ in pairs]).median / duration:.3f}, bare RTF "
          f"{spread([b for _, b in pairs]).median / duration:.3f}; throughput ours/bare "
          f"{ratio} (goal >= 0.95); CER ours {cer([(truth, ours_text)])[0]:.3f}, "
          f"bare {cer([(truth, bare_text)])[0]:.3f}  [{load()}, {rounds} pairs]", flush=True)


def once(side: str, audio: Path | None) -> None:
    """One side on its own, for timing as a whole process (``/usr/bin/time -v``):
    ``--once ours|bare [FILE]`` (default: the 30 s clip)."""
    audio = audio or speech_clip(bench_cache() / "clip30.wav")
    options = Options(show_progress=False)
    seconds = ours(audio, options)[0] if side == "ours" else bare(audio, options)[0]
    print(f"{side}: {seconds:.2f} s in the clock", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[3.0, 10.0, 30.0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--once", choices=("ours", "bare"))
    parser.add_argument("file", type=Path, nargs="?")
    args = parser.parse_args()
    if args.once:
        once(args.once, args.file)
        return
    for minutes in args.minutes:
        compare(minutes, args.rounds)


if __name__ == "__main__":
    main()
