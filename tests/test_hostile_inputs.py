"""Hostile inputs beyond the transcript: settings files that are pipes, devices or absurd
TOML, odd characters in every format, odd file names, inbox links, a broken environment.

The cases are numbered in the table at the top of ``tests/test_hostile.py`` (37-48). Each
refusal is one line before Prefect starts, and nothing is written.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import time
from pathlib import Path

import pytest

from flows.service import pending_items, state_dir
from flows.settings import _writable_prefect_home
from kikigaki.errors import InputError
from postprocess.hotwords import read_hotwords
from tests.test_hostile import (
    CLIP,
    SAMPLE_TEXT,
    Capture,
    Untouched,
    assert_refused,
    run,
    untouched,  # noqa: F401 - the fixture
)
from transcribe.readers import read_transcript


def _talk(folder: Path) -> Path:
    path = folder / "talk.txt"
    path.write_text(SAMPLE_TEXT, encoding="utf-8")
    return path


def _reclean(capsys: Capture, path: Path, *options: str | Path) -> object:
    return run(capsys, "reclean", path, *options, "--out", path.parent / "site", "--quiet")


# --------------------------------------------------------------------------- 37 special files


@pytest.mark.parametrize("option", ["--glossary", "--sidecar"])
def test_settings_file_as_a_fifo_is_refused(option: str, tmp_path: Path, capsys: Capture,
                                            untouched: Untouched) -> None:  # noqa: F811
    """A FIFO nobody writes to would block forever; a pipe would be empty when read again."""
    path = _talk(tmp_path)
    untouched.watch(path)
    fifo = tmp_path / "settings.toml"
    os.mkfifo(fifo)
    outcome = _reclean(capsys, path, option, fifo)
    assert_refused(outcome, str(fifo), "not a regular file")
    assert not (tmp_path / "site").exists()


def test_hotwords_file_as_a_fifo_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "hotwords.txt"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        read_hotwords(fifo)


@pytest.mark.parametrize("option", ["--glossary", "--sidecar"])
def test_settings_file_as_dev_zero_is_refused(option: str, tmp_path: Path,
                                              capsys: Capture) -> None:
    outcome = _reclean(capsys, _talk(tmp_path), option, Path("/dev/zero"))
    assert_refused(outcome, "/dev/zero", "not a regular file")


def test_huge_glossary_is_refused(tmp_path: Path, capsys: Capture) -> None:
    glossary = tmp_path / "g.toml"
    glossary.write_bytes(b"# " + b"x" * (5 * 2**20) + b"\n")
    outcome = _reclean(capsys, _talk(tmp_path), "--glossary", glossary)
    assert_refused(outcome, str(glossary), "larger than 4 MB")


# --------------------------------------------------------------------------- 38-39 TOML


@pytest.mark.parametrize("what", ["glossary", "sidecar"])
def test_deeply_nested_toml_is_one_line(what: str, tmp_path: Path, capsys: Capture) -> None:
    settings = tmp_path / "deep.toml"
    settings.write_text("a = " + "[" * 3000 + "]" * 3000 + "\n", encoding="utf-8")
    outcome = _reclean(capsys, _talk(tmp_path), f"--{what}", settings)
    assert_refused(outcome, str(settings), "nests tables or arrays too deeply")


@pytest.mark.parametrize("key", ["²", "9" * 5000, "１"])
def test_sidecar_chapter_keys_not_numbers(key: str, tmp_path: Path, capsys: Capture,
                                          untouched: Untouched) -> None:  # noqa: F811
    path = _talk(tmp_path)
    sidecar = tmp_path / "talk.kikigaki.toml"
    sidecar.write_text(f'[chapters]\n"{key}" = "はじめに"\n', encoding="utf-8")
    untouched.watch(path, sidecar)
    assert_refused(_reclean(capsys, path), sidecar.name, "is not a number from 1")


# --------------------------------------------------------------------------- 40-41 characters


def test_control_characters_and_surrogates_are_removed(tmp_path: Path) -> None:
    """JSON escapes let through what raw bytes cannot: NUL, SOH, a lone surrogate."""
    path = tmp_path / "talk.json"
    path.write_text(
        '{"version": "1.0.0", "segments": ['
        '{"startTime": 0, "endTime": 2, "speaker": "A\\u0007", "body": "こん\\u0000にち\\u0001は"},'
        '{"startTime": 2, "endTime": 4, "body": "\\ud800です\\u001b[31m"},'
        '{"startTime": 4, "endTime": 5, "body": "\\u0000\\u0001"}]}',
        encoding="utf-8",
    )
    episode = read_transcript(path)
    assert [s.text for s in episode.segments] == ["こんにちは", "です[31m"]
    assert episode.segments[0].speaker == "A"
    episode.model_dump_json().encode("utf-8")  # every field can be written


def test_captions_bad_cue_time_names_the_line(tmp_path: Path, capsys: Capture,
                                              untouched: Untouched) -> None:  # noqa: F811
    """The cue after ``00:00:60.000`` would silently lose its text."""
    path = tmp_path / "talk.vtt"
    path.write_text(
        "WEBVTT\n\n00:00:00.000 --> 00:00:04.000\n最初の文です\n\n"
        "00:00:04.000 --> 00:00:60.000\n失われる文です\n\n"
        "00:01:05.000 --> 00:01:08.000\n最後の文です\n",
        encoding="utf-8",
    )
    untouched.watch(path)
    assert_refused(_reclean(capsys, path), path.name, "line 6 has a cue time")


# ----------------------------------------------------------------------- 42-43 file names, audio


def test_file_name_not_utf8_is_one_line(tmp_path: Path, capsys: Capture) -> None:
    path = Path(os.fsdecode(bytes(tmp_path) + b"/talk\xff.txt"))
    path.write_text(SAMPLE_TEXT, encoding="utf-8")
    outcome = _reclean(capsys, path)
    assert_refused(outcome, "talk\ufffd.txt", "not UTF-8")
    assert not (tmp_path / "site").exists()


def test_wav_with_an_unknown_format_tag(tmp_path: Path, capsys: Capture,
                                        untouched: Untouched) -> None:  # noqa: F811
    data = bytearray(CLIP.read_bytes())
    at = data.index(b"fmt ") + 8
    data[at:at + 2] = struct.pack("<H", 0x1234)
    path = tmp_path / "odd.wav"
    path.write_bytes(bytes(data))
    untouched.watch(path)
    outcome = run(capsys, "transcribe", path, "--out", tmp_path / "site", "--quiet")
    assert_refused(outcome, path.name, "encoding FFmpeg does not know")


# --------------------------------------------------------------------------- 44 inbox links


def test_scan_skips_links_out_of_the_inbox(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    outside = tmp_path / "private.txt"
    outside.write_text(SAMPLE_TEXT, encoding="utf-8")
    (inbox / "host.txt").symlink_to(outside)
    (inbox / "linked").symlink_to(tmp_path, target_is_directory=True)
    mine = inbox / "talk.txt"
    shutil.copy(outside, mine)
    past = time.time() - 60
    for path in (outside, mine):
        os.utime(path, (past, past))
    items = pending_items(inbox, state_dir(inbox)).items
    assert [item.source.name for item in items] == ["talk.txt"]


# --------------------------------------------------------------------------- 45-46 options, HOME


@pytest.mark.parametrize("url", ["http://[::1/", "http://example.com:port/", "javascript:x"])
def test_broken_base_url_is_one_line(url: str, tmp_path: Path, capsys: Capture) -> None:
    outcome = _reclean(capsys, _talk(tmp_path), "--base-url", url)
    assert_refused(outcome, "--base-url", "")
    assert not (tmp_path / "site").exists()


def test_unwritable_prefect_home_falls_back_with_a_warning(
        tmp_path: Path, capsys: Capture, monkeypatch: pytest.MonkeyPatch) -> None:
    """HOME a file (or read-only): a temporary folder for this run, said in one line."""
    home = tmp_path / "home"
    home.write_text("not a folder")
    monkeypatch.setenv("PREFECT_HOME", str(home / ".prefect"))
    _writable_prefect_home()
    fallback = Path(os.environ["PREFECT_HOME"])
    err = capsys.readouterr().err.strip().splitlines()
    assert fallback != home / ".prefect" and fallback.is_dir()
    assert len(err) == 1 and err[0].startswith("kikigaki: warning: ") and str(fallback) in err[0]
    fallback.rmdir()



# --------------------------------------------------------------------------- 47 long episodes


def test_no_flow_parameter_grows_with_the_episode(prefect_harness: None, tmp_path: Path) -> None:
    """A long transcript once failed at publishing: the Episode was a sub-flow's parameter
    (Prefect caps them at 512 KB). Every flow run of an episode carries only the source
    path and the options, whatever the episode's size."""
    from prefect.client.orchestration import get_client

    from flows.episode import process_episode
    from pipeline.options import Options, PublishOptions

    path = tmp_path / "talk.txt"
    path.write_text(SAMPLE_TEXT * 150, encoding="utf-8")  # about 15 KB of text
    options = Options(publish=PublishOptions(out=tmp_path / "site"), show_progress=False)
    state = process_episode(path, options, return_state=True)
    assert state.is_completed()
    episode_json = (tmp_path / "site" / "talk" / "episode.json").stat().st_size
    with get_client(sync_client=True) as client:
        runs = [run for run in client.read_flow_runs(limit=200)
                if str(path) in json.dumps(run.parameters, default=str)]
    assert [run.id for run in runs] == [state.state_details.flow_run_id]
    assert set(runs[0].parameters) == {"source", "options"}
    assert len(json.dumps(runs[0].parameters, default=str)) * 20 < episode_json


# --------------------------------------------------------------------------- 48 small options


@pytest.mark.parametrize("args", [
    ["punctuate", "--max-sentence-chars", "0"],
    ["eval", "der", "--collar", "nan", "pairs.txt"],
    ["eval", "der", "--collar", "inf", "pairs.txt"],
])
def test_absurd_small_options_are_refused(args: list[str], capsys: Capture) -> None:
    from commands.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_rttm_times_nan_or_inf_are_refused() -> None:
    from transcribe.rttm import parse_rttm

    for value in ("nan", "inf", "-inf"):
        with pytest.raises(InputError, match="is not a number"):
            parse_rttm(f"SPEAKER ep 1 {value} 1.0 <NA> <NA> A <NA> <NA>\n")


def test_a_slow_prefect_server_is_one_line(capsys: Capture) -> None:
    """Its health check times out reading (a busy machine): one line, not 60 of httpx."""
    import httpx

    from commands.cli import _prefect_too_slow

    assert _prefect_too_slow(httpx.ReadTimeout("timed out"))
    assert _prefect_too_slow(RuntimeError(
        "Timed out while attempting to connect to ephemeral Prefect API server."))
    assert not _prefect_too_slow(RuntimeError("something else"))
