"""RTTM files ("who spoke when") and diarization error rates against a reference.

One line per turn: ``SPEAKER <uri> 1 <start> <duration> <NA> <NA> <speaker> <NA> <NA>``.

Scores come from pyannote.metrics. The diarization error rate (DER) is
(missed speech + false alarm + speaker confusion) / reference speech, after the best
one-to-one mapping of hypothesis speakers to reference speakers; the Jaccard error rate
(JER) averages, over reference speakers, one minus the intersection over union of
their speech with their mapped hypothesis speaker. ``collar`` seconds around every
reference boundary are not scored (0.0 is the strict default used by our benchmarks;
0.25 is the usual lenient setting, half of it on each side of a boundary in
pyannote's convention); overlapping speech is scored.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kikigaki.atomic import write_text
from kikigaki.document import Turn
from kikigaki.errors import InputError


def format_rttm(turns: Iterable[Turn], uri: str) -> str:
    uri = "_".join(uri.split()) or "audio"
    lines = [
        f"SPEAKER {uri} 1 {turn.start:.3f} {turn.end - turn.start:.3f} <NA> <NA> "
        f"{turn.speaker} <NA> <NA>"
        for turn in sorted(turns, key=lambda turn: (turn.start, turn.end))
    ]
    return "".join(line + "\n" for line in lines)


def write_rttm(path: Path, turns: Iterable[Turn], uri: str | None = None) -> None:
    write_text(path, format_rttm(turns, uri or path.stem))


def parse_rttm(text: str, where: str | Path = "<rttm>") -> dict[str, list[Turn]]:
    """Turns per recording (uri), in file order; comments and blank lines are skipped."""
    recordings: dict[str, list[Turn]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields or fields[0].startswith(("#", ";")) or fields[0] != "SPEAKER":
            continue
        recordings.setdefault(fields[1], []).append(_turn(fields, f"{where}:{number}"))
    return recordings


def _turn(fields: Sequence[str], where: str) -> Turn:
    if len(fields) < 8:
        raise InputError(where, "an RTTM SPEAKER line needs at least 8 fields",
                         "write 'SPEAKER <uri> 1 <start> <duration> <NA> <NA> <speaker>'")
    try:
        start, duration = float(fields[3]), float(fields[4])
        if not (math.isfinite(start) and math.isfinite(duration)):
            raise ValueError("nan or inf")
    except ValueError:
        raise InputError(where, f"start {fields[3]!r} or duration {fields[4]!r} is not a number",
                         "write times in seconds, e.g. 12.345") from None
    if duration < 0:
        raise InputError(where, "the duration is negative", "give a duration of 0 or more")
    return Turn(start=start, end=start + duration, speaker=fields[7])


def read_rttm(path: Path, uri: str | None = None) -> list[Turn]:
    """The turns of ``uri`` (or of the file's only / first recording)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(path, f"cannot read the RTTM file ({error})",
                         "check the path and that it is UTF-8 text") from None
    recordings = parse_rttm(text, path)
    if not recordings:
        return []
    if uri is not None:
        if uri not in recordings:
            raise InputError(path, f"no turns for recording {uri!r}",
                             f"use one of: {', '.join(recordings)}")
        return recordings[uri]
    return next(iter(recordings.values()))


@dataclass(frozen=True)
class DiarizationScore:
    der: float
    jer: float
    collar: float
    missed: float  # seconds
    false_alarm: float
    confusion: float
    total: float  # seconds of reference speech


def _annotation(turns: Iterable[Turn], uri: str) -> Any:
    from pyannote.core import Annotation, Segment

    annotation = Annotation(uri=uri)
    for index, turn in enumerate(turns):
        if turn.end > turn.start:
            annotation[Segment(turn.start, turn.end), index] = turn.speaker
    return annotation


def score(reference: Path | Sequence[Turn], hypothesis: Sequence[Turn],
          collar: float = 0.0) -> DiarizationScore:
    """DER and JER of ``hypothesis`` against a reference RTTM file (or its turns)."""
    os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "0")
    from pyannote.metrics.diarization import DiarizationErrorRate, JaccardErrorRate

    ref_turns = read_rttm(reference) if isinstance(reference, Path) else reference
    ref, hyp = _annotation(ref_turns, "audio"), _annotation(hypothesis, "audio")
    der_metric = DiarizationErrorRate(collar=collar, skip_overlap=False)
    parts = der_metric(ref, hyp, detailed=True)
    jer = JaccardErrorRate(collar=collar, skip_overlap=False)(ref, hyp)
    return DiarizationScore(
        der=float(parts["diarization error rate"]), jer=float(jer), collar=collar,
        missed=float(parts["missed detection"]), false_alarm=float(parts["false alarm"]),
        confusion=float(parts["confusion"]), total=float(parts["total"]),
    )


def der(reference: Path | Sequence[Turn], hypothesis: Sequence[Turn],
        collar: float = 0.0) -> float:
    return score(reference, hypothesis, collar).der


def jer(reference: Path | Sequence[Turn], hypothesis: Sequence[Turn],
        collar: float = 0.0) -> float:
    return score(reference, hypothesis, collar).jer
