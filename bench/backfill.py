"""When does ``backfill`` pay off? One catalogue, three whole commands, cold caches.

The catalogue: ``--audio`` episodes of real Japanese speech (the Common Voice clips in
``../shared/audio/common_voice_ja``, all of them joined in a different order for each
episode, about a minute) and ``--transcripts`` copies of the seed episode's page. Each
command runs in a fresh process with an empty Prefect home (nothing cached) and no
Prefect server running:

- **serial scan** (the baseline): ``kikigaki scan`` over the catalogue as an inbox, one
  episode after another in one process (models loaded once, all cores for each);
- **backfill, 1 worker** and **backfill, 2 workers**: ``kikigaki backfill`` on a local
  Dask cluster (each worker loads the models; the cores are shared out among workers).

Printed: wall seconds of each and its ratio to the serial scan. Timings are printed,
never checked.

    uv run python bench/backfill.py [--audio 2] [--transcripts 2]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "seeds" / "002_d502b1dd49aa2187.txt"
CLIPS = REPO.parent / "shared" / "audio" / "common_voice_ja"


def make_catalogue(folder: Path, audio: int, transcripts: int) -> None:
    clips = sorted(CLIPS.glob("*.wav"))
    if audio and not clips:
        raise SystemExit(f"no clips in {CLIPS} (the project's shared data)")
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(audio):
        order = clips[:]
        random.Random(number).shuffle(order)
        pieces, rate = [], 16000
        for clip in order:
            samples, rate = soundfile.read(clip, dtype="float32", always_2d=False)
            pieces += [samples, np.zeros(rate // 2, dtype="float32")]  # half a second apart
        soundfile.write(folder / f"audio-{number}.wav", np.concatenate(pieces), rate)
    for number in range(transcripts):
        text = SEED.read_text(encoding="utf-8")
        (folder / f"transcript-{number}.txt").write_text(text + "\n" * number, encoding="utf-8")
    past = time.time() - 60
    for path in folder.iterdir():
        os.utime(path, (past, past))  # settled, for the scan


def timed(command: list[str], home: Path) -> float:
    shutil.rmtree(home, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env["PREFECT_HOME"] = str(home)
    began = time.perf_counter()
    subprocess.run(command, cwd=REPO, env=env, check=False, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audio", type=int, default=2, help="audio episodes (about 1 min)")
    parser.add_argument("--transcripts", type=int, default=2, help="copies of the seed page")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kk-backfill-"))
    catalogue = work / "catalogue"
    make_catalogue(catalogue, args.audio, args.transcripts)
    cli = [sys.executable, "-m", "commands.cli"]
    runs = {
        "serial scan": [*cli, "scan", "--inbox", str(catalogue), "--out", str(work / "s0"),
                        "--state", str(work / "state")],
        "backfill, 1 worker": [*cli, "backfill", str(catalogue), "--out", str(work / "s1"),
                               "--workers", "1"],
        "backfill, 2 workers": [*cli, "backfill", str(catalogue), "--out", str(work / "s2"),
                                "--workers", "2"],
    }
    seconds = {name: timed(command, work / f"home-{i}")
               for i, (name, command) in enumerate(runs.items())}
    print(f"{args.audio} audio episodes (about 1 min each) + {args.transcripts} transcripts, "
          f"{os.cpu_count()} cores, cold caches, wall seconds")
    for name, value in seconds.items():
        print(f"  {name:<20} {value:7.1f} s  {value / seconds['serial scan']:5.2f} x serial scan")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
