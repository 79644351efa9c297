"""Files copied into the site (the episode's audio beside its page, artwork): copied
once, hard-linked from the previous site while unchanged."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from kikigaki.document import Episode
from publish.layout import AUDIO_STEM, AUDIO_SUFFIX
from publish.podcast import is_http_url

# --------------------------------------------------------------------------- audio


@dataclass(frozen=True)
class SiteFile:
    """The file to publish as ``name`` (in an episode's folder, or the site's root)."""

    path: Path
    name: str


def audio_file_name(audio: str) -> str:
    """``audio.<ext>`` for the episode's audio file, keeping a plain extension."""
    suffix = PurePosixPath(audio.replace("\\", "/")).suffix.lower()
    return AUDIO_STEM + (suffix if AUDIO_SUFFIX.match(suffix) else "")


def audio_sources(out_dir: Path, episodes: Mapping[str, Episode]) -> dict[str, SiteFile]:
    """Where each episode's audio comes from: ``meta.audio`` when that file is there, else
    the copy an earlier publish left in the site. An episode with neither gets no player."""
    sources: dict[str, SiteFile] = {}
    for slug, episode in episodes.items():
        if not episode.meta.audio or is_http_url(episode.meta.audio):
            continue  # none, or the audio at its host (publish.podcast.audio_link)
        name = audio_file_name(episode.meta.audio)
        for candidate in (Path(episode.meta.audio), out_dir / slug / name):
            if candidate.is_file():
                sources[slug] = SiteFile(candidate, name)
                break
    return sources


def place_file(source: SiteFile, destination: Path, previous: Path) -> None:
    """Copy ``source`` to ``destination``, or hard-link the previous site's copy when it is
    the same file (same size and modification time, which the copy preserves)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    if _unchanged(source.path, previous):
        try:
            os.link(previous, destination)
            return
        except OSError:
            pass  # a file system without hard links: copy instead
    shutil.copy2(source.path, destination)


def _unchanged(source: Path, previous: Path) -> bool:
    if not previous.is_file():
        return False
    if os.path.samefile(source, previous):
        return True
    mine, theirs = source.stat(), previous.stat()
    return mine.st_size == theirs.st_size and mine.st_mtime_ns == theirs.st_mtime_ns


