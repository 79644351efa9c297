"""No speech lost: real recordings through the real Whisper base model.

- code-switched talk (Japanese, an English stretch of the pyannote sample, Japanese) comes
  back whole, the English in English;
- the eight Common Voice clips joined into one file come back whole with the default
  settings, and with the whole shipped glossary as hotwords too (which made the batched
  decoder drop two of them before speech the first pass skipped was decoded again);
- the default hotwords are only the terms this episode makes likely.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from kikigaki.document import Episode, EpisodeMeta
from pipeline import steps
from pipeline.context import build_context
from pipeline.options import Options
from postprocess.evaluation import cer
from postprocess.glossary import load_glossary
from postprocess.hotwords import hotword_picker, likely_terms
from transcribe.asr import AsrSettings, transcribe_audio
from transcribe.audio import SAMPLE_RATE, load_audio

FIXTURES = Path(__file__).parent / "fixtures" / "audio"


def _references() -> dict[str, str]:
    lines = (FIXTURES / "references.jsonl").read_text(encoding="utf-8").splitlines()
    return {json.loads(line)["audio"]: json.loads(line)["text"] for line in lines}


def _joined(parts: list[np.ndarray], gap: float, path: Path) -> list[tuple[float, float]]:
    """Write ``parts`` one after the other with ``gap`` seconds of silence; their spans."""
    silence = np.zeros(round(gap * SAMPLE_RATE), np.float32)
    spans, clock, pieces = [], 0.0, []
    for part in parts:
        spans.append((clock, clock + len(part) / SAMPLE_RATE))
        clock += len(part) / SAMPLE_RATE + gap
        pieces += [part, silence]
    sf.write(path, np.concatenate(pieces), SAMPLE_RATE)
    return spans


def _heard_in(episode: Episode, span: tuple[float, float]) -> str:
    start, end = span
    return "".join(
        w.text for w in episode.words
        if w.start is not None and w.end is not None and start - 0.3 <= (w.start + w.end) / 2
        <= end + 0.3
    )


@pytest.fixture(scope="module")
def code_switched(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    english = load_audio(FIXTURES / "pyannote_sample_en_12s.opus")[6 * SAMPLE_RATE :]
    parts = [load_audio(FIXTURES / "common_voice_ja_38853932_16k.wav"), english,
             load_audio(FIXTURES / "common_voice_ja_38925334.opus")]
    path = tmp_path_factory.mktemp("switch") / "switch.wav"
    return path, _joined(parts, 0.5, path)


def test_code_switched_talk_comes_back_whole(code_switched: tuple[Path, list]) -> None:
    path, (first, english, last) = code_switched
    episode = transcribe_audio(path, AsrSettings())
    references = _references()
    assert cer([(references["common_voice_ja_38853932_16k.wav"], _heard_in(episode, first))])[
        0] < 0.35
    assert cer([(references["common_voice_ja_38925334.opus"], _heard_in(episode, last))])[
        0] < 0.35
    heard = _heard_in(episode, english).lower()
    assert sum(word in heard for word in ("hello", "know", "there")) >= 2, heard
    assert " " in heard.strip()  # English keeps its spaces
    assert any(s.language == "en" for s in episode.segments)


@pytest.fixture(scope="module")
def common_voice(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    clips = shared_dir / "audio" / "common_voice_ja"
    manifest = [json.loads(line) for line in (clips / "manifest.jsonl").open(encoding="utf-8")]
    path = tmp_path_factory.mktemp("cv") / "joined.wav"
    spans = _joined([load_audio(clips / clip["audio"]) for clip in manifest], 0.8, path)
    return path, spans, [clip["text"] for clip in manifest]


def _every_clip_heard(episode: Episode, spans: list, texts: list[str]) -> list[float]:
    rates = [cer([(text, _heard_in(episode, span))])[0] for span, text in zip(
        spans, texts, strict=True)]
    assert max(rates) < 0.6, rates  # a lost utterance scores 1.0
    return rates


def test_the_default_pipeline_keeps_every_utterance(common_voice: tuple) -> None:
    path, spans, texts = common_voice
    context = build_context(path, Options())
    episode = steps.metadata(steps.start(path, audio=True), details=context.options.details,
                             sidecar=context.sidecar, slug=None)
    heard = steps.asr(episode, asr=AsrSettings(), hotwords=context.hotwords)
    _every_clip_heard(heard, spans, texts)


def test_every_utterance_survives_even_the_whole_glossary_as_hotwords(
    common_voice: tuple,
) -> None:
    path, spans, texts = common_voice
    picker = hotword_picker(load_glossary(()))
    _every_clip_heard(transcribe_audio(path, hotwords=picker), spans, texts)


def test_default_hotwords_are_the_terms_the_episode_makes_likely() -> None:
    glossary = load_glossary(())
    assert len(likely_terms(glossary, (), EpisodeMeta(title="第5回 雑談"))) == 0
    named = likely_terms(glossary, (), EpisodeMeta(title="PyTorch と Hugging Face の話"))
    assert {t.canonical for t in named.terms} >= {"PyTorch", "Hugging Face"}
    mine = likely_terms(glossary, ("LSTM",), EpisodeMeta())
    assert [t.canonical for t in mine.terms] == ["LSTM"]


def test_an_english_episode_reads_like_english(
    prefect_harness: None, tmp_path: Path
) -> None:
    from commands.cli import main
    from publish.captions import OTHER_LINE_WIDTH

    site = tmp_path / "site"
    code = main(["transcribe", str(FIXTURES / "pyannote_sample_en_12s.opus"), "--language",
                 "English", "--title", "Hello there", "--date", "2024-05-01", "--out",
                 str(site), "--slug", "hello", "--quiet"])
    assert code == 0
    folder = site / "hello"
    episode = Episode.load(folder / "episode.json")
    text = (folder / "transcript.txt").read_text(encoding="utf-8")
    words = text.split()
    assert len(words) >= 8 and "hello" in text.lower()
    assert all(len(word) < 15 for word in words), words  # no words run together
    assert set(episode.skipped_stages) == {"fillers", "terms", "homophones", "sentences", "topics"}
    assert all("と" not in chapter.title for chapter in episode.chapters)
    for line in (folder / "captions.srt").read_text(encoding="utf-8").splitlines():
        if line and not line[0].isdigit():
            assert len(line) <= OTHER_LINE_WIDTH
            for word in line.split(": ", 1)[-1].split():
                assert word in words, (word, line)  # captions break between words only
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert "Hello there" in page and "English" in page and 'lang="en"' in page
    feed = (site / "feed.xml").read_text(encoding="utf-8")
    assert "<title>Hello there</title>" in feed and "01 May 2024" in feed
