"""How long the homophone stage takes, against one GiNZA pass over the same text (goal:
at most 0.3 x).

The seed episode is re-cleaned up to term correction (the stage's input). Baseline,
measured in the same run: ``nlp(text)`` over the episode's text. The stage is timed
once with its per-process caches empty (the model already loaded) and as the best of
``--repeat`` runs; loading the model is timed apart.

    uv run python bench/homophones.py [--repeat 3] [--file TRANSCRIPT]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kikigaki import nlp  # noqa: E402
from postprocess.fillers import remove_fillers  # noqa: E402
from postprocess.glossary import default_glossary  # noqa: E402
from postprocess.homophones import correct_homophones, load_model  # noqa: E402
from postprocess.normalize import normalize  # noqa: E402
from postprocess.terms import correct_terms  # noqa: E402
from transcribe.readers import read_transcript  # noqa: E402

SEED = REPO / "seeds" / "002_d502b1dd49aa2187.txt"


def timed(work) -> float:  # type: ignore[no-untyped-def]
    began = time.perf_counter()
    work()
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--file", type=Path, default=SEED)
    args = parser.parse_args()
    glossary = default_glossary()
    episode = correct_terms(remove_fillers(normalize(read_transcript(args.file))), glossary)
    text = episode.text
    load = timed(load_model)
    nlp.ginza()
    nlp.tokenize("準備")
    ginza = min(timed(lambda: nlp.parse(text)) for _ in range(args.repeat))
    first = timed(lambda: correct_homophones(episode, glossary=glossary))
    best = min(timed(lambda: correct_homophones(episode, glossary=glossary))
               for _ in range(args.repeat))
    print(f"text: {len(text):,} characters ({args.file.name})")
    print(f"model load: {load:.2f} s (once per process)")
    print(f"one GiNZA pass: {ginza:.2f} s (best of {args.repeat})")
    print(f"homophone stage: first run {first:.2f} s, best of {args.repeat} {best:.2f} s")
    print(f"ratio to one GiNZA pass: first run {first / ginza:.2f}, best {best / ginza:.2f} "
          "(goal <= 0.30)")


if __name__ == "__main__":
    main()
