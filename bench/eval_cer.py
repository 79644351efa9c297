"""Character error rate of ``transcribe_audio`` on the 8 Common Voice clips (goal <= 0.15).

Each clip of ../shared/audio/common_voice_ja is transcribed with the default settings
(or those given) and scored against its manifest text with
``postprocess.evaluation.cer`` (punctuation and spaces not scored). A second figure,
"reading CER", compares katakana readings instead, so that 違いない for ちがいない or
お化け for おばけ (both right, spelt differently) does not count as an error: the gap
between the two shows how much of the error is spelling rather than hearing.

    python bench/eval_cer.py [--beam 5] [--batched] [--no-vad] [--model PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from postprocess.evaluation import cer  # noqa: E402
from postprocess.nlp import reading_of  # noqa: E402
from transcribe.asr import AsrSettings, load_model, transcribe_audio  # noqa: E402

CLIPS = REPO.parent / "shared" / "audio" / "common_voice_ja"


def settings_from(args: argparse.Namespace) -> AsrSettings:
    settings = AsrSettings(model=args.model)
    if args.beam is not None:
        settings = replace(settings, beam_size=args.beam)
    if args.batched:
        settings = replace(settings, batched=True)
    if args.no_vad:
        settings = replace(settings, vad=None)
    return settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beam", type=int)
    parser.add_argument("--batched", action="store_true")
    parser.add_argument("--no-vad", action="store_true")
    parser.add_argument("--model")
    args = parser.parse_args()
    settings = settings_from(args)
    manifest = [json.loads(line) for line in (CLIPS / "manifest.jsonl").open(encoding="utf-8")]
    load_model(settings)
    pairs, reading_pairs, seconds, audio_seconds = [], [], 0.0, 0.0
    print(f"settings: {settings}")
    for clip in manifest:
        began = time.perf_counter()
        hypothesis = transcribe_audio(CLIPS / clip["audio"], settings).text
        seconds += time.perf_counter() - began
        audio_seconds += clip["duration_s"]
        pairs.append((clip["text"], hypothesis))
        reading_pairs.append((reading_of(clip["text"]), reading_of(hypothesis)))
        rate, errors, length = cer([pairs[-1]])
        print(f"{clip['id']}  CER {rate:.3f} ({errors}/{length})  {hypothesis}")
    rate, errors, length = cer(pairs)
    reading_rate = cer(reading_pairs)[0]
    print(f"total CER {rate:.3f} ({errors}/{length}); reading CER {reading_rate:.3f}")
    print(
        f"RTF over the clips {seconds / audio_seconds:.3f} (short clips: each pays 30 s of "
        "encoder work, so this overstates the RTF of long audio)"
    )


if __name__ == "__main__":
    main()
