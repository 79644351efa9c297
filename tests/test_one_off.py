"""One-off runs pay for no Prefect server: with none running they run the declared stages
locally, cached in the same result store as the flow's tasks; with one running (the one
``kikigaki serve`` records, or ``PREFECT_API_URL``) they use it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from flows import local_server
from flows.episode import process_episode, run_locally
from pipeline.options import Options, PublishOptions

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"


@pytest.fixture
def source(tmp_path: Path) -> Path:
    target = tmp_path / "talk.vtt"
    shutil.copy(FIXTURES / "sample.vtt", target)
    return target


def test_a_local_run_publishes_and_reuses_its_cache(source: Path, tmp_path: Path) -> None:
    options = Options(publish=PublishOptions(out=tmp_path / "site"), show_progress=False)
    first = run_locally(source, options)
    assert first.page == tmp_path / "site" / "talk" / "index.html" and first.page.is_file()
    again = run_locally(source, options)
    assert again.cached == [name for name in again.timings if name not in ("inputs", "publish")]
    assert again.episode == first.episode


def test_local_runs_and_flow_runs_share_one_cache(
    prefect_harness: None, source: Path, tmp_path: Path
) -> None:
    source.write_text(source.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # fresh
    options = Options(publish=PublishOptions(out=tmp_path / "site"), show_progress=False)
    flow_result = process_episode(source, options)
    local_result = run_locally(source, options)
    assert "sentences" in local_result.cached and "topics" in local_result.cached
    assert local_result.episode == flow_result.episode


def test_a_recorded_server_is_used_only_while_it_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path))
    assert local_server.recorded_server() is None
    dead = "http://127.0.0.1:9/api"  # nothing answers on the discard port
    local_server.record_path().write_text(json.dumps({"api_url": dead}), encoding="utf-8")
    assert local_server.recorded_server() is None
