"""Putting a rendered site in place: only kikigaki's own files, and a crash at any point
finished by the next run.

The site folder may hold the user's files too (a ``.git`` folder, a ``CNAME``, the
transcript a run was given): kikigaki writes and removes only the files its manifest
(:data:`publish.sitedir.MANIFEST`) lists, and refuses to write where a file it did not
make is, or through a link.

A publish writes the changed files into a staging folder inside the site
(:data:`kikigaki.atomic.STAGING_PREFIX`), then commits with one rename of that folder to
:data:`kikigaki.atomic.COMMIT_DIR`. After the commit each file is moved into place with
one rename (a reader sees the old file or the new one), the files of the old manifest
that the new one drops are removed, and the new manifest is moved in last. A run killed
before the commit leaves the site as it was (the next run removes the staging folder);
killed after it, the next run finishes the moves (:func:`recover`).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath

from kikigaki.atomic import COMMIT_DIR, STAGING_PREFIX
from kikigaki.errors import PublishError
from publish.sitedir import MANIFEST, SITE_MARKER

_KEPT = "nothing was written, the previous site is unchanged"


# --------------------------------------------------------------------------- the manifest


def clean_name(name: object) -> str | None:
    """``name`` if it is a plain relative path inside the site, else None (a manifest
    edited to name ``../x`` or ``/etc/x`` names nothing)."""
    if not isinstance(name, str) or not name or "\\" in name or "\0" in name:
        return None
    path = PurePosixPath(name)
    if path.is_absolute() or any(part in ("", ".", "..") for part in path.parts):
        return None
    if path.parts[0] in (MANIFEST, COMMIT_DIR) or path.parts[0].startswith(STAGING_PREFIX):
        return None
    return str(path)


def read_manifest(path: Path) -> set[str] | None:
    """The files a manifest lists (cleaned), None when there is none or it is unreadable."""
    try:
        if path.is_symlink():
            return None
        data = json.loads(path.read_bytes())
        listed = data.get("files", []) if isinstance(data, dict) else []
    except (OSError, ValueError):
        return None
    return {n for n in map(clean_name, listed if isinstance(listed, list) else []) if n}


def owned_files(site: Path) -> set[str]:
    """The files kikigaki made in ``site``. A site of an earlier version has no manifest:
    then nothing is known to be ours, and :func:`commit_site` may only replace the files
    it writes again (it removes none)."""
    return read_manifest(site / MANIFEST) or set()


def manifest_bytes(names: Iterable[str]) -> bytes:
    return json.dumps({"files": sorted(names)}, ensure_ascii=False, indent=1).encode("utf-8")


# --------------------------------------------------------------------------- checks


def target(site: Path, name: str) -> Path:
    """``site / name`` once no folder on the way is a link or a file; PublishError else."""
    path = site
    parts = PurePosixPath(name).parts
    for depth, part in enumerate(parts[:-1], 1):
        path = path / part
        if path.is_symlink():
            shown = "/".join(parts[:depth])
            raise PublishError(site, f"{shown}/ is a link; kikigaki does not publish through "
                               "links", f"remove the link or choose another --out; {_KEPT}")
        if path.exists() and not path.is_dir():
            shown = "/".join(parts[:depth])
            raise PublishError(site, f"{shown} is a file where kikigaki needs a folder",
                               f"move it away or choose another --out; {_KEPT}")
    return path / parts[-1]


def check_targets(site: Path, names: Iterable[str], owned: set[str]) -> None:
    """Refuse, naming them, the files kikigaki would write over but did not make."""
    foreign = []
    for name in sorted(names):
        path = target(site, name)
        if name in owned and not path.is_dir():
            continue
        if os.path.lexists(path) and not _legacy_own(site, path, owned):
            foreign.append(name)
    if foreign:
        shown = ", ".join(foreign[:5]) + (" …" if len(foreign) > 5 else "")
        raise PublishError(
            site, f"holds files kikigaki did not make where it would publish: {shown}",
            f"move them away or choose another --out; {_KEPT}",
        )


def _legacy_own(site: Path, path: Path, owned: set[str]) -> bool:
    """A site an earlier version published (marker, no manifest): its regular files."""
    return not owned and (site / SITE_MARKER).is_file() and stat.S_ISREG(
        path.lstat().st_mode)


# --------------------------------------------------------------------------- the commit


def commit_site(site: Path, files: Mapping[str, bytes], copies: Mapping[str, Path],
                owned: set[str]) -> None:
    """Make ``site`` hold ``files`` (name → bytes) and ``copies`` (name → file to copy),
    remove what the old manifest listed and the new one does not, keep everything else."""
    names = set(files) | set(copies)
    check_targets(site, names, owned)
    made = not site.exists()
    site.mkdir(parents=True, exist_ok=True)
    _open_up(site)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=site))
    try:
        for name, data in sorted(files.items()):
            if not _same_bytes(site / name, data):
                _write(staging / name, data)
        for name, source in sorted(copies.items()):
            if not _same_file(source, site / name):
                _copy(source, staging / name)
        _write(staging / MANIFEST, manifest_bytes(names))
        os.replace(staging, site / COMMIT_DIR)  # the commit
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if made:
            with contextlib.suppress(OSError):
                site.rmdir()
        raise
    finish_commit(site)


def finish_commit(site: Path) -> None:
    """Move every committed file in, drop what the old manifest alone lists, then the
    manifest; each step can be repeated, so a run killed here is finished by the next."""
    commit = site / COMMIT_DIR
    new = read_manifest(commit / MANIFEST)
    if new is None:
        new = read_manifest(site / MANIFEST) or set()
    for name in sorted(new):
        staged = commit / name
        if os.path.lexists(staged) and not staged.is_dir():
            path = target(site, name)
            path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, path)
    for name in sorted(owned_files(site) - new):
        _remove(site, name)
    if os.path.lexists(commit / MANIFEST):
        os.replace(commit / MANIFEST, site / MANIFEST)
    shutil.rmtree(commit, ignore_errors=True)


def _remove(site: Path, name: str) -> None:
    """Remove a file kikigaki made and no longer publishes, then its emptied folders."""
    try:
        path = target(site, name)
    except PublishError:
        return  # a link on the way: what lies behind it is not ours
    if os.path.lexists(path) and not path.is_dir():
        path.unlink()
    folder = path.parent
    while folder != site:
        try:
            folder.rmdir()
        except OSError:
            return  # not empty: the user's files, or other pages
        folder = folder.parent


# --------------------------------------------------------------------------- recovery


def recover(site: Path) -> None:
    """Finish or undo what a killed run left in or beside ``site``."""
    _restore_swapped(site)
    if not site.is_dir() or site.is_symlink():
        return
    for entry in site.iterdir():
        if entry.name.startswith(STAGING_PREFIX) and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
    commit = site / COMMIT_DIR
    if commit.is_dir() and not commit.is_symlink():
        finish_commit(site)


def _restore_swapped(site: Path) -> None:
    """Earlier versions swapped the whole folder with two renames: killed between them,
    they left ``.<site>.old.*`` and no site. Put the newest back; remove their strays."""
    parent = site.parent
    if not parent.is_dir():
        return
    retired = sorted(
        (p for p in parent.glob(f".{site.name}.old.*")
         if p.is_dir() and not p.is_symlink() and (p / SITE_MARKER).is_file()),
        key=lambda p: p.stat().st_mtime_ns,
    )
    if retired and not os.path.lexists(site):
        os.replace(retired.pop(), site)
    for stray in [*retired, *parent.glob(f".{site.name}.staging.*")]:
        if stray.is_dir() and not stray.is_symlink():
            shutil.rmtree(stray, ignore_errors=True)


# --------------------------------------------------------------------------- files


def _write(path: Path, data: bytes) -> None:
    """A new file with the umask's mode (0644 under 022), on disk before the commit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _copy(source: Path, path: Path) -> None:
    """A copy with the umask's mode (not the source's: a private 0600 recording becomes
    readable by the web server) and the source's modification time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, path)
    times = source.stat()
    os.utime(path, ns=(times.st_atime_ns, times.st_mtime_ns))


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        if path.is_symlink() or path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False


def _same_file(source: Path, path: Path) -> bool:
    try:
        if path.is_symlink():
            return False
        if os.path.samefile(source, path):
            return True
        mine, theirs = source.stat(), path.stat()
    except OSError:
        return False
    return mine.st_size == theirs.st_size and mine.st_mtime_ns == theirs.st_mtime_ns


def _open_up(site: Path) -> None:
    """A site an earlier version made with ``mkdtemp`` is 0700: readable by its owner only.
    Give it the umask's mode, as a folder made now gets."""
    if (site / SITE_MARKER).is_file() and stat.S_IMODE(site.stat().st_mode) == 0o700:
        umask = os.umask(0)
        os.umask(umask)
        site.chmod(0o777 & ~umask)
