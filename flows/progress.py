"""Progress a person can follow: a line per stage (or a bar on a terminal), progress
inside the long stages with the time left, and which stages came from the cache.

Times left are estimated from the throughput measured since a stage's first report, so
the seconds spent loading a model before any audio is processed do not count as work.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO

_LINE_EVERY_S = 10.0  # inside a stage, a plain line at least this far apart…
_LINE_EVERY_PERCENT = 10.0  # …or after this much progress


@dataclass
class StageRun:
    """One stage while it runs: ``cached`` is set when its result came from the cache."""

    name: str
    number: int
    began: float = field(default_factory=time.perf_counter)
    cached: bool = False
    first_report: tuple[float, float] | None = None  # (clock, done) at the first report
    last_line: tuple[float, float] = (0.0, -100.0)  # (clock, percent) of the last line


@dataclass
class RunProgress:
    """Counts ``total`` stages of a run labelled ``label``; ``timings`` holds seconds per
    stage. Writes plain lines to ``stream``, or a rich progress bar when it is a terminal
    (``bar=None`` decides by that)."""

    total: int
    label: str
    stream: TextIO | None = sys.stderr
    bar: bool | None = None
    timings: dict[str, float] = field(default_factory=dict)
    cached: list[str] = field(default_factory=list)
    _done: int = 0
    _current: StageRun | None = None
    _rich: Any = None
    _tasks: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.bar is None:
            self.bar = bool(self.stream is not None and self.stream.isatty())
        if self.bar and self.stream is not None:
            self._start_bar()

    # ------------------------------------------------------------------ stages

    @contextmanager
    def stage(self, name: str) -> Iterator[StageRun]:
        run = StageRun(name, self._done + 1)
        self._current = run
        self._say(f"[{run.number}/{self.total}] {name} …", stage=name)
        try:
            yield run
        except Exception as error:
            # Whoever reports the failure can say which stage it was.
            if not hasattr(error, "kikigaki_stage"):
                error.kikigaki_stage = name  # type: ignore[attr-defined]
            raise
        finally:
            self._current = None
        seconds = time.perf_counter() - run.began
        self.timings[name] = self.timings.get(name, 0.0) + seconds
        self._done += 1
        if run.cached:
            self.cached.append(name)
        how = f"from cache ({seconds:.2f} s)" if run.cached else f"done in {seconds:.2f} s"
        self._say(f"[{run.number}/{self.total}] {name} {how}", stage=name, finished=True)

    def within(self, done: float, total: float = 1.0) -> None:
        """Progress inside the current stage: ``done`` of ``total`` (seconds of audio)."""
        run = self._current
        if run is None or total <= 0:
            return
        now = time.perf_counter()
        if run.first_report is None:
            run.first_report = (now, done)
        percent = min(100.0, 100.0 * done / total)
        left = self._time_left(run, now, done, total)
        if self._rich is not None:
            self._rich.update(self._tasks["stage"], completed=percent,
                              description=f"{run.name}{left and ', ' + left}")
            return
        far_enough = percent - run.last_line[1] >= _LINE_EVERY_PERCENT
        if not (far_enough or now - run.last_line[0] >= _LINE_EVERY_S) or percent >= 100:
            return
        run.last_line = (now, percent)
        self._say(f"[{run.number}/{self.total}] {run.name} {percent:.0f} %"
                  f"{left and ', ' + left}")

    @staticmethod
    def _time_left(run: StageRun, now: float, done: float, total: float) -> str:
        assert run.first_report is not None
        began, done_then = run.first_report
        if done <= done_then or now - began < 1.0:
            return ""
        seconds = (now - began) / (done - done_then) * (total - done)
        return f"about {seconds:.0f} s left"

    def close(self) -> None:
        if self._rich is not None:
            self._rich.stop()
            self._rich = None

    # ------------------------------------------------------------------ output

    def _start_bar(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        console = Console(file=self.stream, stderr=self.stream is sys.stderr)
        self._rich = Progress(
            TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f} %"),
            TimeElapsedColumn(), console=console, transient=False,
        )
        self._tasks["run"] = self._rich.add_task(self.label, total=self.total)
        self._tasks["stage"] = self._rich.add_task("", total=100.0)
        self._rich.start()

    def _say(self, line: str, *, stage: str = "", finished: bool = False) -> None:
        if self._rich is not None:
            if finished:
                self._rich.update(self._tasks["run"], completed=self._done)
                self._rich.console.print(f"kikigaki: {self.label}: {line}")
            elif stage:
                self._rich.update(self._tasks["stage"], completed=0, description=stage)
            return
        if self.stream is not None:
            print(f"kikigaki: {self.label}: {line}", file=self.stream, flush=True)
