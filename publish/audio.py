"""The episode's audio beside its page: which file is copied there."""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from kikigaki.document import Episode
from publish.layout import AUDIO_STEM, AUDIO_SUFFIX

# --------------------------------------------------------------------------- audio


@dataclass(frozen=True)
class AudioSource:
    """The file to publish as ``name`` in an episode's folder."""

    path: Path
    name: str


def audio_file_name(audio: str) -> str:
    """``audio.<ext>`` for the episode's audio file, keeping a plain extension."""
    suffix = PurePosixPath(audio.replace("\\", "/")).suffix.lower()
    return AUDIO_STEM + (suffix if AUDIO_SUFFIX.match(suffix) else "")


def audio_sources(out_dir: Path, episodes: Mapping[str, Episode],
                  fresh: Set[str]) -> dict[str, AudioSource]:
    """Where each episode's audio comes from: for an episode of this run (its slug in
    ``fresh``) ``meta.audio`` when that file is there, else the copy an earlier publish
    left in the site. A published ``episode.json`` is not trusted to name a file to copy.
    An episode with neither gets no player."""
    sources: dict[str, AudioSource] = {}
    for slug, episode in episodes.items():
        if not episode.meta.audio:
            continue
        name = audio_file_name(episode.meta.audio)
        candidates = [out_dir / slug / name]
        if slug in fresh:
            candidates.insert(0, Path(episode.meta.audio))
        for candidate in candidates:
            if candidate.is_file() and not candidate.is_symlink():
                sources[slug] = AudioSource(candidate, name)
                break
    return sources
