"""Which folders kikigaki may publish into.

kikigaki writes and removes only the files its manifest lists (:mod:`publish.commit`),
but it still publishes only into a new folder, an empty one, or one it made (it holds
the marker file): a folder of the user's files is not a site.
"""

from __future__ import annotations

import os
from pathlib import Path

from kikigaki.atomic import COMMIT_DIR, STAGING_PREFIX
from kikigaki.errors import PublishError

SITE_MARKER = ".kikigaki-site"
MANIFEST = ".kikigaki-manifest.json"  # the files kikigaki made in the site
_LEFT_BY_A_CRASH = (STAGING_PREFIX, COMMIT_DIR)
_UNTOUCHED = "choose another folder with --out; nothing was written, any previous site is unchanged"


def check_site_dir(out: Path) -> None:
    """Raise PublishError unless ``out`` is new, empty, or a site kikigaki published, in a
    folder where the new site can be staged beside it."""
    _check_parent(out)
    if not out.exists():
        return
    if not out.is_dir():
        raise PublishError(out, "exists and is not a folder", "choose a new folder with --out")
    if (out / SITE_MARKER).is_file():
        return
    if not [p for p in out.iterdir() if not p.name.startswith(_LEFT_BY_A_CRASH)]:
        return
    raise PublishError(
        out,
        "is a folder of other files, not a site kikigaki published",
        "choose a new or empty folder with --out",
    )


def _check_parent(out: Path) -> None:
    """The nearest existing folder above ``out`` must be a writable folder: the site is
    staged beside ``out`` (found now, not after the whole run)."""
    for parent in out.absolute().parents:
        if not parent.exists():
            continue
        if not parent.is_dir():
            raise PublishError(
                out, f"cannot be created: {parent} is a file, not a folder", _UNTOUCHED,
            )
        if not os.access(parent, os.W_OK | os.X_OK):
            raise PublishError(
                out, f"cannot be written: {parent} is not writable", _UNTOUCHED,
            )
        return
