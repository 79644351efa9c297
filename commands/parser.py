"""The ``kikigaki`` command line: its commands and options (parsing only)."""

from __future__ import annotations

import argparse
from pathlib import Path

from flows.local_server import DEFAULT_PORT


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
    reclean.add_argument("--language", default="ja",
                         help="the transcript's language: a code or name (ja)")
    _add_episode(reclean)
    _add_text(reclean)
    transcribe = commands.add_parser(
        "transcribe",
        help="transcribe an episode's audio (wav, mp3, m4a, flac, ogg/opus), find its "
        "speakers and publish its show notes",
    )
    transcribe.add_argument("audio", type=Path, help="the audio file")
    _add_asr(transcribe)
    _add_episode(transcribe)
    _add_text(transcribe)
    _add_service(commands)
    preview = commands.add_parser(
        "preview", help="serve the published site on localhost, with byte ranges so the "
        "player seeks (Ctrl+C to stop)",
    )
    preview.add_argument("--out", type=Path, default=Path("site"), help="site folder (site/)")
    preview.add_argument("--port", type=int, default=8000, help="port on localhost (8000)")
    _add_filters(commands)
    _add_eval(commands)
    return parser


def _add_episode(command: argparse.ArgumentParser) -> None:
    """What one episode's run takes: where, its metadata, its sidecar, progress."""
    command.add_argument("--out", type=Path, default=Path("site"), help="site folder (site/)")
    command.add_argument("--slug", help="the episode's folder name in the site (file stem)")
    for name, what in (("title", "the episode's title (default: tags, page or file name)"),
                       ("show", "the show's name"),
                       ("date", "the episode's date, YYYY-MM-DD (default: tags, page, or "
                                "the file's modification day)"),
                       ("description", "the episode's description"),
                       ("episode-id", "the episode's number or id, e.g. S38E02"),
                       ("image", "the episode's artwork: a URL or a file")):
        command.add_argument(f"--{name}", help=what)
    command.add_argument(
        "--sidecar", type=Path, default=None,
        help="your edits (metadata, speaker names, chapter titles, terms) in TOML "
        "(default: <stem>.kikigaki.toml beside the input, when it exists)",
    )
    command.add_argument("--quiet", action="store_true", help="no progress lines")


def _add_text(command: argparse.ArgumentParser) -> None:
    """The text and publishing options every path takes."""
    command.add_argument(
        "--glossary", type=Path, action="append", default=[],
        help="a TOML glossary to add to the shipped AI/ML one (repeatable)",
    )
    command.add_argument(
        "--keep-fillers", action="store_true", help="verbatim: keep えーと, あのー and the like"
    )
    command.add_argument(
        "--collection", type=Path, default=None,
        help="folder of documents to publish beside, e.g. the shipped seeds/ (default: the "
        "ones the site already has; none for a new site)",
    )
    command.add_argument(
        "--llm", metavar="URL",
        help="an OpenAI-compatible chat endpoint (llama.cpp, Ollama, vLLM…) that writes the "
        "theme, chapter titles and summaries; key from KIKIGAKI_LLM_API_KEY (default: off)",
    )
    command.add_argument(
        "--base-url",
        help="where the site will be served, for the absolute links of its RSS feed "
        "(default: the last one given for this site, else http://localhost:8000/)",
    )
    command.add_argument(
        "--show-image", metavar="URL|FILE",
        help="the show's artwork for the feed (a URL, or a JPEG/PNG file copied into the "
        "site; default: the last one given for this site)",
    )


def _add_asr(command: argparse.ArgumentParser, *, language: bool = True) -> None:
    """The transcription and speaker options."""
    command.add_argument(
        "--model", help="Whisper model: a CTranslate2 folder or a hub id (embedded base)"
    )
    if language:
        command.add_argument("--language", default="ja",
                             help="spoken language: a code or name (ja, english…), or auto")
    command.add_argument("--device", choices=("cpu", "cuda", "auto"), default="cpu",
                         help="where ASR and diarization run (cpu)")
    command.add_argument("--compute-type", help="e.g. float32, int8, float16 (per device)")
    command.add_argument("--beam-size", type=int, default=5)
    command.add_argument(
        "--hotwords", metavar="FILE|none",
        help="terms to nudge Whisper toward, one a line; 'none' sends none (default: your "
        "glossary's and sidecar's terms, and shipped terms the episode's title names)",
    )
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
        "--retranscribe", action="store_true",
        help="redo ASR and diarization even when cached (e.g. to hear a new glossary's terms)",
    )


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
        _add_asr(command)
        _add_text(command)
    scan.add_argument("--retry-failed", action="store_true",
                      help="try again the files that failed before and did not change since")
    when = serve.add_mutually_exclusive_group()
    when.add_argument("--cron", default="*/10 * * * *",
                      help='when to scan, as cron (default "*/10 * * * *")')
    when.add_argument("--interval", type=float, help="scan every this many seconds instead")
    serve.add_argument("--name", default="kikigaki-inbox", help="the deployment's name")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT,
                       help=f"port of the local Prefect server and its UI ({DEFAULT_PORT}); "
                       "unused when PREFECT_API_URL names a server")
    backfill = commands.add_parser(
        "backfill", help="process many episodes on a Dask cluster, then publish once"
    )
    backfill.add_argument("sources", type=Path, nargs="+", help="audio files, transcripts "
                          "or folders of them")
    backfill.add_argument("--out", type=Path, default=Path("site"))
    backfill.add_argument("--workers", type=int, default=2, help="local Dask workers (2)")
    backfill.add_argument("--scheduler", help="an existing Dask scheduler, tcp://host:8786")
    backfill.add_argument("--dashboard", nargs="?", const=":8787", metavar="ADDRESS",
                          help="open Dask's dashboard (at :8787, or ADDRESS); default: none")
    backfill.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                          help="show Dask's and Prefect's own logs")
    _add_asr(backfill)
    _add_text(backfill)


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
