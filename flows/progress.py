"""Stage-by-stage progress: one line per stage on stderr and a Prefect progress artifact."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TextIO
from uuid import UUID

from prefect.artifacts import create_progress_artifact, update_progress_artifact


@dataclass
class StageProgress:
    """Counts stages done out of ``total``; ``timings`` holds each stage's seconds."""

    total: int
    label: str
    stream: TextIO | None = sys.stderr
    timings: dict[str, float] = field(default_factory=dict)
    _done: int = 0
    _artifact: UUID | None = None
    _stage_began: float = 0.0
    _last_step: dict[str, int] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        self._stage_began = began
        self._say(f"[{self._done + 1}/{self.total}] {name} …")
        try:
            yield
        except Exception as error:
            # Whoever reports the failure can say which stage it was.
            if not hasattr(error, "kikigaki_stage"):
                error.kikigaki_stage = name  # type: ignore[attr-defined]
            raise
        seconds = time.perf_counter() - began
        self.timings[name] = self.timings.get(name, 0.0) + seconds
        self._done += 1
        self._say(f"[{self._done}/{self.total}] {name} done in {seconds:.2f} s")
        self._report_to_prefect()

    def within(self, name: str, done: float, total: float) -> None:
        """Progress inside a long stage (seconds of audio done of ``total``), with an
        estimate of the time left; at most one line every 5 % of the way."""
        if total <= 0:
            return
        percent = min(100.0, 100.0 * done / total)
        step = int(percent // 5)
        if step <= self._last_step.get(name, -1):
            return
        self._last_step[name] = step
        elapsed = time.perf_counter() - self._stage_began
        left = elapsed * (total - done) / done if done > 0 else float("nan")
        estimate = f", about {left:.0f} s left" if done > 0 and done < total else ""
        self._say(f"[{self._done + 1}/{self.total}] {name} {percent:.0f} %{estimate}")

    def _say(self, line: str) -> None:
        if self.stream is not None:
            print(f"kikigaki: {self.label}: {line}", file=self.stream, flush=True)

    def _report_to_prefect(self) -> None:
        percent = 100.0 * self._done / self.total
        if self._artifact is None:
            self._artifact = create_progress_artifact(
                progress=percent, description=f"{self.label}: stages done"
            )
        else:
            update_progress_artifact(self._artifact, progress=percent)
