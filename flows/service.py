"""kikigaki as a service: pick up new episodes from an inbox folder or a podcast feed.

A scan (:func:`scan`) fetches what the feed lists that the inbox does not have yet, finds
every audio file or transcript in the inbox that is new or changed since it was last
published (by the hash of its bytes and of its sidecar), and runs the episode for each,
one at a time, with the options the service was started with. An episode whose lock is
held by another run is skipped this round. One that fails is reported by name and stage
and recorded in the ledger with its hash: it is not tried again until the file (or its
sidecar) changes, or a scan asks to retry failures. The site keeps its last good state.

``scan_inbox`` is the scan as a Prefect flow (each episode a sub-flow, the feed a task);
``kikigaki serve`` serves it as a deployment on a schedule, and ``kikigaki scan`` runs it
once (without Prefect when no server is running, :func:`flows.episode.run_episode`).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task

from kikigaki.atomic import write_text
from kikigaki.errors import InputError, KikigakiError
from kikigaki.sidecar import SIDECAR_SUFFIX, sidecar_path_for
from pipeline.options import AUDIO_SUFFIXES, TRANSCRIPT_SUFFIXES, Options

STATE_DIR_NAME = ".kikigaki-state"
_SETTLE_SECONDS = 2.0  # a file written to more recently than this may still be arriving
_TRANSCRIPT_TYPES = {"application/x-subrip": ".srt", "application/srt": ".srt",
                     "text/srt": ".srt", "text/vtt": ".vtt", "application/json": ".json",
                     "text/plain": ".txt"}
_AUDIO_TYPES = {"audio/mpeg": ".mp3", "audio/mp3": ".mp3", "audio/mpeg3": ".mp3",
                "audio/x-mpeg": ".mp3", "audio/mp4": ".m4a", "audio/x-m4a": ".m4a",
                "audio/m4a": ".m4a", "audio/aac": ".aac", "audio/x-aac": ".aac",
                "audio/wav": ".wav", "audio/x-wav": ".wav", "audio/wave": ".wav",
                "audio/vnd.wave": ".wav", "audio/flac": ".flac", "audio/x-flac": ".flac",
                "audio/ogg": ".ogg", "application/ogg": ".ogg", "audio/opus": ".opus"}

EpisodeRunner = Callable[[Path, Options], Any]


@dataclass(frozen=True)
class InboxItem:
    source: Path
    digest: str  # of the file and its sidecar

    @property
    def is_audio(self) -> bool:
        return self.source.suffix.lower() in AUDIO_SUFFIXES


@dataclass
class ScanReport:
    new: list[str] = field(default_factory=list)  # new or changed since the last scan
    published: list[str] = field(default_factory=list)
    unchanged: int = 0
    busy: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # source -> stage and reason
    known_failures: int = 0  # failed before, unchanged since: not tried again
    fetched: list[str] = field(default_factory=list)  # downloaded from the feed
    feed_error: str = ""  # the feed could not be read: the inbox is still scanned
    interrupted: list[str] = field(default_factory=list)  # stopped with serve: next scan


# ------------------------------------------------------------------ the inbox


def state_dir(inbox: Path, state: Path | None = None) -> Path:
    return state or inbox / STATE_DIR_NAME


def stopping_marker(state: Path) -> Path:
    """Present while ``kikigaki serve`` stops its scan: an episode that fails meanwhile
    failed because it was stopped (Prefect's cancel turns into odd errors inside the
    run), so it is not recorded as failed but left for the next scan."""
    return state / "serve.stopping"


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    sidecar = sidecar_path_for(path)
    if sidecar.is_file():
        digest.update(sidecar.read_bytes())
    return digest.hexdigest()


def _candidates(inbox: Path) -> Iterator[Path]:
    """Settled audio files and transcripts of the inbox: regular files inside it only
    (a symlink could publish any file of the machine), no hidden ones, no sidecars."""
    now = time.time()
    for path in sorted(inbox.rglob("*")):
        relative = path.relative_to(inbox)
        if any(part.startswith(".") for part in relative.parts) or path.is_symlink():
            continue
        if not path.is_file() or path.name.endswith((SIDECAR_SUFFIX, ".partial")):
            continue
        known = path.suffix.lower() in AUDIO_SUFFIXES | TRANSCRIPT_SUFFIXES
        if known and now - path.stat().st_mtime >= _SETTLE_SECONDS:
            yield path


# ------------------------------------------------------------------ the ledger


@dataclass(frozen=True)
class LedgerEntry:
    """What the last run made of one input: published, or failed and why."""

    digest: str
    status: str = "published"  # or "failed"
    reason: str = ""


def read_ledger(state: Path) -> dict[str, LedgerEntry]:
    path = state / "ledger.json"
    if not path.is_file():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {source: _entry(value) for source, value in dict(raw).items()}
    except (ValueError, TypeError, KeyError):
        return {}  # a damaged ledger only costs a re-run of each episode


def _entry(value: Any) -> LedgerEntry:
    if isinstance(value, str):  # the ledger of earlier versions: digests of published files
        return LedgerEntry(value)
    return LedgerEntry(str(value["digest"]), str(value.get("status", "published")),
                       str(value.get("reason", "")))


@contextlib.contextmanager
def _ledger_lock(state: Path) -> Iterator[None]:
    state.mkdir(parents=True, exist_ok=True)
    with (state / "ledger.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def record(state: Path, item: InboxItem, failure: str | None = None) -> None:
    """Write the outcome for ``item`` into the ledger (other runs may write it too)."""
    with _ledger_lock(state):
        ledger = read_ledger(state)
        ledger[str(item.source)] = LedgerEntry(
            item.digest, "failed" if failure else "published", failure or "")
        data = {source: entry.__dict__ for source, entry in sorted(ledger.items())}
        write_text(state / "ledger.json", json.dumps(data, ensure_ascii=False, indent=1))


@dataclass
class Pending:
    items: list[InboxItem]
    unchanged: int = 0
    known_failures: int = 0


def pending_items(inbox: Path, state: Path, *, retry_failed: bool = False) -> Pending:
    """Items new or changed since their last run; those that failed, unchanged since,
    only when ``retry_failed``."""
    if not inbox.is_dir():
        raise InputError(inbox, "the inbox is not a folder", "create it or give another")
    ledger = read_ledger(state)
    pending = Pending([])
    for path in _candidates(inbox):
        item = InboxItem(path, _digest(path))
        entry = ledger.get(str(path))
        changed = entry is None or entry.digest != item.digest
        if changed or (entry.status == "failed" and retry_failed):
            pending.items.append(item)
        elif entry.status == "failed":
            pending.known_failures += 1
        else:
            pending.unchanged += 1
    return pending


@contextlib.contextmanager
def episode_lock(state: Path, source: Path) -> Iterator[bool]:
    """Hold the episode's lock if no other run holds it; yields whether it was taken."""
    locks = state / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(str(source.resolve()).encode()).hexdigest()[:16]
    with (locks / f"{name}.lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# ------------------------------------------------------------------ the feed


@dataclass(frozen=True)
class FeedEntry:
    guid: str
    url: str
    suffix: str  # what the file will be called: .vtt, .mp3…


def feed_entries(feed_url: str) -> list[FeedEntry]:
    """Each episode of an RSS or Atom feed: its transcript (``podcast:transcript``) when
    it has one kikigaki reads, else its audio enclosure (known by MIME type or
    extension)."""
    import feedparser

    try:
        with urllib.request.urlopen(feed_url, timeout=30) as response:
            parsed = feedparser.parse(response.read())
    except (OSError, ValueError) as error:
        raise InputError(feed_url, f"cannot read the feed ({error})", "check the URL") from None
    if parsed.bozo and not parsed.entries:
        raise InputError(feed_url, f"is not an RSS or Atom feed ({parsed.get('bozo_exception')})",
                         "give a podcast feed")
    entries = []
    for entry in parsed.entries:
        guid = str(entry.get("id") or entry.get("title") or "").strip()
        chosen = _feed_transcript(entry) or _feed_audio(entry)
        if guid and chosen:
            entries.append(FeedEntry(guid, *chosen))
    return entries


def _media_type(value: Any) -> str:
    return str(value or "").split(";")[0].strip().lower()


def _feed_transcript(entry: Any) -> tuple[str, str] | None:
    transcript = entry.get("podcast_transcript") or {}
    suffix = _TRANSCRIPT_TYPES.get(_media_type(transcript.get("type")))
    url = transcript.get("url")
    return (str(url), suffix) if suffix and url else None


def _feed_audio(entry: Any) -> tuple[str, str] | None:
    for link in entry.get("links", []):
        url = link.get("href")
        if link.get("rel") != "enclosure" or not url:
            continue
        suffix = Path(urllib.parse.urlparse(url).path).suffix.lower()
        if suffix in AUDIO_SUFFIXES:
            return str(url), suffix
        by_type = _AUDIO_TYPES.get(_media_type(link.get("type")))
        if by_type:
            return str(url), by_type
    return None


def _feed_file_name(guid: str, suffix: str) -> str:
    readable = "".join(c if c.isalnum() or c in "-_" else "-" for c in guid)[-40:].strip("-")
    return f"{readable or 'episode'}-{hashlib.sha256(guid.encode()).hexdigest()[:8]}{suffix}"


def download_feed(feed_url: str, inbox: Path) -> list[Path]:
    """Download into ``inbox/feed/`` each feed episode not there yet (atomically)."""
    folder = inbox / "feed"
    folder.mkdir(parents=True, exist_ok=True)
    fetched = []
    for entry in feed_entries(feed_url):
        target = folder / _feed_file_name(entry.guid, entry.suffix)
        if target.exists():
            continue
        partial = target.with_name(f".{target.name}.partial")
        try:
            with urllib.request.urlopen(entry.url, timeout=60) as response, \
                    partial.open("wb") as out:
                for block in iter(lambda: response.read(1 << 20), b""):
                    out.write(block)
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
        fetched.append(target)
    _backdate(fetched)  # complete (renamed into place): no need to let them settle
    return fetched


def _backdate(paths: list[Path]) -> None:
    past = time.time() - 10 * _SETTLE_SECONDS
    for path in paths:
        with contextlib.suppress(OSError):
            os.utime(path, (past, past))


fetch_feed = task(name="fetch-feed", retries=2, retry_delay_seconds=5)(download_feed)


# ------------------------------------------------------------------ the scan


def scan(
    inbox: Path, options: Options, run_episode: EpisodeRunner, *,
    feed: str | None = None, state: Path | None = None, retry_failed: bool = False,
    fetch: Callable[[str, Path], list[Path]] = download_feed,
    logger: logging.Logger | logging.LoggerAdapter | None = None,
) -> ScanReport:
    """Publish every new or changed episode of ``inbox`` (and of ``feed``) into the site
    ``options.publish.out``, each with ``options`` (and its own sidecar), each run by
    ``run_episode(source, options)``."""
    log = logger or logging.getLogger("kikigaki.service")
    options = replace(options.for_each_episode(), show_progress=False)
    inbox, state_path = Path(inbox), state_dir(Path(inbox), state)
    report = ScanReport()
    if feed:
        try:
            report.fetched = [str(p) for p in fetch(feed, inbox)]
        except (KikigakiError, OSError) as error:
            report.feed_error = error.one_line() if isinstance(error, KikigakiError) \
                else f"{feed}: {error}"
            log.warning("the feed was not read: %s", report.feed_error)
    pending = pending_items(inbox, state_path, retry_failed=retry_failed)
    report.unchanged, report.known_failures = pending.unchanged, pending.known_failures
    report.new = [str(item.source) for item in pending.items]
    for item in pending.items:
        with episode_lock(state_path, item.source) as mine:
            if not mine:
                report.busy.append(str(item.source))
                log.info("%s: another run is working on it; next round", item.source)
                continue
            failure = _process(item, options, run_episode)
            if failure and stopping_marker(state_path).exists():
                report.interrupted.append(str(item.source))
                log.info("%s: stopped with serve; the next scan does it", item.source)
                break
            record(state_path, item, failure)
        if failure:
            report.failed[str(item.source)] = failure
            # A warning: the scan goes on; the episode's own run holds the error.
            log.warning("%s failed: %s", item.source, failure)
        else:
            report.published.append(str(item.source))
            log.info("%s published", item.source)
    log.info("%s", summary(report))
    return report


def _process(item: InboxItem, options: Options, run_episode: EpisodeRunner) -> str | None:
    """Run one episode; the reason it failed, or None."""
    try:
        run_episode(item.source, options)
    except Exception as error:  # one broken episode must not stop the others
        stage = getattr(error, "kikigaki_stage", "start")
        reason = error.one_line() if isinstance(error, KikigakiError) else \
            f"{type(error).__name__}: {error}"
        return f"stage {stage}: {reason}"
    return None


def summary(report: ScanReport) -> str:
    """One line for a person: what was new, what was published, what failed and why."""
    names = lambda sources: ", ".join(Path(s).name for s in sources)  # noqa: E731
    parts = [f"{len(report.new)} new" + (f" ({names(report.new)})" if report.new else "")]
    if report.fetched:
        parts.append(f"{len(report.fetched)} fetched from the feed")
    if report.feed_error:
        parts.append(f"feed not read ({report.feed_error})")
    parts.append(f"published {len(report.published)}"
                 + (f" ({names(report.published)})" if report.published else ""))
    if report.failed:
        reasons = "; ".join(f"{Path(s).name}: {why}" for s, why in report.failed.items())
        parts.append(f"failed {len(report.failed)} ({reasons})")
    if report.busy:
        parts.append(f"busy {len(report.busy)} ({names(report.busy)})")
    if report.interrupted:
        parts.append(f"stopped {len(report.interrupted)} ({names(report.interrupted)})")
    parts.append(f"unchanged {report.unchanged}")
    if report.known_failures:
        parts.append(f"{report.known_failures} failed before and unchanged "
                     "(scan --retry-failed to try again)")
    return ", ".join(parts)


@flow(name="scan_inbox")
def scan_inbox(
    inbox: Path, options: Options | None = None, feed: str | None = None,
    state: Path | None = None, retry_failed: bool = False, announce: bool = False,
) -> ScanReport:
    """The scan as a Prefect flow: each episode a sub-flow, the feed a task. With
    ``announce`` (``kikigaki serve``), one line per scan on standard output."""
    from flows.episode import process_episode

    report = scan(Path(inbox), options or Options(), process_episode, feed=feed, state=state,
                  retry_failed=retry_failed, fetch=fetch_feed, logger=get_run_logger())
    if announce:
        print(f"kikigaki: scan {datetime.now():%H:%M:%S}: {summary(report)}", flush=True,
              file=sys.stdout)
    return report
