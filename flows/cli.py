"""The ``kikigaki`` command: one-off runs of the flows.

Input is checked before Prefect starts (reading a transcript or a glossary takes
milliseconds, Prefect's start-up many seconds), so a bad file costs no wait, prints one
line, exits non-zero and writes nothing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flows.settings import apply_local_defaults
from kikigaki.errors import KikigakiError

EXIT_BAD_INPUT = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kikigaki",
        description="Japanese podcast transcripts to published show notes.",
    )
    parser.add_argument("--verbose", action="store_true", help="show Prefect's own logs")
    commands = parser.add_subparsers(dest="command", required=True)
    reclean = commands.add_parser(
        "reclean",
        help="re-clean an existing transcript (seed page, text, SRT, WebVTT, Podcasting JSON) "
        "and publish its show notes",
    )
    reclean.add_argument("path", type=Path, help="the transcript file")
    reclean.add_argument("--out", type=Path, default=Path("site"), help="site folder (site/)")
    reclean.add_argument("--slug", help="the episode's folder name in the site (file stem)")
    reclean.add_argument(
        "--glossary", type=Path, action="append", default=[],
        help="a TOML glossary to add to the shipped AI/ML one (repeatable)",
    )
    reclean.add_argument(
        "--keep-fillers", action="store_true", help="verbatim: keep えーと, あのー and the like"
    )
    reclean.add_argument(
        "--collection", type=Path, default=None,
        help="folder of the collection's documents to publish beside (the shipped seeds/)",
    )
    reclean.add_argument("--quiet", action="store_true", help="no progress lines")
    _add_sidecar(reclean)
    _add_base_url(reclean)
    _add_transcribe(commands)
    _add_service(commands)
    _add_filters(commands)
    _add_eval(commands)
    return parser


def _add_sidecar(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--sidecar", type=Path, default=None,
        help="your edits (speaker names, chapter titles, terms) in TOML "
        "(default: <stem>.kikigaki.toml beside the input, when it exists)",
    )


def _add_base_url(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--base-url",
        help="where the site will be served, for the absolute links of its RSS feed "
        "(default: the last one given for this site, else http://localhost:8000/)",
    )


def _check_base_url(args: argparse.Namespace) -> None:
    if args.base_url is not None:
        from flows.publish import site_base_url

        site_base_url(args.base_url)


def _add_transcribe(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "transcribe",
        help="transcribe an episode's audio (wav, mp3, m4a, flac, ogg/opus), find its "
        "speakers and publish its show notes",
    )
    command.add_argument("audio", type=Path, help="the audio file")
    command.add_argument("--out", type=Path, default=Path("site"), help="site folder (site/)")
    command.add_argument("--slug", help="the episode's folder name in the site (file stem)")
    command.add_argument(
        "--model", help="Whisper model: a CTranslate2 folder or a hub id (embedded base)"
    )
    command.add_argument("--language", default="ja", help="spoken language (ja); 'auto' detects")
    command.add_argument("--device", choices=("cpu", "cuda", "auto"), default="cpu")
    command.add_argument("--compute-type", help="e.g. float32, int8, float16 (per device)")
    command.add_argument("--beam-size", type=int, default=5)
    speakers = command.add_mutually_exclusive_group()
    speakers.add_argument("--num-speakers", type=int, help="exactly this many speakers")
    speakers.add_argument("--no-diarize", action="store_true", help="skip speaker turns")
    command.add_argument("--min-speakers", type=int, default=1)
    command.add_argument("--max-speakers", type=int)
    command.add_argument(
        "--speaker-names", default="",
        help='names in order of first appearance, comma-separated: "市來,ゲスト"',
    )
    command.add_argument(
        "--glossary", type=Path, action="append", default=[],
        help="a TOML glossary to add to the shipped AI/ML one (repeatable)",
    )
    command.add_argument("--keep-fillers", action="store_true", help="verbatim transcript")
    command.add_argument(
        "--retranscribe", action="store_true",
        help="redo ASR and diarization even when cached (e.g. to hear a new glossary's terms)",
    )
    command.add_argument("--collection", type=Path, default=None,
                         help="folder of the collection's documents (the shipped seeds/)")
    command.add_argument("--quiet", action="store_true", help="no progress lines")
    _add_sidecar(command)
    _add_base_url(command)


def _add_service(commands: argparse._SubParsersAction) -> None:
    scan = commands.add_parser(
        "scan", help="publish every new or changed episode of an inbox folder (and feed), once"
    )
    serve = commands.add_parser(
        "serve", help="serve the inbox scan as a Prefect deployment on a cron schedule"
    )
    for command in (scan, serve):
        command.add_argument("--inbox", type=Path, required=True,
                             help="folder where audio files and transcripts are dropped")
        command.add_argument("--feed", help="a podcast RSS feed to fetch new episodes from")
        command.add_argument("--out", type=Path, default=Path("site"), help="site folder")
        command.add_argument("--state", type=Path, default=None,
                             help="where the ledger and locks live (INBOX/.kikigaki-state)")
        command.add_argument("--glossary", type=Path, action="append", default=[])
    when = serve.add_mutually_exclusive_group()
    when.add_argument("--cron", default="*/10 * * * *",
                      help='when to scan, as cron (default "*/10 * * * *")')
    when.add_argument("--interval", type=float, help="scan every this many seconds instead")
    serve.add_argument("--name", default="kikigaki-inbox", help="the deployment's name")
    backfill = commands.add_parser(
        "backfill", help="process many episodes on a Dask cluster, then publish once"
    )
    backfill.add_argument("sources", type=Path, nargs="+", help="audio files, transcripts "
                          "or folders of them")
    backfill.add_argument("--out", type=Path, default=Path("site"))
    backfill.add_argument("--workers", type=int, default=2, help="local Dask workers (2)")
    backfill.add_argument("--scheduler", help="an existing Dask scheduler, tcp://host:8786")
    backfill.add_argument("--glossary", type=Path, action="append", default=[])


def _add_filters(commands: argparse._SubParsersAction) -> None:
    punctuate = commands.add_parser(
        "punctuate", help="filter: insert 。、？！ into Japanese text (stdin to stdout)"
    )
    punctuate.add_argument(
        "--max-sentence-chars", type=int, default=120,
        help="never let a sentence run longer than this without 。 (120)",
    )
    terms = commands.add_parser(
        "terms", help="filter: correct misheard glossary terms (stdin to stdout)"
    )
    terms.add_argument(
        "--glossary", type=Path, action="append", default=[],
        help="a TOML glossary to add to the shipped one (repeatable)",
    )
    segment = commands.add_parser(
        "segment", help="filter: one sentence per line in, topic boundaries as JSON out"
    )
    segment.add_argument(
        "--min-sentences", type=int, default=10, help="shortest topic, in sentences (10)"
    )
    segment.add_argument("--no-titles", action="store_true", help="boundaries only")


def _add_eval(commands: argparse._SubParsersAction) -> None:
    evaluate = commands.add_parser("eval", help="score the text engine on your data")
    kinds = evaluate.add_subparsers(dest="kind", required=True)
    punctuation = kinds.add_parser("punctuation", help="per-mark P/R/F1 against references")
    punctuation.add_argument("references", type=Path, nargs="+")
    punctuation.add_argument("--predicted", type=Path, nargs="+", default=[])
    topics = kinds.add_parser("topics", help="Pk and WindowDiff; blank line between topics")
    topics.add_argument("references", type=Path, nargs="+")
    topics.add_argument("--predicted", type=Path, nargs="+", default=[])
    topics.add_argument("--min-sentences", type=int, default=10)
    terms = kinds.add_parser("terms", help="share of listed mishearings corrected")
    terms.add_argument("path", type=Path)
    terms.add_argument("--expect", type=Path, required=True, help="misheard<TAB>canonical")
    terms.add_argument("--unchanged", type=Path, nargs="*", default=[])
    terms.add_argument("--glossary", type=Path, action="append", default=[])
    cer = kinds.add_parser("cer", help="character error rate of hypothesis text files")
    cer.add_argument("files", type=Path, nargs="*", help="REFERENCE HYPOTHESIS")
    cer.add_argument("--pairs", type=Path, help="a list of reference<TAB>hypothesis paths")
    der = kinds.add_parser("der", help="DER and JER of hypothesis RTTM files (pyannote.metrics)")
    der.add_argument("files", type=Path, nargs="*", help="REFERENCE.rttm HYPOTHESIS.rttm")
    der.add_argument("--pairs", type=Path, help="a list of reference<TAB>hypothesis paths")
    der.add_argument("--collar", type=float, default=0.0, help="forgiven seconds at turn edges")
    for kind in (punctuation, topics, terms, cer, der):
        kind.add_argument("--json", action="store_true", help="print JSON")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    apply_local_defaults(verbose=args.verbose)
    try:
        return _run(args)
    except KikigakiError as error:
        print(f"kikigaki: {error.one_line()}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _run(args: argparse.Namespace) -> int:
    if args.command == "reclean":
        return _reclean(args)
    if args.command == "transcribe":
        return _transcribe(args)
    if args.command in ("scan", "serve"):
        return _service(args)
    if args.command == "backfill":
        return _backfill(args)
    if args.command in ("punctuate", "terms", "segment"):
        return _filter(args)
    if args.command == "eval":
        return _eval(args)
    raise AssertionError(f"unhandled command {args.command}")


def _reclean(args: argparse.Namespace) -> int:
    _check_reclean_inputs(args)
    from flows.reclean import reclean_episode
    from kikigaki.sidecar import find_sidecar

    sidecar = find_sidecar(args.path, args.sidecar)
    _check_sidecar_terms(sidecar)
    result = reclean_episode(
        path=args.path,
        out=args.out,
        slug=args.slug,
        glossary_paths=tuple(args.glossary),
        keep_fillers=args.keep_fillers,
        collection_dir=args.collection,
        show_progress=not args.quiet,
        sidecar=sidecar,
        base_url=args.base_url,
    )
    print(result.page)
    return 0


def _check_sidecar_terms(sidecar: Any) -> None:
    from postprocess.glossary import glossary_from_entries

    glossary_from_entries(list(sidecar.terms), sidecar.source)


def _check_reclean_inputs(args: argparse.Namespace) -> None:
    from flows.collection import slugify
    from flows.sitedir import check_site_dir
    from postprocess.glossary import load_glossary
    from transcribe.readers import read_transcript

    episode = read_transcript(args.path, slug=args.slug)
    slugify(episode.meta.slug)
    load_glossary(tuple(args.glossary))
    if args.collection is not None and not args.collection.is_dir():
        raise KikigakiError(args.collection, "not a folder", "give the collection's folder")
    check_site_dir(args.out)
    _check_base_url(args)


def _transcribe(args: argparse.Namespace) -> int:
    asr, diarization = _check_transcribe_inputs(args)
    from flows.transcribe_flow import transcribe_episode
    from kikigaki.sidecar import find_sidecar

    sidecar = find_sidecar(args.audio, args.sidecar)
    _check_sidecar_terms(sidecar)
    result = transcribe_episode(
        audio=args.audio,
        out=args.out,
        slug=args.slug,
        asr=asr,
        diarization=diarization,
        diarize=not args.no_diarize,
        speaker_names=tuple(n.strip() for n in args.speaker_names.split(",") if n.strip()),
        glossary_paths=tuple(args.glossary),
        keep_fillers=args.keep_fillers,
        collection_dir=args.collection,
        show_progress=not args.quiet,
        sidecar=sidecar,
        base_url=args.base_url,
        retranscribe=args.retranscribe,
    )
    if not result.episode.sentences:
        print(f"kikigaki: {args.audio}: no speech found; the page has no transcript",
              file=sys.stderr)
    print(result.page)
    return 0


def _check_transcribe_inputs(args: argparse.Namespace) -> tuple[Any, Any]:
    """Settings for the flow, after checking every input it will read."""
    from flows.collection import slugify
    from flows.sitedir import check_site_dir
    from postprocess.glossary import load_glossary
    from transcribe.asr import AsrSettings
    from transcribe.audio import probe
    from transcribe.diarize import DiarizationSettings
    from transcribe.models import resolve_model

    probe(args.audio)
    if args.slug is not None:
        slugify(args.slug)
    load_glossary(tuple(args.glossary))
    resolve_model(args.model)
    if args.collection is not None and not args.collection.is_dir():
        raise KikigakiError(args.collection, "not a folder", "give the collection's folder")
    check_site_dir(args.out)
    _check_base_url(args)
    try:
        diarization = DiarizationSettings(
            num_speakers=args.num_speakers, min_speakers=args.min_speakers,
            max_speakers=args.max_speakers,
        )
    except ValueError as error:
        raise KikigakiError(
            "speaker bounds", str(error), "fix the --*-speakers options"
        ) from None
    asr = AsrSettings(
        model=args.model, device=args.device, compute_type=args.compute_type,
        beam_size=args.beam_size, language=None if args.language == "auto" else args.language,
    )
    return asr, diarization


def _service(args: argparse.Namespace) -> int:
    from flows.service import scan_inbox
    from flows.sitedir import check_site_dir
    from postprocess.glossary import load_glossary

    if not args.inbox.is_dir():
        raise KikigakiError(args.inbox, "the inbox is not a folder", "create it first")
    load_glossary(tuple(args.glossary))
    check_site_dir(args.out)
    parameters = {"inbox": args.inbox.resolve(), "out": args.out.resolve(), "feed": args.feed,
                  "state": args.state.resolve() if args.state else None,
                  "glossary_paths": tuple(p.resolve() for p in args.glossary)}
    if args.command == "scan":
        report = scan_inbox(**parameters)
        for source, reason in report.failed.items():
            print(f"kikigaki: {source}: {reason}", file=sys.stderr)
        print(f"published {len(report.published)}, unchanged {report.unchanged}, "
              f"busy {len(report.busy)}, failed {len(report.failed)}")
        return 1 if report.failed else 0
    from prefect import serve

    from flows.local_server import prefect_api
    from flows.service import state_dir

    schedule = {"interval": args.interval} if args.interval else {"cron": args.cron}
    with prefect_api(state_dir(parameters["inbox"], parameters["state"]) / "prefect") as url:
        print(f"kikigaki: serving the inbox scan ({schedule}) on the Prefect API at {url}",
              file=sys.stderr)
        deployment = scan_inbox.to_deployment(
            name=args.name, parameters=parameters, concurrency_limit=1, **schedule
        )
        serve(deployment)
    return 0


def _backfill(args: argparse.Namespace) -> int:
    from flows.backfill import backfill
    from flows.pipeline import AUDIO_SUFFIXES, EpisodeJob
    from flows.service import TRANSCRIPT_SUFFIXES
    from flows.sitedir import check_site_dir
    from kikigaki.sidecar import SIDECAR_SUFFIX, find_sidecar

    sources: list[Path] = []
    for given in args.sources:
        if given.is_dir():
            sources += sorted(p for p in given.rglob("*") if p.is_file()
                              and p.suffix.lower() in AUDIO_SUFFIXES | TRANSCRIPT_SUFFIXES
                              and not p.name.endswith(SIDECAR_SUFFIX))
        elif given.is_file():
            sources.append(given)
        else:
            raise KikigakiError(given, "no such file or folder", "check the path")
    check_site_dir(args.out)
    jobs = [EpisodeJob(source=p.resolve(), sidecar=find_sidecar(p)) for p in sources]
    result = backfill(jobs, args.out, workers=args.workers, address=args.scheduler,
                      glossary_paths=tuple(args.glossary))
    for source, reason in result.failed.items():
        print(f"kikigaki: {source}: {reason}", file=sys.stderr)
    print(f"published {len(result.episodes)} of {len(jobs)} episodes into {args.out}")
    return 1 if result.failed else 0


def _filter(args: argparse.Namespace) -> int:
    from flows import filters

    text = filters.decode_utf8(sys.stdin.buffer.read())
    if args.command == "punctuate":
        out = filters.punctuate(text, max_sentence_chars=args.max_sentence_chars)
    elif args.command == "terms":
        out = filters.correct_terms_in_text(text, tuple(args.glossary))
    else:
        lines = filters.sentence_lines(text.removeprefix("\ufeff"))
        out = filters.segment_json(
            lines, min_sentences=args.min_sentences, titles=not args.no_titles
        )
    sys.stdout.buffer.write(out.encode("utf-8"))
    sys.stdout.buffer.flush()
    return 0


def _eval(args: argparse.Namespace) -> int:
    import json

    from flows import evaluate

    if args.kind == "punctuation":
        report = evaluate.eval_punctuation(args.references, args.predicted)
    elif args.kind == "topics":
        report = evaluate.eval_topics(args.references, args.predicted, args.min_sentences)
    elif args.kind == "terms":
        report = evaluate.eval_terms(args.path, args.expect, args.unchanged, args.glossary)
    elif args.kind == "der":
        report = evaluate.eval_der(_cer_pairs(args), collar=args.collar)
    else:
        report = evaluate.eval_cer(_cer_pairs(args))
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        print(evaluate.format_report(args.kind, report))
    return 0


def _cer_pairs(args: argparse.Namespace) -> list[tuple[Path, Path]]:
    from flows.evaluate import read_pair_list

    if args.pairs:
        return read_pair_list(args.pairs)
    if len(args.files) != 2:
        raise KikigakiError(
            f"eval {args.kind}", "needs REFERENCE HYPOTHESIS or --pairs", "give both"
        )
    return [(args.files[0], args.files[1])]


if __name__ == "__main__":
    sys.exit(main())
