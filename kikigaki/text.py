"""Text helpers shared by every room: width and spacing, and text compared loosely.

Width and spacing (:func:`normalize_text`) for Japanese transcripts.

Conventions: Latin letters, digits and ASCII symbols half-width; katakana full-width;
Japanese punctuation full-width (？！ after Japanese text); no spaces between Japanese
characters, nor between Japanese and Latin text; one space between Latin words.
"""

from __future__ import annotations

import re
import unicodedata

_JAPANESE = (
    r"\u3000-\u303f\u3040-\u309f\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
    r"\uff01-\uff0f\uff1a-\uff20\uff5b-\uff65々〆〤ー"
)
_SPACE_BESIDE_JAPANESE = re.compile(
    rf"(?<=[{_JAPANESE}])[ \t\u3000]+|[ \t\u3000]+(?=[{_JAPANESE}])"
)
# Control characters (tab and newline kept), lone surrogates, noncharacters: whatever a
# format lets through (a JSON "\\u0001", a tag, a sidecar value) never reaches a page.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_RUNS_OF_SPACE = re.compile(r"[ \t\u3000]{2,}")
_ASCII_MARK_AFTER_JAPANESE = re.compile(rf"(?<=[{_JAPANESE}])([?!])")
# Full-width forms that stay full-width in Japanese text (NFKC would turn them to ASCII).
_KEEP_FULL_WIDTH = set("！？（）「」『』【】〔〕［］｛｝〈〉《》、。・：；～〜")


_HALF_WIDTH_KATAKANA_RUN = re.compile(r"[\uff61-\uff9f]+")


def normalize_text(text: str) -> str:
    # Runs, not single characters: a voiced mark ﾞ combines with the kana before it.
    text = _HALF_WIDTH_KATAKANA_RUN.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    text = "".join(_normalize_char(c) for c in text)
    text = _ASCII_MARK_AFTER_JAPANESE.sub(lambda m: "？" if m.group(1) == "?" else "！", text)
    text = _SPACE_BESIDE_JAPANESE.sub("", text)
    text = _RUNS_OF_SPACE.sub(" ", text)
    return text.strip()


def _normalize_char(char: str) -> str:
    if char in _KEEP_FULL_WIDTH:
        return char
    code = ord(char)
    if 0xFF01 <= code <= 0xFF5E or char == "\u3000":
        return unicodedata.normalize("NFKC", char)  # full-width ASCII to half-width
    return char


_NOT_COMPARED = re.compile(r"[\s、。，．,.!?！？・…「」『』()（）]")


def comparable(text: str) -> str:
    """``text`` without spaces and punctuation, NFKC-folded: for "is this the same text"."""
    return _NOT_COMPARED.sub("", unicodedata.normalize("NFKC", text))


def printable(text: str) -> str:
    """``text`` without control characters (tab and newline kept), lone surrogates and
    noncharacters; a carriage return or form feed becomes a space."""
    return _UNPRINTABLE.sub(lambda m: " " if m.group() in "\r\x0b\x0c" else "", text)
