"""Content-addressed cache keys for Prefect tasks.

A task's key is the hash of: its name, the code and shipped data that shape its output
(every module of the pipeline, the trained models, the glossaries), and the *content*
of its inputs: an Episode by its JSON, a file by its path and bytes, a folder by its path
and files. Change a glossary entry and only the text stages that read the glossary miss the cache.
"""

from __future__ import annotations

import dataclasses
import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

_REPO_PARTS = ("kikigaki", "transcribe", "postprocess", "flows")
_SHIPPED_DATA_SUFFIXES = {".py", ".npz", ".toml", ".json", ".bin"}


@cache
def code_digest() -> str:
    """One hash over the pipeline's source and shipped data files."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for part in _REPO_PARTS:
        for path in sorted((root / part).rglob("*")):
            if path.is_file() and path.suffix in _SHIPPED_DATA_SUFFIXES:
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def fingerprint(value: Any) -> str:
    """A stable hash of ``value``'s content."""
    return hashlib.sha256(_canonical_bytes(value)).hexdigest()


def _canonical_bytes(value: Any) -> bytes:
    if isinstance(value, BaseModel):
        return value.model_dump_json().encode()
    if isinstance(value, Path):
        return _path_bytes(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return repr(value).encode()
    if isinstance(value, (list, tuple)):
        return b"[" + b",".join(fingerprint(v).encode() for v in value) + b"]"
    if isinstance(value, dict):
        items = sorted((str(k), fingerprint(v)) for k, v in value.items())
        return repr(items).encode()
    return repr(value).encode()


def _path_bytes(path: Path) -> bytes:
    # The path as given is keyed too: outputs name it (meta.source, meta.audio), and a
    # result cached for a copy elsewhere would point at that copy, perhaps deleted since.
    where = str(path).encode() + b"\0"
    if path.is_file():
        return b"file:" + where + hashlib.sha256(path.read_bytes()).digest()
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        return b"dir:" + where + b"".join(
            str(p.relative_to(path)).encode() + hashlib.sha256(p.read_bytes()).digest()
            for p in files
        )
    return b"missing:" + str(path).encode()


# Parameters that change how a task reports, not what it returns; and the glossary the
# ASR takes its hotwords from, which nudges spellings the terms stage corrects anyway:
# keying ASR on it would make every glossary edit cost a full transcription.
_NOT_KEYED = frozenset({"show_progress", "hotword_glossary"})


def content_key(context: Any, parameters: dict[str, Any]) -> str:
    """``cache_key_fn`` for Prefect tasks: name + code + input content."""
    task_name = context.task.name
    keyed = {name: value for name, value in parameters.items() if name not in _NOT_KEYED}
    return fingerprint([task_name, code_digest(), keyed])
