"""Silence at sentence ends, at commas and elsewhere, measured on real recordings.

    uv run python -m tools.punctuation.pauses [--out tools/punctuation/pauses.json]

Transcribes, with faster-whisper base and word timestamps (kikigaki's own ASR settings):

- the 8 Common Voice clips of ../shared/audio/common_voice_ja joined into one recording
  (Japanese read speech; the manifest gives each clip's text with its marks), and
- the pyannote sample (English telephone conversation, two speakers; its STM gives each
  turn's words with their marks),

aligns the recognised text to the reference text, and for every gap between two
recognised words notes what the reference has there: a sentence end, a comma or nothing.
Prints the distributions and how often an ASR segment ends at each, and writes their
quantiles to a JSON file that ``tools/punctuation/train.py`` draws simulated pauses from,
with the rate at which Koniwa's caption segments end at each kind of boundary (the cue
ends simulated for text without segments).
"""

from __future__ import annotations

import argparse
import bisect
import csv
import difflib
import json
import re
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np
import soundfile

from kikigaki.document import Episode

SHARED = Path(__file__).resolve().parents[3] / "shared"
OUT = Path(__file__).resolve().parent / "pauses.json"
CLASSES = ("none", "comma", "end")
QUANTILES = np.linspace(0.0, 1.0, 21)
_END_MARKS = "。？！.?!"
_COMMA_MARKS = "、,"
_WIDE = str.maketrans({"?": "？", "!": "！", "．": "。", "，": "、"})
_SKIP = re.compile(r"[\s「」『』（）()\"“”]")


def joined_common_voice(folder: Path, out: Path) -> str:
    """The clips one after another in one WAV file; their texts joined."""
    manifest = [json.loads(line) for line in (folder / "manifest.jsonl").open(encoding="utf-8")]
    audio = [soundfile.read(folder / clip["audio"], dtype="float32")[0] for clip in manifest]
    soundfile.write(out, np.concatenate(audio), 16000)
    return "".join(clip["text"] for clip in manifest)


def pyannote_reference(folder: Path) -> str:
    lines = (folder / "sample.stm").read_text(encoding="utf-8").splitlines()
    return " ".join(line.split(" ", 5)[5] for line in lines if line.strip())


def reference_classes(reference: str) -> tuple[str, dict[int, str]]:
    """The reference's letters (lower case, no marks or spaces) and the class after each."""
    letters: list[str] = []
    classes: dict[int, str] = {}
    for char in reference:
        if char in _END_MARKS or char in _COMMA_MARKS:
            if letters:
                kind = "end" if char in _END_MARKS else "comma"
                if classes.get(len(letters) - 1) != "end":
                    classes[len(letters) - 1] = kind
        elif not _SKIP.match(char):
            letters.append(char.lower())
    return "".join(letters), classes


def _letters(text: str) -> str:
    return "".join(c.lower() for c in text if c not in _END_MARKS + _COMMA_MARKS
                   and not _SKIP.match(c))


def word_gaps(episode: Episode, reference: str) -> list[tuple[str, float, bool]]:
    """(class, silence in s, an ASR segment ends there) for each gap between two words."""
    ref_letters, ref_classes = reference_classes(reference)
    words = [w for w in episode.words if w.start is not None and w.end is not None]
    hyp_ends, hyp = [], ""
    for word in words:
        hyp += _letters(word.text)
        hyp_ends.append(len(hyp) - 1)
    to_ref = _alignment(hyp, ref_letters)
    segment_of = _segment_of_words(episode, words)
    gaps = []
    for k in range(len(words) - 1):
        position = to_ref.get(hyp_ends[k])
        if position is None:
            continue
        kind = ref_classes.get(position, "none")
        silence = max(words[k + 1].start - words[k].end, 0.0)  # type: ignore[operator]
        gaps.append((kind, silence, segment_of[k] != segment_of[k + 1]))
    return gaps


def _segment_of_words(episode: Episode, words: list) -> list[int]:  # type: ignore[type-arg]
    """For each word, the index of the last segment starting before its middle."""
    starts = [s.start if s.start is not None else 0.0 for s in episode.segments]
    return [bisect.bisect_right(starts, (w.start + w.end) / 2) - 1 for w in words]


def _alignment(hyp: str, ref: str) -> dict[int, int]:
    """Hypothesis letter index -> reference letter index, where the two agree."""
    matcher = difflib.SequenceMatcher(None, hyp, ref, autojunk=False)
    mapping: dict[int, int] = {}
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            mapping[block.a + k] = block.b + k
    return mapping


def summarise(gaps: list[tuple[str, float, bool]]) -> dict[str, dict[str, object]]:
    by_class: dict[str, list[float]] = defaultdict(list)
    segment_end: dict[str, int] = defaultdict(int)
    for kind, silence, at_segment_end in gaps:
        by_class[kind].append(silence)
        segment_end[kind] += at_segment_end
    summary = {}
    for kind in CLASSES:
        values = np.array(by_class[kind] or [0.0])
        summary[kind] = {
            "count": len(by_class[kind]),
            "quantiles": np.quantile(values, QUANTILES).round(3).tolist(),
            "segment_end_rate": round(segment_end[kind] / max(len(by_class[kind]), 1), 3),
        }
    return summary


def transcribe(path: Path, language: str) -> Episode:
    from transcribe.asr import AsrSettings, transcribe_audio

    return transcribe_audio(path, AsrSettings(language=language))


def measure() -> dict[str, object]:
    results: dict[str, object] = {}
    all_gaps: list[tuple[str, float, bool]] = []
    with tempfile.TemporaryDirectory() as scratch:
        joined = Path(scratch) / "common_voice_joined.wav"
        reference = joined_common_voice(SHARED / "audio" / "common_voice_ja", joined)
        gaps = word_gaps(transcribe(joined, "ja"), reference)
    results["common_voice_ja"] = summarise(gaps)
    all_gaps += gaps
    sample = SHARED / "audio" / "pyannote_sample"
    gaps = word_gaps(transcribe(sample / "sample.wav", "en"), pyannote_reference(sample))
    results["pyannote_sample"] = summarise(gaps)
    all_gaps += gaps
    results["pooled"] = summarise(all_gaps)
    return results


def caption_cue_rates(corpora: Path) -> dict[str, float]:
    """How often a Koniwa caption segment ends at a morpheme boundary of each class."""
    from kikigaki.nlp import tokenize
    from postprocess.punctuation import split_marks

    ends: dict[str, int] = defaultdict(int)
    totals: dict[str, int] = defaultdict(int)
    with open(corpora / "koniwa" / "segments.tsv", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            base, after = split_marks(row["text"].strip().translate(_WIDE), "。、？！")
            morphemes = tokenize(base)
            for i, m in enumerate(morphemes):
                run = after[m.end - 1]
                kind = "end" if set(run) & set("。？！") else "comma" if run else "none"
                totals[kind] += 1
                ends[kind] += i == len(morphemes) - 1
    return {kind: round(ends[kind] / max(totals[kind], 1), 3) for kind in CLASSES}


def print_summary(results: dict[str, object]) -> None:
    for recording, summary in results.items():
        if recording == "cue_rates":
            print(f"\ncaption cue (Koniwa segment) end rate by class: {summary}")
            continue
        print(f"\n{recording}")
        print(f"  {'class':<6}{'gaps':>6}{'p10':>7}{'p50':>7}{'p90':>7}{'seg end':>9}")
        for kind, row in summary.items():  # type: ignore[attr-defined]
            q = row["quantiles"]
            print(f"  {kind:<6}{row['count']:>6}{q[2]:7.2f}{q[10]:7.2f}{q[18]:7.2f}"
                  f"{row['segment_end_rate']:9.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--captions-only", action="store_true",
                        help="keep the ASR measurements in --out, redo the caption rates")
    args = parser.parse_args()
    keep = args.captions_only
    results = json.loads(args.out.read_text(encoding="utf-8")) if keep else measure()
    results["cue_rates"] = caption_cue_rates(SHARED / "corpora")
    print_summary(results)
    args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
