"""Files copied into the site (the episode's audio beside its page, artwork): which file
is copied there (:mod:`publish.commit` copies it, or leaves an unchanged copy)."""

from __future__ import annotations

from collections.abc import Mapping, Set
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


def audio_sources(out_dir: Path, episodes: Mapping[str, Episode],
                  fresh: Set[str]) -> dict[str, SiteFile]:
    """Where each episode's audio comes from: for an episode of this run (its slug in
    ``fresh``) ``meta.audio`` when that file is there, else the copy an earlier publish
    left in the site. A published ``episode.json`` is not trusted to name a file to copy.
    An episode with neither gets no player."""
    sources: dict[str, SiteFile] = {}
    for slug, episode in episodes.items():
        if not episode.meta.audio or is_http_url(episode.meta.audio):
            continue  # none, or the audio at its host (publish.podcast.audio_link)
        name = audio_file_name(episode.meta.audio)
        for candidate in local_candidates(episode.meta.audio, out_dir / slug / name,
                                          slug in fresh):
            sources[slug] = SiteFile(candidate, name)
            break
    return sources


def local_candidates(given: str, in_site: Path, fresh: bool) -> list[Path]:
    """The files a copy may come from: the one named (only for an episode of this run),
    then the copy in the site; regular files, not links."""
    candidates = [Path(given), in_site] if fresh else [in_site]
    return [c for c in candidates if c.is_file() and not c.is_symlink()]



