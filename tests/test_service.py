"""The service: inbox scans publish new or changed episodes once, skip busy ones, report
failures by episode and stage, fetch from a feed; ``kikigaki serve`` runs on schedule."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flows.service import episode_lock, feed_entries, pending_items, scan_inbox, state_dir
from pipeline.options import Options, PublishOptions

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"
REPO = Path(__file__).resolve().parent.parent


def _options(site: Path) -> Options:
    return Options(publish=PublishOptions(out=site))


def _drop(inbox: Path, name: str, fixture: str = "sample.vtt") -> Path:
    inbox.mkdir(parents=True, exist_ok=True)
    target = inbox / name
    shutil.copy(FIXTURES / fixture, target)
    past = time.time() - 60
    os.utime(target, (past, past))  # settled: not still being copied in
    return target


def test_pending_items_skip_hidden_sidecars_and_files_still_arriving(tmp_path: Path) -> None:
    _drop(tmp_path, "a.vtt")
    _drop(tmp_path, "b.srt", "sample.srt")
    (tmp_path / "a.kikigaki.toml").write_text("speaker_names = ['x']\n", encoding="utf-8")
    (tmp_path / ".hidden.vtt").write_text("WEBVTT\n", encoding="utf-8")
    (tmp_path / "fresh.vtt").write_text("WEBVTT\n", encoding="utf-8")  # just written
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    items, unchanged = pending_items(tmp_path, state_dir(tmp_path))
    assert [i.source.name for i in items] == ["a.vtt", "b.srt"] and unchanged == 0


def test_scan_publishes_once_and_again_when_the_sidecar_changes(
    prefect_harness: None, tmp_path: Path
) -> None:
    inbox, site = tmp_path / "inbox", tmp_path / "site"
    _drop(inbox, "talk.vtt")
    first = scan_inbox(inbox, _options(site))
    assert first.published == [str(inbox / "talk.vtt")] and not first.failed
    assert (site / "talk" / "index.html").is_file()
    again = scan_inbox(inbox, _options(site))
    assert again.published == [] and again.unchanged == 1
    (inbox / "talk.kikigaki.toml").write_text('[chapters]\n1 = "はじめに"\n', encoding="utf-8")
    edited = scan_inbox(inbox, _options(site))
    assert edited.published == [str(inbox / "talk.vtt")]
    assert "はじめに" in (site / "talk" / "index.html").read_text(encoding="utf-8")


def test_a_failed_episode_is_named_with_its_stage_and_the_others_go_on(
    prefect_harness: None, tmp_path: Path
) -> None:
    inbox, site = tmp_path / "inbox", tmp_path / "site"
    _drop(inbox, "good.vtt")
    broken = inbox / "broken.txt"
    broken.write_bytes(b"\x00\x01\x02binary")
    os.utime(broken, (time.time() - 60,) * 2)
    report = scan_inbox(inbox, _options(site))
    assert report.published == [str(inbox / "good.vtt")]
    assert "broken.txt" in report.failed[str(broken)]
    assert report.failed[str(broken)].startswith("stage ")
    assert scan_inbox(inbox, _options(site)).failed  # not recorded: tried again next round


def test_an_episode_locked_by_another_run_is_left_for_the_next_round(
    prefect_harness: None, tmp_path: Path
) -> None:
    inbox, site = tmp_path / "inbox", tmp_path / "site"
    source = _drop(inbox, "talk.vtt")
    with episode_lock(state_dir(inbox), source) as mine:
        assert mine
        report = scan_inbox(inbox, _options(site))
    assert report.busy == [str(source)] and not report.published
    assert scan_inbox(inbox, _options(site)).published == [str(source)]


FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0">
<channel><title>テスト</title>
<item><title>第1回</title><guid>ep-1</guid>
<enclosure url="{audio}" length="10" type="audio/mpeg"/>
<podcast:transcript url="{vtt}" type="text/vtt"/></item>
<item><title>第2回</title><guid>ep-2</guid>
<enclosure url="{audio}" length="10" type="audio/mpeg"/></item>
<item><title>no media</title><guid>ep-3</guid></item>
</channel></rss>"""


def test_feed_entries_prefer_transcripts_to_audio(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    vtt, audio = (FIXTURES / "sample.vtt").as_uri(), "https://example.org/ep2.mp3"
    feed.write_text(FEED.format(audio=audio, vtt=vtt), encoding="utf-8")
    assert feed_entries(feed.as_uri()) == [("ep-1", vtt, ".vtt"), ("ep-2", audio, ".mp3")]


def test_scan_fetches_the_feed_transcripts_into_the_inbox(
    prefect_harness: None, tmp_path: Path
) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text(FEED.format(audio="", vtt=(FIXTURES / "sample.vtt").as_uri()),
                    encoding="utf-8")
    inbox, site = tmp_path / "inbox", tmp_path / "site"
    inbox.mkdir()
    report = scan_inbox(inbox, _options(site), feed=feed.as_uri())
    assert len(report.published) == 1 and "feed" in report.published[0]
    assert scan_inbox(inbox, _options(site), feed=feed.as_uri()).unchanged == 1


@pytest.mark.slow
def test_serve_publishes_a_dropped_transcript_on_schedule(tmp_path: Path) -> None:
    inbox, site = tmp_path / "inbox", tmp_path / "site"
    inbox.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    server = subprocess.Popen(
        [sys.executable, "-m", "commands.cli", "serve", "--inbox", str(inbox), "--out", str(site),
         "--interval", "5"], cwd=REPO, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        _drop(inbox, "talk.vtt")
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not (site / "talk" / "index.html").exists():
            assert server.poll() is None, "kikigaki serve stopped"
            time.sleep(2)
        assert (site / "talk" / "index.html").is_file()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
