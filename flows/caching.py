"""Content-addressed cache keys for the stage tasks.

A stage's key is the hash of: its name, the code and shipped data its output depends on,
the *content* of its inputs (the episode as JSON, each bound need, the source file's
bytes when the stage reads it). "The code it depends on" is found from the code itself:
the stage function's own source, and every project module it imports, directly or
through other project modules, with the data files kept in those modules' package
folders (trained models, glossaries). So editing a template, or the topic segmenter,
leaves the cached hour-long ASR of every episode in use; editing the ASR does not.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import inspect
import sys
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

REPO = Path(__file__).resolve().parent.parent
PROJECT_PACKAGES = ("kikigaki", "transcribe", "postprocess", "pipeline")
# Glossaries (.toml) are inputs, keyed by their content where a stage takes them.
_DATA_SUFFIXES = frozenset({".npz", ".json", ".bin", ".txt"})


def function_digest(function: Callable[..., Any], root: Path = REPO) -> str:
    """One hash over ``function``'s source and all the project code and data it uses."""
    digest = hashlib.sha256(inspect.getsource(function).encode())
    for path in sorted(_files_used(function, root)):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _files_used(function: Callable[..., Any], root: Path) -> set[Path]:
    definition = ast.parse(inspect.getsource(function).lstrip()).body[0]
    body = ast.Module(body=list(getattr(definition, "body", [])), type_ignores=[])
    names = {node.id for node in ast.walk(body) if isinstance(node, ast.Name)}
    module = sys.modules[function.__module__]
    start = set(_imports_in(body))
    start |= {_origin(module, name) for name in names} - {None}  # type: ignore[arg-type]
    # The function's own module is covered by its source, hashed above.
    start.discard(function.__module__)
    files = {f for f in (_module_file(m, root) for m in _closure(frozenset(start), root)) if f}
    return files | set(_data_files(files, root))


def _origin(module: Any, name: str) -> str | None:
    """The project module a global ``name`` used by a function of ``module`` comes from."""
    value = getattr(module, name, None)
    owner = getattr(value, "__module__", None) or getattr(value, "__name__", None)
    if isinstance(owner, str) and owner.split(".")[0] in PROJECT_PACKAGES:
        return owner
    return None


def _imports_in(tree: ast.AST) -> Iterable[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


@cache
def _closure(start: frozenset[str], root: Path) -> frozenset[str]:
    seen: set[str] = set()
    todo = [m for m in start if m.split(".")[0] in PROJECT_PACKAGES]
    while todo:
        name = todo.pop()
        path = _module_file(name, root)
        if name in seen or path is None:
            continue
        seen.add(name)
        for imported in _imports_in(ast.parse(path.read_text(encoding="utf-8"))):
            if imported.split(".")[0] in PROJECT_PACKAGES and imported not in seen:
                todo.append(imported)
    return frozenset(seen)


def _module_file(name: str, root: Path) -> Path | None:
    base = root.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _data_files(code: set[Path], root: Path) -> Iterable[Path]:
    """The shipped data files the ``code`` names (``punctuation.npz`` in the module that
    loads it), from the folders of that code and their sub-folders."""
    sources = "\n".join(path.read_text(encoding="utf-8") for path in code)
    for folder in {path.parent for path in code}:
        for path in folder.rglob("*"):
            if path.suffix in _DATA_SUFFIXES and path.is_file() and path.name in sources:
                yield path


def fingerprint(value: Any) -> str:
    """A stable hash of ``value``'s content."""
    return hashlib.sha256(_canonical_bytes(value)).hexdigest()


def _canonical_bytes(value: Any) -> bytes:
    if isinstance(value, BaseModel):
        return value.model_dump_json().encode()
    if isinstance(value, Path):
        return str(value).encode()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return repr(value).encode()
    if isinstance(value, (list, tuple)):
        return b"[" + b",".join(fingerprint(v).encode() for v in value) + b"]"
    if isinstance(value, dict):
        items = sorted((str(k), fingerprint(v)) for k, v in value.items())
        return repr(items).encode()
    return repr(value).encode()


def file_fingerprint(path: Path) -> str:
    """The path as given and the file's bytes: outputs name the path (meta.source), and a
    result cached for a copy elsewhere would point at that copy, perhaps deleted since."""
    digest = hashlib.sha256(str(path).encode() + b"\0")
    if path.is_file():
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


@cache
def stage_code_digest(stage_name: str) -> str:
    from pipeline.stages import STAGES

    stage = next(s for s in STAGES if s.name == stage_name)
    functions = [stage.function, *([stage.otherwise] if stage.otherwise else [])]
    return fingerprint([function_digest(f) for f in functions])


def stage_key(context: Any, parameters: dict[str, Any]) -> str:
    """``cache_key_fn`` of the stage tasks: name + the stage's code + input content."""
    bound, episode = parameters["bound"], parameters["episode"]
    parts: list[Any] = [bound.name, stage_code_digest(bound.name), episode,
                        bound.keyed_inputs()]
    if bound.stage.reads_source:
        parts.append(file_fingerprint(Path(episode.meta.source)))
    return fingerprint(parts)
