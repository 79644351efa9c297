"""``kikigaki serve`` with a real ``prefect server start``: killed in the middle of a scan
(SIGKILL, then SIGTERM), started again, it publishes at its start-up scan with no manual
step, then on schedule.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "fixtures" / "transcripts" / "sample.vtt"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Serve:
    """One ``kikigaki serve`` process (its own process group) and what it printed."""

    def __init__(self, tmp: Path, port: int, log_name: str, interval: int = 3600) -> None:
        self.api = f"http://127.0.0.1:{port}/api"
        self.log = tmp / log_name
        # As an operator starts it: no Prefect settings of the test session (its logging
        # level would win over serve's INFO default).
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("PREFECT_API", "PREFECT_LOGGING"))}
        env["PREFECT_HOME"] = str(tmp / "prefect-home")  # an empty task cache
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "commands.cli", "serve", "--inbox", str(tmp / "inbox"),
                 "--out", str(tmp / "site"), "--interval", str(interval), "--port", str(port)],
                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def runs(self, *types: str) -> list[dict]:
        body = json.dumps({"flow_runs": {"state": {"type": {"any_": list(types)}}}}).encode()
        request = urllib.request.Request(f"{self.api}/flow_runs/filter", data=body,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                return list(json.loads(answer.read()))
        except OSError:
            return []

    def info_logs(self) -> list[str]:
        body = json.dumps({"logs": {"level": {"ge_": 20, "le_": 20}}, "sort": "TIMESTAMP_DESC",
                           "limit": 200}).encode()
        request = urllib.request.Request(f"{self.api}/logs/filter", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as answer:
            return [str(record["message"]) for record in json.loads(answer.read())]

    def wait_for(self, check, what: str, timeout: float = 240) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            assert self.process.poll() is None, f"serve stopped:\n{self.output()}"
            time.sleep(0.5)
        raise AssertionError(f"no {what} after {timeout} s:\n{self.output()}")

    def wait_until_an_episode_runs(self) -> None:
        self.wait_for(lambda: any(r["name"] and r.get("deployment_id") is None
                                  for r in self.runs("RUNNING")), "episode run")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def _drop(inbox: Path, name: str) -> Path:
    target = inbox / name
    shutil.copy(FIXTURE, target)
    os.utime(target, (time.time() - 60,) * 2)  # settled: not still being copied in
    return target


@pytest.mark.slow
def test_serve_killed_mid_scan_publishes_after_a_restart(tmp_path: Path) -> None:
    (tmp_path / "inbox").mkdir()
    port = _free_port()
    _drop(tmp_path / "inbox", "first.vtt")
    page = tmp_path / "site" / "first" / "index.html"

    killed = Serve(tmp_path, port, "serve-1.log")  # SIGKILL: no chance to clean up
    try:
        killed.wait_until_an_episode_runs()
        os.killpg(killed.process.pid, signal.SIGKILL)
        killed.process.wait(timeout=30)
    finally:
        killed.stop()
    assert not page.exists()

    stopped = Serve(tmp_path, port, "serve-2.log")  # SIGTERM: cancels its run
    try:
        stopped.wait_for(lambda: "marked crashed" in stopped.output(), "recovery line")
        stopped.wait_until_an_episode_runs()
        os.kill(stopped.process.pid, signal.SIGTERM)
        assert stopped.process.wait(timeout=90) == 0
        assert "serve: stopped" in stopped.output()
    finally:
        stopped.stop()

    # SIGTERM can land after the episode's last stage: then it was published and recorded
    # before the stop, and the restart must find it unchanged rather than redo it.
    finished_before_the_stop = page.is_file()
    restarted = datetime.now(UTC)
    again = Serve(tmp_path, port, "serve-3.log", interval=5)
    try:
        again.wait_for(page.is_file, "published page")
        expected = "unchanged 1" if finished_before_the_stop else "published 1 (first.vtt)"
        again.wait_for(lambda: expected in again.output(), "scan line")
        _drop(tmp_path / "inbox", "second.vtt")  # then on schedule
        again.wait_for((tmp_path / "site" / "second" / "index.html").is_file, "second page")
        assert any("published" in message for message in again.info_logs())  # in the UI
        # Runs of the stopped serves: none left (this serve's own scans come every 5 s).
        left = [r for r in again.runs("RUNNING", "PENDING", "CANCELLING")
                if datetime.fromisoformat(r["created"]) < restarted]
        assert not left, [(r["name"], r["state"]["name"], r["deployment_id"]) for r in left]
        cancelled = [r for r in again.runs("CANCELLED", "CRASHED")]
        assert {r["state"]["type"] for r in cancelled} >= {"CRASHED", "CANCELLED"}
    finally:
        again.stop()
