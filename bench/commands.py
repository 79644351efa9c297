"""Whole commands, timed as a user runs them, against plain calls and bare engines.

Every figure is a whole process under ``/usr/bin/time -v`` (wall time, CPU time, peak
resident memory), run in alternating pairs after one uncounted pair; ratios are medians
of the per-pair ratios, with the load average beside them.

- ``clip``: a 30 s clip of real Japanese speech (Common Voice, several readers) through
  ``kikigaki transcribe`` (Prefect, an empty task cache each run), through the same
  declared stages as plain calls in one process (``pipeline.stages.run_plain`` then
  ``publish_site``), and through the **baseline**: bare faster-whisper (same model and
  decoding settings) plus the same diarization called directly
  (``transcribe.diarize.diarize``), in one process. Goals: plain / bare <= 1.3.
- ``reclean``: ``kikigaki reclean`` of the seed episode with every stage cached (a warm
  task cache, as a user's second run) against the same stages as plain calls. Goal
  <= 1.25.
- ``rerun``: ``kikigaki transcribe`` of a 3-minute episode run again as a separate
  command with its task cache warm, against its first run (empty cache). Goal <= 0.15.

Prefect: the command starts Prefect's temporary server unless ``PREFECT_API_URL`` names
a running one; each measurement says which it had. ``PREFECT_HOME`` is a bench folder
(made once, so its database is migrated before the clock runs).

    uv run python bench/commands.py clip|reclean|rerun [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.measure import (  # noqa: E402
    PYTHON,
    Run,
    alternate,
    bench_cache,
    long_episode,
    pair_ratios,
    print_pairs,
    run_command,
    speech_clip,
)

SEED = REPO / "seeds" / "002_d502b1dd49aa2187.txt"


def cli(command: str, source: Path, out: Path, storage: Path | None = None) -> Run:
    """``kikigaki COMMAND SOURCE`` as a fresh process; ``storage`` keeps its task cache
    (None: an empty one)."""
    with tempfile.TemporaryDirectory(prefix="kk-results-") as fresh:
        env = {"PREFECT_LOCAL_STORAGE_PATH": str(storage or fresh), **_prefect_home()}
        return run_command([PYTHON, "-m", "commands.cli", command, str(source),
                            "--out", str(out)], env)


def _prefect_home() -> dict[str, str]:
    home = bench_cache() / "prefect-home"
    home.mkdir(exist_ok=True)
    return {"PREFECT_HOME": str(home)}


def plain(source: Path, out: Path) -> Run:
    return run_command([PYTHON, __file__, "--child", "plain", str(source), str(out)])


def bare(source: Path) -> Run:
    return run_command([PYTHON, __file__, "--child", "bare", str(source), ""])


def _plain_child(source: Path, out: Path) -> None:
    """The declared stages as plain calls, then publishing: what the flow runs."""
    from pipeline.context import build_context
    from pipeline.options import Options, is_audio
    from pipeline.stages import run_plain
    from publish.site import publish_site

    options = Options(show_progress=False)
    context = build_context(source, options)
    episode = run_plain(source, context, audio=is_audio(source))
    publish_site(out, [episode], context.documents, options.publish.base_url)


def _bare_child(source: Path) -> None:
    """Bare faster-whisper (the stage's model and settings) and the same diarization."""
    from faster_whisper import BatchedInferencePipeline, WhisperModel

    from transcribe.asr import AsrSettings, transcribe_options
    from transcribe.audio import load_audio
    from transcribe.diarize import diarize
    from transcribe.models import resolve_model

    settings = AsrSettings()
    model = WhisperModel(resolve_model(settings.model), device="cpu",
                         compute_type=settings.resolved_compute_type(),
                         cpu_threads=settings.resolved_threads())
    segments, _ = BatchedInferencePipeline(model).transcribe(
        str(source), **transcribe_options(settings))
    list(segments)
    diarize(load_audio(source))


def _server() -> str:
    url = os.environ.get("PREFECT_API_URL")
    return f"Prefect server {url}" if url else "Prefect's temporary server"


def clip(rounds: int, work: Path) -> None:
    audio = speech_clip(work / "clip30.wav")
    print(f"clip: {audio.name}, {_server()}")
    runs: dict[str, Callable[[], Run]] = {
        "kikigaki transcribe (empty task cache)": lambda: cli("transcribe", audio,
                                                              work / "site-cli"),
        "same stages as plain calls": lambda: plain(audio, work / "site-plain"),
        "bare faster-whisper + diarize()": lambda: bare(audio),
    }
    names = list(runs)
    for first, second in ((names[1], names[2]), (names[0], names[2]), (names[0], names[1])):
        print_pairs(first, second, alternate(runs[first], runs[second], rounds))


def reclean(rounds: int, work: Path) -> None:
    storage = work / "reclean-results"
    cli("reclean", SEED, work / "site-cli", storage)  # fills the task cache
    print(f"reclean: {SEED.name}, every stage cached, {_server()}")
    pairs = alternate(lambda: cli("reclean", SEED, work / "site-cli", storage),
                      lambda: plain(SEED, work / "site-plain"), rounds)
    print_pairs("kikigaki reclean, cached", "same stages as plain calls", pairs)


def rerun(rounds: int, work: Path) -> None:
    audio = long_episode(3.0, bench_cache() / "episode-3min.wav", bench_cache())
    print(f"rerun: {audio.name} (3 min), {_server()}")
    pairs = []
    for _ in range(rounds):
        storage = work / "rerun-results"
        shutil.rmtree(storage, ignore_errors=True)
        pairs.append((cli("transcribe", audio, work / "site-rerun", storage),
                      cli("transcribe", audio, work / "site-rerun", storage)))
    swapped = [(again, first) for first, again in pairs]
    print_pairs("transcribe rerun, cached", "transcribe first run", swapped)
    print(f"  rerun / first run: {pair_ratios(swapped)} (goal <= 0.15)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="?", choices=("clip", "reclean", "rerun"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, source, out = args.child
        _plain_child(Path(source), Path(out)) if kind == "plain" else _bare_child(Path(source))
        return
    if not args.what:
        parser.error("say what to measure: clip, reclean or rerun")
    with tempfile.TemporaryDirectory(prefix="kk-commands-") as work:
        {"clip": clip, "reclean": reclean, "rerun": rerun}[args.what](args.rounds, Path(work))


if __name__ == "__main__":
    main()
