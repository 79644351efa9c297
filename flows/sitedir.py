"""Which folders kikigaki may publish into.

Publishing replaces the whole site folder, so it must never be pointed at a folder of
the user's own files: only a new folder, an empty one, or one kikigaki made (it holds
the marker file) is accepted.
"""

from __future__ import annotations

from pathlib import Path

from kikigaki.errors import PublishError

SITE_MARKER = ".kikigaki-site"


def check_site_dir(out: Path) -> None:
    """Raise PublishError unless ``out`` is new, empty, or a site kikigaki published."""
    if not out.exists():
        return
    if not out.is_dir():
        raise PublishError(out, "exists and is not a folder", "choose a new folder with --out")
    if (out / SITE_MARKER).is_file() or not any(out.iterdir()):
        return
    raise PublishError(
        out,
        "is a folder of other files, not a site kikigaki published",
        "choose a new or empty folder with --out",
    )
