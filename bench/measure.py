"""What every benchmark measures with: whole commands under ``/usr/bin/time -v``, run in
alternating pairs; per-stage peak memory inside a process; the machine's load.

A shared 2-core machine drifts: absolute times are noisy, ratios of commands run in turn
(A B A B ...) are steady. So benchmarks quote medians of per-pair ratios, with the load
average beside every figure.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
PYTHON = sys.executable
GNU_TIME = Path("/usr/bin/time")


def load() -> str:
    """The 1-minute load average and the core count, e.g. ``load 1.62 on 2 cores``."""
    one, _, _ = os.getloadavg()
    return f"load {one:.2f} on {os.cpu_count()} cores"


@dataclass(frozen=True)
class Run:
    """One whole command, as the kernel accounted for it."""

    wall: float  # seconds
    cpu: float  # user + system seconds
    peak_mb: float  # the largest resident set of the process (and any child it waited for)
    output: str  # its standard error (progress lines)


def run_command(command: Sequence[str], env: dict[str, str] | None = None) -> Run:
    """``command`` in a fresh process, timed by ``/usr/bin/time -v`` when there is one."""
    environment = {**os.environ, **(env or {})}
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        timer = [str(GNU_TIME), "-v", "-o", report.name] if GNU_TIME.exists() else []
        began = time.perf_counter()
        done = subprocess.run([*timer, *command], cwd=REPO, env=environment,
                              capture_output=True, text=True, check=False)
        wall = time.perf_counter() - began
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
        return _parsed(report.read(), wall, done.stderr)


def _parsed(report: str, wall: float, output: str) -> Run:
    def field(name: str) -> float:
        found = re.search(rf"{re.escape(name)}: ([0-9.:]+)", report)
        return float(found.group(1)) if found else 0.0

    elapsed = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([0-9:.]+)", report)
    if elapsed:
        parts = [float(p) for p in elapsed.group(1).split(":")]
        wall = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    return Run(wall=wall, cpu=field("User time (seconds)") + field("System time (seconds)"),
               peak_mb=field("Maximum resident set size (kbytes)") / 1024, output=output)


def alternate(first: Callable[[], Run], second: Callable[[], Run], rounds: int,
              warmup: int = 1) -> list[tuple[Run, Run]]:
    """``rounds`` pairs of runs, A then B each time, after ``warmup`` uncounted pairs."""
    for _ in range(warmup):
        first(), second()
    return [(first(), second()) for _ in range(rounds)]


@dataclass(frozen=True)
class Spread:
    median: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.median:.3f} ({self.low:.3f}-{self.high:.3f})"


def spread(values: Sequence[float]) -> Spread:
    return Spread(statistics.median(values), min(values), max(values))


def pair_ratios(pairs: Sequence[tuple[Run, Run]], what: str = "wall") -> Spread:
    """A / B of each pair: ``wall``, ``cpu`` or ``peak_mb``."""
    return spread([getattr(a, what) / getattr(b, what) for a, b in pairs])


def print_pairs(name_a: str, name_b: str, pairs: Sequence[tuple[Run, Run]]) -> None:
    for name, runs in ((name_a, [a for a, _ in pairs]), (name_b, [b for _, b in pairs])):
        print(f"  {name:<44} wall {spread([r.wall for r in runs])} s, "
              f"cpu {spread([r.cpu for r in runs])} s, "
              f"peak {spread([r.peak_mb for r in runs])} MB")
    print(f"  ratio {name_a} / {name_b}: wall {pair_ratios(pairs)}, "
          f"peak memory {pair_ratios(pairs, 'peak_mb')}  [{load()}]", flush=True)


# ------------------------------------------------------------------ inside a process


def peak_mb() -> float:
    """This process's peak resident memory since the last :func:`reset_peak` (Linux)."""
    status = Path("/proc/self/status")
    if status.exists():
        found = re.search(r"VmHWM:\s+(\d+) kB", status.read_text())
        if found:
            return int(found.group(1)) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def resident_mb() -> float:
    found = re.search(r"VmRSS:\s+(\d+) kB", Path("/proc/self/status").read_text())
    return int(found.group(1)) / 1024 if found else 0.0


def reset_peak() -> bool:
    """Start a new peak from the current resident size (Linux ``clear_refs`` 5)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


@dataclass
class StageCost:
    seconds: float
    peak_mb: float  # the stage's own peak resident memory
    after_mb: float  # resident when it has finished


@contextmanager
def stage_cost(costs: dict[str, StageCost], name: str) -> Iterator[None]:
    reset_peak()
    began = time.perf_counter()
    yield
    costs[name] = StageCost(time.perf_counter() - began, peak_mb(), resident_mb())


# ------------------------------------------------------------------ audio


def speech_clip(out: Path, seconds: float = 30.0) -> Path:
    """About ``seconds`` of real Japanese read speech: Common Voice clips of different
    readers, joined with 0.8 s pauses (../shared/audio)."""
    import json

    import numpy as np
    import soundfile

    from transcribe.audio import SAMPLE_RATE, load_audio

    folder = SHARED / "audio" / "common_voice_ja"
    if not folder.is_dir():
        raise SystemExit(f"{folder} is missing: the shared audio sits beside the repo")
    manifest = [json.loads(line) for line in (folder / "manifest.jsonl").open(encoding="utf-8")]
    gap = np.zeros(round(0.8 * SAMPLE_RATE), np.float32)
    parts: list[np.ndarray] = []
    for clip in manifest:
        if sum(len(p) for p in parts) >= seconds * SAMPLE_RATE:
            break
        parts += [load_audio(folder / clip["audio"]), gap]
    soundfile.write(out, np.concatenate(parts), SAMPLE_RATE, subtype="PCM_16")
    return out


def long_episode(minutes: float, out: Path, cache: Path) -> Path:
    """A ``minutes``-long 16 kHz episode: a 5-minute synthetic 3-speaker conversation
    (``bench/synth_episode.py``) repeated with 2 s pauses, written in pieces."""
    import numpy as np
    import soundfile

    from bench.synth_episode import SAMPLE_RATE, write_episode

    if out.exists():
        return out
    base = write_episode(cache / "base", minutes=5.0, speakers=3)  # TTS lines cached
    conversation, _ = soundfile.read(base.wav, dtype="float32")
    piece = np.concatenate([conversation, np.zeros(2 * SAMPLE_RATE, np.float32)])
    wanted, written = round(minutes * 60 * SAMPLE_RATE), 0
    with soundfile.SoundFile(out, "w", SAMPLE_RATE, 1, subtype="PCM_16") as sink:
        while written < wanted:
            part = piece[: wanted - written]
            sink.write(part)
            written += len(part)
    return out


def bench_cache() -> Path:
    folder = Path(tempfile.gettempdir()) / "kk-bench"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
