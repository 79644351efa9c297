"""Each stage's cache key covers the code and data that stage depends on, not the whole
project: a template or topic-segmenter edit keeps the hour-long ASR cached."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flows.caching import function_digest
from pipeline import steps
from tests.conftest import REPO


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for room in ("kikigaki", "transcribe", "postprocess", "pipeline", "templates"):
        shutil.copytree(REPO / room, tmp_path / room,
                        ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def _digests(root: Path) -> dict[str, str]:
    functions = {"asr": steps.asr, "diarize": steps.diarize, "topics": steps.topics,
                 "sentences": steps.sentences}
    return {name: function_digest(function, root) for name, function in functions.items()}


def _append(path: Path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + line, encoding="utf-8")


def test_a_template_edit_keeps_every_stage_key(tree: Path) -> None:
    before = _digests(tree)
    _append(tree / "templates" / "episode.html.j2", "<!-- edited -->\n")
    assert _digests(tree) == before


def test_a_text_stage_edit_keeps_the_audio_stages(tree: Path) -> None:
    before = _digests(tree)
    _append(tree / "postprocess" / "topics.py", "# edited\n")
    after = _digests(tree)
    assert after["asr"] == before["asr"] and after["diarize"] == before["diarize"]
    assert after["topics"] != before["topics"]
    assert after["sentences"] == before["sentences"]


def test_the_asr_and_its_helpers_are_in_its_key(tree: Path) -> None:
    before = _digests(tree)
    _append(tree / "transcribe" / "coverage.py", "# edited\n")
    after = _digests(tree)
    assert after["asr"] != before["asr"]
    assert after["topics"] == before["topics"]


def test_a_model_file_is_in_the_key_of_the_stage_that_loads_it(tree: Path) -> None:
    before = _digests(tree)
    model = tree / "postprocess" / "models" / "punctuation.npz"
    model.write_bytes(model.read_bytes() + b"\0")
    after = _digests(tree)
    assert after["sentences"] != before["sentences"]
    assert after["asr"] == before["asr"] and after["topics"] == before["topics"]
