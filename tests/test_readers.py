"""Transcript readers: formats chosen by content, encodings, the seed page, bad input."""

from __future__ import annotations

import json
import os
import random
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kikigaki.document import Episode
from kikigaki.errors import InputError
from transcribe.readers import FORMATS, detect_format, read_transcript
from transcribe.readers.captions import speaker_label
from transcribe.readers.source import reads_as_japanese

REPO = Path(__file__).resolve().parent.parent
SEED_PAGE = REPO / "seeds" / "002_d502b1dd49aa2187.txt"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "transcripts"

PAGE_CHROME = (
    "Listen Later",
    "...more",
    "View all episodes",
    "Download on the App Store",
    "このブラウザでは再生できません",
    "再生できない場合",
    "ビデオ見れる人はこちらからご覧ください",
    "当日の市來の発表資料",
    "文字起こししたもの",
    "未編集の草稿",
    "By Kengo Ichiki",
)


def texts(episode: Episode) -> list[str]:
    return [segment.text for segment in episode.segments]


# --- the seed page ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_episode() -> Episode:
    return read_transcript(SEED_PAGE)


def test_seed_page_meta(seed_episode: Episode) -> None:
    meta = seed_episode.meta
    assert meta.source_format == "seed-page"
    assert meta.show == "ZENKEI AI ポッドキャスト"
    assert meta.title == "S38E02 Transformer を完璧に理解する!(前半)これまでの試み"
    assert meta.episode_id == "S38E02"
    assert meta.date == "2023-02-22"
    assert meta.hosts == ["Kengo Ichiki"]
    assert meta.description.split("\n") == [
        "ZENKEI AI ポッドキャスト、シーズン38は2023年2月22日に開催した ZOOMライブの模様です。",
        "この日のテーマは「ChatGPT 話題ですね」です。",
        "エピソード2は、パート1「Transformer を完璧に理解する!」の前半、これまでの試みです。",
    ]
    assert meta.source == str(SEED_PAGE)
    assert meta.slug == SEED_PAGE.stem
    assert meta.language == "ja"
    assert seed_episode.stages == ["read:seed-page"]


def test_seed_page_body_starts_after_the_markers_and_drops_the_chrome(
    seed_episode: Episode,
) -> None:
    segments = seed_episode.segments
    assert segments[0].text == "こんにちは、ZENKEI AI FORUM です。"
    assert segments[1].text.startswith("はい、皆さんこんばんはです。")
    assert segments[-1].text.endswith("その話に入りますありがとうございました")
    assert all(s.start is None and s.end is None and s.speaker is None for s in segments)
    page_text = "\n".join([*texts(seed_episode), seed_episode.meta.description])
    for chrome in PAGE_CHROME:
        assert chrome not in page_text
    assert sum(len(t) for t in texts(seed_episode)) > 5_000  # the whole run-on body is kept


def test_a_page_from_another_show_is_read_the_same_way() -> None:
    episode = read_transcript(FIXTURES / "episode_page.txt", slug="ep12")
    meta = episode.meta
    assert meta.source_format == "seed-page"
    assert meta.show == "もくもく技術ラジオ"  # named in the description, not the feed label
    assert meta.title == "#12 ベクトル検索ってなに?"
    assert (meta.episode_id, meta.date) == ("#12", "2024-05-03")
    assert meta.hosts == ["山田 花子", "佐藤 次郎"]
    assert meta.slug == "ep12"
    assert "番組で紹介したリンク集" not in meta.description
    assert texts(episode) == [
        "はい、始まりました、もくもく技術ラジオです。",
        "今日はベクトル検索の話をしていきます。",
        "まずは埋め込みとは何かというところから。",
    ]


def test_a_page_without_a_description_name_uses_its_first_line(tmp_path: Path) -> None:
    page = "\n".join(
        [
            "夜ふかしトーク",
            "",
            "第5回 眠れない夜に",
            "Listen Later",
            "今回はゲストと2024/1/9に話しました。",
            "(以下は文字起こしです)",
            "こんばんは。",
            "...more",
            "View all episodes",
            "夜ふかしトークBy 田中",
        ]
    )
    path = tmp_path / "page.txt"
    path.write_text(page, encoding="utf-8")
    meta = read_transcript(path).meta
    assert (meta.show, meta.episode_id, meta.date, meta.hosts) == (
        "夜ふかしトーク",
        "第5回",
        "2024-01-09",
        ["田中"],
    )


def test_a_page_without_its_transcript_is_refused(tmp_path: Path) -> None:
    lines = SEED_PAGE.read_text(encoding="utf-8").split("\n")
    body_start = lines.index("こんにちは、ZENKEI AI FORUM です。")
    body_end = lines.index("...more")
    for name, kept in {
        "no-body.txt": lines[:body_start] + lines[body_end:],
        "no-markers.txt": lines[:47] + lines[body_end:],
    }.items():
        path = tmp_path / name
        path.write_text("\n".join(kept), encoding="utf-8")
        with pytest.raises(InputError, match="no transcript body found") as caught:
            read_transcript(path)
        assert name in str(caught.value)


# --- captions, JSON and plain text --------------------------------------------------------


def test_srt_cues_speakers_and_markup() -> None:
    episode = read_transcript(FIXTURES / "sample.srt")
    assert episode.meta.source_format == "srt"
    assert episode.meta.title == "sample"
    assert episode.stages == ["read:srt"]
    assert [(s.start, s.end, s.speaker, s.text) for s in episode.segments] == [
        (0.0, 3.5, "市來", "こんにちは、今日はトランスフォーマーの話です。"),
        (3.5, 7.25, "田中", "よろしくお願いします。"),
        (7.25, 9.0, None, "[拍手]"),
        (9.0, 62.04, None, "アテンションの仕組みを順番に見ていきます。"),
    ]


def test_vtt_voices_notes_styles_and_tags() -> None:
    episode = read_transcript(FIXTURES / "sample.vtt")
    assert episode.meta.source_format == "vtt"
    assert episode.meta.title == "第12回 音声認識のはなし"
    assert [(s.start, s.end, s.speaker, s.text) for s in episode.segments] == [
        (1.0, 4.5, "市來", "こんにちは、今日は音声認識の話をします。"),
        (4.5, 8.0, "佐藤", "はい、よろしくお願いします。"),
        (8.0, 12.25, "市來", "まずはWhisper から。"),
        (8.0, 12.25, "佐藤", "<Whisper> ですね。"),
        (3600.0, 3603.0, None, "漢字も読めます。"),
    ]


def test_podcasting_json() -> None:
    episode = read_transcript(FIXTURES / "sample.json")
    assert episode.meta.source_format == "podcast-json"
    assert [(s.start, s.end, s.speaker, s.text) for s in episode.segments] == [
        (0.5, 3.25, "市來", "こんにちは、ZENKEI AI FORUM です。"),
        (3.25, 6.0, "田中", "よろしくお願いします。"),
        (6.5, 9.75, None, "今日は Transformer の話です。"),
    ]


def test_plain_text_one_segment_per_line() -> None:
    episode = read_transcript(FIXTURES / "sample.txt")
    assert episode.meta.source_format == "text"
    assert texts(episode) == [
        "こんにちは、今日は音声認識の話をします。",
        "まずは Whisper の仕組みから。",
        "次に、日本語の句読点について。",
    ]
    assert all(s.start is None and s.speaker is None for s in episode.segments)


def test_sloppy_srt_is_still_read(tmp_path: Path) -> None:
    sloppy = (
        "1\n00:00:01.5 --> 00:00:02,250\nはい\n2\n00:00:03,000 --> 00:00:02,000\n"
        "Kengo Ichiki: hello\nworld\n\n3\n01:02,000 --> 01:04,000\n10:30 に集合です\n"
    )
    path = tmp_path / "sloppy.srt"
    path.write_text(sloppy, encoding="utf-8")
    assert [(s.start, s.end, s.speaker, s.text) for s in read_transcript(path).segments] == [
        (1.5, 2.25, None, "はい"),
        (3.0, 3.0, "Kengo Ichiki", "hello world"),  # an end before the start is clamped
        (62.0, 64.0, None, "10:30 に集合です"),
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("市來: こんにちは", ("市來", "こんにちは")),
        ("田中さん：はい", ("田中さん", "はい")),
        ("[Host] hello", ("Host", "hello")),
        ("（佐藤）そうですね", ("佐藤", "そうですね")),
        ("[拍手] ありがとう", (None, "[拍手] ありがとう")),
        ("（笑）そうそう", (None, "（笑）そうそう")),
        ("このあと: 続きます", (None, "このあと: 続きます")),
        ("10:30 に集合", (None, "10:30 に集合")),
        ("https://example.com を見て", (None, "https://example.com を見て")),
        ("市來:", (None, "市來:")),
    ],
)
def test_speaker_labels(line: str, expected: tuple[str | None, str]) -> None:
    assert speaker_label(line) == expected


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("captions.txt", "1\n00:00:01,000 --> 00:00:02,000\nはい\n", "srt"),
        ("captions.srt", "WEBVTT\n\n00:01.000 --> 00:02.000\nはい\n", "vtt"),
        ("captions.vtt", "1\n00:00:01,000 --> 00:00:02,000\nはい\n", "vtt"),  # a tie: suffix
        ("notes.txt", '{"version": "1.0.0", "segments": [{"body": "はい"}]}', "podcast-json"),
        ("talk.srt", "ただの文章です。\n二行目。\n", "text"),
        ("talk.json", "[市來] こんにちは\n", "text"),
        ("page.html", SEED_PAGE.read_text(encoding="utf-8"), "seed-page"),
    ],
)
def test_format_is_chosen_by_content(
    tmp_path: Path, name: str, content: str, expected: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    episode = read_transcript(path)
    assert episode.meta.source_format == expected
    assert episode.stages == [f"read:{expected}"]
    assert detect_format(content, path.suffix) == expected


# --- encodings and line endings -----------------------------------------------------------

JAPANESE_SRT = (
    "1\r\n00:00:01,000 --> 00:00:03,000\r\n市來: 今日は音声認識の話です。\r\n\r\n"
    "2\r\n00:00:03,000 --> 00:00:05,000\r\nカタカナと漢字、ひらがな。\r\n"
)


@pytest.mark.parametrize("encoding", ["shift_jis", "cp932"])
def test_shift_jis_is_decoded(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "sjis.srt"
    path.write_bytes(JAPANESE_SRT.encode(encoding))
    episode = read_transcript(path)
    assert texts(episode) == ["今日は音声認識の話です。", "カタカナと漢字、ひらがな。"]
    assert episode.segments[0].speaker == "市來"


def test_cp932_only_characters(tmp_path: Path) -> None:
    path = tmp_path / "cp932.txt"
    path.write_bytes("①番目の話題は髙橋さんの～です。\n".encode("cp932"))
    assert texts(read_transcript(path)) == ["①番目の話題は髙橋さんの～です。"]


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")],
)
def test_byte_order_marks(tmp_path: Path, encoding: str, bom: bytes) -> None:
    path = tmp_path / "bom.vtt"
    path.write_bytes(bom + "WEBVTT\n\n00:01.000 --> 00:02.000\nはい\n".encode(encoding))
    episode = read_transcript(path)
    assert episode.meta.source_format == "vtt"
    assert texts(episode) == ["はい"]


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_line_endings_are_normalised(tmp_path: Path, newline: str) -> None:
    path = tmp_path / "lines.txt"
    path.write_bytes(newline.join(["一行目", "", "二行目", ""]).encode("utf-8"))
    assert texts(read_transcript(path)) == ["一行目", "二行目"]


def test_reads_as_japanese() -> None:
    assert reads_as_japanese("今日は音声認識の話です。")
    assert not reads_as_japanese("plain ASCII only")
    assert not reads_as_japanese("ｱｲｳｴｵ")  # what stray high bytes decode to as CP932
    assert not reads_as_japanese("漢字漢字漢字")


# --- bad input ------------------------------------------------------------------------------


def _wav() -> bytes:
    header = (
        b"RIFF"
        + struct.pack("<I", 36)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, 16000, 32000, 2, 16)
    )
    return header + b"data" + struct.pack("<I", 0)


def _zip(tmp_path: Path) -> bytes:
    archive = tmp_path / "archive.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("transcript.txt", "こんにちは")
    return archive.read_bytes()


BAD_CONTENT: dict[str, tuple[str, Callable[[Path], bytes], str]] = {
    "empty": ("empty.txt", lambda _: b"", "is empty"),
    "whitespace": ("blank.txt", lambda _: b" \n\t\r\n\xe3\x80\x80 \n", "no text"),
    "only-spaces": ("spaces.txt", lambda _: b"   \n\n", "only whitespace"),
    "bom-only": ("bom.txt", lambda _: b"\xef\xbb\xbf\n", "no text"),
    "nul-bytes": ("data.bin", lambda _: b"abc\x00def\x00ghi" * 20, "binary"),
    "controls": ("ctl.txt", lambda _: bytes(range(1, 9)) * 30 + b"text", "binary"),
    "png": ("image.txt", lambda _: b"\x89PNG\r\n\x1a\n" + bytes(64), "PNG image"),
    "wav": ("episode.wav", lambda _: _wav(), "WAV audio"),
    "mp3": ("episode.mp3", lambda _: b"ID3\x04\x00" + bytes(40), "MP3 audio"),
    "zip": ("transcript.docx", _zip, "zip archive"),
    "utf16-no-bom": ("u16.txt", lambda _: "こんにちは、今日は".encode("utf-16-le"), "UTF-16"),
    "utf16-ascii-no-bom": ("u16a.txt", lambda _: "hello world".encode("utf-16-be"), "UTF-16"),
    "latin-1": (
        "latin.txt",
        lambda _: "Café crème brûlée, naïve façade, déjà vu à Noël".encode("latin-1"),
        "not UTF-8 or Shift_JIS",
    ),
    "random-bytes": ("noise.txt", lambda _: random.Random(7).randbytes(2000), "binary"),
    "high-bytes": (
        "high.txt",
        lambda _: bytes(random.Random(3).randrange(0x80, 0x100) for _ in range(400)),
        "not UTF-8 or Shift_JIS",
    ),
    "vtt-no-cues": ("empty.vtt", lambda _: b"WEBVTT\n\nNOTE nothing here\n", "no cues"),
    "vtt-no-text": (
        "silent.vtt",
        lambda _: b"WEBVTT\n\n00:01.000 --> 00:02.000\n<v A></v>\n",
        "no text",
    ),
    "srt-no-text": (
        "silent.srt",
        lambda _: b"1\n00:00:01,000 --> 00:00:02,000\n\n2\n00:00:02,000 --> 00:00:03,000\n",
        "no text",
    ),
    "json-malformed": ("broken.json", lambda _: b'{"version": "1.0.0", "segments": [', "malformed"),
    "json-nan": (
        "nan.json",
        lambda _: b'{"segments": [{"body": "a", "startTime": NaN}]}',
        "malformed",
    ),
    "json-not-podcast": (
        "other.json",
        lambda _: b'{"title": "x", "items": []}',
        "not a Podcasting 2.0 transcript",
    ),
    "json-array": ("list.json", lambda _: b'[{"body": "x"}]', "not a Podcasting 2.0 transcript"),
    "json-no-bodies": (
        "quiet.json",
        lambda _: b'{"segments": [{"body": " "}, {}]}',
        "no segment with text",
    ),
    "json-bad-segment": ("bad.json", lambda _: b'{"segments": ["hello"]}', "segment 1"),
    "json-bad-time": (
        "time.json",
        lambda _: b'{"segments": [{"body": "a", "startTime": -1, "endTime": 2}]}',
        "startTime out of range",
    ),
    "json-backwards": (
        "back.json",
        lambda _: b'{"segments": [{"body": "a"}, {"body": "b", "startTime": 5, "endTime": 2}]}',
        "segment 2 ends",
    ),
}


def _assert_one_line_naming(error: InputError, path: Path) -> None:
    message = str(error)
    assert "\n" not in message and "\r" not in message
    assert path.name in message
    assert message.startswith(str(path))
    assert error.hint  # says what to do


@pytest.mark.parametrize("case", sorted(BAD_CONTENT))
def test_bad_content_is_refused_in_one_line(tmp_path: Path, case: str) -> None:
    name, make, expected = BAD_CONTENT[case]
    path = tmp_path / name
    content = make(tmp_path)
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        read_transcript(path)
    _assert_one_line_naming(caught.value, path)
    assert expected in str(caught.value)
    assert path.read_bytes() == content


def test_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.srt"
    with pytest.raises(InputError, match="no such file") as caught:
        read_transcript(path)
    _assert_one_line_naming(caught.value, path)


def test_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "episode.txt"
    folder.mkdir()
    with pytest.raises(InputError, match="folder") as caught:
        read_transcript(folder)
    _assert_one_line_naming(caught.value, folder)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads anything")
def test_an_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("こんにちは", encoding="utf-8")
    path.chmod(0)
    try:
        with pytest.raises(InputError, match="permission denied") as caught:
            read_transcript(path)
        _assert_one_line_naming(caught.value, path)
    finally:
        path.chmod(0o600)


def test_a_file_that_fails_to_read() -> None:
    path = Path("/proc/self/mem")  # a regular file whose first bytes cannot be read
    if not path.is_file():
        pytest.skip("needs Linux /proc")
    with pytest.raises(InputError, match="cannot be read") as caught:
        read_transcript(path)
    _assert_one_line_naming(caught.value, path)


def test_a_file_name_with_a_newline_still_gives_one_line(tmp_path: Path) -> None:
    path = tmp_path / "two\nlines.txt"
    path.write_bytes(b"")
    with pytest.raises(InputError) as caught:
        read_transcript(path)
    assert "\n" not in str(caught.value)


def test_inputs_are_left_unchanged(tmp_path: Path) -> None:
    paths = [SEED_PAGE, *sorted(p for p in FIXTURES.iterdir() if p.suffix != ".md")]
    for path in paths:
        before = (path.read_bytes(), path.stat().st_mtime_ns)
        read_transcript(path)
        assert (path.read_bytes(), path.stat().st_mtime_ns) == before


# --- properties: any content gives an Episode or an InputError, never another error --------


def _read_or_refuse(path: Path, content: bytes) -> None:
    path.write_bytes(content)
    try:
        episode = read_transcript(path)
    except InputError as error:
        assert "\n" not in str(error)
        return
    assert episode.meta.source_format in FORMATS
    assert episode.segments
    assert all(segment.text.strip() for segment in episode.segments)
    for segment in episode.segments:
        if segment.start is not None and segment.end is not None:
            assert 0 <= segment.start <= segment.end


_PROPERTY = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
_TIMESTAMPS = st.builds(
    lambda h, m, s, ms, comma: f"{h:02d}:{m:02d}:{s:02d}{',' if comma else '.'}{ms:03d}",
    st.integers(0, 99),
    st.integers(0, 59),
    st.integers(0, 59),
    st.integers(0, 999),
    st.booleans(),
)
_CUE_PIECES = [*"あいう漢字 AbZ:：[]()（）<>/v.c&;#-\n\t", "<v 市來>", "</v>", "-->", "&lt;"]
_CUE_TEXT = st.lists(st.sampled_from(_CUE_PIECES), max_size=40).map("".join)


@_PROPERTY
@given(content=st.text(max_size=300), suffix=st.sampled_from([".srt", ".vtt", ".json", ".txt"]))
def test_any_text_is_read_or_refused(tmp_path: Path, content: str, suffix: str) -> None:
    _read_or_refuse(tmp_path / f"any{suffix}", content.encode("utf-8", "surrogatepass"))


@_PROPERTY
@given(content=st.binary(max_size=300))
def test_any_bytes_are_read_or_refused(tmp_path: Path, content: bytes) -> None:
    _read_or_refuse(tmp_path / "bytes.txt", content)


@_PROPERTY
@given(
    header=st.sampled_from(["WEBVTT\n\n", "WEBVTT - 題\n\n", ""]),
    cues=st.lists(st.tuples(st.integers(0, 5), _TIMESTAMPS, _TIMESTAMPS, _CUE_TEXT), max_size=6),
    suffix=st.sampled_from([".srt", ".vtt"]),
)
def test_caption_like_text_is_read_or_refused(
    tmp_path: Path, header: str, cues: list[tuple[int, str, str, str]], suffix: str
) -> None:
    blocks = [f"{number}\n{start} --> {end}\n{text}" for number, start, end, text in cues]
    _read_or_refuse(tmp_path / f"cues{suffix}", (header + "\n\n".join(blocks)).encode("utf-8"))


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_SEGMENTS = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "body": _JSON_VALUES,
            "speaker": _JSON_VALUES,
            "startTime": st.floats(allow_nan=False) | st.integers() | st.text(max_size=5),
            "endTime": st.floats(allow_nan=False) | st.integers() | st.none(),
        },
    )
    | _JSON_VALUES,
    max_size=5,
)


@_PROPERTY
@given(
    document=st.fixed_dictionaries({"segments": _SEGMENTS}, optional={"version": _JSON_VALUES})
    | _JSON_VALUES,
    cut=st.integers(0, 400),
)
def test_json_like_text_is_read_or_refused(tmp_path: Path, document: object, cut: int) -> None:
    text = json.dumps(document, ensure_ascii=False)
    _read_or_refuse(tmp_path / "whole.json", text.encode("utf-8"))
    _read_or_refuse(tmp_path / "cut.json", text[:cut].encode("utf-8"))
