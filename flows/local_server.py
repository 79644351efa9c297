"""Which Prefect server a run talks to, and the one ``kikigaki serve`` starts.

``kikigaki serve`` starts ``prefect server start`` on a fixed local port (``--port``,
default :data:`DEFAULT_PORT`), with its database in the inbox's state folder (so run
history survives restarts), records its address in ``PREFECT_HOME/kikigaki-server.json``
while it runs, and stops it on exit. Prefect's temporary in-process server would not do:
it runs no scheduler, so schedules would never fire.

A one-off run (``reclean``, ``transcribe``, ``scan``) uses, in this order: the server
``PREFECT_API_URL`` names; the server a running ``kikigaki serve`` recorded; else none at
all (:func:`flows.episode.run_episode` then runs the stages without Prefect, with the
same on-disk cache), so it never pays for starting a temporary server.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from kikigaki.atomic import write_text
from kikigaki.errors import KikigakiError

DEFAULT_PORT = 4230
RECORD_NAME = "kikigaki-server.json"
_START_TIMEOUT_SECONDS = 180
_HEALTH_TIMEOUT_SECONDS = 2.0


def prefect_home() -> Path:
    """Prefect's home folder, read as Prefect reads it, without importing Prefect."""
    return Path(os.environ.get("PREFECT_HOME") or "~/.prefect").expanduser()


def record_path() -> Path:
    return prefect_home() / RECORD_NAME


def is_healthy(api_url: str, timeout: float = _HEALTH_TIMEOUT_SECONDS) -> bool:
    """Whether a Prefect API answers its health check at ``api_url``."""
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=timeout) as answer:
            return bool(answer.status == 200)
    except (OSError, ValueError):
        return False


def configured_api_url() -> str | None:
    """The API URL the user configured (environment or Prefect profile), if any."""
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or None


def recorded_server() -> str | None:
    """The API URL of the server a running ``kikigaki serve`` recorded, if it answers."""
    url = _read_record().get("api_url")
    return url if isinstance(url, str) and is_healthy(url) else None


def running_api_url() -> str | None:
    """The server a one-off run should use: the configured one, else serve's, else None."""
    return configured_api_url() or recorded_server()


@contextlib.contextmanager
def using_api(url: str) -> Iterator[str]:
    """Point Prefect (and the processes it starts) at ``url`` for the block."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    previous = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = url
    try:
        with temporary_settings(updates={PREFECT_API_URL: url}):
            yield url
    finally:
        if previous is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = previous


# ------------------------------------------------------------------ serve's own server


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def check_port(port: int) -> None:
    """One line now if ``port`` cannot be used, rather than a server that never starts."""
    if not 1 <= port <= 65535:
        raise KikigakiError(f"--port {port}", "is not a port number", "give 1024-65535")
    if not _port_is_free(port):
        raise KikigakiError(f"--port {port}", "is in use on 127.0.0.1 (another serve?)",
                            "stop it, or give another --port")


@contextlib.contextmanager
def prefect_api(home: Path, port: int = DEFAULT_PORT) -> Iterator[str]:
    """The Prefect API URL to serve on: the configured one, or a local server on ``port``
    started for the block (its database in ``home``) and recorded for one-off runs."""
    given = configured_api_url()
    if given:
        yield given
        return
    _stop_orphaned_server(port)
    check_port(port)
    home.mkdir(parents=True, exist_ok=True)
    url = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    with (home / "server.log").open("ab") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
             "--port", str(port)],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            _wait_healthy(url, server, home)
            _write_record(url, server.pid)
            with using_api(url):
                yield url
        finally:
            _remove_record(url)
            _stop(server)


def _write_record(url: str, server_pid: int) -> None:
    record = {"api_url": url, "server_pid": server_pid, "serve_pid": os.getpid()}
    path = record_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, json.dumps(record))


def _read_record() -> dict[str, object]:
    try:
        record = json.loads(record_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop_orphaned_server(port: int) -> None:
    """A ``serve`` killed outright (SIGKILL) leaves its server running: stop it, so the
    restarted serve can take the port again without a manual step."""
    record = _read_record()
    server_pid, serve_pid = record.get("server_pid"), record.get("serve_pid")
    if record.get("api_url") != f"http://127.0.0.1:{port}/api" or _alive(serve_pid):
        return
    if _alive(server_pid):
        assert isinstance(server_pid, int)
        with contextlib.suppress(OSError):
            os.killpg(server_pid, signal.SIGTERM)  # its own session: the server and its workers
        deadline = time.monotonic() + 20
        while _alive(server_pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        with contextlib.suppress(OSError):
            os.killpg(server_pid, signal.SIGKILL)
        while not _port_is_free(port) and time.monotonic() < deadline:
            time.sleep(0.2)
    with contextlib.suppress(OSError):
        record_path().unlink()


def _remove_record(url: str) -> None:
    """Remove the record if it is still this server's (another serve may have replaced it)."""
    if _read_record().get("api_url") == url:
        with contextlib.suppress(OSError):
            record_path().unlink()


def _stop(server: subprocess.Popen) -> None:
    """Stop the server and the processes it started (its own session)."""
    with contextlib.suppress(OSError):
        os.killpg(server.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.wait(timeout=20)
    with contextlib.suppress(OSError):
        os.killpg(server.pid, signal.SIGKILL)
    server.wait()


def _wait_healthy(url: str, server: subprocess.Popen, home: Path) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise KikigakiError(home / "server.log", "the local Prefect server stopped",
                                "read the log, or set PREFECT_API_URL to a running server")
        if is_healthy(url):
            return
        time.sleep(0.5)
    raise KikigakiError(home / "server.log", "the local Prefect server did not start",
                        "read the log, or set PREFECT_API_URL to a running server")
