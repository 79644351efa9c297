"""The audio path's time and memory, stage by stage, against the episode's length.

For each length a synthetic Japanese episode (a 5-minute 3-speaker kokoro conversation,
``bench/synth_episode.py``, repeated) goes through the declared stages
(``pipeline.stages.plan`` with default options: what ``kikigaki transcribe`` runs) as
plain calls, in a fresh process per length. Per stage: seconds, the stage's own peak
resident memory (the kernel's high-water mark, reset before each stage) and the resident
memory it leaves behind. Then, with ``--cli``, the whole command (Prefect, an empty task
cache, publishing) under ``/usr/bin/time -v``: its wall time and the peak memory of the
process. Memory is flat in length when the longest episode's peak is within a few
percent of the shortest one's. The baseline is bare faster-whisper on the same file
(model and settings of the stage, loading included), also a fresh process.

    uv run python bench/transcribe.py --minutes 10 30 [120] [--cli] [--no-baseline]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.measure import (  # noqa: E402
    PYTHON,
    StageCost,
    bench_cache,
    load,
    long_episode,
    run_command,
    stage_cost,
)


def stages_child(audio: Path) -> dict[str, dict[str, float]]:
    """Each declared stage as a plain call: seconds, own peak MB, resident MB after."""
    from pipeline.context import build_context
    from pipeline.options import Options
    from pipeline.stages import plan
    from pipeline.steps import start

    costs: dict[str, StageCost] = {}
    with stage_cost(costs, "imports + inputs"):
        context = build_context(audio, Options(show_progress=False))
        episode = start(audio, audio=True)
    for bound in plan(context, audio=True):
        with stage_cost(costs, bound.name):
            episode = bound(episode)
    with stage_cost(costs, "publish"), tempfile.TemporaryDirectory() as site:
        from publish.site import publish_site

        publish_site(Path(site) / "site", [episode], context.documents, None)
    return {name: asdict(cost) for name, cost in costs.items()}


def bare_child(audio: Path) -> dict[str, dict[str, float]]:
    from faster_whisper import BatchedInferencePipeline, WhisperModel

    from transcribe.asr import AsrSettings, transcribe_options
    from transcribe.models import resolve_model

    settings = AsrSettings()
    costs: dict[str, StageCost] = {}
    with stage_cost(costs, "bare faster-whisper"):
        model = WhisperModel(resolve_model(settings.model), device="cpu",
                             compute_type=settings.resolved_compute_type(),
                             cpu_threads=settings.resolved_threads())
        segments, _ = BatchedInferencePipeline(model).transcribe(
            str(audio), **transcribe_options(settings))
        list(segments)
    return {name: asdict(cost) for name, cost in costs.items()}


def in_child(kind: str, audio: Path) -> tuple[dict[str, dict[str, float]], float]:
    """The child's stage costs and the whole process's peak MB."""
    run = run_command([PYTHON, __file__, "--child", kind, str(audio)])
    return json.loads(run.output.strip().splitlines()[-1]), run.peak_mb


def print_stages(minutes: float, costs: dict[str, dict[str, float]], process_peak: float,
                 bare: dict[str, dict[str, float]] | None) -> None:
    seconds = minutes * 60
    total = sum(c["seconds"] for c in costs.values())
    print(f"{minutes:g} min: stages as plain calls RTF {total / seconds:.3f}, process peak "
          f"{process_peak:.0f} MB  [{load()}]")
    for name, cost in costs.items():
        print(f"  {name:<16} {cost['seconds']:8.1f} s  RTF {cost['seconds'] / seconds:.4f}"
              f"  peak {cost['peak_mb']:6.0f} MB  after {cost['after_mb']:6.0f} MB")
    if bare:
        base = bare["bare faster-whisper"]
        print(f"  baseline: bare faster-whisper RTF {base['seconds'] / seconds:.3f}, peak "
              f"{base['peak_mb']:.0f} MB; ASR stage / bare time "
              f"{costs['asr']['seconds'] / base['seconds']:.3f}")
    sys.stdout.flush()


def whole_command(audio: Path, minutes: float) -> float:
    with tempfile.TemporaryDirectory() as work:
        run = run_command([PYTHON, "-m", "commands.cli", "transcribe", str(audio), "--out",
                           f"{work}/site"], {"PREFECT_LOCAL_STORAGE_PATH": f"{work}/results"})
    print(f"  kikigaki transcribe, whole command: wall {run.wall:.1f} s (RTF "
          f"{run.wall / minutes / 60:.3f}), cpu {run.cpu:.1f} s, peak {run.peak_mb:.0f} MB"
          f"  [{load()}]", flush=True)
    return run.peak_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[10.0, 30.0])
    parser.add_argument("--cli", action="store_true", help="also time the whole command")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, audio = args.child
        child = stages_child if kind == "stages" else bare_child
        print(json.dumps(child(Path(audio))), file=sys.stderr)
        return
    peaks = []
    for minutes in args.minutes:
        audio = long_episode(minutes, bench_cache() / f"episode-{minutes:g}min.wav",
                             bench_cache())
        costs, peak = in_child("stages", audio)
        bare = None if args.no_baseline else in_child("bare", audio)[0]
        print_stages(minutes, costs, peak, bare)
        if args.cli:
            peak = max(peak, whole_command(audio, minutes))
        peaks.append((minutes, peak))
    if len(peaks) > 1:
        print("peak memory relative to the shortest: " + ", ".join(
            f"{m:g} min {p / peaks[0][1]:.2f}" for m, p in peaks))


if __name__ == "__main__":
    main()
