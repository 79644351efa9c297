"""Atomic writes: a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

STAGING_PREFIX = ".kikigaki-staging."  # a folder being written: removed by the next run
COMMIT_DIR = ".kikigaki-commit"  # a folder committed: moved in by the next run


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def staged_directory(target: Path) -> Iterator[Path]:
    """Yield an empty staging directory beside ``target``; on success it replaces ``target``.

    The swap is two renames (old aside, new in place), so a failure at any point before
    it leaves ``target`` exactly as it was, and the staging directory is removed.
    """
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging.", dir=target.parent))
    try:
        yield staging
        _swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap_in(staging: Path, target: Path) -> None:
    with _swap_lock(target.parent):
        if not target.exists():
            os.replace(staging, target)
            return
        retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
        os.rmdir(retired)
        os.replace(target, retired)
        try:
            os.replace(staging, target)
        except BaseException:
            os.replace(retired, target)
            raise
    shutil.rmtree(retired, ignore_errors=True)


_HELD = threading.local()  # folders this thread has locked (the lock is re-entrant)


def _held() -> set[Path]:
    if not hasattr(_HELD, "folders"):
        _HELD.folders = set()
    return _HELD.folders


@contextlib.contextmanager
def _swap_lock(folder: Path) -> Iterator[None]:
    """Swaps into one folder take turns: two at once would trip over each other's
    renames (one finds the target gone, or cannot put the old one back)."""
    folder = folder.resolve()
    if fcntl is None or folder in _held():  # no flock (Windows), or already ours
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        _held().add(folder)
        yield
    finally:
        _held().discard(folder)
        os.close(fd)  # releases the lock


@contextlib.contextmanager
def exclusive(target: Path) -> Iterator[None]:
    """Hold the lock of ``target``'s folder for a read-modify-write of the whole of
    ``target``, so that two runs publishing into one site take turns."""
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    with _swap_lock(target.parent):
        yield
