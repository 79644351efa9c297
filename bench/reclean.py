"""Where a re-clean's time goes: the declared stages on the seed episode, one by one.

The stages are those ``kikigaki reclean`` runs (``pipeline.stages.plan`` for a
transcript, default options), called as plain functions in one fresh process; models
load inside the first stage that needs them, as in a real run, so each stage's first
call is reported beside its best of ``--repeat`` (warm). Baseline, measured in the same
run: one GiNZA pass (``nlp.parse``) over the same transcript. The whole command (with
Prefect, cached and not) is measured by ``bench/commands.py reclean``.

    uv run python bench/reclean.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.measure import load  # noqa: E402

SEED = REPO / "seeds" / "002_d502b1dd49aa2187.txt"


def timed(work: Callable[[], object]) -> tuple[float, object]:
    began = time.perf_counter()
    result = work()
    return time.perf_counter() - began, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    imports, _ = timed(lambda: __import__("pipeline.context"))
    from kikigaki import nlp
    from pipeline.context import build_context
    from pipeline.options import Options
    from pipeline.stages import plan
    from pipeline.steps import start

    inputs, context = timed(lambda: build_context(SEED, Options(show_progress=False)))
    episode = start(SEED, audio=False)
    rows = []
    for bound in plan(context, audio=False):  # type: ignore[arg-type]
        first, result = timed(lambda bound=bound, episode=episode: bound(episode))
        warm = min(timed(lambda bound=bound, episode=episode: bound(episode))[0]
                   for _ in range(args.repeat))
        rows.append((bound.name, first, warm))
        episode = result  # type: ignore[assignment]
    ginza = min(timed(lambda: nlp.parse(episode.text))[0] for _ in range(args.repeat))

    print(f"seed episode: {len(episode.text)} characters  [{load()}]")
    print(f"  imports {imports:.2f} s, inputs (glossary, collection) {inputs:.2f} s")
    print(f"  {'stage':<15} {'first call':>10} {'warm':>8}")
    for name, first, warm in rows:
        print(f"  {name:<15} {first:9.2f}s {warm:7.3f}s")
    total_first = sum(first for _, first, _ in rows)
    total_warm = sum(warm for _, _, warm in rows)
    print(f"  all stages: first calls {total_first:.2f} s, warm {total_warm:.2f} s")
    print(f"  baseline, one GiNZA pass over the text: {ginza:.3f} s; warm stages = "
          f"{total_warm / ginza:.1f} x that pass")


if __name__ == "__main__":
    main()
