"""The pipeline, declared once: the ordered stages every path runs.

``reclean``, ``transcribe``, the inbox service and backfill all build their run from
:data:`STAGES` with :func:`plan`: the stages that apply to the source (audio or
transcript) and language, each bound to what it needs from a :class:`Context` (the
options, the glossary, the collection, the sidecar). The Prefect flows run each bound
stage as a task (cached on the episode, the bound inputs and the stage's own code);
backfill and benchmarks run them as plain calls with :func:`run_plain`. Progress totals
and cache keys come from the same list.

Each stage is a function ``Episode -> Episode`` (:mod:`pipeline.steps`). A stage marked
``japanese`` runs on a Japanese episode only; for another language its ``otherwise``
stage runs instead, or it is skipped, and the episode records it in
``skipped_stages`` so pages can say so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal

from kikigaki.document import CollectionDocument, Episode
from kikigaki.sidecar import Sidecar
from pipeline import steps
from pipeline.options import Options
from pipeline.steps import Hotwords
from postprocess.glossary import Glossary
from transcribe.languages import is_japanese
from transcribe.readers.collection import related_documents

Source = Literal["audio", "transcript", "any"]
StageFunction = Callable[..., Episode]


@dataclass(frozen=True)
class Context:
    """What a run knows besides the episode: stages take the parts they need."""

    options: Options
    glossary: Glossary
    documents: tuple[CollectionDocument, ...] = ()  # the collection published beside
    sidecar: Sidecar = field(default_factory=Sidecar)
    hotwords: Hotwords = field(default_factory=Hotwords)

    @property
    def collection(self) -> tuple[CollectionDocument, ...]:
        """The documents annotations may link to: all but episode pages."""
        return tuple(related_documents(list(self.documents)))


# How each need is found in a context. A need's value is part of the stage's cache key,
# except those in ``Stage.unkeyed``.
NEEDS: Mapping[str, Callable[[Context], Any]] = {
    "details": lambda c: c.options.details,
    "slug": lambda c: c.options.slug,
    "sidecar": lambda c: c.sidecar,
    "asr": lambda c: c.options.asr,
    "hotwords": lambda c: c.hotwords,
    "diarization": lambda c: c.options.diarization,
    "diarize": lambda c: c.options.diarize,
    "keep_fillers": lambda c: c.options.text.keep_fillers,
    "glossary": lambda c: c.glossary,
    "collection": lambda c: c.collection,
    "speaker_names": lambda c: c.options.speaker_names,
    "llm_url": lambda c: c.options.text.llm_url,
    "keep": lambda c: c.sidecar.keep,
}


@dataclass(frozen=True)
class Stage:
    name: str
    function: StageFunction
    about: str  # one line, for ARCHITECTURE.md
    needs: tuple[str, ...] = ()
    source: Source = "any"  # which episodes it applies to
    japanese: bool = False  # Japanese only: ``otherwise`` runs (or nothing) for others
    otherwise: StageFunction | None = None
    reads_source: bool = False  # reads the source file: its bytes are part of the key
    unkeyed: tuple[str, ...] = ()  # needs that nudge but must not invalidate the cache
    reports_progress: bool = False  # takes ``progress(done, total)``
    expensive: bool = False  # rerun only when asked (``--retranscribe``)

    def applies_to(self, audio: bool) -> bool:
        return self.source == "any" or (self.source == "audio") == audio


# The pipeline. The glossary the ASR takes its hotwords from is deliberately not in its
# cache key: a glossary edit reruns the text stages, and ``--retranscribe`` the ASR.
STAGES: tuple[Stage, ...] = (
    Stage("read", steps.read, "segments and what the transcript says of itself",
          ("details", "slug"), source="transcript", reads_source=True),
    Stage("metadata", steps.metadata, "title, show, date…: option > sidecar > tags/file",
          ("details", "sidecar", "slug"), reads_source=True),
    Stage("asr", steps.asr, "faster-whisper; skipped speech decoded again",
          ("asr", "hotwords"), source="audio", reads_source=True, unkeyed=("hotwords",),
          reports_progress=True, expensive=True),
    Stage("diarize", steps.diarize, "turns and speakers; each word to one speaker",
          ("diarization", "diarize"), source="audio", reads_source=True,
          reports_progress=True, expensive=True),
    Stage("align-speakers", steps.align_speakers, "segments cut where the speaker changes",
          source="audio"),
    Stage("normalize", steps.normalize, "width and spacing"),
    Stage("fillers", steps.fillers, "えーと, あのー… removed", ("keep_fillers",),
          japanese=True),
    Stage("terms", steps.terms, "misheard glossary terms corrected", ("glossary",),
          japanese=True),
    Stage("homophones", steps.homophones, "misheard everyday words, by sound and context",
          ("glossary", "keep"), japanese=True),
    Stage("sentences", steps.sentences, "punctuation model, cut into timed sentences",
          japanese=True, otherwise=steps.spaced_sentences),
    Stage("topics", steps.topics, "chapters with titles and summaries", ("glossary",),
          japanese=True, otherwise=steps.neutral_titles),
    Stage("paragraphs", steps.paragraphs, "paragraphs inside chapters and turns"),
    Stage("speakers", steps.speakers, "names by first appearance or label",
          ("speaker_names", "sidecar")),
    Stage("annotate", steps.annotate, "summary, people, terms, links, related documents",
          ("collection", "glossary", "llm_url")),
    # Last: a human's titles win over the outline writer's.
    Stage("chapter-titles", steps.chapter_titles, "the sidecar's chapter titles",
          ("sidecar",)),
)
STAGE_NAMES = tuple(stage.name for stage in STAGES)


@dataclass(frozen=True)
class BoundStage:
    """A stage of one run: its function with its needs bound."""

    stage: Stage
    inputs: Mapping[str, Any]  # the bound needs, by name

    @property
    def name(self) -> str:
        return self.stage.name

    def keyed_inputs(self) -> dict[str, Any]:
        return {k: v for k, v in self.inputs.items() if k not in self.stage.unkeyed}

    def __call__(self, episode: Episode, progress: Any = None) -> Episode:
        function = self.stage.function
        if self.stage.japanese and not is_japanese(episode.meta.language):
            # Recorded whether left out or replaced: the page says which were not run.
            skipped = [*episode.skipped_stages, self.name]
            episode = episode.model_copy(update={"skipped_stages": skipped})
            if self.stage.otherwise is None:
                return episode
            function = self.stage.otherwise
        extra = {"progress": progress} if self.stage.reports_progress else {}
        return partial(function, **self.inputs)(episode, **extra)


def plan(context: Context, *, audio: bool, stages: Sequence[Stage] = STAGES) -> list[BoundStage]:
    """The stages that apply to an audio file or a transcript, bound to ``context``."""
    return [
        BoundStage(stage, {need: NEEDS[need](context) for need in stage.needs})
        for stage in stages
        if stage.applies_to(audio)
    ]


def run_plain(source: Path, context: Context, *, audio: bool) -> Episode:
    """The whole pipeline for one source as plain function calls (no Prefect)."""
    episode = steps.start(source, audio=audio)
    for bound in plan(context, audio=audio):
        episode = bound(episode)
    return episode


def describe(stages: Sequence[Stage] = STAGES) -> str:
    """The stage list as ARCHITECTURE.md shows it (``python -m pipeline.stages``)."""
    lines = ["```", "source file ─► Episode(meta.source)"]
    for stage in stages:
        when = {"audio": "audio only", "transcript": "transcripts only", "any": ""}[stage.source]
        if stage.japanese:
            other = stage.otherwise.__name__ if stage.otherwise else "skipped"
            when = "; ".join(filter(None, [when, f"other languages: {other}"]))
        needs = f" ({', '.join(stage.needs)})" if stage.needs else ""
        lines.append(f"  ─► {stage.name:<15}{stage.about}{needs}")
        if when:
            lines.append(f"                     [{when}]")
    lines += ["  ─► publish        the site rendered aside, then swapped in", "```"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(describe(), end="")
