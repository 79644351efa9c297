"""Reading a transcript file's bytes and decoding them to clean text.

Accepted encodings are UTF-8 (with or without a BOM), Shift_JIS/CP932 when the result
reads as Japanese, and UTF-16/UTF-32 *with* a byte-order mark. Everything else — binary
files, UTF-16 without a BOM, Latin-1 and other legacy encodings — is refused with a
:class:`~transcribe.readers.TranscriptProblem`. The file is only ever read.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from transcribe.readers._problem import TranscriptProblem

MAX_BYTES = 200 * 1024 * 1024  # far beyond any transcript; protects memory
_GIVE_TEXT = "give a text transcript: plain text, SRT, WebVTT or Podcasting 2.0 JSON"
_SAVE_AS_UTF8 = "save it as UTF-8 and try again"
_BOMLESS_UTF16 = "looks like UTF-16 text without a byte-order mark"

# Byte-order marks of encodings other than UTF-8; UTF-32 first (its LE mark starts like UTF-16's).
_UNICODE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_AUDIO_VIDEO = frozenset({"WAV audio", "MP3 audio", "Ogg audio", "FLAC audio", "MP4/M4A media"})
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "PNG image"),
    (b"\xff\xd8\xff", 0, "JPEG image"),
    (b"GIF8", 0, "GIF image"),
    (b"WAVE", 8, "WAV audio"),
    (b"ID3", 0, "MP3 audio"),
    (b"OggS", 0, "Ogg audio"),
    (b"fLaC", 0, "FLAC audio"),
    (b"ftyp", 4, "MP4/M4A media"),
    (b"PK\x03\x04", 0, "zip archive (or a Word/Excel file)"),
    (b"%PDF-", 0, "PDF document"),
    (b"\x1f\x8b", 0, "gzip archive"),
    (b"\xd0\xcf\x11\xe0", 0, "old Office document"),
)
_MP3_FRAME = re.compile(rb"\A\xff[\xe2-\xff]")

# C0 controls other than tab/newline/carriage return/form feed/vertical tab.
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")
_LINE_BREAKS = re.compile("\r\n|[\r\u0085\u2028\u2029]")
_STRAY_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]")


def read_text(path: Path) -> str:
    """The decoded text of ``path`` with ``\\n`` line ends, or a TranscriptProblem."""
    data = _read_bytes(path)
    if not data.strip():
        raise TranscriptProblem(
            "the file is empty" if not data else "the file has only whitespace",
            "give a transcript file with text in it",
        )
    text = _clean(decode(data))
    if not text.strip():
        raise TranscriptProblem("the file has no text", "give a transcript file with text in it")
    return text


def _read_bytes(path: Path) -> bytes:
    """The file's bytes; file-system problems become TranscriptProblems."""
    try:
        if not path.exists():
            raise TranscriptProblem("no such file", "check the path and try again")
        if path.is_dir():
            raise TranscriptProblem(
                "this is a folder, not a transcript file",
                "give the transcript file inside it (.txt, .srt, .vtt or .json)",
            )
        if not path.is_file():
            raise TranscriptProblem("not a regular file", _GIVE_TEXT)
        if path.stat().st_size > MAX_BYTES:
            raise TranscriptProblem(
                f"the file is larger than {MAX_BYTES // 2**20} MB, too big for a transcript",
                _GIVE_TEXT,
            )
        return path.read_bytes()
    except PermissionError as error:
        raise TranscriptProblem(
            "cannot be read (permission denied)", "check the file's permissions"
        ) from error
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise TranscriptProblem(
            f"cannot be read ({reason})", "check the file and try again"
        ) from error


def decode(data: bytes) -> str:
    """Bytes to text: UTF-8, BOM-marked UTF-16/32, or Shift_JIS that reads as Japanese."""
    for bom, encoding in _UNICODE_BOMS:
        if data.startswith(bom):
            return _decode_with_bom(data, encoding)
    _refuse_binary(data)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp932")
    except UnicodeDecodeError:
        text = ""
    if text and reads_as_japanese(text):
        return text
    if _looks_like_bomless_utf16(data):
        raise TranscriptProblem(_BOMLESS_UTF16, _SAVE_AS_UTF8)
    raise TranscriptProblem("not UTF-8 or Shift_JIS text", _SAVE_AS_UTF8)


def _decode_with_bom(data: bytes, encoding: str) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        raise TranscriptProblem(
            f"broken {encoding.upper()} text (it starts with a byte-order mark)", _SAVE_AS_UTF8
        ) from error
    if _control_share(text.encode("utf-8", "surrogatepass")) > 0.05:
        raise TranscriptProblem("looks like a binary file, not a transcript", _GIVE_TEXT)
    return text


def _refuse_binary(data: bytes) -> None:
    kind = _known_binary_kind(data)
    if kind in _AUDIO_VIDEO:
        raise TranscriptProblem(
            f"this is {kind}, not a transcript",
            "re-clean reads an existing transcript; give its text, SRT, WebVTT or JSON file",
        )
    if kind:
        raise TranscriptProblem(
            f"this is a {kind}, not a transcript", f"export it as UTF-8 text, or {_GIVE_TEXT}"
        )
    has_nul = b"\x00" in data
    if has_nul or _control_share(data) > 0.05:
        if _looks_like_bomless_utf16(data):
            raise TranscriptProblem(_BOMLESS_UTF16, _SAVE_AS_UTF8)
        reason = "it has NUL bytes" if has_nul else "many control characters"
        raise TranscriptProblem(f"looks like a binary file ({reason})", _GIVE_TEXT)


def _known_binary_kind(data: bytes) -> str:
    for signature, offset, kind in _SIGNATURES:
        if data[offset : offset + len(signature)] == signature:
            return kind
    if _MP3_FRAME.match(data):
        return "MP3 audio"
    return ""


def _looks_like_bomless_utf16(data: bytes) -> bool:
    """Mostly-ASCII or mostly-Japanese UTF-16 has NULs or kana lead bytes in one byte column."""
    sample = data[: 4096 - 4096 % 2]
    if len(sample) < 4:
        return False
    for column in (0, 1):
        high_bytes = sample[column::2]
        if high_bytes.count(0) + high_bytes.count(0x30) >= 0.6 * len(high_bytes):
            return True
    return False


def _control_share(data: bytes) -> float:
    return len(_CONTROL_BYTES.findall(data)) / max(len(data), 1)


def reads_as_japanese(text: str) -> bool:
    """True when ``text`` looks like real Japanese, not mojibake from another encoding.

    Non-ASCII characters must be mostly kana, kanji and Japanese punctuation, and some of
    them kana: every natural Japanese text has kana, while bytes from another encoding
    decoded as CP932 give kanji, half-width katakana and private-use characters.
    """
    non_ascii = [c for c in text if ord(c) > 0x7F and not c.isspace()]
    if not non_ascii:
        return False
    kana = sum(1 for c in non_ascii if "\u3041" <= c <= "\u30ff")
    japanese = kana + sum(1 for c in non_ascii if _is_kanji_or_japanese_symbol(c))
    return japanese >= 0.8 * len(non_ascii) and kana >= max(1, 0.1 * japanese)


def _is_kanji_or_japanese_symbol(c: str) -> bool:
    return (
        "\u4e00" <= c <= "\u9fff"
        or "\u3000" <= c <= "\u303f"
        or "\uff01" <= c <= "\uff5e"
        or c in "々〆ヶ"
    )


def _clean(text: str) -> str:
    """``\\n`` line ends; drops BOMs and replaces stray control characters with spaces."""
    text = _LINE_BREAKS.sub("\n", text).replace("\ufeff", "")
    return _STRAY_CHARACTERS.sub(" ", text)
