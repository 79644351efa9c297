"""The collection: the other documents the show notes are published beside.

``load_collection(folder)`` reads every ``*.txt`` and ``*.md`` file of a folder (sorted by
name) into :class:`CollectionDocument`s. Files the transcript readers recognise as an
episode page (``seed-page``) are episodes, not documents, and are left out.

Plain text keeps little of its structure, so it is recovered line by line:

- headings: markdown ``#``, lines led by ``■□◆◇●〇`` or framed in ``【…】``, ``第N章/節``,
  numbered lines (``1. …``) that are short and lead a paragraph or another heading, lines
  led by a tag (``[blog] …``) that lead a list, and short title-like lines followed by a
  blank line, a list or a longer paragraph;
- list items: ``-``, ``*``, ``+``, ``•``, ``・``, ``1.``, ``1)``, ``①``, nested by indentation;
- preformatted: fenced blocks and indented runs of code-like lines;
- everything else: one paragraph per line (plain Japanese text puts a paragraph on a line).

A slide deck saved from a slide host (a ``Transcript`` line, then slides numbered ``1.``,
``2.``, … each closed by ``View Slide``) becomes one heading per slide (``スライド 3: …``,
titled by its ``■`` line or its first short line) over the slide's own blocks; lines the
PDF text wrapped at the slide's width are joined again. Such a document's kind is
``slides``.

Markdown files are parsed with markdown-it. Each block gets the anchor ``b0, b1, …``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from kikigaki.document import CollectionDocument, DocumentBlock
from kikigaki.errors import InputError
from transcribe.readers import TranscriptProblem, detect_format
from transcribe.readers.episode_pages import EPISODE_PAGE, episode_page_document
from transcribe.readers.source import read_text

SUFFIXES = (".txt", ".md")
TITLE_MAX_CHARS = 40
_HEADING_MAX_CHARS = 40
_DATE_LINES = 20

# --------------------------------------------------------------------------- loading


def related_documents(collection: list[CollectionDocument]) -> list[CollectionDocument]:
    """The documents annotations may point to: all but episode pages."""
    return [d for d in collection if d.kind != EPISODE_PAGE]


def load_collection(directory: Path) -> list[CollectionDocument]:
    """Every document in ``directory`` (sorted by file name); InputError for a bad folder."""
    directory = Path(directory)
    if not directory.exists():
        raise InputError(directory, "no such folder", "give the collection's folder")
    if not directory.is_dir():
        raise InputError(directory, "not a folder", "give the collection's folder")
    try:
        paths = sorted(p for p in directory.iterdir() if p.suffix.lower() in SUFFIXES)
    except OSError as error:
        raise InputError(directory, f"cannot be listed ({error.strerror})", "check it") from error
    documents = [doc for path in paths if path.is_file() for doc in _read_document(path)]
    return documents


def _read_document(path: Path) -> Iterator[CollectionDocument]:
    try:
        text = read_text(path)
    except TranscriptProblem as problem:
        if _blank_file(path):
            return  # nothing to publish; an empty file is not an error
        raise InputError(
            path,
            problem.problem.replace("not a transcript", "not a text document"),
            "save the collection's documents as UTF-8 text (.txt or .md)",
        ) from problem
    markdown = path.suffix.lower() == ".md"
    if not markdown and detect_format(text, path.suffix) == "seed-page":
        page = episode_page_document(path.stem, text, source=str(path))
        if page is not None:
            yield page
            return
    yield document_from_text(path.stem, text, source=str(path), markdown=markdown)


def _blank_file(path: Path) -> bool:
    try:
        return not path.read_bytes().strip()
    except OSError:
        return False


def document_from_text(
    doc_id: str, text: str, *, source: str = "", markdown: bool = False
) -> CollectionDocument:
    """A collection document from its decoded text (structure recovered into blocks)."""
    deck = None if markdown else slide_deck(text)
    if markdown:
        parsed = _markdown_blocks(text)
    elif deck is not None:
        parsed = [*_plain_blocks(deck.preamble), *_deck_blocks(deck)]
    else:
        parsed = _plain_blocks(text)
    blocks = [
        DocumentBlock(id=f"b{i}", kind=kind, text=body, level=level)
        for i, (kind, body, level) in enumerate(parsed)
    ]
    return CollectionDocument(
        doc_id=doc_id,
        title=_title(blocks) or doc_id,
        text=text,
        href=f"docs/{doc_id}/index.html",
        blocks=blocks,
        source=source,
        date=find_date(text.split("\n")[:_DATE_LINES]),
        kind=SLIDES if deck is not None else "document",
    )


# --------------------------------------------------------------------------- titles, dates

_GENERIC_HEADINGS = frozenset(
    {
        "tl;dr",
        "tldr",
        "概要",
        "要約",
        "summary",
        "abstract",
        "目次",
        "contents",
        "はじめに",
        "まとめ",
        "transcript",
        "toc",
    }
)


def _title(blocks: list[DocumentBlock]) -> str:
    """The first heading, unless it is a generic one (TL;DR, 概要): then the first sentence
    of the text after it; with no heading, the first line."""
    for index, block in enumerate(blocks):
        if block.kind != "heading":
            continue
        if block.text.strip().lower() not in _GENERIC_HEADINGS:
            return _shorten(block.text)
        following = [b for b in blocks[index + 1 :] if b.kind != "heading"]
        return _shorten(_first_sentence(following[0].text)) if following else block.text
    return _shorten(blocks[0].text) if blocks else ""


def _first_sentence(text: str) -> str:
    match = re.match(r".+?[。！？!?](?=\s|$)|.+?。", text)
    return match.group(0) if match else text


def _shorten(text: str, limit: int = TITLE_MAX_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = max(text.rfind(mark, 0, limit) for mark in ("、", "。", " ", "，"))
    return (text[:cut] if cut >= limit // 2 else text[:limit]).rstrip("、。， ") + "…"


_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_YMD = (
    re.compile(r"(?<!\d)(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"),
    re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)"),
)
_MDY = re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})\b")


def find_date(lines: Iterable[str]) -> str | None:
    """The first real date written in ``lines``, as ``YYYY-MM-DD``."""
    for line in lines:
        line = unicodedata.normalize("NFKC", line)
        for year, month, day in _date_candidates(line):
            try:
                return dt.date(year, month, day).isoformat()
            except ValueError:
                continue
    return None


def _date_candidates(line: str) -> Iterator[tuple[int, int, int]]:
    for pattern in _YMD:
        for match in pattern.finditer(line):
            yield int(match[1]), int(match[2]), int(match[3])
    for match in _MDY.finditer(line):
        month = _MONTHS.get(match[1].lower())
        if month:
            yield int(match[3]), month, int(match[2])


# --------------------------------------------------------------------------- plain text

_Block = tuple[str, str, int]  # kind, text, level

# Lines a saved web page carries around its content (slide hosts, podcast hosts).
_CHROME = re.compile(
    r"^(?:View Slide|Tweet|Share|Embed|Listen Later|View all episodes|(?:\.\.\.|…)\s*more"
    r"|Upgrade to Pro\b.*|More Decks by .*|Other Decks in .*)$",
    re.IGNORECASE,
)
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")
_MARK_HEADING = re.compile(r"^([■◆●□◇○〇▶▼])\s*(\S.*)$")
_TAGGED_TITLE = re.compile(r"^[\[［【][^\]］】]{1,12}[\]］】]\s*\S")
_TAGGED_TITLE_MAX_CHARS = 80
_BRACKET_HEADING = re.compile(r"^【[^】]{1,30}】$")
_CHAPTER_HEADING = re.compile(r"^第\s*[0-9一二三四五六七八九十百]+\s*([章部節項])(?:[\s:：]|$)")
_NUMBERED = re.compile(r"^(?:(\d{1,2}(?:\.\d{1,2})*)[.)．]|[①-⑳]|[(（]\d{1,2}[)）])\s*(?=\S)")
_BULLET = re.compile(r"^(?:[-*+•◦▪‣・])(?:\s+|(?<=・))(?=\S)")
_FENCE = re.compile(r"^\s*(```|~~~)")
_CODE_LIKE = re.compile(
    r"[{};]|==|=>|->|\(\)|^[\w.\[\]]+\s*=\s|\w\(.*\)$"
    r"|^\s*(?:def|class|import|from|return|if|for|while|print)\b"
    r"|^\s*(?:\$|>>>|%)\s"
)
_SENTENCE_END = re.compile(r"[。．.、，,:：;；]$")
_DATE_ONLY = re.compile(r"^[\d\s/.\-年月日,A-Za-z]*\d{4}[\d\s/.\-年月日,]*$")
_LINK_ONLY = re.compile(r"^(?:https?://|www\.)\S+$")


@dataclass
class _Line:
    raw: str
    text: str  # stripped
    indent: int

    @property
    def blank(self) -> bool:
        return not self.text


def _lines(text: str) -> list[_Line]:
    lines: list[_Line] = []
    for raw in text.split("\n"):
        expanded = raw.replace("\t", "    ").replace("\u3000", "  ").rstrip()
        stripped = expanded.strip()
        if _CHROME.match(stripped):
            continue
        lines.append(_Line(expanded, stripped, len(expanded) - len(expanded.lstrip())))
    return lines


def _plain_blocks(text: str, implicit: bool = True) -> list[_Block]:
    lines = _lines(text)
    blocks: list[_Block] = []
    list_indents: list[int] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.blank:
            list_indents.clear()
            index += 1
            continue
        preformatted, index_after = _preformatted(lines, index)
        if preformatted:
            blocks.append(("preformatted", preformatted, 0))
            index = index_after
            list_indents.clear()
            continue
        previous = lines[index - 1] if index else None
        block = _classify(line, _next_line(lines, index), previous, implicit)
        if block[0] == "list-item":
            block = (block[0], block[1], _nesting(list_indents, line.indent))
        else:
            list_indents.clear()
        if not blocks or blocks[-1][:2] != block[:2]:  # a title repeated by the page
            blocks.append(block)
        index += 1
    return blocks


def _next_line(lines: list[_Line], index: int) -> _Line | None:
    return lines[index + 1] if index + 1 < len(lines) else None


def _nesting(indents: list[int], indent: int) -> int:
    """The depth of a list item indented by ``indent`` in the current list."""
    while indents and indent < indents[-1]:
        indents.pop()
    if not indents or indent > indents[-1]:
        indents.append(indent)
    return len(indents) - 1


def _preformatted(lines: list[_Line], index: int) -> tuple[str, int]:
    """A fenced block or a run of indented code-like lines starting at ``index``."""
    if _FENCE.match(lines[index].raw):
        end = index + 1
        while end < len(lines) and not _FENCE.match(lines[end].raw):
            end += 1
        body = "\n".join(line.raw for line in lines[index + 1 : end])
        return _dedent(body) or " ", min(end + 1, len(lines))
    if not _is_code_line(lines[index], started=False):
        return "", index
    end = index + 1
    while end < len(lines) and _is_code_line(lines[end], started=True):
        end += 1
    return _dedent("\n".join(line.raw for line in lines[index:end])), end


def _is_code_line(line: _Line, started: bool) -> bool:
    """An indented, mostly ASCII line: one that looks like code opens a block, and any
    such line continues it."""
    if line.blank or line.indent < 4 or _BULLET.match(line.text):
        return False
    ascii_share = sum(1 for c in line.text if c.isascii()) / len(line.text)
    return ascii_share >= 0.9 and (started or bool(_CODE_LIKE.search(line.text)))


def _dedent(body: str) -> str:
    lines = body.split("\n")
    margin = min((len(x) - len(x.lstrip()) for x in lines if x.strip()), default=0)
    return "\n".join(x[margin:] for x in lines).strip("\n")


def _classify(
    line: _Line, following: _Line | None, previous: _Line | None, implicit: bool = True
) -> _Block:
    """The block one line makes. ``implicit`` allows headings recognised by their shape
    alone (a short line before a paragraph); slides only have explicit ones."""
    text = line.text
    heading = _explicit_heading(text)
    if heading:
        return heading
    if _BULLET.match(text):
        return ("list-item", _BULLET.sub("", text, count=1), 0)
    if _NUMBERED.match(text):
        in_list = previous is not None and bool(_NUMBERED.match(previous.text))
        leads = _leads_paragraph(line, following) or (
            following is not None and _explicit_heading(following.text) is not None
        )
        if implicit and not in_list and leads and _title_like(text):
            return ("heading", text, 1 if "." not in text.split(maxsplit=1)[0][:-1] else 2)
        return ("list-item", text, 0)
    if not implicit:
        return ("paragraph", text, 0)
    leads_list = following is not None and (following.blank or _BULLET.match(following.text))
    if leads_list and _tagged_title(text):
        return ("heading", text, 3)
    starts_section = (
        previous is None
        or previous.blank
        or not _title_like(previous.text)
        or bool(_BULLET.match(previous.text) or _NUMBERED.match(previous.text))
    )
    if starts_section and _title_like(text) and _ends_title(line, following):
        return ("heading", text, 2)
    return ("paragraph", text, 0)


def _explicit_heading(text: str) -> _Block | None:
    match = _MD_HEADING.match(text)
    if match:
        return ("heading", match[2], len(match[1]))
    match = _MARK_HEADING.match(text)
    if match and len(text) <= _HEADING_MAX_CHARS:
        return ("heading", match[2], 1 if match[1] in "■◆●▶▼" else 2)
    if _BRACKET_HEADING.match(text):
        return ("heading", text, 2)
    match = _CHAPTER_HEADING.match(text)
    if match and len(text) <= _HEADING_MAX_CHARS:
        return ("heading", text, 1 if match[1] in "章部" else 2)
    return None


def _tagged_title(text: str) -> bool:
    """``[blog] 記事の題名``: a title led by a tag, longer than a plain heading may be."""
    return (
        bool(_TAGGED_TITLE.match(text))
        and len(text) <= _TAGGED_TITLE_MAX_CHARS
        and not _SENTENCE_END.search(text)
    )


def _title_like(text: str) -> bool:
    return (
        len(text) <= _HEADING_MAX_CHARS
        and "。" not in text
        and not _SENTENCE_END.search(text)
        and not _DATE_ONLY.match(text)
        and not _LINK_ONLY.match(text)
        and any(c.isalpha() for c in text)
    )


def _ends_title(line: _Line, following: _Line | None) -> bool:
    """A title is followed by a blank line, a list, or a longer paragraph."""
    if following is None:
        return False
    if following.blank or _BULLET.match(following.text):
        return True
    if _NUMBERED.match(following.text) or _explicit_heading(following.text):
        return True
    return _leads_paragraph(line, following)


def _leads_paragraph(line: _Line, following: _Line | None) -> bool:
    if following is None or following.blank:
        return following is not None
    if _BULLET.match(following.text) or _NUMBERED.match(following.text):
        return False
    longer = len(following.text) > max(len(line.text) * 2, _HEADING_MAX_CHARS)
    return longer or following.indent > line.indent


# --------------------------------------------------------------------------- slide decks

SLIDES = "slides"
_DECK_MARKER = "Transcript"
_SLIDE_START = re.compile(r"^ {1,3}(\d{1,3})\.\s+(.*)$")
_SLIDE_CHROME = re.compile(r"^View Slide\d*$")
_WRAP_MIN_WIDTH = 60  # display columns; shorter lines were broken by their author
_WRAP_SHARE = 0.85  # of the slide's widest line
_WRAP_STOP = re.compile(r"[。．.！？!?：:)）」』】]$")
_LINE_LEADER = re.compile(r"^(?:[・•\-*〇○●◯■□◆◇▶▼※→⇒＊(（【\[]|\d{1,2}[.)．]|[①-⑳]|\S{1,8}[:：])")


@dataclass
class SlideDeck:
    """The text before the slides, then each slide's number and lines (dedented)."""

    preamble: str
    slides: list[tuple[int, list[str]]]


def slide_deck(text: str) -> SlideDeck | None:
    """The slides of a deck saved from a slide host, or None for any other text."""
    lines = text.split("\n")
    marker = next((i for i, x in enumerate(lines) if x.strip() == _DECK_MARKER), None)
    if marker is None or not any(_SLIDE_CHROME.match(x.strip()) for x in lines[marker:]):
        return None
    slides: list[tuple[int, list[str]]] = []
    for raw in lines[marker + 1 :]:
        start = _SLIDE_START.match(raw.replace("\t", "    "))
        if start and int(start[1]) == len(slides) + 1:
            slides.append((len(slides) + 1, [start[2].strip()]))
        elif slides:
            slides[-1][1].append(raw.replace("\t", "    "))
        elif raw.strip():
            return None  # text between the marker and the first slide: not a deck
    if len(slides) < 2:
        return None
    decks = [(number, _slide_lines(body)) for number, body in slides]
    return SlideDeck("\n".join(lines[:marker]), decks)


def _slide_lines(body: list[str]) -> list[str]:
    first, rest = body[0], _dedent("\n".join(body[1:])).split("\n")
    kept = [x.rstrip() for x in [first, *rest] if x.strip() and not _SLIDE_CHROME.match(x.strip())]
    return [x.strip() for x in kept]


def _deck_blocks(deck: SlideDeck) -> list[_Block]:
    blocks: list[_Block] = []
    for number, lines in deck.slides:
        if not lines:
            continue
        title, body = _slide_title(lines)
        heading = f"スライド {number}: {title}" if title else f"スライド {number}"
        blocks.append(("heading", heading, 1))
        for kind, text, level in _plain_blocks("\n".join(_join_wrapped(body)), implicit=False):
            blocks.append((kind, text, min(level + 1, 6) if kind == "heading" else level))
    return blocks


def _slide_title(lines: list[str]) -> tuple[str, list[str]]:
    """The slide's title and the rest: its ``■`` line (first or last: PDF text often puts
    the title last), else its first line when short and not the start of a list."""
    for index in (0, len(lines) - 1):
        mark = _MARK_HEADING.match(lines[index])
        if mark and len(lines[index]) <= _HEADING_MAX_CHARS:
            return mark[2], lines[:index] + lines[index + 1 :]
    first = lines[0]
    starts_list = bool(_BULLET.match(first)) or (
        bool(_NUMBERED.match(first)) and any(_NUMBERED.match(x) for x in lines[1:])
    )
    if _title_like(first) and not starts_list:
        return first, lines[1:]
    return "", lines


def _join_wrapped(lines: list[str]) -> list[str]:
    """Lines joined where the slide's text box wrapped them: a line near the slide's full
    width, not closing a sentence, continued by a line that opens nothing new."""
    widest = max((_width(x) for x in lines), default=0)
    wrap_at = max(_WRAP_MIN_WIDTH, _WRAP_SHARE * widest)
    joined: list[str] = []
    last_width = 0
    for line in lines:
        wrapped = (
            joined
            and last_width >= wrap_at
            and not _WRAP_STOP.search(joined[-1])
            and not _LINE_LEADER.match(line)
            and _explicit_heading(joined[-1]) is None
        )
        if wrapped:
            joined[-1] = _join_lines(joined[-1] + "\n" + line)
        else:
            joined.append(line)
        last_width = _width(line)
    return joined


def _width(text: str) -> int:
    """Display columns: wide (CJK) characters count two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


# --------------------------------------------------------------------------- markdown


def _markdown_blocks(text: str) -> list[_Block]:
    tokens = MarkdownIt("commonmark").parse(text)
    blocks: list[_Block] = []
    list_depth = 0
    in_item = False
    for index, token in enumerate(tokens):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            list_depth += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            list_depth -= 1
        elif token.type == "list_item_open":
            in_item = True
        elif token.type == "heading_open":
            body = _inline_text(tokens[index + 1])
            blocks.append(("heading", body, int(token.tag[1])))
        elif token.type in ("fence", "code_block"):
            blocks.append(("preformatted", token.content.rstrip("\n") or " ", 0))
        elif token.type == "inline" and tokens[index - 1].type == "paragraph_open":
            body = _inline_text(token)
            if in_item:
                blocks.append(("list-item", body, max(list_depth - 1, 0)))
                in_item = False
            elif body:
                blocks.append(("paragraph", body, 0))
    return [b for b in blocks if b[1].strip()]


def _inline_text(token: Token) -> str:
    """The plain text of an inline token: markup dropped, soft breaks joined."""
    pieces: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            pieces.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            pieces.append("\n")
        elif child.type == "image":
            pieces.append(child.content)
    return _join_lines("".join(pieces))


def _join_lines(text: str) -> str:
    """Lines of one paragraph joined: no space between Japanese characters, else one."""
    parts = [p.strip() for p in text.split("\n") if p.strip()]
    joined = parts[0] if parts else ""
    for part in parts[1:]:
        wide = not joined[-1].isascii() and not part[0].isascii()
        joined += part if wide else " " + part
    return joined
