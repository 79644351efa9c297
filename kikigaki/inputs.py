"""Reading the small files a run is given (sidecar, glossary, hotwords): once, whole,
from a regular file of a bounded size.

A pipe (``--glossary <(cat g.toml)``) would be empty on a second read, a FIFO would block
until someone writes to it, ``/dev/zero`` would fill the memory: all are refused with one
line, before anything is read. TOML that nests beyond Python's recursion limit is a
one-line error too, not a RecursionError.
"""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path
from typing import Any

from kikigaki.errors import InputError, KikigakiError

MAX_SETTINGS_BYTES = 4 * 2**20  # a glossary of tens of thousands of terms fits


def read_input(
    path: Path, what: str, *, max_bytes: int = MAX_SETTINGS_BYTES,
    error: type[KikigakiError] = InputError,
) -> bytes:
    """The bytes of the regular file ``path`` (``what`` names it in errors, e.g.
    "glossary"), at most ``max_bytes``; ``error`` for anything else."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO must not block the open
    except FileNotFoundError:
        raise error(path, f"the {what} file does not exist", "check the path") from None
    except IsADirectoryError:
        raise error(path, f"is a folder, not a {what} file", "give the file inside it") from None
    except OSError as problem:
        raise error(path, f"the {what} cannot be read ({problem.strerror})",
                    "check the file and its permissions") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise error(path, f"is a folder, not a {what} file", "give the file inside it")
        if not stat.S_ISREG(mode):
            raise error(path, f"the {what} is not a regular file (a pipe or a device)",
                        "save it to a file and give that file")
        data = _read_at_most(fd, max_bytes + 1)
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise error(path, f"the {what} is larger than {_size(max_bytes)}",
                    f"a {what} is a short text file; check the path")
    return data


def _read_at_most(fd: int, size: int) -> bytes:
    chunks, left = [], size
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def is_utf8_name(path: Path | str) -> bool:
    """Whether the name is text (a name of bytes that are not UTF-8 decodes to lone
    surrogates, which JSON and pages cannot carry)."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shown_name(path: Path | str) -> str:
    """The name as it can be printed: bytes that are not UTF-8 as U+FFFD."""
    return os.fsencode(str(path)).decode("utf-8", "replace")


def _size(count: int) -> str:
    return f"{count // 2**20} MB" if count >= 2**20 else f"{count // 2**10} KB"


def parse_toml(text: str, path: str | Path, what: str,
               error: type[KikigakiError] = InputError) -> dict[str, Any]:
    """``text`` as TOML; ``error`` naming ``path`` for bad syntax or absurd nesting."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as problem:
        raise error(path, f"is not valid TOML ({problem})", "fix the syntax") from None
    except RecursionError:
        raise error(path, f"the {what} nests tables or arrays too deeply to read",
                    "fix the syntax") from None
