"""The stage functions: each ``Episode -> Episode``, its needs as keyword arguments.

These adapt the engines (:mod:`transcribe`, :mod:`postprocess`) to one shape, the way a
spaCy component takes a ``Doc`` and returns it; :mod:`pipeline.stages` declares their
order and binds their needs. An episode starts as metadata only (``meta.source`` is the
audio or transcript file); the first stage of its kind fills in its text.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kikigaki.document import Episode, EpisodeMeta
from kikigaki.errors import InputError
from kikigaki.sidecar import Sidecar
from kikigaki.sidecar import chapter_titles as sidecar_chapter_titles
from kikigaki.speakers import name_speakers
from pipeline.options import EpisodeDetails
from postprocess.glossary import Glossary
from postprocess.hotwords import hotword_picker, likely_terms
from transcribe.asr import AsrSettings
from transcribe.diarize import DiarizationSettings

Progress = Callable[[float, float], None]  # (seconds of audio done, of the whole)


@dataclass(frozen=True)
class Hotwords:
    """What the ASR may be nudged toward (see :mod:`postprocess.hotwords`): terms of
    ``glossary`` that are the user's own (``user_terms``) or that the episode's metadata
    names, and a hotwords file's ``words``; ``off`` sends none at all."""

    glossary: Glossary = field(default_factory=Glossary)
    user_terms: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    off: bool = False


def start(source: Path, *, audio: bool) -> Episode:
    """The episode before any stage: where it comes from, nothing else."""
    meta = EpisodeMeta(source=str(source), source_format="audio" if audio else "")
    return Episode(meta=meta)


# --------------------------------------------------------------------------- sources


def read(episode: Episode, *, details: EpisodeDetails, slug: str | None) -> Episode:
    """The transcript file's segments and what it says of itself (title, date…)."""
    from transcribe.readers import read_transcript

    read_in = read_transcript(Path(episode.meta.source), slug=slug, language=details.language)
    return read_in.model_copy(update={"stages": [*episode.stages, *read_in.stages]})


def metadata(
    episode: Episode, *, details: EpisodeDetails, sidecar: Sidecar, slug: str | None
) -> Episode:
    """Title, show, date, description, episode id and image: the command line's, else the
    sidecar's, else what the audio's tags or the transcript say; an undated episode gets
    its file's modification day, marked ``date_source = "file-modified"``."""
    meta = episode.meta
    source = Path(meta.source)
    found = _audio_tags(source) if meta.source_format == "audio" else {}
    updates: dict[str, object] = {}
    for key in ("title", "show", "description", "episode_id", "image"):
        given = getattr(details, key) or sidecar.meta_value(key)
        if given:
            updates[key] = given
        elif not getattr(meta, key) and found.get(key):
            updates[key] = found[key]
    updates.update(_dated(meta, details, sidecar, found, source))
    if not (updates.get("title") or meta.title):
        updates["title"] = source.stem
    if meta.source_format == "audio":
        from kikigaki.slugs import slugify

        updates.update(audio=str(source), slug=slugify(slug or source.stem))
    return episode.with_stage("metadata", meta=meta.model_copy(update=updates))


def _audio_tags(source: Path) -> dict[str, str]:
    from transcribe.audio import audio_tags

    return audio_tags(source)


def _dated(
    meta: EpisodeMeta, details: EpisodeDetails, sidecar: Sidecar, found: dict[str, str],
    source: Path,
) -> dict[str, str]:
    if details.date:
        return {"date": checked_date(details.date, "--date"), "date_source": "option"}
    if sidecar.meta_value("date"):
        date = checked_date(sidecar.meta_value("date") or "", sidecar.source)
        return {"date": date, "date_source": "sidecar"}
    if meta.date:
        return {"date_source": meta.date_source or "transcript"}
    tagged = _tag_date(found.get("date", ""))
    if tagged:
        return {"date": tagged, "date_source": "audio-tags"}
    modified = dt.datetime.fromtimestamp(source.stat().st_mtime, tz=dt.UTC).date()
    return {"date": modified.isoformat(), "date_source": "file-modified"}


def checked_date(value: str, where: str) -> str:
    """``value`` as ``YYYY-MM-DD``; InputError for anything else."""
    try:
        return dt.date.fromisoformat(value.strip()[:10]).isoformat()
    except ValueError:
        raise InputError(where, f"date {value!r} is not a date", "write it as 2024-03-05") from None


def _tag_date(text: str) -> str:
    """A full date from a tag (``2024-03-05``, ``2024-03-05T10:00:00Z``), or ``""``."""
    try:
        return dt.date.fromisoformat(text.strip()[:10].replace("/", "-")).isoformat()
    except ValueError:
        return ""


def asr(
    episode: Episode, *, asr: AsrSettings, hotwords: Hotwords, progress: Progress | None = None
) -> Episode:
    """Segments and timed words from the audio (faster-whisper)."""
    from transcribe.asr import release_models, transcribe_audio

    likely = likely_terms(hotwords.glossary, hotwords.user_terms, episode.meta)
    picker = None if hotwords.off else hotword_picker(likely, hotwords.words)
    heard = transcribe_audio(Path(episode.meta.source), asr, hotwords=picker or "",
                             progress=progress)
    release_models()  # its half gigabyte would sit under diarization and GiNZA's peaks
    meta = episode.meta.model_copy(
        update={"language": heard.meta.language, "duration": heard.meta.duration}
    )
    return episode.with_stage("asr", meta=meta, segments=heard.segments, words=heard.words)


def diarize(
    episode: Episode, *, diarization: DiarizationSettings, diarize: bool,
    progress: Progress | None = None,
) -> Episode:
    """Who speaks when: turns and speakers, each word and segment given one speaker."""
    if not diarize or not episode.segments:
        return episode
    from transcribe.audio import decode_to_memmap
    from transcribe.diarize import diarize_episode, release_models

    with tempfile.TemporaryDirectory(prefix="kikigaki-audio-") as scratch:
        # Decoded to disk and mapped, so a 2-hour episode is not held in memory.
        waveform = decode_to_memmap(Path(episode.meta.source), Path(scratch) / "audio.f32")
        diarized = diarize_episode(
            episode, waveform, diarization, progress=progress
        )
        del waveform
    release_models()
    return diarized


def align_speakers(episode: Episode) -> Episode:
    from transcribe.align import split_segments_by_speaker

    return split_segments_by_speaker(episode)


# --------------------------------------------------------------------------- text


def normalize(episode: Episode) -> Episode:
    from postprocess.normalize import normalize as normalize_segments

    return normalize_segments(episode)


def fillers(episode: Episode, *, keep_fillers: bool) -> Episode:
    from postprocess.fillers import remove_fillers

    return remove_fillers(episode, keep=keep_fillers)


def terms(episode: Episode, *, glossary: Glossary) -> Episode:
    from postprocess.terms import correct_terms

    return correct_terms(episode, glossary)


def homophones(episode: Episode, *, glossary: Glossary, keep: tuple[str, ...]) -> Episode:
    """Everyday words misheard as others that sound the same or one mora off, corrected
    when the language model prefers the other word by a wide margin (logged)."""
    from postprocess.homophones import correct_homophones

    return correct_homophones(episode, glossary=glossary, keep=keep)


def sentences(episode: Episode) -> Episode:
    from postprocess.sentences import split_into_sentences

    return split_into_sentences(episode)


def spaced_sentences(episode: Episode) -> Episode:
    """Sentences of a language written with spaces: Whisper's own marks kept."""
    from postprocess.sentences import split_into_sentences

    return split_into_sentences(episode, restore=False)


def topics(episode: Episode, *, glossary: Glossary) -> Episode:
    from postprocess.topics import segment_topics

    names = {form for term in glossary.terms for form in (term.canonical, *term.variants)}
    return segment_topics(episode, glossary_terms=names)


def neutral_titles(episode: Episode, *, glossary: Glossary) -> Episode:
    """Chapters for a language other than Japanese: the same boundaries and summaries,
    titled by the opening words of each chapter's summary (the Japanese titles join
    noun compounds with と)."""
    chaptered = topics(episode, glossary=glossary)
    chapters = [
        chapter.model_copy(update={"title": _opening_words(chapter.summary) or chapter.title})
        for chapter in chaptered.chapters
    ]
    return chaptered.model_copy(update={"chapters": chapters})


def _opening_words(text: str, words: int = 7) -> str:
    parts = text.split()
    title = " ".join(parts[:words]).rstrip(",;:")
    return title + ("…" if len(parts) > words else "")


def paragraphs(episode: Episode) -> Episode:
    from postprocess.paragraphs import group_paragraphs

    return group_paragraphs(episode)


def speakers(episode: Episode, *, speaker_names: tuple[str, ...], sidecar: Sidecar) -> Episode:
    """Speakers named: the sidecar's names by order and by label, the command line's
    names over both (it is the latest word)."""
    named = name_speakers(episode, sidecar.speaker_names, dict(sidecar.speakers))
    return name_speakers(named, speaker_names) if speaker_names else named


def chapter_titles(episode: Episode, *, sidecar: Sidecar) -> Episode:
    return sidecar_chapter_titles(episode, sidecar)


def annotate(
    episode: Episode, *, collection: tuple, glossary: Glossary, llm_url: str | None = None
) -> Episode:
    """Theme, outline, people, terms, links and related documents; with ``llm_url`` a
    language model rewrites the theme, titles and summaries (checked; extractive on any
    failure)."""
    from postprocess.annotate import annotate as annotate_episode
    from transcribe.languages import is_japanese

    japanese = is_japanese(episode.meta.language)
    return annotate_episode(episode, collection, glossary, llm_url=llm_url, japanese=japanese)
