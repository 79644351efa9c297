"""How long re-cleaning the seed episode takes, and where the time goes.

Baseline, measured in the same run: one GiNZA pass (``nlp(text)``) over the same
transcript text. Prints each stage's time and the ratio of the whole text pipeline
to that baseline, then (with --cli) the full command's wall time, first run and unchanged
rerun (an empty task cache of its own), split into Prefect
start-up, model loading and the stages.

    uv run python bench/reclean.py [--cli] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kikigaki import nlp  # noqa: E402
from kikigaki.document import Episode  # noqa: E402
from postprocess.annotate import annotate  # noqa: E402
from postprocess.fillers import remove_fillers  # noqa: E402
from postprocess.glossary import default_glossary  # noqa: E402
from postprocess.normalize import normalize  # noqa: E402
from postprocess.paragraphs import group_paragraphs  # noqa: E402
from postprocess.sentences import split_into_sentences  # noqa: E402
from postprocess.terms import correct_terms  # noqa: E402
from postprocess.topics import segment_topics  # noqa: E402
from transcribe.readers import read_transcript  # noqa: E402
from transcribe.readers.collection import load_collection  # noqa: E402

SEED = REPO / "seeds" / "002_d502b1dd49aa2187.txt"


def best_of(repeat: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return min(times)


def stage_times(episode: Episode, repeat: int) -> dict[str, float]:
    glossary = default_glossary()
    collection = load_collection(REPO / "seeds")
    stages: list[tuple[str, Callable[[Episode], Episode]]] = [
        ("normalize", normalize),
        ("fillers", remove_fillers),
        ("terms", lambda e: correct_terms(e, glossary)),
        ("sentences", split_into_sentences),
        ("topics", segment_topics),
        ("paragraphs", group_paragraphs),
        ("annotate", lambda e: annotate(e, collection, glossary)),
    ]
    times: dict[str, float] = {}
    for name, stage in stages:
        times[name] = best_of(repeat, lambda stage=stage, episode=episode: stage(episode))
        episode = stage(episode)
    return times


_NOOP_FLOW = """
from flows.settings import apply_local_defaults

apply_local_defaults()  # the CLI's own Prefect settings
from prefect import flow

@flow(name="noop")
def noop() -> None:
    pass

noop()
"""


def fresh_process_seconds(args: list[str], env: dict[str, str] | None = None
                          ) -> tuple[float, str]:
    """Wall seconds of ``python ARGS`` in a fresh process, and its standard error."""
    began = time.perf_counter()
    done = subprocess.run([sys.executable, *args], check=True, cwd=REPO,
                          capture_output=True, text=True, env={**os.environ, **(env or {})})
    return time.perf_counter() - began, done.stderr


def cli_split(results: Path) -> dict[str, float]:
    """The command's wall time with the task results kept in ``results``, and the parts
    measured beside it."""
    python, _ = fresh_process_seconds(["-c", "pass"])
    prefect, _ = fresh_process_seconds(["-c", _NOOP_FLOW])
    with tempfile.TemporaryDirectory() as tmp:
        wall, progress = fresh_process_seconds(
            ["-m", "commands.cli", "reclean", str(SEED), "--out", f"{tmp}/site"],
            env={"PREFECT_LOCAL_STORAGE_PATH": str(results)},
        )
    stages = sum(float(s) for s in re.findall(r"done in ([0-9.]+) s", progress))
    return {"whole command": wall, "python start": python,
            "prefect import + temporary server + one empty flow": prefect - python,
            "stages (as the progress lines report them)": stages,
            "the rest (our imports, flow and task bookkeeping)": wall - prefect - stages}


def print_cli_split() -> None:
    with tempfile.TemporaryDirectory() as results:  # an empty task cache: a first run
        for run in ("first run", "unchanged rerun"):
            split = cli_split(Path(results))
            wall = split["whole command"]
            print(f"whole command, {run}, fresh process with Prefect's temporary server:")
            for name, seconds in split.items():
                print(f"  {name:<52} {seconds:5.1f} s  {seconds / wall:4.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cli", action="store_true", help="also time the whole command")
    args = parser.parse_args()

    began = time.perf_counter()
    episode = read_transcript(SEED)
    nlp.ginza()
    load_seconds = time.perf_counter() - began
    text = episode.text
    baseline = best_of(args.repeat, lambda: nlp.parse(text))
    times = stage_times(episode, args.repeat)
    total = sum(times.values())

    print(f"text: {len(text)} characters; GiNZA load + reading: {load_seconds:.2f} s")
    print(f"baseline, one GiNZA pass: {baseline:.3f} s")
    for name, seconds in times.items():
        print(f"  {name:<11} {seconds:7.3f} s  {seconds / baseline:5.2f} x baseline")
    print(f"all text stages: {total:.3f} s = {total / baseline:.2f} x one GiNZA pass")
    if args.cli:
        print_cli_split()


if __name__ == "__main__":
    main()
