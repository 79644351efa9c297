"""A back catalogue on many cores or machines: the ``backfill`` flow on Dask.

Each episode is one Prefect task (the whole pipeline, ``pipeline.stages.run_job``),
cached on the source file's bytes, the job's settings, the glossary and the code, so a
re-run skips finished episodes. The tasks run on a Dask cluster through prefect-dask: a
local cluster of ``workers`` processes by default, or the scheduler at ``address``
(``tcp://host:8786``) whose workers share this code and its models. The site is
published once, from this process, when every episode is done; an episode that fails is
reported by name and left out, and the others are still published.

Every process of the run talks to one Prefect server: the running one
(:func:`flows.local_server.running_api_url`), else one temporary server started here and
handed to the workers by ``PREFECT_API_URL`` (left alone, each local worker would start
its own, and be killed at shutdown still stopping it). The scheduler opens no dashboard
unless asked (``dashboard``); Dask's INFO logs are off unless the CLI's ``-v``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dask
from prefect import flow, task
from prefect.futures import wait
from prefect_dask import DaskTaskRunner

from flows.caching import file_fingerprint, fingerprint, stage_code_digest
from flows.local_server import running_api_url, using_api
from kikigaki.document import Episode
from kikigaki.errors import KikigakiError
from kikigaki.sidecar import sidecar_path_for
from pipeline.context import build_context, collection_documents
from pipeline.options import Options, is_audio
from pipeline.stages import STAGE_NAMES, run_plain
from publish.site import publish_site


@dataclass
class BackfillResult:
    index: Path | None
    episodes: list[Episode] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # source -> one-line reason


def _episode_key(context: Any, parameters: dict[str, Any]) -> str:
    source, options = Path(parameters["source"]), parameters["options"]
    files = [source, sidecar_path_for(source), *options.text.glossary_paths]
    return fingerprint([
        "backfill-episode", [stage_code_digest(name) for name in STAGE_NAMES], options,
        [file_fingerprint(Path(f)) for f in files],
    ])


@task(name="episode", cache_key_fn=_episode_key, persist_result=True)
def episode_task(source: Path, options: Options) -> Episode:
    context = build_context(source, options)
    return run_plain(source, context, audio=is_audio(source))


def task_runner(workers: int = 2, address: str | None = None,
                dashboard: str | None = None) -> DaskTaskRunner:
    """A Dask runner: the cluster at ``address``, or a local one of ``workers`` processes
    with one thread each (the models are not thread-safe to share and use all cores of a
    process anyway). Its scheduler serves a dashboard only at ``dashboard`` when given;
    otherwise its HTTP endpoint (health, metrics) takes any free local port, not :8787."""
    if address:
        return DaskTaskRunner(address=address)
    http = {"dashboard": True, "dashboard_address": dashboard} if dashboard else \
        {"dashboard": False, "dashboard_address": "127.0.0.1:0"}
    return DaskTaskRunner(
        cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True,
                        "dashboard_address": dashboard, "scheduler_kwargs": http},
    )


def backfill(
    sources: Sequence[Path], options: Options, *, workers: int = 2, address: str | None = None,
    dashboard: str | None = None,
) -> BackfillResult:
    """Run ``backfill_flow`` on a Dask runner made for this call."""
    runner = task_runner(workers, address, dashboard)
    with one_server(), dask.config.set(_worker_threads(workers) if not address else {}):
        return backfill_flow.with_options(task_runner=runner)(
            [Path(s) for s in sources], options.for_each_episode()
        )


@contextlib.contextmanager
def one_server() -> Iterator[str]:
    """The Prefect API every process of the backfill uses, in ``PREFECT_API_URL``."""
    url = running_api_url()
    if url:
        with using_api(url):
            yield url
        return
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS

    server = SubprocessASGIServer()
    server.start(timeout=PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value())
    try:
        with using_api(server.api_url):
            yield server.api_url
    finally:
        server.stop()


def _worker_threads(workers: int) -> dict[str, int]:
    """Each local worker's share of the cores, for torch and CTranslate2 alike: Dask's
    default of one thread would leave a lone worker using half the machine, and more
    than the share puts two workers' threads on each core, which is slower than either."""
    share = max(1, (os.cpu_count() or 1) // max(1, workers))
    threads = {f"distributed.nanny.pre-spawn-environ.{name}": share
               for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    # A spawned worker ends with a whole interpreter shutdown (seconds with torch and
    # GiNZA loaded: the nanny kills it after 4 s); a forkserver child exits at once.
    return {**threads, "distributed.worker.multiprocessing-method": "forkserver"}


@flow(name="backfill")
def backfill_flow(sources: list[Path], options: Options) -> BackfillResult:
    futures = [episode_task.submit(source, options) for source in sources]
    wait(futures)
    result = BackfillResult(index=None)
    for source, future in zip(sources, futures, strict=True):
        try:
            result.episodes.append(future.result())
        except KikigakiError as error:
            result.failed[str(source)] = error.one_line()
        except Exception as error:  # one bad episode must not sink the batch
            result.failed[str(source)] = f"{type(error).__name__}: {error}"
    if result.episodes:
        publish = options.publish
        result.index = publish_site(
            publish.out, result.episodes, collection_documents(options), publish.base_url,
            show_image=publish.show_image,
        )
    return result
