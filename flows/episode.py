"""The Prefect flow every episode goes through: the declared stages, then publishing.

``process_episode(source, options)`` runs the stages :func:`pipeline.stages.plan` gives
for the source (audio or transcript) as one Prefect task each, cached on the content of
their inputs and on their own code (:mod:`flows.caching`), retried on I/O errors only,
with progress lines; then it publishes the site as a task. ``kikigaki reclean`` and
``kikigaki transcribe`` run it for one file, the inbox service for each new file.

A one-off command calls :func:`run_episode`: the flow when a Prefect server is running
(``PREFECT_API_URL``, or the one ``kikigaki serve`` started), else :func:`run_locally`,
the same stages with the same cache keys and the same on-disk result store, without
Prefect's orchestration: starting Prefect's temporary server costs more than a cached
re-run does.

The flow's parameters are the source path and the options: never the episode or the
collection, so no parameter grows with the episode (Prefect caps them at 512 KB).
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from prefect import flow, task

from flows.caching import stage_key
from flows.local_server import running_api_url, using_api
from flows.progress import RunProgress
from kikigaki.document import Episode
from kikigaki.errors import KikigakiError
from pipeline.context import build_context
from pipeline.options import Options, is_audio
from pipeline.stages import BoundStage, Context, plan
from pipeline.steps import start
from publish.layout import episode_slug
from publish.site import publish_site


def _transient(task: Any, task_run: Any, state: Any) -> bool:
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


_IO_RETRIES: dict[str, Any] = {
    "retries": 2, "retry_delay_seconds": 1, "retry_condition_fn": _transient,
}


@task(name="read-inputs", **_IO_RETRIES)
def context_task(source: Path, options: Options) -> Context:
    return build_context(source, options)


@task(persist_result=True, cache_key_fn=stage_key, **_IO_RETRIES)
def stage_task(bound: BoundStage, episode: Episode, progress: Any = None) -> Episode:
    return bound(episode, progress)


def publish(options: Options, episode: Episode, context: Context) -> Path:
    """The site with ``episode`` published into it (the flow's task and a local run)."""
    out = options.publish
    return publish_site(out.out, [episode], context.documents, out.base_url,
                        show_image=out.show_image)


publish_task = task(name="publish", **_IO_RETRIES)(publish)


@dataclass
class EpisodeResult:
    episode: Episode
    page: Path
    timings: dict[str, float] = field(default_factory=dict)
    cached: list[str] = field(default_factory=list)


@flow(name="episode")
def process_episode(source: Path, options: Options | None = None) -> EpisodeResult:
    """Turn ``source`` (an audio file or a transcript) into published show notes."""
    options = options or Options()
    source = Path(source)
    audio = is_audio(source)
    label = "transcribe" if audio else "reclean"
    progress = _progress(options, label, audio)
    try:
        with progress.stage("inputs"):
            context = context_task(source, options)
        episode = run_stages(plan(context, audio=audio), start(source, audio=audio), progress,
                             options)
        with progress.stage("publish"):
            index = publish_task(options, episode, context)
    finally:
        progress.close()
    page = index.parent / episode_slug(episode) / "index.html"
    return EpisodeResult(episode, page, progress.timings, progress.cached)


def run_stages(
    stages: list[BoundStage], episode: Episode, progress: RunProgress, options: Options
) -> Episode:
    """Each stage as a Prefect task, in order; a cached result is reused and said so."""
    for bound in stages:
        with progress.stage(bound.name) as run:
            refresh = options.retranscribe and bound.stage.expensive
            runner = stage_task.with_options(name=bound.name, refresh_cache=refresh)
            reporter = progress.within if bound.stage.reports_progress else None
            state = runner(bound, episode, reporter, return_state=True)
            run.cached = state.name == "Cached"
            episode = state.result()
    return episode


def _progress(options: Options, label: str, audio: bool) -> RunProgress:
    stream = sys.stderr if options.show_progress else None
    total = len(plan_names(audio)) + 2  # the inputs, the stages, publishing
    return RunProgress(total, label, stream=stream)


def run_episode(source: Path, options: Options) -> EpisodeResult:
    """One episode as a one-off command runs it: through the running Prefect server, or
    locally when none runs (never paying for a temporary server)."""
    url = running_api_url()
    if url is None:
        return run_locally(source, options)
    with using_api(url):
        return process_episode(source, options)


def run_locally(source: Path, options: Options) -> EpisodeResult:
    """:func:`process_episode` without a Prefect server: the same stages, cache keys,
    result store, I/O retries and progress lines; no run is recorded in a Prefect UI."""
    source = Path(source)
    audio = is_audio(source)
    progress = _progress(options, "transcribe" if audio else "reclean", audio)
    store = _result_store()
    try:
        with progress.stage("inputs"):
            context = _with_io_retries(lambda: build_context(source, options))
        episode = start(source, audio=audio)
        for bound in plan(context, audio=audio):
            with progress.stage(bound.name) as run:
                episode, run.cached = _cached_stage(store, bound, episode, progress, options)
        with progress.stage("publish"):
            index = _with_io_retries(lambda: publish(options, episode, context))
    finally:
        progress.close()
    page = index.parent / episode_slug(episode) / "index.html"
    return EpisodeResult(episode, page, progress.timings, progress.cached)


def _result_store() -> Any:
    """Prefect's result store on its local storage path, as the stage tasks use it
    (no server asked), so local runs and flow runs share one cache."""
    from prefect.filesystems import LocalFileSystem
    from prefect.results import ResultStore
    from prefect.settings import PREFECT_LOCAL_STORAGE_PATH

    return ResultStore(result_storage=LocalFileSystem(basepath=str(
        PREFECT_LOCAL_STORAGE_PATH.value())))


def _cached_stage(store: Any, bound: BoundStage, episode: Episode, progress: RunProgress,
                  options: Options) -> tuple[Episode, bool]:
    key = stage_key(None, {"bound": bound, "episode": episode})
    if not (options.retranscribe and bound.stage.expensive):
        with contextlib.suppress(Exception):  # missing or unreadable: compute it again
            return store.read(key).result, True
    reporter = progress.within if bound.stage.reports_progress else None
    result = _with_io_retries(lambda: bound(episode, reporter))
    with contextlib.suppress(OSError):  # a full disk: go on without the cache, as the flow
        store.write(result, key=key)
    return result, False


Result = TypeVar("Result")


def _with_io_retries(work: Callable[[], Result], retries: int = 2) -> Result:
    """``work()``, again after an I/O hiccup (as the tasks' retries), never after a
    deterministic error in the user's input."""
    for attempt in range(retries + 1):
        try:
            return work()
        except KikigakiError:
            raise
        except OSError:
            if attempt == retries:
                raise
            time.sleep(1)
    raise AssertionError("unreachable")


def plan_names(audio: bool) -> list[str]:
    from pipeline.stages import STAGES

    return [stage.name for stage in STAGES if stage.applies_to(audio)]
