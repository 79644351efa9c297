"""The whole pipeline for one episode as plain function calls, without Prefect tasks.

The flows in ``reclean.py`` and ``transcribe.py`` run these same stages as one Prefect
task each (for per-stage caching and progress); batch runs (``backfill.py``) and
benchmarks run an episode as one unit of work with this module.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from kikigaki.document import CollectionDocument, Episode
from kikigaki.sidecar import Sidecar, apply_sidecar
from postprocess.annotate import annotate
from postprocess.fillers import remove_fillers
from postprocess.glossary import Glossary
from postprocess.homophones import correct_homophones
from postprocess.normalize import normalize
from postprocess.paragraphs import group_paragraphs
from postprocess.sentences import split_into_sentences
from postprocess.terms import correct_terms
from postprocess.topics import segment_topics

AUDIO_SUFFIXES = frozenset({".wav", ".mp3", ".m4a", ".aac", ".flac", ".ogg", ".opus"})


@dataclass(frozen=True)
class EpisodeJob:
    """One episode to process: its source file and how."""

    source: Path
    slug: str | None = None
    keep_fillers: bool = False
    diarize: bool = True
    speaker_names: tuple[str, ...] = ()
    sidecar: Sidecar = field(default_factory=Sidecar)

    @property
    def is_audio(self) -> bool:
        return self.source.suffix.lower() in AUDIO_SUFFIXES


def text_stages(
    episode: Episode, glossary: Glossary, related: Sequence[CollectionDocument],
    *, keep_fillers: bool = False, sidecar: Sidecar | None = None,
) -> Episode:
    """Fillers, terms, everyday words, sentences, topics, the sidecar's edits and
    annotations."""
    episode = correct_terms(remove_fillers(episode, keep=keep_fillers), glossary)
    episode = correct_homophones(episode, glossary=glossary,
                                 keep=sidecar.keep if sidecar is not None else ())
    episode = group_paragraphs(segment_topics(split_into_sentences(episode)))
    if sidecar is not None:
        episode = apply_sidecar(episode, sidecar)
    return annotate(episode, related, glossary)


def reclean_stages(
    job: EpisodeJob, glossary: Glossary, related: Sequence[CollectionDocument]
) -> Episode:
    from transcribe.readers import read_transcript

    episode = normalize(read_transcript(job.source, slug=job.slug))
    return text_stages(episode, glossary, related, keep_fillers=job.keep_fillers,
                       sidecar=job.sidecar)


def audio_stages(
    job: EpisodeJob, glossary: Glossary, related: Sequence[CollectionDocument]
) -> Episode:
    from transcribe.align import split_segments_by_speaker
    from transcribe.asr import release_models, transcribe_audio
    from transcribe.audio import decode_to_memmap
    from transcribe.diarize import diarize_episode, name_speakers
    from transcribe.hotwords import pick_hotwords

    episode = transcribe_audio(job.source, hotwords=partial(pick_hotwords, glossary))
    release_models()
    if job.slug:
        episode = episode.model_copy(
            update={"meta": episode.meta.model_copy(update={"slug": job.slug})}
        )
    if job.diarize and episode.segments:
        with tempfile.TemporaryDirectory(prefix="kikigaki-audio-") as scratch:
            waveform = decode_to_memmap(job.source, Path(scratch) / "audio.f32")
            episode = diarize_episode(episode, waveform)
            del waveform
    episode = split_segments_by_speaker(episode)
    names = job.speaker_names or job.sidecar.speaker_names
    if names:
        episode = name_speakers(episode, names)
    return text_stages(episode, glossary, related, keep_fillers=job.keep_fillers,
                       sidecar=job.sidecar)


def run_job(job: EpisodeJob, glossary: Glossary,
            related: Sequence[CollectionDocument]) -> Episode:
    stages = audio_stages if job.is_audio else reclean_stages
    return stages(job, glossary, related)
