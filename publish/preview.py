"""``kikigaki preview``: the published site on localhost, served as a web server serves it.

``python3 -m http.server`` answers no byte-range requests, so a browser's ``<audio>``
reports no seekable range and every seek plays from 0:00. The preview serves the site with
Starlette's ``StaticFiles`` on uvicorn: byte ranges (206 Partial Content, several ranges,
``If-Range``), ``ETag`` and ``Last-Modified`` with 304 answers, ``index.html`` for a
folder, and the media types a podcast site needs (WebVTT, Opus, M4A…). Files are looked
up per request, so a site published again while the preview runs is served at once.
"""

from __future__ import annotations

import mimetypes
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from kikigaki.errors import InputError
from publish.podcast import AUDIO_TYPES

DEFAULT_PORT = 8000  # the placeholder base URL's port (publish.layout.DEFAULT_BASE_URL)
HOST = "127.0.0.1"
_TYPES = {
    ".vtt": "text/vtt",
    ".srt": "application/x-subrip",
    ".js": "text/javascript",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".xml": "application/xml",
    ".md": "text/markdown",
    ".rttm": "text/plain",
    **AUDIO_TYPES,  # the types the feed gives the same files
}


def preview_app(site: Path) -> Starlette:
    """The ASGI app serving ``site`` (a missing file: 404); InputError (one line) when the
    folder holds no site."""
    site = Path(site)
    if not (site / "index.html").is_file():
        raise InputError(site, "holds no published site (no index.html)",
                         "publish one first, e.g. kikigaki reclean … --out " + str(site))
    for suffix, kind in _TYPES.items():
        mimetypes.add_type(kind, suffix)
    return Starlette(routes=[Mount("/", app=StaticFiles(directory=site, html=True))])


def bind(port: int, host: str = HOST) -> socket.socket:
    """A listening socket on ``host:port`` (0: any free port); InputError when taken."""
    if not 0 <= port <= 65535:
        raise InputError(f"--port {port}", "is not a port number", "give one from 1 to 65535")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise InputError(f"--port {port}", f"cannot be used ({error.strerror})",
                         "give a free port with --port") from error
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _server(site: Path) -> uvicorn.Server:
    config = uvicorn.Config(preview_app(site), log_level="warning", access_log=False,
                            lifespan="off")
    return uvicorn.Server(config)


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{'localhost' if host == HOST else host}:{port}/"


def serve(site: Path, port: int = DEFAULT_PORT, announce: Callable[[str], None] = print) -> None:
    """Serve ``site`` until interrupted (Ctrl+C); ``announce`` is told its URL once the
    port is taken."""
    server = _server(site)
    sock = bind(port)
    announce(url_of(sock))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


@contextmanager
def running_preview(site: Path, port: int = 0) -> Iterator[str]:
    """The preview of ``site`` in a background thread, for as long as the block runs;
    yields its base URL (tests, scripts)."""
    server = _server(site)
    sock = bind(port)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started and thread.is_alive():
            threading.Event().wait(0.01)
        yield url_of(sock)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
