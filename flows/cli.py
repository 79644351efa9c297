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
    _add_filters(commands)
    _add_eval(commands)
    return parser


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
        "--min-sentences", type=int, default=8, help="shortest topic, in sentences (8)"
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
    topics.add_argument("--min-sentences", type=int, default=8)
    terms = kinds.add_parser("terms", help="share of listed mishearings corrected")
    terms.add_argument("path", type=Path)
    terms.add_argument("--expect", type=Path, required=True, help="misheard<TAB>canonical")
    terms.add_argument("--unchanged", type=Path, nargs="*", default=[])
    terms.add_argument("--glossary", type=Path, action="append", default=[])
    cer = kinds.add_parser("cer", help="character error rate of hypothesis text files")
    cer.add_argument("files", type=Path, nargs="*", help="REFERENCE HYPOTHESIS")
    cer.add_argument("--pairs", type=Path, help="a list of reference<TAB>hypothesis paths")
    for kind in (punctuation, topics, terms, cer):
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
    if args.command in ("punctuate", "terms", "segment"):
        return _filter(args)
    if args.command == "eval":
        return _eval(args)
    raise AssertionError(f"unhandled command {args.command}")


def _reclean(args: argparse.Namespace) -> int:
    _check_reclean_inputs(args)
    from flows.reclean import reclean_episode

    result = reclean_episode(
        path=args.path,
        out=args.out,
        slug=args.slug,
        glossary_paths=tuple(args.glossary),
        keep_fillers=args.keep_fillers,
        collection_dir=args.collection,
        show_progress=not args.quiet,
    )
    print(result.page)
    return 0


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
        raise KikigakiError("eval cer", "needs REFERENCE HYPOTHESIS or --pairs", "give both")
    return [(args.files[0], args.files[1])]


if __name__ == "__main__":
    sys.exit(main())
