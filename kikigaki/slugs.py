"""The one rule that turns a file stem, an episode id or a title into a folder name."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from kikigaki.errors import InputError

_INVISIBLE = re.compile(
    r"[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f"
    r"\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]"
)
_NOT_SLUG = re.compile(r"[^a-z0-9_-]+")
_SLUG_MAX_CHARS = 80


def slugify(name: str) -> str:
    """An ASCII folder name for ``name`` (a file stem or an episode id), safe in a URL.

    Keeps ``[a-z0-9_-]`` after NFKC (``Ｓ３８Ｅ０２`` → ``s38e02``), drops control and
    bidi characters and path parts (``../``, ``/abs``). A name with nothing ASCII left
    (``第五回``) becomes ``ep-`` and 8 hex digits of its hash, the same on every run.
    An empty name raises InputError.
    """
    cleaned = _INVISIBLE.sub("", unicodedata.normalize("NFKC", name)).strip()
    if not cleaned:
        raise InputError(repr(name), "the name is empty", "give a slug with letters or digits")
    slug = _NOT_SLUG.sub("-", cleaned.lower()).strip("-_")
    slug = re.sub(r"-{2,}", "-", slug)[:_SLUG_MAX_CHARS].strip("-_")
    if re.search(r"[a-z0-9]", slug):
        return slug
    return "ep-" + hashlib.sha256(cleaned.encode("utf-8")).hexdigest()[:8]
