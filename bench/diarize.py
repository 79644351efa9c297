"""Diarization benchmark: DER, JER, speaker count and real-time factor.

Scores :func:`transcribe.diarize.diarize` on the pyannote sample (``../shared/audio/
pyannote_sample``, when present: real speech, two speakers, with overlap) and on
synthetic Japanese episodes (``bench/synth_episode.py``) of the requested lengths and
speaker counts, against their reference RTTM files (no collar, overlap scored; see
:mod:`transcribe.rttm`). For every file it prints:

- DER and JER of the default, exclusive output (one speaker at a time), and the DER of
  the overlapping view (``exclusive=False``), which can also score overlapped speech;
- the estimated and the true number of speakers;
- the real-time factor (wall-clock seconds per second of audio; models loaded and
  warmed up beforehand) and the process CPU seconds, which say more when other jobs
  share the machine;
- a baseline measured in the same run on the same audio: one segmentation-3.0 pass
  alone over the same windows, the least any pipeline built on that model costs, and
  the ratio ours / segmentation-only.

Timings are printed, never checked. Episodes are synthesised once into ``--out`` and
reused; synthesised sentences are cached in ``--tts-cache``.

    uv run python bench/diarize.py --minutes 3 10 --speakers 3
    uv run python bench/diarize.py --minutes 0.5 3 --speakers 2 3 --no-sample
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

import numpy as np

REPO = Path(__file__).resolve().parent.parent
# First, always: run as a script, bench/ leads sys.path and bench/transcribe.py would
# shadow the transcribe package.
sys.path.insert(0, str(REPO))

from kikigaki.document import Turn  # noqa: E402
from transcribe.audio import SAMPLE_RATE, load_audio  # noqa: E402
from transcribe.diarize import DiarizationSettings, diarize, segmentation_pass  # noqa: E402
from transcribe.rttm import read_rttm, score  # noqa: E402

SAMPLE_DIR = REPO.parent / "shared" / "audio" / "pyannote_sample"
Result = TypeVar("Result")


@dataclass(frozen=True)
class Case:
    name: str
    wav: Path
    rttm: Path


@dataclass(frozen=True)
class Timed:
    wall: float  # seconds
    cpu: float  # process CPU seconds, all threads


@dataclass(frozen=True)
class Row:
    name: str
    duration: float
    true_speakers: int
    found_speakers: int
    der: float
    jer: float
    der_overlapping: float | None
    ours: Timed
    segmentation_only: Timed


def timed(work: Callable[[], Result]) -> tuple[Result, Timed]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, Timed(time.perf_counter() - wall, time.process_time() - cpu)


def synthetic_case(out: Path, minutes: float, speakers: int, seed: int,
                   tts_cache: Path | None) -> Case:
    """The episode in ``out`` (synthesised first when not there yet)."""
    folder = out / f"synth-{minutes:g}min-{speakers}spk-seed{seed}"
    wav, rttm = folder / "episode.wav", folder / "reference.rttm"
    if not (wav.is_file() and rttm.is_file()):
        from bench.synth_episode import write_episode

        print(f"synthesising {folder} ...", file=sys.stderr, flush=True)
        write_episode(folder, minutes, speakers, seed, cache=tts_cache)
    return Case(folder.name, wav, rttm)


def cases(args: argparse.Namespace) -> list[Case]:
    found = []
    if not args.no_sample:
        if (SAMPLE_DIR / "sample.wav").is_file():
            found.append(Case("pyannote-sample", SAMPLE_DIR / "sample.wav",
                              SAMPLE_DIR / "sample.rttm"))
        else:
            print(f"{SAMPLE_DIR} not found: the pyannote sample is skipped", file=sys.stderr)
    for speakers in args.speakers:
        for minutes in args.minutes:
            found.append(synthetic_case(args.out, minutes, speakers, args.seed, args.tts_cache))
    return found


def warm_up(settings: DiarizationSettings) -> None:
    """Load both models and run them once, so that no timing includes loading."""
    speech_like = np.random.default_rng(0).normal(0, 0.1, 12 * SAMPLE_RATE).astype(np.float32)
    diarize(speech_like, settings)
    segmentation_pass(speech_like, settings)


def speaker_count(turns: list[Turn]) -> int:
    return len({turn.speaker for turn in turns})


def measure(case: Case, settings: DiarizationSettings, overlapping: bool) -> Row:
    audio = load_audio(case.wav)
    reference = read_rttm(case.rttm)
    _, baseline = timed(lambda: segmentation_pass(audio, settings))
    turns, ours = timed(lambda: diarize(audio, settings))
    exclusive = score(reference, turns)
    der_overlapping = None
    if overlapping:
        overlapping_view = replace(settings, exclusive=False)
        der_overlapping = score(reference, diarize(audio, overlapping_view)).der
    return Row(case.name, len(audio) / SAMPLE_RATE, speaker_count(reference),
               speaker_count(turns), exclusive.der, exclusive.jer, der_overlapping,
               ours, baseline)


HEADER = (f"{'file':32s} {'audio s':>8s} {'spk':>7s} {'DER':>6s} {'JER':>6s} "
          f"{'DERovl':>6s} {'RTF':>6s} {'cpu s':>7s} {'segRTF':>7s} {'ratio':>6s}")


def format_row(row: Row) -> str:
    overlap = "-" if row.der_overlapping is None else f"{row.der_overlapping:.3f}"
    ratio = row.ours.wall / max(row.segmentation_only.wall, 1e-9)
    return (f"{row.name:32s} {row.duration:8.1f} {row.found_speakers:>3d}/{row.true_speakers:<3d} "
            f"{row.der:6.3f} {row.jer:6.3f} {overlap:>6s} {row.ours.wall / row.duration:6.3f} "
            f"{row.ours.cpu:7.1f} {row.segmentation_only.wall / row.duration:7.4f} "
            f"{ratio:6.1f}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, nargs="*", default=[3.0],
                        help="lengths of the synthetic episodes (none: sample only)")
    parser.add_argument("--speakers", type=int, nargs="+", choices=(2, 3), default=[3])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("/tmp/kikigaki-bench-diarize"),
                        help="where synthetic episodes are written and reused")
    parser.add_argument("--tts-cache", type=Path, default=None,
                        help="synthesised sentences (default: $KIKIGAKI_TTS_CACHE or "
                             "~/.cache/kikigaki/tts)")
    parser.add_argument("--no-sample", action="store_true", help="skip the pyannote sample")
    parser.add_argument("--no-overlapping", action="store_true",
                        help="skip the second run that scores the overlapping view")
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    parser.add_argument("--step", type=float, default=DiarizationSettings.step)
    parser.add_argument("--threshold", type=float, default=DiarizationSettings.threshold)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    settings = DiarizationSettings(threads=args.threads, step=args.step,
                                   threshold=args.threshold)
    todo = cases(args)
    warm_up(settings)
    print(HEADER)
    for case in todo:
        print(format_row(measure(case, settings, not args.no_overlapping)), flush=True)
    print("spk = found/true speakers; DER, JER: exclusive output, no collar; DERovl: "
          "overlapping view; RTF = wall s per audio s; segRTF: one segmentation pass "
          "alone; ratio = ours / segmentation-only (wall)")


if __name__ == "__main__":
    main()
