"""Hostile input: every case ends in a one-line error or a correct output, never worse.

A refusal is exit status 2 from ``commands.cli.main`` with one stderr line that starts with
``kikigaki: `` and names the file. In every case the input file keeps its bytes and mtime,
and no partial file is left: the site folder is absent or unchanged after a refusal, and
no ``*.partial``, ``.*.tmp``, ``.*.staging.*`` or ``.*.old.*`` is left beside the input or
in or beside the site.

==  ===========================  ===============================  ==========================
#   case                         input                            expected
==  ===========================  ===============================  ==========================
1   audio_empty                  0-byte episode.wav               refused: "empty"
2   audio_truncated_wav          WAV cut to a third               refused before the run:
                                                                  "truncated"
3   audio_truncated_mp3          MP3 cut to a third (its header   refused while decoding,
                                 looks whole)                     inside the flow: still one
                                                                  line, no Prefect traceback
4   audio_random_bytes           random bytes named .mp3 / .wav   refused: "cannot read it
                                                                  as audio"
5   audio_text_named_wav         a text file named .wav           refused, as 4
6   audio_wav_named_mp3          a WAV of speech named .mp3       exit 0: same samples as
                                                                  the .wav, the speech is
                                                                  transcribed
7   audio_silent                 10 s of digital silence          exit 0, a page without a
                                                                  transcript, stderr says
                                                                  "no speech found"
8   audio_music_only             12 s of synthetic chords         exit 0, (near-)empty
                                                                  transcript, no stock phrase
                                                                  (ご視聴ありがとうございました)
9   audio_not_japanese           English speech, --language ja    refused, naming English
10  audio_two_hours              a 2-hour WAV (made on the fly)   iter_windows covers it all
                                                                  with memory far below the
                                                                  decoded size (no ASR)
11  text_empty                   0-byte .txt                      refused: "empty"
12  text_binary                  PNG bytes named .txt             refused: "PNG image"
13  text_audio_to_reclean        a WAV given to reclean           refused: "WAV audio"
14  text_shift_jis               Shift_JIS transcript             exit 0, decoded text shown
15  text_mixed_encoding          UTF-8 with a Shift_JIS piece     refused: "not UTF-8 or
                                                                  Shift_JIS" (no silent
                                                                  replacement characters)
16  text_html_script             <script>, <img onerror> in text  shown escaped in the page,
                                                                  the Markdown and the feed
17  text_one_megabyte_line       1 MB on one line, no 。          split into many sentences
18  text_emoji                   emoji-heavy lines (ZWJ, flags)   exit 0, emoji kept
19  captions_mutated (property)  sample SRT/VTT/JSON/page with    an Episode or an
                                 random byte edits                InputError, nothing else
20  slug_hostile                 ../evil, /etc/passwd, .., RTL    a safe folder name inside
                                 override, fullwidth ／, NUL …    --out, or one-line refusal
21  slug_end_to_end              --slug ../evil                   written only inside --out;
                                                                  meta.source names this very
                                                                  file (not a cached copy)
22  slug_invisible_only          --slug U+202E                    refused: "name is empty"
23  metadata_markup              VTT title, voice name, entity-   escaped everywhere; no live
                                 encoded cue, sidecar chapter     tag or attribute
                                 title and a document heading
                                 with HTML
24  glossary_broken (12 kinds)   bad TOML, no canonical, link     refused (GlossaryError)
                                 javascript:, not UTF-8, folder…  naming the glossary
25  sidecar_broken (10 kinds)    bad TOML, unknown key, chapter   refused naming the sidecar
                                 0, empty name, broken [[term]]…
26  out_under_a_file             --out some-file/site             refused before the run
27  full_disk                    RLIMIT_FSIZE 2 KiB (subprocess)  refused in one line; the
                                                                  previous site unchanged
28  concurrent_swaps             2 processes × 150 site swaps     no error, a whole site, no
                                                                  strays
29  concurrent_reclean           2 ``reclean`` subprocesses, one  both exit 0 (or one refuses
                                 input, one --out                 in one line); the site is
                                                                  complete and valid
30  markup_check                 live and escaped snippets        the check used by 16 and 23
                                                                  sees live markup only
31  site_users_files             .git (47 files), CNAME, notes,   kept byte for byte; a file
    (test_hostile_site.py)       the run's own transcript,        where kikigaki would write,
                                 sidecar and glossary in the      or a link on the way:
                                 site; a manifest naming          refused in one line naming
                                 ../outside                       it; nothing outside removed
32  site_crash                   SIGKILL after each rename of a   the next run finishes the
                                 publish; an earlier version's    publish (or keeps the old
                                 swap killed between renames      site); no stray left
33  site_modes                   umask 022, a 0600 audio file     0755 folders, 0644 files,
                                                                  the site folder too
34  site_published_audio         meta.audio in a published        never copied; no player
                                 episode.json names a private
                                 file
35  site_published_link          episode.json is a link           refused: "is a link"
36  site_marker_base_url         marker says http://[::1/         the placeholder URL
37  settings_special_files       glossary/sidecar/hotwords as a   refused: "not a regular
    (test_hostile_inputs.py)     FIFO, /dev/zero; a 5 MB          file", "larger than 4 MB";
                                 glossary                         no hang, no MemoryError
38  settings_deep_toml           3000 nested [ in a glossary or   refused: "nests … too
                                 sidecar                          deeply"
39  sidecar_chapter_keys         key ², １ or 5000 digits         refused: "not a number"
40  text_control_characters      \u0000, \u0001, \u001b, \ud800  removed from text and
                                 in Podcasting 2.0 JSON           speaker names
41  captions_bad_cue_time        00:00:04.000 --> 00:00:60.000    refused naming line 6
42  file_name_not_utf8           talk\xff.txt                     refused: "not UTF-8"
43  audio_unknown_format_tag     WAV format tag 0x1234            refused: "encoding FFmpeg
                                                                  does not know"
44  scan_links                   inbox/host.txt -> a file         not an episode: skipped
                                 outside; a linked folder
45  base_url_broken              http://[::1/, a port that is     refused before the run
                                 not a number, javascript:
46  prefect_home_unwritable      PREFECT_HOME under a file        a temporary one, one
                                                                  warning line
47  flow_parameters_bounded      a 15 KB transcript through the   the flow run's parameters
                                 flow                             are the source and the
                                                                  options only (no Episode)
48  small_options                punctuate --max-sentence-chars   refused by the parser;
                                 0; eval der --collar nan/inf;    RTTM: "is not a number"
                                 an RTTM time nan/inf
==  ===========================  ===============================  ==========================
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
import wave
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import av
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commands.cli import EXIT_BAD_INPUT, main
from kikigaki.document import Episode
from kikigaki.errors import InputError
from kikigaki.slugs import slugify
from postprocess.evaluation import cer
from tests.conftest import REPO
from transcribe.audio import SAMPLE_RATE, iter_windows, load_audio
from transcribe.readers import FORMATS, read_transcript

AUDIO = REPO / "tests" / "fixtures" / "audio"
CLIP = AUDIO / "common_voice_ja_38853932_16k.wav"
ENGLISH = AUDIO / "pyannote_sample_en_12s.opus"
TRANSCRIPTS = REPO / "tests" / "fixtures" / "transcripts"
STOCK_PHRASES = (
    "ご視聴ありがとうございました", "チャンネル登録", "おやすみなさい", "ありがとうございました"
)
SAMPLE_TEXT = (
    "こんにちは今日は音声認識の話をします\nまずはWhisperの仕組みから次に日本語の句読点について\n"
)
Capture = pytest.CaptureFixture[str]
_STRAY = re.compile(r"\.partial$|^\..*\.tmp$|^\..*\.(staging|old)\.")


# --------------------------------------------------------------------------- helpers


@dataclass
class Outcome:
    code: int
    err: list[str]  # stderr lines


def run(capsys: Capture, *args: str | Path) -> Outcome:
    code = main([str(a) for a in args])
    return Outcome(code, capsys.readouterr().err.strip().splitlines())


def assert_refused(outcome: Outcome, name: str, phrase: str = "") -> None:
    assert outcome.code == EXIT_BAD_INPUT, outcome
    assert len(outcome.err) == 1, outcome.err
    assert outcome.err[0].startswith("kikigaki: "), outcome.err
    assert name in outcome.err[0], outcome.err
    assert phrase in outcome.err[0], outcome.err


def state(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def strays(*folders: Path) -> list[Path]:
    found = []
    for folder in folders:
        if folder.is_dir():
            found += [p for p in [folder, *folder.rglob("*")] if _STRAY.search(p.name)]
    return found


class Untouched:
    """Files that must keep their bytes and modification time."""

    def __init__(self) -> None:
        self.before: dict[Path, tuple[bytes, int]] = {}

    def watch(self, *paths: Path) -> None:
        for path in paths:
            self.before[path] = state(path)


@pytest.fixture
def untouched(tmp_path: Path) -> Iterator[Untouched]:
    """After the test: every watched file unchanged, no stray file under ``tmp_path``."""
    watcher = Untouched()
    yield watcher
    for path, before in watcher.before.items():
        assert state(path) == before, f"{path} was modified"
    assert strays(tmp_path) == []


def write_wav(path: Path, samples: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def write_mp3(path: Path, samples: np.ndarray) -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libmp3lame", rate=44_100, layout="mono")
        resampler = av.AudioResampler(
            format=stream.format.name, layout="mono", rate=44_100,
            frame_size=stream.codec_context.frame_size or None,
        )
        frame = av.AudioFrame.from_ndarray(
            samples.reshape(1, -1).astype(np.float32), format="flt", layout="mono"
        )
        frame.sample_rate = SAMPLE_RATE
        for piece in [*resampler.resample(frame), *resampler.resample(None)]:
            out.mux(stream.encode(piece))
        out.mux(stream.encode(None))
    return path


def chords(seconds: float = 12.0) -> np.ndarray:
    """Four bars of triads with harmonics and a little melody: music, no voice."""
    triads = [(261.63, 329.63, 392.0), (220.0, 261.63, 329.63),
              (174.61, 220.0, 261.63), (196.0, 246.94, 293.66)]
    beat = np.arange(SAMPLE_RATE // 2) / SAMPLE_RATE
    decay = np.exp(-3 * beat)
    beats = []
    for i in range(int(seconds * 2)):
        triad = triads[(i // 4) % 4]
        tone = sum(np.sin(2 * np.pi * f * h * beat) / h for f in triad for h in (1, 2, 3))
        melody = np.sin(2 * np.pi * triad[0] * (2 + (i % 4) / 2) * beat)
        beats.append((0.15 * tone + 0.1 * melody) * decay)
    noise = np.random.default_rng(0).normal(0, 0.002, len(beats) * len(beat))
    return np.concatenate(beats) + noise


def reference_text() -> str:
    return json.loads((AUDIO / "references.jsonl").read_text(encoding="utf-8").splitlines()[0])[
        "text"
    ]


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-document collection: keeps each run short."""
    folder = tmp_path_factory.mktemp("collection")
    (folder / "memo.md").write_text(
        "# 音声認識メモ\n\nWhisper と日本語の句読点についての資料です。\n", encoding="utf-8"
    )
    return folder


# --------------------------------------------------------------------------- audio


def test_audio_empty(tmp_path: Path, capsys: Capture, untouched: Untouched) -> None:
    audio = tmp_path / "episode.wav"
    audio.write_bytes(b"")
    untouched.watch(audio)
    outcome = run(capsys, "transcribe", audio, "--out", tmp_path / "site", "--quiet")
    assert_refused(outcome, "episode.wav", "empty")
    assert not (tmp_path / "site").exists()


def test_audio_truncated_wav(tmp_path: Path, capsys: Capture,
                             untouched: Untouched) -> None:
    audio = tmp_path / "cut.wav"
    whole = CLIP.read_bytes()
    audio.write_bytes(whole[: len(whole) // 3])
    untouched.watch(audio)
    outcome = run(capsys, "transcribe", audio, "--out", tmp_path / "site", "--quiet")
    assert_refused(outcome, "cut.wav", "truncated")
    assert not (tmp_path / "site").exists()


def test_audio_truncated_mp3(prefect_harness: None, tmp_path: Path,
                             capsys: Capture, untouched: Untouched) -> None:
    """Only decoding finds this one (inside the flow); Prefect's own traceback of the
    failed task must not bury the one line."""
    whole = write_mp3(tmp_path / "whole.mp3", load_audio(CLIP)).read_bytes()
    audio = tmp_path / "cut.mp3"
    audio.write_bytes(whole[: len(whole) // 3])
    untouched.watch(audio)
    outcome = run(capsys, "transcribe", audio, "--out", tmp_path / "site", "--quiet",
                  "--no-diarize")
    assert_refused(outcome, "cut.mp3", "truncated")
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize("name", ["noise.mp3", "noise.wav"])
def test_audio_random_bytes(name: str, tmp_path: Path, capsys: Capture,
                            untouched: Untouched) -> None:
    audio = tmp_path / name
    audio.write_bytes(random.Random(name).randbytes(50_000))
    untouched.watch(audio)
    outcome = run(capsys, "transcribe", audio, "--out", tmp_path / "site", "--quiet")
    assert_refused(outcome, name, "cannot read it as audio")
    assert not (tmp_path / "site").exists()


def test_audio_text_named_wav(tmp_path: Path, capsys: Capture,
                              untouched: Untouched) -> None:
    audio = tmp_path / "notes.wav"
    audio.write_text("これは音声ではありません。\n" * 40, encoding="utf-8")
    untouched.watch(audio)
    outcome = run(capsys, "transcribe", audio, "--out", tmp_path / "site", "--quiet")
    assert_refused(outcome, "notes.wav", "cannot read it as audio")
    assert not (tmp_path / "site").exists()


def test_audio_wav_named_mp3(prefect_harness: None, collection: Path, tmp_path: Path,
                             capsys: Capture, untouched: Untouched) -> None:
    audio = tmp_path / "clip.mp3"
    shutil.copyfile(CLIP, audio)
    untouched.watch(audio)
    np.testing.assert_array_equal(load_audio(audio), load_audio(CLIP))
    site = tmp_path / "site"
    outcome = run(capsys, "transcribe", audio, "--out", site, "--quiet", "--no-diarize",
                  "--collection", collection)
    assert outcome.code == 0 and outcome.err == []
    episode = Episode.load(site / "clip" / "episode.json")
    assert episode.sentences
    assert cer([(reference_text(), "".join(s.text for s in episode.sentences))])[0] < 0.4


def test_audio_silent(prefect_harness: None, collection: Path, tmp_path: Path,
                      capsys: Capture, untouched: Untouched) -> None:
    audio = write_wav(tmp_path / "silence.wav", np.zeros(10 * SAMPLE_RATE))
    untouched.watch(audio)
    site = tmp_path / "site"
    outcome = run(capsys, "transcribe", audio, "--out", site, "--quiet", "--no-diarize",
                  "--collection", collection)
    assert outcome.code == 0
    assert len(outcome.err) == 1 and "silence.wav: no speech found" in outcome.err[0]
    assert Episode.load(site / "silence" / "episode.json").sentences == []
    page = (site / "silence" / "index.html").read_text(encoding="utf-8")
    assert 'class="s"' not in page


def test_audio_music_only(prefect_harness: None, collection: Path, tmp_path: Path,
                          capsys: Capture, untouched: Untouched) -> None:
    audio = write_wav(tmp_path / "music.wav", chords())
    untouched.watch(audio)
    site = tmp_path / "site"
    outcome = run(capsys, "transcribe", audio, "--out", site, "--quiet", "--no-diarize",
                  "--collection", collection)
    assert outcome.code == 0
    text = "".join(s.text for s in Episode.load(site / "music" / "episode.json").sentences)
    assert len(text) <= 20, text  # honest: nothing, or a stray word
    assert not any(phrase in text for phrase in STOCK_PHRASES), text
    if not text:
        assert "no speech found" in outcome.err[0]


def test_audio_not_japanese(prefect_harness: None, tmp_path: Path,
                            capsys: Capture, untouched: Untouched) -> None:
    audio = tmp_path / "english.opus"
    shutil.copyfile(ENGLISH, audio)
    untouched.watch(audio)
    outcome = run(capsys, "transcribe", audio, "--language", "ja", "--out", tmp_path / "site",
                  "--quiet", "--no-diarize")
    assert_refused(outcome, "english.opus", "English")
    assert "--language en" in outcome.err[0]
    assert not (tmp_path / "site").exists()


def _resident_bytes() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_audio_two_hours_streams_in_bounded_memory(tmp_path: Path) -> None:
    if not Path("/proc/self/statm").is_file():
        pytest.skip("needs Linux /proc to read the resident size")
    seconds = 2 * 3600
    audio = tmp_path / "two-hours.wav"
    minute = np.sin(2 * np.pi * 440 * np.arange(60 * SAMPLE_RATE) / SAMPLE_RATE) * 0.1
    with wave.open(str(audio), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        pcm = (minute * 32767).astype("<i2").tobytes()
        for _ in range(seconds // 60):
            out.writeframes(pcm)
    decoded_bytes = seconds * SAMPLE_RATE * 4  # float32: 460 MB
    try:
        baseline = _resident_bytes()
        peak, covered, windows = baseline, 0.0, 0
        for window in iter_windows(audio, seconds=600.0):
            assert window.start == pytest.approx(covered)
            covered = window.end
            windows += 1
            peak = max(peak, _resident_bytes())
        assert windows == 12 and covered == pytest.approx(seconds)
        assert peak - baseline < decoded_bytes / 3, (peak - baseline) / 2**20
    finally:
        audio.unlink()


# --------------------------------------------------------------------------- transcripts


def test_text_empty(tmp_path: Path, capsys: Capture, untouched: Untouched) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    untouched.watch(path)
    assert_refused(run(capsys, "reclean", path, "--out", tmp_path / "site", "--quiet"),
                   "empty.txt", "empty")
    assert not (tmp_path / "site").exists()


def test_text_binary(tmp_path: Path, capsys: Capture, untouched: Untouched) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + random.Random(1).randbytes(3000))
    untouched.watch(path)
    assert_refused(run(capsys, "reclean", path, "--out", tmp_path / "site", "--quiet"),
                   "notes.txt", "PNG image")
    assert not (tmp_path / "site").exists()


def test_text_audio_to_reclean(tmp_path: Path, capsys: Capture,
                               untouched: Untouched) -> None:
    path = tmp_path / "episode.wav"
    shutil.copyfile(CLIP, path)
    untouched.watch(path)
    assert_refused(run(capsys, "reclean", path, "--out", tmp_path / "site", "--quiet"),
                   "episode.wav", "WAV audio")
    assert not (tmp_path / "site").exists()


def test_text_mixed_encoding(tmp_path: Path, capsys: Capture,
                             untouched: Untouched) -> None:
    """Refused rather than decoded with replacement characters (U+FFFD) in the text."""
    path = tmp_path / "mixed.txt"
    path.write_bytes("今日は".encode() + "音声認識の話".encode("shift_jis") + "です。\n".encode())
    untouched.watch(path)
    assert_refused(run(capsys, "reclean", path, "--out", tmp_path / "site", "--quiet"),
                   "mixed.txt", "not UTF-8 or Shift_JIS")
    assert not (tmp_path / "site").exists()


SJIS_TEXT = (
    "こんにちは今日は音声認識の話をします\nまずは仕組みから次に日本語の句読点について話します\n"
)


@pytest.fixture(scope="module")
def sjis_run(prefect_harness: None, collection: Path,
             tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Outcome]:
    """A Shift_JIS transcript re-cleaned with the hostile slug ``../evil``."""
    work = tmp_path_factory.mktemp("sjis") / "work"
    work.mkdir()
    path = work / "sjis.txt"
    path.write_bytes(SJIS_TEXT.encode("shift_jis"))
    before = state(path)
    code = main(["reclean", str(path), "--out", str(work / "site"), "--slug", "../evil",
                 "--collection", str(collection), "--quiet"])
    assert state(path) == before
    return path, work / "site", Outcome(code, [])


def test_text_shift_jis(sjis_run: tuple[Path, Path, Outcome]) -> None:
    _, site, outcome = sjis_run
    assert outcome.code == 0
    lines = (site / "evil" / "transcript.txt").read_text(encoding="utf-8")
    assert "音声認識" in lines and "句読点" in lines
    assert "音声認識" in (site / "evil" / "index.html").read_text(encoding="utf-8")
    assert strays(site.parent) == []


def test_slug_end_to_end_stays_inside_out(sjis_run: tuple[Path, Path, Outcome]) -> None:
    path, site, _ = sjis_run
    work = site.parent
    assert sorted(p.name for p in work.iterdir()) == ["site", "sjis.txt"]
    assert not (work.parent / "evil").exists()
    assert (site / "evil" / "index.html").is_file()
    episode = Episode.load(site / "evil" / "episode.json")
    assert episode.meta.source == str(path)


HOSTILE_SLUGS = ["../evil", "/etc/passwd", "..", "../../..", "a\u202etxt.exe", "ａ／ｂ",
                 "a\x00b", "．．／．．", "C:\\Windows\\system32", "~root", "x" * 300,
                 "%2e%2e%2f", "docs", "\u200b\u200bx", "name\nwith newline"]


@pytest.mark.parametrize("name", HOSTILE_SLUGS)
def test_slug_hostile(name: str, tmp_path: Path) -> None:
    out = tmp_path / "site"
    try:
        slug = slugify(name)
    except InputError as error:
        assert "\n" not in str(error)
        return
    assert re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,79}", slug), slug
    assert (out / slug).resolve().parent == out.resolve()


def test_slug_invisible_only(tmp_path: Path, capsys: Capture,
                             untouched: Untouched) -> None:
    path = tmp_path / "talk.txt"
    path.write_text(SAMPLE_TEXT, encoding="utf-8")
    untouched.watch(path)
    outcome = run(capsys, "reclean", path, "--slug", "\u202e", "--out", tmp_path / "site",
                  "--quiet")
    assert_refused(outcome, "\\u202e", "the name is empty")
    assert not (tmp_path / "site").exists()


HTML_TEXT = (
    "<script>alert(1)</script>こんにちは今日は音声認識の話をします\n"
    '<img src=x onerror="alert(2)">まずはWhisperの仕組みから次に日本語の句読点について\n'
)
_SCRIPT_TYPES = ("text/javascript", "module", "application/javascript")


class _LiveMarkup(HTMLParser):
    """Collects what a browser would run: a script saying alert, an ``on…`` handler
    attribute, a ``javascript:`` link."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kind = dict(attrs).get("type") or "text/javascript"
        self._in_script = tag == "script" and kind in _SCRIPT_TYPES  # not JSON-LD data
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data: str) -> None:
        if self._in_script and "alert" in data:
            self.found.append(f"<script>{data}</script>")


def live(html_text: str) -> list[str]:
    parser = _LiveMarkup()
    parser.feed(html_text)
    parser.close()
    return parser.found


def live_markup(site: Path) -> list[str]:
    """Live markup anywhere in ``site``: its pages, its Markdown once rendered, and the
    feed's descriptions as a reader renders them (as HTML)."""
    from markdown_it import MarkdownIt

    found = [f"{p}: {m}" for p in site.rglob("*.html") for m in live(p.read_text("utf-8"))]
    markdown = MarkdownIt("commonmark")
    for page in site.rglob("*.md"):
        found += [f"{page}: {m}" for m in live(markdown.render(page.read_text("utf-8")))]
    for element in ET.parse(site / "feed.xml").iter("description"):
        found += [f"feed.xml: {m}" for m in live(element.text or "")]
    return found


def test_the_markup_check_sees_live_markup() -> None:
    """The check the markup cases rely on: live markup is seen, escaped markup is not."""
    assert live('<p><img src=x onerror="alert(1)"></p>')
    assert live("<script>alert(1)</script>")
    assert live('<a href=" javascript:alert(1)">x</a>')
    assert not live("&lt;script&gt;alert(1)&lt;/script&gt; &lt;img onerror=alert(1)&gt;")
    assert not live('<meta content="&lt;img src=x onerror=&#34;alert(2)&#34;&gt;">')
    assert not live('<script type="application/ld+json">{"a":"\\u003cscript\\u003ealert"}</script>')


def test_text_html_script(prefect_harness: None, collection: Path, tmp_path: Path,
                          capsys: Capture, untouched: Untouched) -> None:
    path = tmp_path / "html.txt"
    path.write_text(HTML_TEXT, encoding="utf-8")
    untouched.watch(path)
    site = tmp_path / "site"
    outcome = run(capsys, "reclean", path, "--out", site, "--collection", collection, "--quiet")
    assert outcome.code == 0, outcome
    page = (site / "html" / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=" in page
    assert live_markup(site) == []
    assert "<script>" not in (site / "html" / "show-notes.md").read_text(encoding="utf-8")


def _one_megabyte_line() -> str:
    """Varied Japanese clauses with no punctuation at all, ~1 MB of UTF-8 on one line."""
    rng = random.Random(0)
    subjects = ["今日は", "私たちは", "このモデルは", "次の章では", "その結果", "先週の会議で"]
    middles = ["音声認識の精度を", "日本語の句読点を", "長い文章の区切りを", "話題の切れ目を"]
    ends = ["調べました", "説明します", "比べてみます", "考えてみましょう", "確かめました"]
    parts: list[str] = []
    size = 0
    while size < 1_000_000:
        clause = rng.choice(subjects) + rng.choice(middles) + rng.choice(ends)
        parts.append(clause)
        size += len(clause.encode())
    return "".join(parts)


def test_text_one_megabyte_line(tmp_path: Path) -> None:
    """The text stages on a 1 MB line (no 。 anywhere): it completes and is split."""
    from postprocess.normalize import normalize
    from postprocess.sentences import split_into_sentences

    path = tmp_path / "long.txt"
    path.write_text(_one_megabyte_line() + "\n", encoding="utf-8")
    before = state(path)
    episode = read_transcript(path)
    assert len(episode.segments) == 1
    sentences = split_into_sentences(normalize(episode)).sentences
    assert len(sentences) > 1000
    assert max(len(s.text) for s in sentences) <= 200
    assert state(path) == before


EMOJI_TEXT = (
    "😀🎙️ 今日は🍣の話をします🔥🔥🔥\n"
    "👨‍👩‍👧‍👦家族で🇯🇵日本に行きました✨ すごく楽しかったです👍🏽\n"
    "🤖AIの話も少し💬します🙇‍♂️\n"
)


def test_text_emoji(prefect_harness: None, collection: Path, tmp_path: Path,
                    capsys: Capture, untouched: Untouched) -> None:
    path = tmp_path / "emoji.txt"
    path.write_text(EMOJI_TEXT, encoding="utf-8")
    untouched.watch(path)
    site = tmp_path / "site"
    outcome = run(capsys, "reclean", path, "--out", site, "--collection", collection, "--quiet")
    assert outcome.code == 0, outcome
    text = (site / "emoji" / "transcript.txt").read_text(encoding="utf-8")
    for emoji in ("🍣", "🔥", "👨‍👩‍👧‍👦", "🇯🇵", "👍🏽", "🙇‍♂️"):
        assert emoji in text, emoji
    assert "🍣" in (site / "emoji" / "index.html").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- markup in metadata


MARKUP_VTT = (
    'WEBVTT - <b>第1回</b><script>alert("title")</script>\n\n'
    "00:00:01.000 --> 00:00:04.000\n"
    '<v Eve" onmouseover="alert(3)>こんにちは今日は音声認識の話をします\n\n'
    "00:00:04.000 --> 00:00:08.000\n"
    "&lt;script&gt;alert(4)&lt;/script&gt;まずはWhisperの仕組みから\n"
)
MARKUP_SIDECAR = '[chapters]\n1 = "<img src=x onerror=alert(5)>章"\n'


def test_metadata_markup(prefect_harness: None, tmp_path: Path,
                         capsys: Capture, untouched: Untouched) -> None:
    """Markup in a title, a voice name, a decoded cue, a sidecar chapter title and a
    collection document's heading is text, escaped on every page."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "memo.md").write_text('# <script>alert("doc")</script>メモ\n\n資料です。\n',
                                  encoding="utf-8")
    path = tmp_path / "markup.vtt"
    path.write_text(MARKUP_VTT, encoding="utf-8")
    sidecar = tmp_path / "markup.kikigaki.toml"
    sidecar.write_text(MARKUP_SIDECAR, encoding="utf-8")
    untouched.watch(path, sidecar, docs / "memo.md")
    site = tmp_path / "site"
    outcome = run(capsys, "reclean", path, "--out", site, "--collection", docs, "--quiet")
    assert outcome.code == 0, outcome
    episode = Episode.load(site / "markup" / "episode.json")
    assert episode.meta.title == '<b>第1回</b><script>alert("title")</script>'
    page = (site / "markup" / "index.html").read_text(encoding="utf-8")
    assert "&lt;b&gt;第1回&lt;/b&gt;" in page
    assert "&lt;script&gt;alert(4)&lt;/script&gt;" in page
    assert live_markup(site) == []


# --------------------------------------------------------------------------- glossaries, sidecars


BROKEN_GLOSSARIES = {
    "syntax": ('[[term]\ncanonical = "LSTM"\n', "not valid TOML"),
    "unknown-table": ('[terms]\ncanonical = "LSTM"\n', "unknown tables"),
    "not-a-table": ("term = [1, 2]\n", "is not a table"),
    "no-canonical": ('[[term]]\nmisheard = ["LSDM"]\n', "no 'canonical'"),
    "unknown-key": ('[[term]]\ncanonical = "LSTM"\nspelling = "x"\n', "unknown keys"),
    "misheard-not-list": ('[[term]]\ncanonical = "LSTM"\nmisheard = "LSDM"\n', "not a list"),
    "reading-not-kana": ('[[term]]\ncanonical = "LSTM"\nreading = "lstm"\n', "is not kana"),
    "javascript-link": (
        '[[term]]\ncanonical = "LSTM"\nlink = "javascript:alert(1)"\n', "not a web address"
    ),
    "two-line-definition": (
        '[[term]]\ncanonical = "LSTM"\ndefinition = """a\nb"""\n', "more than one line"
    ),
    "duplicate": ('[[term]]\ncanonical = "LSTM"\n[[term]]\ncanonical = "LSTM"\n', "two entries"),
    "right-and-wrong": (
        '[[term]]\ncanonical = "LSTM"\n[[term]]\ncanonical = "GRU"\nmisheard = ["LSTM"]\n',
        "correct writing",
    ),
    "not-utf8": (None, "not UTF-8"),
}


@pytest.mark.parametrize("case", sorted(BROKEN_GLOSSARIES))
def test_glossary_broken(case: str, tmp_path: Path, capsys: Capture,
                         untouched: Untouched) -> None:
    text, phrase = BROKEN_GLOSSARIES[case]
    glossary = tmp_path / f"{case}.toml"
    if text is None:
        glossary.write_bytes('[[term]]\ncanonical = "長短期記憶"\n'.encode("shift_jis"))
    else:
        glossary.write_text(text, encoding="utf-8")
    path = tmp_path / "talk.txt"
    path.write_text(SAMPLE_TEXT, encoding="utf-8")
    untouched.watch(path, glossary)
    outcome = run(capsys, "reclean", path, "--glossary", glossary, "--out", tmp_path / "site",
                  "--quiet")
    assert_refused(outcome, glossary.name, phrase)
    assert not (tmp_path / "site").exists()


BROKEN_SIDECARS = {
    "syntax": ("speaker_names = [\n", "not valid TOML"),
    "unknown-key": ('colour = "red"\n', "unknown keys"),
    "names-not-list": ('speaker_names = "A,B"\n', "speaker_names must be a list"),
    "names-not-text": ("speaker_names = [1, 2]\n", "speaker_names must be a list"),
    "chapter-zero": ('[chapters]\n0 = "はじめに"\n', "not a number from 1"),
    "chapter-not-text": ("[chapters]\n1 = 5\n", "[chapters] must map"),
    "empty-speaker": ('[speakers]\nSPEAKER_00 = "  "\n', "[speakers] must map"),
    "term-not-array": ('term = "LSTM"\n', "'term' must be an array"),
    "term-no-canonical": ('[[term]]\nmisheard = ["LSDM"]\n', "no 'canonical'"),
    "not-utf8": (None, "cannot read the sidecar"),
}


@pytest.mark.parametrize("case", sorted(BROKEN_SIDECARS))
def test_sidecar_broken(case: str, tmp_path: Path, capsys: Capture,
                        untouched: Untouched) -> None:
    """Found beside the input (``<stem>.kikigaki.toml``), as a user would leave it."""
    text, phrase = BROKEN_SIDECARS[case]
    path = tmp_path / "talk.txt"
    path.write_text(SAMPLE_TEXT, encoding="utf-8")
    sidecar = tmp_path / "talk.kikigaki.toml"
    if text is None:
        sidecar.write_bytes('speaker_names = ["市來"]\n'.encode("shift_jis"))
    else:
        sidecar.write_text(text, encoding="utf-8")
    untouched.watch(path, sidecar)
    outcome = run(capsys, "reclean", path, "--out", tmp_path / "site", "--quiet")
    assert_refused(outcome, sidecar.name, phrase)
    assert not (tmp_path / "site").exists()


# --------------------------------------------------------------------------- where the site goes


def test_out_under_a_file(tmp_path: Path, capsys: Capture,
                          untouched: Untouched) -> None:
    """Refused before the run, not after minutes of work."""
    path = tmp_path / "talk.txt"
    path.write_text(SAMPLE_TEXT, encoding="utf-8")
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder", encoding="utf-8")
    untouched.watch(path, blocker)
    outcome = run(capsys, "reclean", path, "--out", blocker / "site", "--quiet")
    assert_refused(outcome, "blocker", "is a file, not a folder")


# A subprocess whose files may not grow past the given size (as on a full disk): a write
# beyond it fails with EFBIG. Works for root too, unlike a read-only folder.
_LIMITED_CLI = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
from commands.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _subprocess_env() -> dict[str, str]:
    """The session's Prefect server: a subprocess need not start its own."""
    from prefect.settings import PREFECT_API_URL

    return {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())}


def test_full_disk_leaves_the_previous_site(sjis_run: tuple[Path, Path, Outcome],
                                            collection: Path, tmp_path: Path) -> None:
    path, published, _ = sjis_run
    site = tmp_path / "site"
    shutil.copytree(published, site)
    before_site, before_input = tree(site), state(path)
    # another slug: publishing the same episode again writes nothing but the manifest;
    # unchanged files (style.css…) are not written again, so the limit is under a page's size
    args = ["reclean", str(path), "--out", str(site), "--slug", "full-disk",
            "--collection", str(collection), "--quiet"]
    done = subprocess.run(
        [sys.executable, "-c", _LIMITED_CLI, str(2 * 1024), *args],
        cwd=REPO, env=_subprocess_env(), capture_output=True, text=True, timeout=300,
    )
    err = done.stderr.strip().splitlines()
    assert done.returncode == EXIT_BAD_INPUT, done.stderr
    assert len(err) == 1 and err[0].startswith("kikigaki: "), done.stderr
    assert str(site) in err[0] and "previous site is unchanged" in err[0]
    assert tree(site) == before_site
    assert state(path) == before_input
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


# --------------------------------------------------------------------------- concurrency


_SWAPPER = """
import sys
from pathlib import Path
from kikigaki.atomic import staged_directory
target, tag, errors = Path(sys.argv[1]), sys.argv[2], 0
for _ in range(150):
    try:
        with staged_directory(target) as staging:
            for n in range(5):
                (staging / f"part{n}.txt").write_text(tag)
    except OSError as error:
        errors += 1
        print(type(error).__name__, error, file=sys.stderr)
print(errors)
"""


def test_concurrent_swaps_of_one_site(tmp_path: Path) -> None:
    site = tmp_path / "site"
    runs = [
        subprocess.Popen([sys.executable, "-c", _SWAPPER, str(site), tag], cwd=REPO,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for tag in ("A", "B")
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [out.strip() for out, _ in outputs] == ["0", "0"], outputs
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
    parts = {p.name: p.read_text() for p in site.iterdir()}
    assert sorted(parts) == [f"part{n}.txt" for n in range(5)]
    assert len(set(parts.values())) == 1  # one run's whole site, not a mix


def test_concurrent_reclean_of_one_episode(sjis_run: tuple[Path, Path, Outcome],
                                           collection: Path, tmp_path: Path) -> None:
    path, _, _ = sjis_run
    before = state(path)
    site = tmp_path / "site"
    args = [sys.executable, "-m", "commands.cli", "reclean", str(path), "--out", str(site),
            "--slug", "talk", "--collection", str(collection), "--quiet"]
    env = _subprocess_env()
    runs = [subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    results = [(run.returncode, out, err) for run, (out, err) in zip(runs, outputs, strict=True)]
    for code, _, err in results:
        lines = err.strip().splitlines()
        refused = code == EXIT_BAD_INPUT and len(lines) == 1 and lines[0].startswith("kikigaki: ")
        assert (code == 0 and lines == []) or refused, (code, err)
    assert any(code == 0 for code, _, _ in results)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
    for name in (".kikigaki-site", "index.html", "feed.xml", "talk/index.html",
                 "talk/transcript.txt"):
        assert (site / name).is_file(), name
    assert Episode.load(site / "talk" / "episode.json").sentences
    assert state(path) == before


# --------------------------------------------------------------------------- importers, fuzzed


_SAMPLES = {
    name: (TRANSCRIPTS / name).read_bytes()
    for name in ("sample.srt", "sample.vtt", "sample.json", "episode_page.txt")
}
_PAYLOADS = st.sampled_from(
    [b"-->", b"\n\n", b"WEBVTT", b"{", b"}", b'"', b",", b"\xff\xfe", b"\x00", b"\xe3\x81",
     b"99:99:99,999", b"00:00:05.000 --> 00:00:01.000", b"<v ", b"&#", b"NaN", b"1e999"]
) | st.binary(max_size=6)
_EDITS = st.lists(
    st.tuples(st.sampled_from(["delete", "insert", "replace", "repeat", "cut"]),
              st.integers(0, 2000), st.integers(0, 40), _PAYLOADS),
    min_size=1, max_size=6,
)


def _edited(data: bytes, edits: list[tuple[str, int, int, bytes]]) -> bytes:
    for kind, at, length, payload in edits:
        at %= len(data) + 1
        if kind == "delete":
            data = data[:at] + data[at + length :]
        elif kind == "insert":
            data = data[:at] + payload + data[at:]
        elif kind == "replace":
            data = data[:at] + payload + data[at + len(payload) :]
        elif kind == "repeat":
            data = data[:at] + data[at : at + length] * 3 + data[at:]
        else:
            data = data[:at]
    return data


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@settings(max_examples=60, deadline=None)
@given(sample=st.sampled_from(sorted(_SAMPLES)), edits=_EDITS,
       suffix=st.sampled_from([".srt", ".vtt", ".json", ".txt"]))
def test_captions_mutated_are_read_or_refused(
    fuzz_dir: Path, sample: str, edits: list[tuple[str, int, int, bytes]], suffix: str
) -> None:
    path = fuzz_dir / f"mutated{suffix}"
    content = _edited(_SAMPLES[sample], edits)
    path.write_bytes(content)
    try:
        episode = read_transcript(path)
    except InputError as error:
        assert "\n" not in str(error) and path.name in str(error)
    else:
        assert episode.meta.source_format in FORMATS
        assert episode.segments and all(s.text.strip() for s in episode.segments)
        for segment in episode.segments:
            if segment.start is not None and segment.end is not None:
                assert 0 <= segment.start <= segment.end
    assert path.read_bytes() == content
