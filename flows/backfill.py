"""A back catalogue on many cores or machines: the ``backfill`` flow on Dask.

Each episode is one Prefect task (the whole pipeline, ``flows.pipeline.run_job``),
cached on the source file's bytes, the job's settings, the glossary and the code, so a
re-run skips finished episodes. The tasks run on a Dask cluster through prefect-dask: a
local cluster of ``workers`` processes by default, or the scheduler at ``address``
(``tcp://host:8786``) whose workers share this code and its models. The site is
published once, from this process, when every episode is done; an episode that fails is
reported by name and left out, and the others are still published.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import dask
from prefect import flow, task
from prefect.futures import wait
from prefect_dask import DaskTaskRunner

from flows.caching import content_key
from flows.collection import load_collection, related_documents
from flows.pipeline import EpisodeJob, run_job
from flows.publish import publish_site
from kikigaki.document import Episode
from kikigaki.errors import KikigakiError
from kikigaki.resources import seeds_dir
from postprocess.glossary import Glossary, load_glossary


@dataclass
class BackfillResult:
    index: Path | None
    episodes: list[Episode] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # source -> one-line reason


@task(name="episode", cache_key_fn=content_key, persist_result=True)
def episode_task(job: EpisodeJob, glossary: Glossary, collection_dir: Path) -> Episode:
    related = related_documents(load_collection(collection_dir))
    return run_job(job, glossary, related)


def task_runner(workers: int = 2, address: str | None = None) -> DaskTaskRunner:
    """A Dask runner: the cluster at ``address``, or a local one of ``workers`` processes
    with one thread each (the models are not thread-safe to share and use all cores of a
    process anyway)."""
    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(
        cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True,
                        "dashboard_address": None},
    )


def backfill(
    jobs: Sequence[EpisodeJob], out: Path, *, workers: int = 2, address: str | None = None,
    glossary_paths: Sequence[Path] = (), collection_dir: Path | None = None,
) -> BackfillResult:
    """Run ``backfill_flow`` on a Dask runner made for this call."""
    runner = task_runner(workers, address)
    with dask.config.set(_worker_threads(workers) if not address else {}):
        return backfill_flow.with_options(task_runner=runner)(
            list(jobs), out, tuple(glossary_paths), collection_dir
        )


def _worker_threads(workers: int) -> dict[str, int]:
    """Each local worker's share of the cores, for torch and CTranslate2 alike: Dask's
    default of one thread would leave a lone worker using half the machine, and more
    than the share puts two workers' threads on each core, which is slower than either."""
    share = max(1, (os.cpu_count() or 1) // max(1, workers))
    return {f"distributed.nanny.pre-spawn-environ.{name}": share
            for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}


@flow(name="backfill")
def backfill_flow(
    jobs: list[EpisodeJob], out: Path, glossary_paths: tuple[Path, ...] = (),
    collection_dir: Path | None = None,
) -> BackfillResult:
    collection = Path(collection_dir or seeds_dir())
    glossary = load_glossary(glossary_paths)
    futures = [episode_task.submit(job, glossary, collection) for job in jobs]
    wait(futures)
    result = BackfillResult(index=None)
    for job, future in zip(jobs, futures, strict=True):
        try:
            result.episodes.append(future.result())
        except KikigakiError as error:
            result.failed[str(job.source)] = error.one_line()
        except Exception as error:  # one bad episode must not sink the batch
            result.failed[str(job.source)] = f"{type(error).__name__}: {error}"
    if result.episodes:
        result.index = publish_site(Path(out), result.episodes, load_collection(collection))
    return result
