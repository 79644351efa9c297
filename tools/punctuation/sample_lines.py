"""Random sentences of a re-cleaned transcript, for reading as a listener would.

    uv run python -m tools.punctuation.sample_lines seeds/002_d502b1dd49aa2187.txt \\
        [--sample 30] [--seed 0] [--all]

Runs the text stages that decide the sentences (read, normalise, fillers, terms,
sentences: what ``transcript.txt`` of ``kikigaki reclean`` holds, one sentence a line)
without Prefect, and prints ``--sample`` of them at random with their line numbers,
then how many lines are 8 characters or fewer, end in a particle + ね, or hold a mark
between two katakana or Latin characters (a word split by a mark).
"""

from __future__ import annotations

import argparse
import random
import re
from pathlib import Path

from postprocess.fillers import remove_fillers
from postprocess.glossary import default_glossary
from postprocess.normalize import normalize
from postprocess.sentences import split_into_sentences
from postprocess.terms import correct_terms
from transcribe.readers import read_transcript

_PARTICLE_NE = re.compile(r"(?:[はがをにでともや]|から|まで|って)ね[。？！]$")
_SPLIT_WORD = re.compile(r"[ァ-ヶーA-Za-z][、。？！][ァ-ヶーA-Za-z]")


def sentences_of(path: Path) -> list[str]:
    episode = normalize(read_transcript(path))
    episode = correct_terms(remove_fillers(episode), default_glossary())
    return [s.text for s in split_into_sentences(episode).sentences]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("transcript", type=Path)
    parser.add_argument("--sample", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--all", action="store_true", help="print every line")
    args = parser.parse_args()
    lines = sentences_of(args.transcript)
    chosen = range(len(lines)) if args.all else sorted(
        random.Random(args.seed).sample(range(len(lines)), min(args.sample, len(lines))))
    for k in chosen:
        print(f"{k + 1:4d}  {lines[k]}")
    print(f"\n{len(lines)} lines; {sum(len(t) <= 8 for t in lines)} of 8 characters or fewer; "
          f"{sum(bool(_PARTICLE_NE.search(t)) for t in lines)} end in a particle + ね; "
          f"{sum(bool(_SPLIT_WORD.search(t)) for t in lines)} with a mark inside a "
          "katakana or Latin word")


if __name__ == "__main__":
    main()
