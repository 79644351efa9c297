"""A local Prefect server for ``kikigaki serve`` when no ``PREFECT_API_URL`` is set.

Prefect's temporary in-process server runs no scheduler, so schedules would never fire.
``kikigaki serve`` therefore starts ``prefect server start`` on a free local port, with
its database in the inbox's state folder (so run history survives restarts), and stops it
on exit. With ``PREFECT_API_URL`` set, that server is used instead.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from kikigaki.errors import KikigakiError

_START_TIMEOUT_SECONDS = 120


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def prefect_api(home: Path) -> Iterator[str]:
    """The Prefect API URL to use: the user's, or a local server started for the block."""
    given = os.environ.get("PREFECT_API_URL")
    if given:
        yield given
        return
    home.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    log = (home / "server.log").open("ab")
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
         "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        _wait_healthy(url, server, home)
        os.environ["PREFECT_API_URL"] = url
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with temporary_settings(updates={PREFECT_API_URL: url}):
            yield url
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        server.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=20)
        if server.poll() is None:
            server.kill()
        log.close()


def _wait_healthy(url: str, server: subprocess.Popen, home: Path) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise KikigakiError(home / "server.log", "the local Prefect server stopped",
                                "read the log, or set PREFECT_API_URL to a running server")
        with contextlib.suppress(OSError), \
                urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            if response.status == 200:
                return
        time.sleep(0.5)
    raise KikigakiError(home / "server.log", "the local Prefect server did not start",
                        "read the log, or set PREFECT_API_URL to a running server")
