"""The shell filters keep their contracts: punctuate changes only 。、？！, terms only terms,
segment prints boundaries as JSON; bytes in, bytes out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commands.filters import punctuate, segment, sentence_lines
from postprocess.punctuation import split_marks
from tests.conftest import SEEDS

RUN_ON = "えーと今日はですね機械学習の勉強会の話をしますよろしくお願いしますそれでは始めましょうか"


def run_cli(*args: str, data: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "commands.cli", *args],
        input=data,
        capture_output=True,
        timeout=300,
        check=False,
    )


def test_punctuate_cli_adds_only_marks_and_keeps_bytes() -> None:
    data = f"\ufeff{RUN_ON}\r\nはいよろしく  お願いします😀 ok?\n".encode()
    result = run_cli("punctuate", data=data)
    assert result.returncode == 0, result.stderr.decode()
    out = result.stdout.decode("utf-8")
    assert split_marks(out)[0] == split_marks(data.decode("utf-8"))[0]
    assert out.count("。") >= 3
    assert out.startswith("\ufeff") and "\r\n" in out


def test_punctuate_rejects_non_utf8_in_one_line() -> None:
    result = run_cli("punctuate", data=RUN_ON.encode("cp932"))
    assert result.returncode == 2
    message = result.stderr.decode().strip()
    assert "\n" not in message and "UTF-8" in message
    assert result.stdout == b""


_JAPANESE = st.sampled_from(
    [
        *"あいうえおかきくけこですますねよかなのはがをにでとアイウエオ機械学習今日話",
        *["。", "、", "？", "！", " ", "\n", "\r\n", "A", "1", "「", "」", "😀", "?", "\ufeff"],
    ]
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_JAPANESE, max_size=80).map("".join))
def test_punctuate_changes_nothing_but_marks(text: str) -> None:
    out = punctuate(text)
    assert split_marks(out)[0] == split_marks(text)[0]


def test_punctuate_handles_long_run_on_text() -> None:
    text = RUN_ON * 400  # about 18,000 characters in one line
    out = punctuate(text)
    assert split_marks(out)[0] == text
    assert max(len(s) for s in out.split("。")) <= 121


def test_terms_cli_leaves_the_collection_documents_alone() -> None:
    pytest.importorskip("postprocess.terms")
    for name in ("000", "001", "003", "004"):
        path = next(SEEDS.glob(f"{name}_*.txt"))
        result = run_cli("terms", data=path.read_bytes())
        assert result.returncode == 0, result.stderr.decode()
        assert result.stdout == path.read_bytes(), path.name


def test_terms_cli_fixes_a_mishearing() -> None:
    pytest.importorskip("postprocess.terms")
    result = run_cli("terms", data="LSDMとハギンフェイスの話です。\n".encode())
    assert result.stdout.decode() == "LSTMとHugging Faceの話です。\n"


def test_segment_finds_the_change_of_subject() -> None:
    cooking = [f"今日の夕飯はカレーを作りました。玉ねぎを{i}個炒めます。" for i in range(10)]
    training = [f"ニューラルネットの学習率を{i}倍にすると損失が発散しました。" for i in range(10)]
    result = segment(cooking + training, min_sentences=5)
    assert result["boundaries"][0] == 0
    assert 9 <= result["boundaries"][1] <= 11
    assert len(result["titles"]) == len(result["boundaries"])


def test_segment_cli_prints_json_with_line_indices() -> None:
    lines = ["カレーを作りました。"] * 3 + [""] + ["学習率を下げました。"] * 3
    result = run_cli("segment", "--no-titles", data=("\n".join(lines) + "\n").encode())
    assert result.returncode == 0, result.stderr.decode()
    assert json.loads(result.stdout) == {"boundaries": [0]}


def test_sentence_lines_ignores_only_the_final_newline() -> None:
    assert sentence_lines("a\r\nb\n\n") == ["a", "b", ""]


def test_eval_punctuation_cli(tmp_path: Path) -> None:
    reference = tmp_path / "ref.txt"
    reference.write_text("今日は晴れです。明日は雨でしょうか？楽しみですね。\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "commands.cli", "eval", "punctuation", str(reference), "--json"],
        capture_output=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    report = json.loads(result.stdout)
    assert report["marks"]["。"]["reference"] == 2
    assert 0.0 <= report["marks"]["。"]["f1"] <= 1.0
