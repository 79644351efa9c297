"""Character error rate: kikigaki beside bare faster-whisper, on every real clip we have.

For each of the 8 Common Voice clips (../shared/audio/common_voice_ja), the 8 joined into
one 72 s file (0.8 s of silence between them), and a code-switched file (two Japanese
clips around an English stretch of the pyannote sample, from tests/fixtures/audio), one
run prints the CER of:

- ``bare``: faster-whisper's ``WhisperModel.transcribe`` with the same model, beam 5, VAD,
  no temperature fallback and no conditioning on previous text (the engine we wrap);
- ``batched``: faster-whisper's own ``BatchedInferencePipeline``, same settings;
- ``asr``: kikigaki's ASR stage as the pipeline runs it (default hotwords policy);
- ``published``: kikigaki's published transcript (every text stage after the ASR:
  fillers, terms, punctuation, sentences).

CER is scored after NFKC, lower case, and with punctuation and spaces dropped
(``postprocess.evaluation.cer``); a second column gives the CER of katakana readings,
so that a right word spelt another way (ちがいない / 違いない) does not count.

    python bench/eval_cer.py [--model PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kikigaki.nlp import reading_of  # noqa: E402
from pipeline.context import build_context  # noqa: E402
from pipeline.options import Options  # noqa: E402
from pipeline.stages import plan  # noqa: E402
from pipeline.steps import start  # noqa: E402
from postprocess.evaluation import cer  # noqa: E402
from transcribe.asr import AsrSettings, load_model  # noqa: E402
from transcribe.audio import SAMPLE_RATE, load_audio  # noqa: E402

CLIPS = REPO.parent / "shared" / "audio" / "common_voice_ja"
FIXTURES = REPO / "tests" / "fixtures" / "audio"
ENGLISH_6_TO_12_S = ("Hello? Hello. Oh, hello. I didn't know you were there. Neither did I. "
                     "Okay, then I thought you know, I heard a beep.")


def clips(folder: Path) -> list[tuple[str, Path, str]]:
    """(name, audio, reference) for every clip, the joined file and the switched one."""
    manifest = [json.loads(line) for line in (CLIPS / "manifest.jsonl").open(encoding="utf-8")]
    found = [(c["id"], CLIPS / c["audio"], c["text"]) for c in manifest]
    joined = _join([load_audio(path) for _, path, _ in found], 0.8, folder / "joined.wav")
    found.append(("joined (8 clips)", joined, "".join(text for _, _, text in found)))
    references = [json.loads(line) for line in
                  (FIXTURES / "references.jsonl").read_text(encoding="utf-8").splitlines()]
    english = load_audio(FIXTURES / "pyannote_sample_en_12s.opus")[6 * SAMPLE_RATE :]
    switched = _join([load_audio(FIXTURES / references[0]["audio"]), english,
                      load_audio(FIXTURES / references[1]["audio"])], 0.5,
                     folder / "switched.wav")
    text = references[0]["text"] + ENGLISH_6_TO_12_S + references[1]["text"]
    found.append(("code-switched ja/en/ja", switched, text))
    return found


def _join(parts: list[np.ndarray], gap: float, path: Path) -> Path:
    silence = np.zeros(round(gap * SAMPLE_RATE), np.float32)
    sf.write(path, np.concatenate([x for part in parts for x in (part, silence)]), SAMPLE_RATE)
    return path


def bare(model: object, path: Path, batched: bool) -> str:
    from faster_whisper import BatchedInferencePipeline

    options = {"language": "ja", "beam_size": 5, "vad_filter": True, "temperature": 0.0,
               "condition_on_previous_text": False}
    runner = BatchedInferencePipeline(model) if batched else model
    segments, _ = runner.transcribe(str(path), **options)  # type: ignore[attr-defined]
    return "".join(segment.text for segment in segments)


def kikigaki(path: Path, options: Options) -> tuple[str, str]:
    """(the ASR stage's text, the published transcript's text): the declared stages."""
    episode = start(path, audio=True)
    asr_text = ""
    for bound in plan(build_context(path, options), audio=True):
        episode = bound(episode)
        if bound.name == "asr":
            asr_text = "".join(segment.text for segment in episode.segments)
    return asr_text, "".join(sentence.text for sentence in episode.sentences)


def rates(reference: str, hypothesis: str) -> str:
    plain = cer([(reference, hypothesis)])[0]
    heard = cer([(reading_of(reference), reading_of(hypothesis))])[0]
    return f"{plain:6.3f} {heard:6.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model")
    args = parser.parse_args()
    settings = AsrSettings(model=args.model)
    options = replace(Options(asr=settings, diarize=False), show_progress=False)
    model = load_model(settings)
    print(f"{'clip':<26} {'bare':>13} {'batched':>13} {'asr':>13} {'published':>13}")
    print(f"{'':<26}" + "   CER  read." * 4)
    with tempfile.TemporaryDirectory() as scratch:
        for name, path, reference in clips(Path(scratch)):
            asr_text, published = kikigaki(path, options)
            model = load_model(settings)  # the pipeline releases it after its ASR
            row = [bare(model, path, batched=False), bare(model, path, batched=True),
                   asr_text, published]
            print(f"{name:<26} " + " ".join(rates(reference, text) for text in row),
                  flush=True)


if __name__ == "__main__":
    main()
