"""The collection a published site carries, kept in the site for the next run.

``--collection FOLDER`` says which documents a site is published beside. The site keeps
them in :data:`SITE_COLLECTION` (``collection.json`` at its root), so a later run without
the option publishes beside the same documents, and a new site has none: the shipped
seeds are the README's demo collection, not every user's.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from kikigaki.document import CollectionDocument
from kikigaki.errors import InputError

SITE_COLLECTION = "collection.json"
_VERSION = 1


def collection_json(documents: Sequence[CollectionDocument]) -> str:
    """The documents as the site keeps them (deterministic JSON)."""
    data = {"version": _VERSION, "documents": [d.model_dump(mode="json") for d in documents]}
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def load_site_collection(site: Path) -> list[CollectionDocument]:
    """The documents the site in ``site`` was last published beside; none for a new site.
    InputError (one line) when the kept file cannot be read."""
    path = Path(site) / SITE_COLLECTION
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("version") != _VERSION:
            raise ValueError("unknown version")
        return [CollectionDocument.model_validate(d) for d in data["documents"]]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, ValidationError) as error:
        raise InputError(
            path,
            f"the site's collection cannot be read ({type(error).__name__})",
            "publish again with --collection FOLDER to give the documents anew",
        ) from error
