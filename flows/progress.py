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

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        self._say(f"[{self._done + 1}/{self.total}] {name} …")
        yield
        seconds = time.perf_counter() - began
        self.timings[name] = self.timings.get(name, 0.0) + seconds
        self._done += 1
        self._say(f"[{self._done}/{self.total}] {name} done in {seconds:.2f} s")
        self._report_to_prefect()

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
