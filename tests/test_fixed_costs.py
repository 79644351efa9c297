"""Fixed costs per run: segmentation-3.0 without pyannote.audio's training stack, and a
re-clean that never imports torch. Real weights, real pyannote for the comparison."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO

torch = pytest.importorskip("torch")
soundfile = pytest.importorskip("soundfile")

from transcribe.diarize import default_segmentation_weights  # noqa: E402
from transcribe.segmentation import load_segmentation_network, read_checkpoint  # noqa: E402


def _in_fresh_python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


@pytest.fixture(scope="module")
def windows(shared_dir: Path) -> torch.Tensor:
    sample = shared_dir / "audio" / "pyannote_sample" / "sample.wav"
    if not sample.is_file():
        pytest.skip(f"{sample} is missing")
    audio, _ = soundfile.read(sample, dtype="float32")
    starts = (0, 75_000, len(audio) - 160_000)  # overlapping speech is in the middle
    return torch.from_numpy(np.stack([audio[s : s + 160_000] for s in starts])).unsqueeze(1)


@pytest.mark.slow
def test_our_network_gives_pyannotes_outputs(windows: torch.Tensor) -> None:
    from pyannote.audio import Model

    weights = default_segmentation_weights()
    ours = load_segmentation_network(weights)
    theirs = Model.from_pretrained(str(weights)).eval()
    with torch.inference_mode():
        mine, reference = ours(windows), theirs(windows)
    assert mine.shape == reference.shape == (3, 589, 7)
    assert torch.allclose(mine, reference, atol=1e-5)
    assert torch.equal(mine.argmax(-1), reference.argmax(-1))


def test_loading_segmentation_imports_no_training_stack() -> None:
    found = _in_fresh_python(
        "import sys\n"
        "from transcribe.diarize import load_segmentation\n"
        "load_segmentation()\n"
        "print(sorted(m for m in ('lightning', 'pytorch_lightning', 'torch._dynamo',"
        " 'pyannote.audio') if m in sys.modules))"
    )
    assert found == "[]"


def test_another_architecture_goes_to_pyannote(tmp_path: Path) -> None:
    checkpoint = read_checkpoint(default_segmentation_weights())
    assert checkpoint is not None
    checkpoint["pyannote.audio"]["architecture"]["class"] = "SSeRiouSS"
    from transcribe.segmentation import pyannet_from_checkpoint

    assert pyannet_from_checkpoint(checkpoint) is None
    assert read_checkpoint(tmp_path / "missing.bin") is None


def test_the_reclean_path_never_imports_torch() -> None:
    found = _in_fresh_python(
        "import sys\n"
        "import commands.cli, flows.episode, pipeline.stages, pipeline.context\n"
        "from kikigaki import nlp\n"
        "assert nlp.parse('東京で話した。').ents\n"
        "print(sys.modules.get('torch', 'absent'))\n"
        "import torch\n"  # still importable once GiNZA is loaded
    )
    assert found == "absent"


def test_collection_vectors_are_kept_between_runs(tmp_path: Path, monkeypatch) -> None:
    from postprocess.related import _document_vectors
    from transcribe.readers.collection import load_collection

    documents = load_collection(REPO / "seeds")[:2]
    monkeypatch.setenv("KIKIGAKI_CACHE", str(tmp_path / "cache"))
    embedded = _document_vectors(documents)
    stored = sorted((tmp_path / "cache" / "vectors").glob("*.npy"))
    assert len(stored) == len(documents)
    again = _document_vectors(documents)
    assert all(np.array_equal(a, b) for a, b in zip(embedded, again, strict=True))
    monkeypatch.setenv("KIKIGAKI_CACHE", "/proc/not-writable")  # embeds, writes nothing
    assert len(_document_vectors(documents)) == len(documents)


def test_the_gap_pass_reuses_the_pipelines_vad(shared_dir: Path) -> None:
    import faster_whisper.transcribe as engine
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    from transcribe import coverage
    from transcribe.asr import AsrSettings

    audio, _ = soundfile.read(shared_dir / "audio" / "pyannote_sample" / "sample.wav",
                              dtype="float32")
    options = AsrSettings().vad_options()
    assert options is not None
    coverage.keep_pipeline_speech()
    installed = engine.get_speech_timestamps
    coverage.keep_pipeline_speech()  # installed once however often asked
    assert engine.get_speech_timestamps is installed
    found = engine.get_speech_timestamps(audio, VadOptions(**options))  # as the pipeline
    reused = coverage.speech_spans(audio, options)
    assert reused == [(s["start"] / 16_000, s["end"] / 16_000) for s in found]
    assert coverage._heard.last is None  # used once, the audio not kept
    fresh = get_speech_timestamps(audio.copy(), VadOptions(**options))
    assert coverage.speech_spans(audio.copy(), options) == [
        (s["start"] / 16_000, s["end"] / 16_000) for s in fresh]
    engine.get_speech_timestamps(audio, VadOptions(**options))
    coverage.forget_pipeline_speech()  # no gap pass: nothing kept
    assert coverage._heard.last is None
