"""Sentence ends and commas on real recordings: what the audio adds to the text.

    nice -n 10 uv run python -m tools.punctuation.eval_audio

The 8 Common Voice clips of ../shared/audio/common_voice_ja are joined into one
recording (every clip ends a sentence; the manifest gives each clip's text with its marks)
and transcribed by kikigaki's ASR (faster-whisper base, word timestamps; the result is kept
in ``--cache``). Whisper's own marks are removed, then the text is punctuated:

- ``text only``: the segments joined into one stream (what the re-clean path sees);
- ``+ segment ends``: Whisper's segments given as cues;
- ``+ segment ends + pauses``: and the silence after every word;

by the model shipped before (text only, it knew nothing else) and the current one. A
mark counts as right when the reference has the same kind of mark (sentence end, or 、)
after the same aligned character; characters the ASR got wrong are not scored.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from kikigaki.document import Episode
from postprocess.punctuation import MARKS, SENTENCE_ENDS, TextPiece, prf, punctuate_pieces
from postprocess.sentences import _pauses_after_words, _word_clocks
from tools.punctuation.loso import BASELINE_COMMIT, legacy_module
from tools.punctuation.pauses import SHARED, _alignment, joined_common_voice, reference_classes

VARIANTS = ("text only", "+ segment ends", "+ segment ends + pauses")


def transcribed(cache: Path) -> tuple[Episode, str]:
    """The joined clips' ASR episode (cached) and their reference text."""
    folder = SHARED / "audio" / "common_voice_ja"
    path = cache / "common_voice_joined.json"
    with tempfile.TemporaryDirectory() as scratch:
        joined = Path(scratch) / "common_voice_joined.wav"
        reference = joined_common_voice(folder, joined)
        if not path.is_file():
            from transcribe.asr import AsrSettings, transcribe_audio

            cache.mkdir(parents=True, exist_ok=True)
            path.write_text(transcribe_audio(joined, AsrSettings()).to_json(), encoding="utf-8")
    return Episode.load(path), reference


def without_marks(episode: Episode) -> Episode:
    segments = [s.model_copy(update={"text": s.text.translate(str.maketrans("", "", MARKS))})
                for s in episode.segments]
    return episode.model_copy(update={"segments": segments})


def punctuated(episode: Episode, variant: str) -> str:
    segments = episode.segments
    if variant == "text only":
        return "".join(punctuate_pieces([TextPiece("".join(s.text for s in segments), True)]))
    timed = variant.endswith("pauses")
    clocks = _word_clocks(episode)
    pauses = _pauses_after_words(episode, clocks) if timed else {}
    pieces = [TextPiece(s.text, unit_end=k + 1 == len(segments), cue_end=True,
                        pauses=pauses.get(k, ())) for k, s in enumerate(segments)]
    return "".join(punctuate_pieces(pieces, cues_known=True, timed=timed))


def scores(predicted: str, reference: str) -> dict[str, tuple[float, float, float]]:
    """P/R/F1 of sentence ends ("end") and of 、 on the characters ASR and reference share."""
    ref_letters, ref_classes = reference_classes(reference)
    hyp_letters, hyp_classes = reference_classes(predicted)
    to_ref = _alignment(hyp_letters, ref_letters)
    aligned_ref = set(to_ref.values())
    result = {}
    for kind in ("end", "comma"):
        got = {to_ref[i] for i, c in hyp_classes.items() if c == kind and i in to_ref}
        wanted = {j for j, c in ref_classes.items() if c == kind and j in aligned_ref}
        result["。？！" if kind == "end" else "、"] = prf(len(got & wanted), len(got), len(wanted))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/kikigaki-punctuation"))
    args = parser.parse_args()
    episode, reference = transcribed(args.cache)
    asr_text = "".join(s.text for s in episode.segments)
    bare = without_marks(episode)
    print(f"{len(episode.segments)} ASR segments, {len(episode.words)} words; reference "
          f"{sum(reference.count(m) for m in SENTENCE_ENDS)} sentence ends, "
          f"{reference.count('、')} 、\n")
    print("| system | input | sentence end F1 (P/R) | 、 F1 (P/R) |\n|---|---|---|---|")
    rows = [("Whisper's own marks", "ASR output", asr_text),
            ("trivial: segment ends", "segments", "".join(s.text + "。" for s in bare.segments))]
    with tempfile.TemporaryDirectory() as scratch:
        module, weights = legacy_module(BASELINE_COMMIT, Path(scratch))
        old = module.restore_punctuation("".join(s.text for s in bare.segments),
                                         model=module.load_model(weights))
        rows.append((f"shipped before ({BASELINE_COMMIT})", "text only", old))
    rows += [("current model", variant, punctuated(bare, variant)) for variant in VARIANTS]
    for system, variant, text in rows:
        result = scores(text, reference)
        cells = " | ".join(f"{f1:.3f} ({p:.2f}/{r:.2f})" for p, r, f1 in result.values())
        print(f"| {system} | {variant} | {cells} |")


if __name__ == "__main__":
    main()
