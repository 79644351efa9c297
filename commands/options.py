"""From the command line's arguments to one :class:`pipeline.options.Options`, checked.

Every argument and every file a run will read is checked here, before Prefect starts
(reading a transcript or a glossary takes milliseconds, Prefect's start-up seconds): a
bad one costs no wait, prints one line, exits non-zero and writes nothing.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from kikigaki.errors import InputError, KikigakiError
from pipeline.options import EpisodeDetails, Options, PublishOptions, TextOptions
from postprocess.hotwords import NO_HOTWORDS
from transcribe.asr import AsrSettings
from transcribe.diarize import DiarizationSettings


def options_from(args: argparse.Namespace) -> Options:
    """The options the arguments ask for (not yet checked against the files)."""
    options = Options(
        text=_text(args),
        publish=PublishOptions(out=args.out, base_url=getattr(args, "base_url", None),
                               show_image=_given(getattr(args, "show_image", None))),
        details=_details(args),
        slug=getattr(args, "slug", None),
        sidecar=getattr(args, "sidecar", None),
        show_progress=not getattr(args, "quiet", False),
    )
    if hasattr(args, "model"):
        options = replace(
            options, asr=_asr(args), diarization=_diarization(args),
            diarize=not args.no_diarize, retranscribe=args.retranscribe,
            speaker_names=tuple(n.strip() for n in args.speaker_names.split(",") if n.strip()),
        )
    return options


def _text(args: argparse.Namespace) -> TextOptions:
    hotwords = getattr(args, "hotwords", None)
    off = hotwords is not None and hotwords.strip().lower() == NO_HOTWORDS
    return TextOptions(
        keep_fillers=args.keep_fillers,
        glossary_paths=tuple(args.glossary),
        hotwords_file=Path(hotwords) if hotwords and not off else None,
        no_hotwords=off,
        collection_dir=args.collection,
        llm_url=_llm_url(getattr(args, "llm", None)),
    )


def _llm_url(value: str | None) -> str | None:
    if not value:
        return None
    if not value.startswith(("http://", "https://")):
        raise InputError(f"--llm {value!r}", "is not an http(s) URL",
                         "give the endpoint, e.g. http://127.0.0.1:8080/v1")
    return value


def _details(args: argparse.Namespace) -> EpisodeDetails:
    from transcribe.languages import whisper_language

    language = whisper_language(args.language) if hasattr(args, "language") else "ja"
    return EpisodeDetails(
        title=_given(getattr(args, "title", None)),
        show=_given(getattr(args, "show", None)),
        date=_date(getattr(args, "date", None)),
        description=_given(getattr(args, "description", None)),
        episode_id=_given(getattr(args, "episode_id", None)),
        image=_given(getattr(args, "image", None)),
        language=language or "ja",
    )


def _given(value: str | None) -> str | None:
    return " ".join(value.split()) if value and value.strip() else None


def _date(value: str | None) -> str | None:
    from pipeline.steps import checked_date

    return checked_date(value, "--date") if value else None


def _asr(args: argparse.Namespace) -> AsrSettings:
    from transcribe.languages import whisper_language

    if args.beam_size < 1 or args.beam_size > 20:
        raise InputError(f"--beam-size {args.beam_size}", "is not between 1 and 20",
                         "use 5 (the default) or another small positive number")
    return AsrSettings(
        model=args.model, device=args.device, compute_type=args.compute_type,
        beam_size=args.beam_size, language=whisper_language(args.language),
    )


def _diarization(args: argparse.Namespace) -> DiarizationSettings:
    try:
        return DiarizationSettings(
            num_speakers=args.num_speakers, min_speakers=args.min_speakers,
            max_speakers=args.max_speakers, device=args.device,
        )
    except ValueError as error:
        raise KikigakiError("speaker bounds", str(error), "fix the --*-speakers options") from None


def check(options: Options, source: Path | None = None, *, audio: bool = False) -> None:
    """Read and check everything the run will read: the source, the sidecar, glossaries,
    hotwords file, collection, model, site folder and base URL."""
    from pipeline.context import build_context
    from publish.artwork import check_artwork
    from publish.layout import site_base_url
    from publish.sitedir import check_site_dir

    if source is not None:
        _check_source(source, options, audio=audio)
        build_context(source, options)
    if options.text.collection_dir is not None and not options.text.collection_dir.is_dir():
        raise KikigakiError(options.text.collection_dir, "not a folder",
                            "give the collection's folder")
    if audio:
        from transcribe.models import resolve_model

        resolve_model(options.asr.model)
        _check_device(options)
    check_site_dir(options.publish.out)
    if options.publish.base_url is not None:
        site_base_url(options.publish.base_url)
    if options.publish.show_image is not None:
        check_artwork(options.publish.show_image, "--show-image")
    if options.details.image is not None:
        check_artwork(options.details.image, "--image")


def _check_device(options: Options) -> None:
    """``--device cuda`` on a machine without a GPU: one line now, not in the middle of a run."""
    if options.asr.device == "cuda":
        import ctranslate2

        if ctranslate2.get_cuda_device_count() == 0:
            raise KikigakiError("--device cuda", "CTranslate2 sees no CUDA device for the ASR",
                                "use --device cpu or --device auto")
    if options.diarize and options.diarization.device == "cuda":
        options.diarization.resolved_device()


def _check_source(source: Path, options: Options, *, audio: bool) -> None:
    from kikigaki.slugs import slugify

    if options.slug is not None:
        slugify(options.slug)
    if audio:
        from transcribe.audio import probe

        probe(source)
    else:
        from transcribe.readers import read_transcript

        read_transcript(source, slug=options.slug, language=options.details.language)
