"""The ``kikigaki`` command: one-off runs, the inbox service, backfill, filters, eval.

Arguments become one :class:`pipeline.options.Options` (:mod:`commands.options`), checked
with every file the run will read before Prefect starts; the episode commands then run
the flow :func:`flows.episode.process_episode`.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from commands.parser import build_parser
from flows.settings import apply_local_defaults
from kikigaki.errors import KikigakiError

if TYPE_CHECKING:
    from pipeline.options import Options

EXIT_BAD_INPUT = 2


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    apply_local_defaults(verbose=args.verbose, service=args.command in ("scan", "serve"))
    try:
        return _run(args)
    except KikigakiError as error:
        print(f"kikigaki: {error.one_line()}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except RuntimeError as error:
        if _SERVER_DID_NOT_START not in str(error):
            raise
        print("kikigaki: Prefect's local server did not start in time (a busy machine?); "
              "nothing was written; run again, or raise "
              "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", file=sys.stderr)
        return EXIT_BAD_INPUT


_SERVER_DID_NOT_START = "Timed out while attempting to connect to ephemeral Prefect API"


def _run(args: argparse.Namespace) -> int:
    if args.command in ("reclean", "transcribe"):
        return _episode(args)
    if args.command in ("scan", "serve"):
        return _service(args)
    if args.command == "backfill":
        return _backfill(args)
    if args.command == "preview":
        return _preview(args)
    if args.command in ("punctuate", "terms", "segment"):
        return _filter(args)
    if args.command == "eval":
        return _eval(args)
    raise AssertionError(f"unhandled command {args.command}")


def _say(args: argparse.Namespace, line: str) -> None:
    if not getattr(args, "quiet", False):
        print(f"kikigaki: {line}", file=sys.stderr, flush=True)


def _episode(args: argparse.Namespace) -> int:
    audio = args.command == "transcribe"
    source: Path = args.audio if audio else args.path
    began = time.perf_counter()
    _say(args, f"{args.command}: checking {source} and the options …")
    from commands.options import check, options_from

    options = options_from(args)
    check(options, source, audio=audio)
    _say(args, f"{args.command}: inputs checked in {time.perf_counter() - began:.1f} s")
    from flows.episode import run_episode

    result = run_episode(source, options)
    if not result.episode.sentences:
        print(f"kikigaki: {source}: no speech found; the page has no transcript",
              file=sys.stderr)
    print(result.page)
    return 0


def _service(args: argparse.Namespace) -> int:
    from commands.options import check, options_from

    if not args.inbox.is_dir():
        raise KikigakiError(args.inbox, "the inbox is not a folder", "create it first")
    options = _resolved(options_from(args))
    check(options, audio=True)
    inbox = args.inbox.resolve()
    state = args.state.resolve() if args.state else None
    if args.command == "scan":
        return _scan_once(args, inbox, options, state)
    from flows.serve import serve_inbox

    schedule = {"interval": args.interval} if args.interval else {"cron": args.cron}
    serve_inbox(inbox, options, schedule=schedule, name=args.name, feed=args.feed,
                state=state, port=args.port, say=lambda line: _say(args, line))
    return 0


def _scan_once(args: argparse.Namespace, inbox: Path, options: Options,
               state: Path | None) -> int:
    """One scan: through the running Prefect server, or without Prefect when none runs."""
    from flows.episode import run_locally
    from flows.local_server import running_api_url, using_api
    from flows.service import scan, scan_inbox, summary

    url = running_api_url()
    if url is None:
        report = scan(inbox, options, run_locally, feed=args.feed, state=state,
                      retry_failed=args.retry_failed)
    else:
        with using_api(url):
            report = scan_inbox(inbox, options, args.feed, state, args.retry_failed)
    print(f"kikigaki: scan: {summary(report)}")  # with each failure and why: said once
    return 1 if report.failed else 0


def _resolved(options: Options) -> Options:
    """The options with absolute paths: a deployment's runs may start elsewhere."""
    from dataclasses import replace

    text, publish = options.text, options.publish
    return replace(
        options,
        text=replace(text, glossary_paths=tuple(p.resolve() for p in text.glossary_paths),
                     hotwords_file=text.hotwords_file.resolve() if text.hotwords_file else None,
                     collection_dir=text.collection_dir.resolve() if text.collection_dir
                     else None),
        publish=replace(publish, out=publish.out.resolve(),
                        show_image=_resolved_file(publish.show_image)),
    )


def _resolved_file(value: str | None) -> str | None:
    """A file's absolute path; a URL (or nothing) as it is."""
    if not value or value.startswith(("http://", "https://")):
        return value
    return str(Path(value).resolve())


def _backfill(args: argparse.Namespace) -> int:
    from commands.options import check, options_from
    from flows.settings import quiet_dask

    quiet_dask(verbose=args.verbose)
    from flows.backfill import backfill
    from kikigaki.sidecar import SIDECAR_SUFFIX
    from pipeline.options import AUDIO_SUFFIXES, TRANSCRIPT_SUFFIXES

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
    options = _resolved(options_from(args))
    check(options, audio=True)
    result = backfill([p.resolve() for p in sources], options, workers=args.workers,
                      address=args.scheduler, dashboard=args.dashboard)
    for source, reason in result.failed.items():
        print(f"kikigaki: {source}: {reason}", file=sys.stderr)
    print(f"published {len(result.episodes)} of {len(sources)} episodes into {args.out}")
    return 1 if result.failed else 0


def _preview(args: argparse.Namespace) -> int:
    from publish.preview import serve

    def announce(url: str) -> None:
        print(f"kikigaki: serving {args.out} at {url} (Ctrl+C to stop)", file=sys.stderr,
              flush=True)

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C: the way to stop it
        serve(args.out, args.port, announce)
    return 0


def _filter(args: argparse.Namespace) -> int:
    from commands import filters

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

    from commands import evaluate

    if args.kind == "punctuation":
        report = evaluate.eval_punctuation(args.references, args.predicted)
    elif args.kind == "topics":
        report = evaluate.eval_topics(args.references, args.predicted, args.min_sentences)
    elif args.kind == "terms":
        report = evaluate.eval_terms(args.path, args.expect, args.unchanged, args.glossary)
    elif args.kind == "der":
        report = evaluate.eval_der(_pairs(args), collar=args.collar)
    else:
        report = evaluate.eval_cer(_pairs(args))
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        print(evaluate.format_report(args.kind, report))
    return 0


def _pairs(args: argparse.Namespace) -> list[tuple[Path, Path]]:
    from commands.evaluate import read_pair_list

    if args.pairs:
        return read_pair_list(args.pairs)
    if len(args.files) != 2:
        raise KikigakiError(
            f"eval {args.kind}", "needs REFERENCE HYPOTHESIS or --pairs", "give both"
        )
    return [(args.files[0], args.files[1])]


if __name__ == "__main__":
    sys.exit(main())
