"""Batch throughput of the ``backfill`` flow with 1 and 2 local Dask workers.

A catalogue of synthetic Japanese audio episodes (``bench/synth_episode.py``, different
seeds) and copies of the seed episode's transcript is run through ``backfill`` once per
worker count, each time with an empty Prefect home so nothing is cached. Printed: wall
time, episodes per minute, and the 2-worker throughput as a multiple of the 1-worker one
measured in the same run. Timings are printed, never checked.

    uv run python bench/backfill.py [--episodes 4] [--minutes 1] [--transcripts 4]

The local cluster gives each worker an equal share of the cores (``OMP_NUM_THREADS``),
so on 2 cores 1 worker runs 2 threads and 2 workers 1 thread each.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SEED_EPISODE = REPO / "seeds" / "002_d502b1dd49aa2187.txt"


def make_catalogue(folder: Path, episodes: int, minutes: float, transcripts: int) -> list[Path]:
    from bench.synth_episode import write_episode

    tts = Path(tempfile.gettempdir()) / "kk-bench" / "tts"
    sources = []
    for seed in range(episodes):
        made = write_episode(folder / f"audio-{seed}", minutes=minutes, speakers=2 + seed % 2,
                             seed=seed, cache=tts)
        sources.append(made.wav)
    for number in range(transcripts):
        copy = folder / f"transcript-{number}.txt"
        shutil.copy(SEED_EPISODE, copy)
        sources.append(copy)
    return sources


def run_child(sources: list[Path], workers: int, work: Path) -> dict[str, float]:
    """One backfill in a fresh process with an empty Prefect home."""
    home = work / f"prefect-home-{workers}"
    shutil.rmtree(home, ignore_errors=True)
    env = {**os.environ, "PREFECT_HOME": str(home)}
    command = [sys.executable, __file__, "--child", str(workers), str(work / f"site-{workers}"),
               *map(str, sources)]
    output = subprocess.run(command, env=env, cwd=REPO, check=True, capture_output=True,
                            text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def child(workers: int, out: Path, sources: list[Path]) -> None:
    from flows.backfill import backfill
    from flows.settings import apply_local_defaults
    from pipeline.options import Options, PublishOptions

    apply_local_defaults()
    began = time.perf_counter()
    options = Options(publish=PublishOptions(out=out), show_progress=False)
    result = backfill(sources, options, workers=workers)
    seconds = time.perf_counter() - began
    print(json.dumps({"seconds": seconds, "done": len(result.episodes),
                      "failed": len(result.failed)}))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(int(sys.argv[2]), Path(sys.argv[3]), [Path(p) for p in sys.argv[4:]])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--episodes", type=int, default=4, help="synthetic audio episodes")
    parser.add_argument("--minutes", type=float, default=1.0, help="length of each")
    parser.add_argument("--transcripts", type=int, default=4, help="copies of the seed page")
    parser.add_argument("--work", type=Path, default=Path(tempfile.mkdtemp(prefix="kk-backfill-")))
    args = parser.parse_args()
    sources = make_catalogue(args.work / "catalogue", args.episodes, args.minutes,
                             args.transcripts)
    results = {}
    for workers in (1, 2):
        results[workers] = run_child(sources, workers, args.work)
        r = results[workers]
        print(f"{workers} worker(s): {r['seconds']:.1f} s for {r['done']} episodes "
              f"({r['failed']} failed), {60 * r['done'] / r['seconds']:.2f} episodes/min")
    print(f"2 workers / 1 worker throughput = {results[1]['seconds'] / results[2]['seconds']:.2f}")


if __name__ == "__main__":
    main()
