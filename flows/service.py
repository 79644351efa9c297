"""kikigaki as a service: pick up new episodes from an inbox folder or a podcast feed.

``scan_inbox`` (a Prefect flow) fetches what the feed lists that the inbox does not have
yet, finds every audio file or transcript in the inbox that is new or changed since it
was last published (by the hash of its bytes and of its sidecar), and runs
the episode flow (:func:`flows.episode.process_episode`) for each, one at a time, with
the options the service was started with. An episode whose
lock is held by another run is skipped this round; one that fails is reported by name
and stage, and the site keeps its last good state. ``kikigaki serve`` serves this flow
as a deployment with a cron schedule.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from prefect import flow, get_run_logger, task

from kikigaki.atomic import write_text
from kikigaki.errors import InputError, KikigakiError
from kikigaki.sidecar import SIDECAR_SUFFIX, sidecar_path_for
from pipeline.options import AUDIO_SUFFIXES, TRANSCRIPT_SUFFIXES, Options

STATE_DIR_NAME = ".kikigaki-state"
_SETTLE_SECONDS = 2.0  # a file written to more recently than this may still be arriving
_PODCAST_NS = "{https://podcastindex.org/namespace/1.0}"
_TRANSCRIPT_TYPES = {"application/x-subrip": ".srt", "application/srt": ".srt",
                     "text/vtt": ".vtt", "application/json": ".json", "text/plain": ".txt"}


@dataclass(frozen=True)
class InboxItem:
    source: Path
    digest: str  # of the file and its sidecar

    @property
    def is_audio(self) -> bool:
        return self.source.suffix.lower() in AUDIO_SUFFIXES


@dataclass
class ScanReport:
    published: list[str] = field(default_factory=list)
    unchanged: int = 0
    busy: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


# ------------------------------------------------------------------ the inbox


def state_dir(inbox: Path, state: Path | None = None) -> Path:
    return state or inbox / STATE_DIR_NAME


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
    """Regular files of the inbox; a link (to a file elsewhere, or to one inside) is not
    an episode the user dropped in, and is never published."""
    now = time.time()
    root = inbox.resolve()
    for path in sorted(inbox.rglob("*")):
        relative = path.relative_to(inbox)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        if path.is_symlink() or not path.resolve().is_relative_to(root):
            continue
        if path.name.endswith(SIDECAR_SUFFIX) or path.name.endswith(".partial"):
            continue
        known = path.suffix.lower() in AUDIO_SUFFIXES | TRANSCRIPT_SUFFIXES
        if known and now - path.stat().st_mtime >= _SETTLE_SECONDS:
            yield path


def read_ledger(state: Path) -> dict[str, str]:
    path = state / "ledger.json"
    if not path.is_file():
        return {}
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError):
        return {}  # a damaged ledger only costs a re-run of each episode


def record(state: Path, item: InboxItem) -> None:
    ledger = read_ledger(state)
    ledger[str(item.source)] = item.digest
    state.mkdir(parents=True, exist_ok=True)
    write_text(state / "ledger.json", json.dumps(ledger, ensure_ascii=False, indent=1))


def pending_items(inbox: Path, state: Path) -> tuple[list[InboxItem], int]:
    """Items new or changed since they were last published, and how many are unchanged."""
    if not inbox.is_dir():
        raise InputError(inbox, "the inbox is not a folder", "create it or give another")
    ledger = read_ledger(state)
    items, unchanged = [], 0
    for path in _candidates(inbox):
        item = InboxItem(path, _digest(path))
        if ledger.get(str(path)) == item.digest:
            unchanged += 1
        else:
            items.append(item)
    return items, unchanged


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


def feed_entries(feed_url: str) -> list[tuple[str, str, str]]:
    """(guid, url, suffix) of each episode's transcript (preferred) or audio in the feed."""
    try:
        with urllib.request.urlopen(feed_url, timeout=30) as response:
            root = ET.fromstring(response.read())
    except (OSError, ValueError) as error:
        raise InputError(feed_url, f"cannot read the feed ({error})", "check the URL") from None
    except ET.ParseError as error:
        raise InputError(feed_url, f"is not RSS ({error})", "give a podcast RSS feed") from None
    entries = []
    for item in root.iter("item"):
        guid = (item.findtext("guid") or item.findtext("title") or "").strip()
        chosen = _feed_transcript(item) or _feed_audio(item)
        if guid and chosen:
            entries.append((guid, *chosen))
    return entries


def _feed_transcript(item: ET.Element) -> tuple[str, str] | None:
    for element in item.iter(f"{_PODCAST_NS}transcript"):
        suffix = _TRANSCRIPT_TYPES.get((element.get("type") or "").split(";")[0].strip())
        if suffix and element.get("url"):
            return element.get("url", ""), suffix
    return None


def _feed_audio(item: ET.Element) -> tuple[str, str] | None:
    enclosure = item.find("enclosure")
    if enclosure is None or not enclosure.get("url"):
        return None
    url = enclosure.get("url", "")
    suffix = Path(urllib.parse.urlparse(url).path).suffix.lower()
    return (url, suffix) if suffix in AUDIO_SUFFIXES else None


def _feed_file_name(guid: str, suffix: str) -> str:
    readable = "".join(c if c.isalnum() or c in "-_" else "-" for c in guid)[-40:].strip("-")
    return f"{readable or 'episode'}-{hashlib.sha256(guid.encode()).hexdigest()[:8]}{suffix}"


@task(name="fetch-feed", retries=2, retry_delay_seconds=5)
def fetch_feed(feed_url: str, inbox: Path) -> list[Path]:
    """Download into ``inbox/feed/`` each feed episode not there yet (atomically)."""
    folder = inbox / "feed"
    folder.mkdir(parents=True, exist_ok=True)
    fetched = []
    for guid, url, suffix in feed_entries(feed_url):
        target = folder / _feed_file_name(guid, suffix)
        if target.exists():
            continue
        partial = target.with_name(f".{target.name}.partial")
        try:
            with urllib.request.urlopen(url, timeout=60) as response, partial.open("wb") as out:
                for block in iter(lambda: response.read(1 << 20), b""):
                    out.write(block)
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
        fetched.append(target)
    return fetched


# ------------------------------------------------------------------ the flow


@flow(name="scan_inbox")
def scan_inbox(
    inbox: Path, options: Options | None = None, feed: str | None = None,
    state: Path | None = None,
) -> ScanReport:
    """Publish every new or changed episode of ``inbox`` (and of ``feed``) into the site
    ``options.publish.out``, each with ``options`` (and its own sidecar)."""
    options = replace((options or Options()).for_each_episode(), show_progress=False)
    logger = get_run_logger()
    inbox, state_path = Path(inbox), state_dir(Path(inbox), state)
    if feed:
        fetched = fetch_feed(feed, inbox)
        if fetched:
            # Fresh downloads are complete (renamed into place): no need to let them settle.
            _backdate(fetched)
    items, unchanged = pending_items(inbox, state_path)
    report = ScanReport(unchanged=unchanged)
    for item in items:
        with episode_lock(state_path, item.source) as mine:
            if not mine:
                report.busy.append(str(item.source))
                logger.info("%s: another run is working on it; next round", item.source)
                continue
            _process(item, options, report, logger)
            if str(item.source) in report.published:
                record(state_path, item)
    logger.info("published %d, unchanged %d, busy %d, failed %d", len(report.published),
                report.unchanged, len(report.busy), len(report.failed))
    return report


def _backdate(paths: list[Path]) -> None:
    past = time.time() - 10 * _SETTLE_SECONDS
    for path in paths:
        with contextlib.suppress(OSError):
            os.utime(path, (past, past))


def _process(item: InboxItem, options: Options, report: ScanReport,
             logger) -> None:  # type: ignore[no-untyped-def]
    from flows.episode import process_episode

    try:
        process_episode(item.source, options)
    except Exception as error:  # one broken episode must not stop the others
        stage = getattr(error, "kikigaki_stage", "start")
        reason = error.one_line() if isinstance(error, KikigakiError) else \
            f"{type(error).__name__}: {error}"
        report.failed[str(item.source)] = f"stage {stage}: {reason}"
        logger.error("%s failed in stage %s: %s", item.source, stage, reason)
    else:
        report.published.append(str(item.source))
