"""``kikigaki eval``: score the text engine on data given on the command line.

- ``eval punctuation REF...``: strip 。、？！ from each reference, restore them, score per mark
  (or score ``--predicted`` files against the references).
- ``eval topics REF...``: a reference has one sentence per line and a blank line between
  topics; our segmentation (or ``--predicted`` JSON from ``kikigaki segment``) gets Pk and
  WindowDiff.
- ``eval terms FILE --expect PAIRS.tsv [--unchanged FILE...]``: the share of the listed
  mishearings (``misheard<TAB>canonical`` per line) corrected in FILE, and the characters
  changed in files that should not change.
- ``eval cer REF HYP`` (or ``--pairs LIST.tsv``): character error rate after folding width
  and dropping punctuation.

Each prints a small table, or JSON with ``--json``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from commands.filters import correct_terms_in_text, decode_utf8, punctuate, segment
from kikigaki.errors import InputError
from postprocess import evaluation


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(path, "does not exist", "check the path") from None
    except IsADirectoryError:
        raise InputError(path, "is a folder, not a text file", "give a file") from None
    return decode_utf8(data, str(path)).removeprefix("\ufeff")


def eval_punctuation(references: Sequence[Path], predicted: Sequence[Path] = ()) -> dict:
    from postprocess.punctuation import MARKS, split_marks

    if predicted and len(predicted) != len(references):
        raise InputError("--predicted", "needs one file per reference", "pair them in order")
    pairs = []
    for i, path in enumerate(references):
        reference = read_text(path)
        if predicted:
            guess = read_text(predicted[i])
        else:
            guess = punctuate(split_marks(reference, MARKS)[0])
        _check_same_text(reference, guess, path)
        pairs.append((reference, guess))
    return {"marks": evaluation.punctuation_report(pairs), "files": len(pairs)}


def _check_same_text(reference: str, predicted: str, where: Path) -> None:
    from postprocess.punctuation import split_marks

    if split_marks(reference)[0] != split_marks(predicted)[0]:
        raise InputError(
            where, "the prediction differs in more than 。、？！", "score the same text"
        )


def read_topic_reference(path: Path) -> tuple[list[str], list[int]]:
    """Sentences (one per line) and the index where each blank-line-separated topic starts."""
    sentences: list[str] = []
    starts: list[int] = []
    new_topic = True
    for line in read_text(path).splitlines():
        if not line.strip():
            new_topic = True
            continue
        if new_topic:
            starts.append(len(sentences))
            new_topic = False
        sentences.append(line.strip())
    if not sentences:
        raise InputError(
            path, "has no sentences", "one sentence per line, a blank line between topics"
        )
    return sentences, starts


def eval_topics(
    references: Sequence[Path], predicted: Sequence[Path] = (), min_sentences: int = 10
) -> dict:
    files = []
    for i, path in enumerate(references):
        sentences, reference = read_topic_reference(path)
        if predicted:
            hypothesis = json.loads(read_text(predicted[i]))["boundaries"]
        else:
            hypothesis = segment(sentences, min_sentences=min_sentences, titles=False)[
                "boundaries"
            ]
        ref_labels = evaluation.labels(reference, len(sentences))
        hyp_labels = evaluation.labels(hypothesis, len(sentences))
        files.append(
            {
                "file": str(path),
                "sentences": len(sentences),
                "reference_segments": len(reference),
                "predicted_segments": len(hypothesis),
                "pk": round(evaluation.pk(ref_labels, hyp_labels), 4),
                "windowdiff": round(evaluation.window_diff(ref_labels, hyp_labels), 4),
            }
        )
    return {
        "pk": round(sum(f["pk"] for f in files) / len(files), 4),
        "windowdiff": round(sum(f["windowdiff"] for f in files) / len(files), 4),
        "files": files,
    }


def read_expected_pairs(path: Path) -> list[tuple[str, str]]:
    pairs = []
    for number, line in enumerate(read_text(path).splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 2 or not all(f.strip() for f in fields):
            raise InputError(path, f"line {number} is not 'misheard<TAB>canonical'", "fix it")
        pairs.append((fields[0].strip(), fields[1].strip()))
    return pairs


def eval_terms(
    path: Path,
    expected: Path,
    unchanged: Sequence[Path] = (),
    glossaries: Sequence[Path] = (),
) -> dict:
    from postprocess.glossary import load_glossary
    from postprocess.terms import correct_text

    glossary = load_glossary(tuple(glossaries))
    fixes = correct_text(read_text(path), glossary)[1]
    rows = []
    for misheard, canonical in read_expected_pairs(expected):
        hits = [f for f in fixes if misheard in f.original]
        right = sum(1 for f in hits if f.replacement == canonical or f.canonical == canonical)
        rows.append({"misheard": misheard, "canonical": canonical, "fixed": right > 0})
    fixed = sum(r["fixed"] for r in rows)
    changes = {str(p): _changed_chars(read_text(p), glossaries) for p in unchanged}
    return {
        "fixed": fixed,
        "expected": len(rows),
        "rate": round(fixed / len(rows), 4) if rows else 0.0,
        "missed": [r for r in rows if not r["fixed"]],
        "unchanged_files_changed_chars": changes,
    }


def _changed_chars(text: str, glossaries: Sequence[Path]) -> int:
    corrected = correct_terms_in_text(text, glossaries)
    if corrected == text:
        return 0
    return evaluation.char_errors(text, corrected) if len(text) < 20_000 else -1


def eval_cer(pairs: Sequence[tuple[Path, Path]]) -> dict:
    texts = [(read_text(ref), read_text(hyp)) for ref, hyp in pairs]
    rate, errors, total = evaluation.cer(texts)
    return {"cer": round(rate, 4), "errors": errors, "reference_chars": total, "pairs": len(texts)}


def eval_der(pairs: Sequence[tuple[Path, Path]], collar: float = 0.0) -> dict:
    """DER and JER (pyannote.metrics) of hypothesis RTTM files against references."""
    from transcribe.rttm import read_rttm, score

    files = []
    for reference, hypothesis in pairs:
        result = score(reference, read_rttm(hypothesis), collar=collar)
        files.append({"file": str(hypothesis), "der": round(result.der, 4),
                      "jer": round(result.jer, 4), "missed": result.missed,
                      "false_alarm": result.false_alarm, "confusion": result.confusion,
                      "total": result.total})
    total = sum(f["total"] for f in files) or 1.0
    errors = sum(f["missed"] + f["false_alarm"] + f["confusion"] for f in files)
    return {"der": round(errors / total, 4), "collar": collar,
            "jer": round(sum(f["jer"] for f in files) / max(len(files), 1), 4),
            "files": files}


def read_pair_list(path: Path) -> list[tuple[Path, Path]]:
    base = path.parent
    pairs = []
    for number, line in enumerate(read_text(path).splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 2:
            raise InputError(path, f"line {number} is not 'reference<TAB>hypothesis'", "fix it")
        pairs.append((base / fields[0].strip(), base / fields[1].strip()))
    return pairs


def format_report(kind: str, report: dict) -> str:
    if kind == "punctuation":
        lines = [f"{'mark':<4} {'P':>6} {'R':>6} {'F1':>6} {'ref':>7} {'pred':>7}"]
        for mark, s in report["marks"].items():
            lines.append(
                f"{mark:<4} {s['precision']:6.3f} {s['recall']:6.3f} {s['f1']:6.3f}"
                f" {s['reference']:7d} {s['predicted']:7d}"
            )
        return "\n".join(lines)
    if kind == "topics":
        lines = [f"{f['file']}: Pk {f['pk']:.3f} WindowDiff {f['windowdiff']:.3f}"
                 f" ({f['predicted_segments']} segments, reference {f['reference_segments']})"
                 for f in report["files"]]
        lines.append(f"mean: Pk {report['pk']:.3f} WindowDiff {report['windowdiff']:.3f}")
        return "\n".join(lines)
    if kind == "terms":
        lines = [f"corrected {report['fixed']}/{report['expected']} ({report['rate']:.0%})"]
        lines += [f"  missed: {r['misheard']} -> {r['canonical']}" for r in report["missed"]]
        for name, changed in report["unchanged_files_changed_chars"].items():
            lines.append(f"  {name}: {changed} characters changed")
        return "\n".join(lines)
    if kind == "cer":
        return (f"CER {report['cer']:.4f} ({report['errors']} errors / "
                f"{report['reference_chars']} characters, {report['pairs']} pairs)")
    if kind == "der":
        lines = [f"{f['file']}: DER {f['der']:.4f} JER {f['jer']:.4f}" for f in report["files"]]
        lines.append(f"total: DER {report['der']:.4f} mean JER {report['jer']:.4f}"
                     f" (collar {report['collar']} s)")
        return "\n".join(lines)
    return json.dumps(report, ensure_ascii=False, indent=1)
