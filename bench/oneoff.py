"""What a one-off ``kikigaki reclean`` of the seed episode pays for Prefect.

Whole commands in fresh processes, timed from outside (wall seconds, median of
``--repeat`` rounds, the commands taken in turn in each round so drift hits all alike):

- **plain**: the same stages called without Prefect (``pipeline.stages.run_plain``) and
  the site published, in a fresh process: the baseline;
- **reclean, cold / cached**: the command with no Prefect server running (it then runs the
  stages without a temporary server, on Prefect's result store), first with an empty
  cache, then again with the cache it filled;
- **reclean via a server, cold / cached**: the same with a Prefect server already running
  (as ``kikigaki serve`` leaves one; started here, before the clock);
- **python + import prefect** and **python alone**: what importing Prefect costs a process
  (a one-off run without a server still imports it, for its result store).

Printed: each median and its ratio to plain, then Prefect's share of a cached re-run
without a server (importing Prefect, over the whole command). Goal: at most 25 %.
Timings are printed, never checked.

    uv run python bench/oneoff.py [--repeat 3] [--no-server]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "seeds" / "002_d502b1dd49aa2187.txt"

_PLAIN = """
import sys
from pathlib import Path
from pipeline.context import build_context
from pipeline.options import Options, PublishOptions
from pipeline.stages import run_plain
from publish.site import publish_site

source, out = Path(sys.argv[1]), Path(sys.argv[2])
options = Options(publish=PublishOptions(out=out))
context = build_context(source, options)
episode = run_plain(source, context, audio=False)
publish_site(out, [episode], context.documents, None)
"""


def _env(home: Path, api_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env["PREFECT_HOME"] = str(home)
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def _seconds(command: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - began


def _reclean(work: Path, name: str, api_url: str | None) -> Callable[[bool], float]:
    """A timer of the reclean command; ``cold`` empties its Prefect home (the cache) first."""
    home = work / f"home-{name}"

    def run(cold: bool) -> float:
        if cold:
            shutil.rmtree(home, ignore_errors=True)
        command = [sys.executable, "-m", "commands.cli", "reclean", str(SEED), "--quiet",
                   "--out", str(work / f"site-{name}")]
        return _seconds(command, _env(home, api_url))

    return run


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_server(work: Path) -> tuple[subprocess.Popen, str]:
    from flows.local_server import is_healthy

    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {**_env(work / "server-home", None), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port",
         str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    deadline = time.monotonic() + 300
    while not is_healthy(url):
        if time.monotonic() > deadline or server.poll() is not None:
            raise SystemExit("the Prefect server did not start")
        time.sleep(1)
    return server, url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-server", action="store_true", help="skip the server rows")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kk-oneoff-"))
    server, url = (None, None) if args.no_server else _start_server(work)
    local, remote = _reclean(work, "local", None), _reclean(work, "server", url)
    plain_env = _env(work / "home-plain", None)
    rows: dict[str, Callable[[], float]] = {
        "plain (run_plain + publish)": lambda: _seconds(
            [sys.executable, "-c", _PLAIN, str(SEED), str(work / "site-plain")], plain_env),
        "python alone": lambda: _seconds([sys.executable, "-c", "pass"], plain_env),
        "python + import prefect": lambda: _seconds(
            [sys.executable, "-c", "import prefect"], plain_env),
        "reclean, no server, cold": lambda: local(True),
        "reclean, no server, cached": lambda: local(False),
    }
    if url:
        rows["reclean via a server, cold"] = lambda: remote(True)
        rows["reclean via a server, cached"] = lambda: remote(False)
    times: dict[str, list[float]] = {name: [] for name in rows}
    try:
        for _ in range(args.repeat):
            for name, timer in rows.items():
                times[name].append(timer())
    finally:
        if server is not None:
            os.killpg(server.pid, 15)
            server.wait()
    plain = statistics.median(times["plain (run_plain + publish)"])
    print(f"seed episode {SEED.name}, median of {args.repeat}, wall seconds, fresh processes")
    for name, values in times.items():
        median = statistics.median(values)
        spread = f"{min(values):.1f}-{max(values):.1f}"
        print(f"  {name:<30} {median:6.1f} s  ({spread})  {median / plain:5.2f} x plain")
    median = {name: statistics.median(values) for name, values in times.items()}
    prefect = median["python + import prefect"] - median["python alone"]
    cached = median["reclean, no server, cached"]
    print(f"Prefect's share of a cached re-run without a server: importing it, {prefect:.1f} s"
          f" of {cached:.1f} s = {100 * prefect / cached:.0f} %")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
