"""How each stage's time grows with the transcript: every stage must be at most linear.

Builds plain-text transcripts of N lines (short spoken-style lines cut from the seed
documents' text, varied so no two neighbouring lines repeat), runs the declared stages
of a transcript on each (plain calls, no Prefect), then renders the site
(:func:`publish.site.render_site`) and serialises the episode as the flow's result
storage does. Prints seconds per stage for each size and the ratio to the smallest size;
a linear stage's ratio follows the size ratio (the ``lines`` row), a quadratic one its
square.

Times are CPU seconds of this process (``time.process_time``): the machine may be shared,
and wall time would measure the neighbours too.

Baseline, measured in the same run: reading the transcript (one pass over its bytes).
Models are loaded by a 200-line warm-up run before anything is timed.

    uv run python bench/scaling.py                      # 2k, 4k, 8k, 16k lines
    uv run python bench/scaling.py --lines 2000 200000  # the issue's 200k-line transcript
    uv run python bench/scaling.py --stages sentences topics

Measured 2026-12-02 on the shared 2-core machine (load 13-19), before the homophones
stage was merged: ``/usr/bin/time -v uv run python bench/scaling.py --lines 500 1000 2000
4000``, whole process 132.5 s user + 2.7 s system, 17 min 42 s wall, 1.77 GB maximum
resident. CPU seconds at 500 / 4000 lines (8x the lines): sentences 0.29 / 3.80 (13.2x;
2.1-2.3x per doubling after the first), annotate 7.15 / 50.25 (7.0x), topics 3.33 / 1.70,
render site 0.23 / 0.51, the episode's JSON round trip 0.01 / 0.04; every other stage
under 0.6 s. No stage grew faster than about linearly over 1000-4000 lines; the 200k-line
transcript was not measured (not in the time there was).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kikigaki.document import Episode  # noqa: E402
from pipeline.context import build_context  # noqa: E402
from pipeline.options import Options, TextOptions  # noqa: E402
from pipeline.stages import plan  # noqa: E402
from pipeline.steps import start  # noqa: E402
from publish.site import render_site  # noqa: E402
from transcribe.readers import read_transcript  # noqa: E402

SEEDS = REPO / "seeds"
DEFAULT_SIZES = (2000, 4000, 8000, 16000)
_BREAKS = "。、！？!?"


def spoken_lines() -> list[str]:
    """Short lines (5-40 characters) from the seed documents' text, in reading order."""
    lines: list[str] = []
    for path in sorted(SEEDS.glob("*.txt")):
        for segment in read_transcript(path).segments:
            piece = ""
            for char in segment.text:
                piece += char
                if (char in _BREAKS and len(piece) >= 5) or len(piece) >= 40:
                    lines.append(piece.strip("。、 "))
                    piece = ""
    return [line for line in lines if len(line) >= 3]


def transcript(lines: int, pool: list[str]) -> str:
    """``lines`` lines; each pass over the pool starts at another offset, so a long
    transcript is not one block repeated."""
    out: list[str] = []
    turn = 0
    while len(out) < lines:
        offset = (turn * 7919) % len(pool)
        out += pool[offset:] + pool[:offset]
        turn += 1
    return "\n".join(out[:lines]) + "\n"


def time_stages(path: Path, names: set[str] | None) -> dict[str, float]:
    options = Options(text=TextOptions(collection_dir=SEEDS))
    began = time.process_time()
    context = build_context(path, options)
    times = {"inputs": time.process_time() - began}
    episode = start(path, audio=False)
    for bound in plan(context, audio=False):
        began = time.process_time()
        episode = bound(episode)
        if names is None or bound.name in names:
            times[bound.name] = time.process_time() - began
    times.update(_publishing(episode, context.documents))
    return times


def _publishing(episode: Episode, documents: tuple) -> dict[str, float]:
    timed: dict[str, Callable[[], object]] = {
        "render site": lambda: render_site([episode], documents),
        "result (JSON)": lambda: Episode.model_validate_json(episode.model_dump_json()),
    }
    times = {}
    for name, work in timed.items():
        began = time.process_time()
        work()
        times[name] = time.process_time() - began
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--stages", nargs="*", help="only time these stages (all run)")
    args = parser.parse_args()
    pool = spoken_lines()
    sizes = sorted(args.lines)
    table: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        warm_up = Path(tmp) / "warm-up.txt"  # models loaded before anything is timed
        warm_up.write_text(transcript(200, pool), encoding="utf-8")
        time_stages(warm_up, None)
        for size in sizes:
            path = Path(tmp) / f"lines-{size}.txt"
            path.write_text(transcript(size, pool), encoding="utf-8")
            began = time.process_time()
            read_transcript(path)
            baseline = time.process_time() - began
            table[size] = {"read (baseline)": baseline,
                           **time_stages(path, set(args.stages) if args.stages else None)}
            print(f"{size} lines, {path.stat().st_size / 1e6:.2f} MB: "
                  f"{sum(table[size].values()):.1f} s", file=sys.stderr, flush=True)
    _print_table(sizes, table)


def _print_table(sizes: list[int], table: dict[int, dict[str, float]]) -> None:
    smallest = sizes[0]
    header = "".join(f"{size:>10} lines" for size in sizes)
    print(f"{'stage':<16}{header}   ratio to {smallest} lines")
    print(f"{'lines':<16}" + "".join(f"{size:>16}" for size in sizes) + "   "
          + " ".join(f"{size / smallest:6.1f}" for size in sizes))
    for name in table[smallest]:
        seconds = [table[size][name] for size in sizes]
        ratios = [s / max(seconds[0], 1e-6) for s in seconds]
        print(f"{name:<16}" + "".join(f"{s:>14.2f} s" for s in seconds) + "   "
              + " ".join(f"{r:6.1f}" for r in ratios))


if __name__ == "__main__":
    main()
