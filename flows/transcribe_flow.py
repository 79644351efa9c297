"""Prefect flow for the audio path: an episode's audio to published show notes.

ASR and diarization are the expensive stages; each is a task cached on the audio file's
bytes and its settings (the model included), persisted on disk, so a run stopped during
diarization resumes from the finished ASR. The text stages are the re-clean flow's own
tasks, so both paths publish the same way.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TextIO

from prefect import flow, task

from flows.caching import content_key
from flows.progress import StageProgress
from flows.reclean import (
    _IO_RETRIES,
    RecleanResult,
    clean_and_publish,
    glossary_task,
)
from kikigaki.document import Episode
from kikigaki.sidecar import Sidecar
from postprocess.glossary import Glossary
from transcribe.align import split_segments_by_speaker
from transcribe.asr import AsrSettings, release_models, transcribe_audio
from transcribe.audio import decode_to_memmap
from transcribe.diarize import DiarizationSettings, diarize_episode, name_speakers
from transcribe.hotwords import pick_hotwords

TRANSCRIBE_STAGES = 10
_CACHED = {"cache_key_fn": content_key, "persist_result": True}


class _Percent:
    """Progress inside a long task: percent and time left, on stderr when wanted."""

    def __init__(self, name: str, stream: TextIO | None) -> None:
        self.progress = StageProgress(1, name, stream=stream)
        self.name = name

    def __call__(self, done: float, total: float = 1.0) -> None:
        self.progress.within(self.name, done, total)


@task(name="asr", **_CACHED, **_IO_RETRIES)
def asr_task(
    audio: Path, settings: AsrSettings, hotword_glossary: Glossary, slug: str | None,
    show_progress: bool
) -> Episode:
    """Not keyed on ``hotword_glossary`` (see ``flows.caching``): a glossary edit reruns
    the text stages, which apply it, and not an hour of ASR; ``retranscribe`` does."""
    percent = _Percent("asr", sys.stderr if show_progress else None)
    with percent.progress.stage("asr"):
        episode = transcribe_audio(
            audio, settings, hotwords=partial(pick_hotwords, hotword_glossary), progress=percent
        )
    release_models()
    if slug:
        meta = episode.meta.model_copy(update={"slug": slug})
        episode = episode.model_copy(update={"meta": meta})
    return episode


@task(name="diarize", **_CACHED, **_IO_RETRIES)
def diarize_task(
    episode: Episode, audio: Path, settings: DiarizationSettings, show_progress: bool
) -> Episode:
    percent = _Percent("diarize", sys.stderr if show_progress else None)
    with tempfile.TemporaryDirectory(prefix="kikigaki-audio-") as scratch, \
            percent.progress.stage("diarize"):
        # Decoded to disk and mapped, so a 2-hour episode is not held in memory.
        waveform = decode_to_memmap(audio, Path(scratch) / "audio.f32")
        diarized = diarize_episode(episode, waveform, settings, progress=percent)
        del waveform
    return diarized


@task(name="align-speakers", **_CACHED)
def align_task(episode: Episode, speaker_names: tuple[str, ...]) -> Episode:
    aligned = split_segments_by_speaker(episode)
    return name_speakers(aligned, speaker_names) if speaker_names else aligned


@flow(name="transcribe_episode")
def transcribe_episode(
    audio: Path,
    out: Path = Path("site"),
    slug: str | None = None,
    asr: AsrSettings | None = None,
    diarization: DiarizationSettings | None = None,
    diarize: bool = True,
    speaker_names: Sequence[str] = (),
    glossary_paths: Sequence[Path] = (),
    keep_fillers: bool = False,
    collection_dir: Path | None = None,
    show_progress: bool = True,
    sidecar: Sidecar | None = None,
    base_url: str | None = None,
    retranscribe: bool = False,
) -> RecleanResult:
    """Transcribe ``audio``, find its speakers and publish its show notes into ``out``.

    ``retranscribe`` runs ASR and diarization again even when cached, e.g. to use the
    terms of an edited glossary as hotwords.
    """
    stream = sys.stderr if show_progress else None
    progress = StageProgress(TRANSCRIBE_STAGES, "transcribe", stream=stream)
    audio = Path(audio)
    with progress.stage("glossary"):
        glossary = glossary_task(tuple(Path(p) for p in glossary_paths), sidecar)
    with progress.stage("asr"):
        episode = asr_task.with_options(refresh_cache=retranscribe)(
            audio, asr or AsrSettings(), glossary, slug, show_progress
        )
    with progress.stage("diarize"):
        if diarize and episode.segments:
            episode = diarize_task.with_options(refresh_cache=retranscribe)(
                episode, audio, diarization or DiarizationSettings(), show_progress
            )
        names = tuple(speaker_names) or (sidecar.speaker_names if sidecar else ())
        episode = align_task(episode, names)
    return clean_and_publish(
        episode, progress, glossary, keep_fillers, sidecar, collection_dir, Path(out), base_url
    )
