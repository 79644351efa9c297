"""The one options object: what the command line builds, the flows take, and the service
and backfill pass on. Every path (``reclean``, ``transcribe``, ``scan``/``serve``,
``backfill``) runs the same stages (:mod:`pipeline.stages`) with one of these.

Settings of the engines stay with their engines (:class:`transcribe.asr.AsrSettings`,
:class:`transcribe.diarize.DiarizationSettings`); this module gathers them with the text,
metadata and publishing options.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from transcribe.asr import AsrSettings
from transcribe.diarize import DiarizationSettings

AUDIO_SUFFIXES = frozenset({".wav", ".mp3", ".m4a", ".aac", ".flac", ".ogg", ".opus"})
TRANSCRIPT_SUFFIXES = frozenset({".txt", ".srt", ".vtt", ".json"})


@dataclass(frozen=True)
class EpisodeDetails:
    """Metadata the user gives; each wins over the sidecar, the audio's tags and what the
    transcript file says. ``language`` is the language of a transcript (audio: the ASR's)."""

    title: str | None = None
    show: str | None = None
    date: str | None = None  # YYYY-MM-DD
    description: str | None = None
    episode_id: str | None = None
    image: str | None = None  # a URL or a file
    language: str = "ja"


@dataclass(frozen=True)
class TextOptions:
    keep_fillers: bool = False
    glossary_paths: tuple[Path, ...] = ()  # the user's glossaries, over the shipped one
    hotwords_file: Path | None = None  # extra hotwords, one term a line
    no_hotwords: bool = False  # send Whisper no hotwords at all
    collection_dir: Path | None = None  # None: the documents the site already has
    llm_url: str | None = None  # an OpenAI-compatible endpoint that writes the show notes


@dataclass(frozen=True)
class PublishOptions:
    out: Path = Path("site")
    base_url: str | None = None  # None: the one this site used last
    show_image: str | None = None  # the show's artwork, a URL or a file; None: the site's


@dataclass(frozen=True)
class Options:
    text: TextOptions = field(default_factory=TextOptions)
    asr: AsrSettings = field(default_factory=AsrSettings)
    diarization: DiarizationSettings = field(default_factory=DiarizationSettings)
    diarize: bool = True
    publish: PublishOptions = field(default_factory=PublishOptions)
    details: EpisodeDetails = field(default_factory=EpisodeDetails)  # one episode's
    speaker_names: tuple[str, ...] = ()  # in order of first appearance; win over the sidecar
    slug: str | None = None  # one episode's folder name
    sidecar: Path | None = None  # one episode's sidecar (default: beside the source)
    retranscribe: bool = False  # redo ASR and diarization even when cached
    show_progress: bool = True

    def for_each_episode(self) -> Options:
        """These options without what belongs to one episode only (title, slug, names,
        sidecar file): what a scan or a backfill applies to every episode it finds."""
        return replace(self, details=EpisodeDetails(language=self.details.language),
                       speaker_names=(), slug=None, sidecar=None)


def is_audio(source: Path) -> bool:
    return source.suffix.lower() in AUDIO_SUFFIXES
