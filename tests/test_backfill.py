"""A back catalogue on a local Dask cluster of two workers, through prefect-dask."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from flows.backfill import backfill
from pipeline.options import Options, PublishOptions

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("catalogue")
    sources = []
    for name in ("sample.vtt", "sample.srt", "sample.txt"):
        target = folder / f"ep-{Path(name).suffix[1:]}{Path(name).suffix}"
        shutil.copy(FIXTURES / name, target)
        sources.append(target)
    return sources


def test_backfill_on_two_workers_publishes_every_episode(
    prefect_harness: None, catalogue: list[Path], tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = tmp_path / "broken.txt"
    broken.write_bytes(b"")
    sources = [*catalogue, broken]
    result = backfill(sources, Options(publish=PublishOptions(out=tmp_path / "site")), workers=2)
    assert sorted(e.meta.slug for e in result.episodes) == ["ep-srt", "ep-txt", "ep-vtt"]
    assert list(result.failed) == [str(broken)]
    assert "broken.txt" in result.failed[str(broken)]
    for slug in ("ep-srt", "ep-txt", "ep-vtt"):
        assert (tmp_path / "site" / slug / "index.html").is_file()
    assert result.index == tmp_path / "site" / "index.html"
    killed = [r.getMessage() for r in caplog.records if "still alive" in r.getMessage()]
    assert not killed  # the workers ended by themselves


def test_no_dashboard_unless_asked() -> None:
    from flows.backfill import task_runner

    quiet = task_runner(2).cluster_kwargs
    assert quiet["dashboard_address"] is None
    assert quiet["scheduler_kwargs"] == {"dashboard": False, "dashboard_address": "127.0.0.1:0"}
    asked = task_runner(2, dashboard=":8790").cluster_kwargs
    assert asked["scheduler_kwargs"]["dashboard"] and asked["dashboard_address"] == ":8790"


def test_local_workers_share_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.backfill import _worker_threads
    from transcribe.asr import AsrSettings

    cores = os.cpu_count() or 1
    threads = lambda workers: {v for k, v in _worker_threads(workers).items()  # noqa: E731
                               if k.endswith("_NUM_THREADS")}
    assert threads(1) == {cores}
    assert threads(2 * cores) == {1}
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert AsrSettings().resolved_threads() == 1
    assert AsrSettings(cpu_threads=3).resolved_threads() == 3
