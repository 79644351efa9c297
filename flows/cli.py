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
    return parser


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
    from postprocess.glossary import load_glossary
    from transcribe.readers import read_transcript

    from flows.collection import slugify
    from flows.sitedir import check_site_dir

    episode = read_transcript(args.path, slug=args.slug)
    slugify(episode.meta.slug)
    load_glossary(tuple(args.glossary))
    if args.collection is not None and not args.collection.is_dir():
        raise KikigakiError(args.collection, "not a folder", "give the collection's folder")
    check_site_dir(args.out)


if __name__ == "__main__":
    sys.exit(main())
