"""The service: inbox scans publish new or changed episodes once, skip busy ones, report
failures by episode and stage, fetch from a feed; ``kikigaki serve`` runs on schedule."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from flows.episode import run_locally
from flows.service import (
    FeedEntry,
    episode_lock,
    feed_entries,
    pending_items,
    scan,
    scan_inbox,
    state_dir,
    stopping_marker,
    summary,
)
from pipeline.options import Options, PublishOptions

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"


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
    outside = tmp_path.parent / f"{tmp_path.name}-outside.txt"
    outside.write_text("よそのファイル", encoding="utf-8")
    (tmp_path / "link.txt").symlink_to(outside)  # never publish a file outside the inbox
    pending = pending_items(tmp_path, state_dir(tmp_path))
    assert [i.source.name for i in pending.items] == ["a.vtt", "b.srt"]
    assert pending.unchanged == 0


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


def test_a_failed_episode_is_reported_once_and_retried_when_it_changes(
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
    line = summary(report)
    assert "published 1 (good.vtt)" in line and "failed 1 (broken.txt: stage " in line
    again = scan_inbox(inbox, _options(site))  # unchanged: not tried, not reported again
    assert not again.failed and again.known_failures == 1 and again.unchanged == 1
    assert "--retry-failed" in summary(again)
    assert scan_inbox(inbox, _options(site), retry_failed=True).failed  # asked: tried
    broken.write_text("直した本文です。", encoding="utf-8")  # changed: tried again
    os.utime(broken, (time.time() - 60,) * 2)
    fixed = scan_inbox(inbox, _options(site))
    assert fixed.published == [str(broken)] and not fixed.failed


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

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>テスト</title><id>urn:show</id>
<updated>2026-01-02T00:00:00Z</updated>
<entry><title>第3回</title><id>urn:ep-3</id><updated>2026-01-02T00:00:00Z</updated>
<link href="https://example.org/ep3"/>
<link rel="enclosure" type="audio/x-m4a" length="10" href="https://example.org/media?id=3"/>
</entry>
<entry><title>a PDF</title><id>urn:ep-4</id><updated>2026-01-02T00:00:00Z</updated>
<link rel="enclosure" type="application/pdf" href="https://example.org/ep4.pdf"/></entry>
</feed>"""


def test_feed_entries_prefer_transcripts_to_audio(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    vtt, audio = (FIXTURES / "sample.vtt").as_uri(), "https://example.org/ep2.mp3"
    feed.write_text(FEED.format(audio=audio, vtt=vtt), encoding="utf-8")
    assert feed_entries(feed.as_uri()) == [FeedEntry("ep-1", vtt, ".vtt"),
                                           FeedEntry("ep-2", audio, ".mp3")]


def test_atom_feeds_and_audio_known_by_its_media_type(tmp_path: Path) -> None:
    feed = tmp_path / "feed.atom"
    feed.write_text(ATOM, encoding="utf-8")
    assert feed_entries(feed.as_uri()) == [
        FeedEntry("urn:ep-3", "https://example.org/media?id=3", ".m4a")]


def test_a_page_that_is_not_a_feed_is_one_line(tmp_path: Path) -> None:
    import pytest

    from kikigaki.errors import InputError

    page = tmp_path / "page.html"
    page.write_text("<html><body><p>not a feed <b></p>", encoding="utf-8")
    with pytest.raises(InputError, match="not an RSS or Atom feed"):
        feed_entries(page.as_uri())


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


def test_a_scan_without_a_server_publishes(tmp_path: Path) -> None:
    """``kikigaki scan`` with no Prefect server: the stages run without Prefect."""
    inbox, site = tmp_path / "inbox", tmp_path / "site"
    _drop(inbox, "talk.vtt")
    report = scan(inbox, _options(site), run_locally)
    assert report.published == [str(inbox / "talk.vtt")]
    assert (site / "talk" / "index.html").is_file()


def test_serve_scan_and_backfill_take_the_transcription_options(tmp_path: Path) -> None:
    from commands.options import options_from
    from commands.parser import build_parser

    hotwords = tmp_path / "hotwords.txt"
    hotwords.write_text("Transformer\n", encoding="utf-8")
    asr = ["--model", "tiny-model", "--language", "english", "--device", "cpu",
           "--compute-type", "int8", "--beam-size", "3", "--min-speakers", "2",
           "--max-speakers", "4", "--hotwords", str(hotwords), "--glossary", "g.toml"]
    commands = [["serve", "--inbox", str(tmp_path), "--port", "4999"],
                ["scan", "--inbox", str(tmp_path), "--retry-failed"],
                ["backfill", str(tmp_path), "--workers", "1"]]
    for command in commands:
        options = options_from(build_parser().parse_args([*command, *asr]))
        assert (options.asr.model, options.asr.language, options.asr.compute_type,
                options.asr.beam_size) == ("tiny-model", "en", "int8", 3), command
        assert (options.diarization.min_speakers, options.diarization.max_speakers) == (2, 4)
        assert options.text.hotwords_file == hotwords
        assert options.text.glossary_paths == (Path("g.toml"),)
        assert options.details.language == "en"

    inbox = tmp_path / "inbox"
    _drop(inbox, "talk.vtt")
    given = options_from(build_parser().parse_args(["scan", "--inbox", str(inbox), *asr]))
    seen: list[Options] = []
    scan(inbox, given, lambda source, options: seen.append(options))
    assert seen[0].asr == given.asr and seen[0].diarization == given.diarization
    assert seen[0].text == given.text and seen[0].details.language == "en"


def test_a_feed_that_cannot_be_read_leaves_the_inbox_scan_going(tmp_path: Path) -> None:
    inbox, site = tmp_path / "inbox", tmp_path / "site"
    _drop(inbox, "talk.vtt")
    missing = (tmp_path / "no-such-feed.xml").as_uri()
    report = scan(inbox, _options(site), lambda source, options: None, feed=missing)
    assert report.published == [str(inbox / "talk.vtt")]
    assert "no-such-feed.xml" in report.feed_error
    assert "feed not read" in summary(report)


def test_an_episode_stopped_with_serve_is_not_recorded_as_failed(tmp_path: Path) -> None:
    inbox, site = tmp_path / "inbox", tmp_path / "site"
    _drop(inbox, "talk.vtt")
    _drop(inbox, "later.vtt")
    stopping_marker(state_dir(inbox)).parent.mkdir(parents=True)
    stopping_marker(state_dir(inbox)).touch()  # serve is cancelling this scan

    def cancelled(source: Path, options: Options) -> None:
        raise ValueError("Task run is not set")  # what Prefect's cancel turned into

    report = scan(inbox, _options(site), cancelled)
    assert not report.failed and len(report.interrupted) == 1  # and no more were started
    assert "stopped 1" in summary(report)
    stopping_marker(state_dir(inbox)).unlink()
    assert len(scan(inbox, _options(site), lambda source, options: None).published) == 2
