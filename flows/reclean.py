"""Prefect flows for the re-clean path: an existing transcript to published show notes.

The flows only compose the stages (plain functions in ``transcribe`` and ``postprocess``),
cache each task on the content of its inputs, retry what can fail transiently (file I/O),
and report progress. Deterministic errors (bad input, a broken glossary) are not retried.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from prefect import flow, task

from flows.caching import content_key
from flows.collection import load_collection, related_documents
from flows.progress import StageProgress
from flows.publish import publish_site as write_site
from kikigaki.document import CollectionDocument, Episode
from kikigaki.errors import KikigakiError
from kikigaki.resources import seeds_dir
from kikigaki.sidecar import Sidecar, apply_sidecar
from postprocess.annotate import annotate
from postprocess.fillers import remove_fillers
from postprocess.glossary import Glossary, glossary_from_entries, load_glossary
from postprocess.normalize import normalize
from postprocess.paragraphs import group_paragraphs
from postprocess.sentences import split_into_sentences
from postprocess.terms import correct_terms
from postprocess.topics import segment_topics
from transcribe.readers import read_transcript

RECLEAN_STAGES = 9


def _transient(task, task_run, state) -> bool:  # type: ignore[no-untyped-def]
    """Retry I/O hiccups, never a deterministic error in the user's input."""
    try:
        state.result()
    except KikigakiError:
        return False
    except OSError:
        return True
    except Exception:
        return False
    return False


_CACHED = {"cache_key_fn": content_key, "persist_result": True}
_IO_RETRIES = {"retries": 2, "retry_delay_seconds": 1, "retry_condition_fn": _transient}


@task(name="read-transcript", **_CACHED, **_IO_RETRIES)
def read_task(path: Path, slug: str | None) -> Episode:
    return read_transcript(path, slug=slug)


@task(name="load-glossary", **_CACHED, **_IO_RETRIES)
def glossary_task(paths: tuple[Path, ...], sidecar: Sidecar | None = None) -> Glossary:
    glossary = load_glossary(paths)
    if sidecar and sidecar.terms:
        glossary = glossary.merged(glossary_from_entries(list(sidecar.terms), sidecar.source))
    return glossary


@task(name="sidecar", **_CACHED)
def sidecar_task(episode: Episode, sidecar: Sidecar | None) -> Episode:
    return apply_sidecar(episode, sidecar) if sidecar else episode


@task(name="load-collection", **_CACHED, **_IO_RETRIES)
def collection_task(directory: Path) -> list[CollectionDocument]:
    return load_collection(directory)


@task(name="normalize", **_CACHED)
def normalize_task(episode: Episode) -> Episode:
    return normalize(episode)


@task(name="fillers", **_CACHED)
def fillers_task(episode: Episode, keep: bool) -> Episode:
    return remove_fillers(episode, keep=keep)


@task(name="terms", **_CACHED)
def terms_task(episode: Episode, glossary: Glossary) -> Episode:
    return correct_terms(episode, glossary)


@task(name="sentences", **_CACHED)
def sentences_task(episode: Episode) -> Episode:
    return split_into_sentences(episode)


@task(name="topics", **_CACHED)
def topics_task(episode: Episode) -> Episode:
    return group_paragraphs(segment_topics(episode))


@task(name="annotate", **_CACHED)
def annotate_task(
    episode: Episode, collection: list[CollectionDocument], glossary: Glossary
) -> Episode:
    return annotate(episode, related_documents(collection), glossary)


@task(name="publish", **_IO_RETRIES)
def publish_task(
    out: Path,
    episodes: list[Episode],
    collection: list[CollectionDocument],
    base_url: str | None = None,
) -> Path:
    return write_site(out, episodes, collection, base_url)


@dataclass
class RecleanResult:
    episode: Episode
    page: Path
    timings: dict[str, float] = field(default_factory=dict)


@flow(name="reclean_episode")
def reclean_episode(
    path: Path,
    out: Path = Path("site"),
    slug: str | None = None,
    glossary_paths: Sequence[Path] = (),
    keep_fillers: bool = False,
    collection_dir: Path | None = None,
    show_progress: bool = True,
    sidecar: Sidecar | None = None,
    base_url: str | None = None,
) -> RecleanResult:
    """Re-clean the transcript at ``path`` and publish its show notes into ``out``.

    ``sidecar`` holds a human's edits (speaker names, chapter titles, glossary terms)."""
    stream = sys.stderr if show_progress else None
    progress = StageProgress(RECLEAN_STAGES, "reclean", stream=stream)
    with progress.stage("read"):
        episode = read_task(Path(path), slug)
        glossary = glossary_task(tuple(Path(p) for p in glossary_paths), sidecar)
    with progress.stage("normalize"):
        episode = normalize_task(episode)
    return clean_and_publish(
        episode, progress, glossary, keep_fillers, sidecar, collection_dir, Path(out), base_url
    )


def clean_and_publish(
    episode: Episode,
    progress: StageProgress,
    glossary: Glossary,
    keep_fillers: bool,
    sidecar: Sidecar | None,
    collection_dir: Path | None,
    out: Path,
    base_url: str | None,
) -> RecleanResult:
    """The text stages from fillers on, then publishing: shared by both episode flows."""
    with progress.stage("fillers"):
        episode = fillers_task(episode, keep_fillers)
    with progress.stage("terms"):
        episode = terms_task(episode, glossary)
    with progress.stage("sentences"):
        episode = sentences_task(episode)
    with progress.stage("topics"):
        episode = sidecar_task(topics_task(episode), sidecar)
    with progress.stage("collection"):
        collection = collection_task(Path(collection_dir or seeds_dir()))
    with progress.stage("annotate"):
        episode = annotate_task(episode, collection, glossary)
    with progress.stage("publish"):
        index = publish_site(out, [episode], collection_dir, base_url)
    page = index.parent / episode.meta.slug / "index.html"
    return RecleanResult(episode=episode, page=page, timings=progress.timings)


@flow(name="publish_site")
def publish_site(
    out: Path = Path("site"),
    episodes: Sequence[Episode] = (),
    collection_dir: Path | None = None,
    base_url: str | None = None,
) -> Path:
    """Re-render the site in ``out``: the collection, ``episodes`` and those already there;
    ``base_url`` is where it is served (for the feed's links)."""
    collection = collection_task(Path(collection_dir or seeds_dir()))
    return publish_task(Path(out), list(episodes), collection, base_url)
