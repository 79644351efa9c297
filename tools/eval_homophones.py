"""Evaluate the homophone stage on text with injected mishearings it cannot be tuned to.

Held-out corpus text (splits the language model never saw; ``tools/lm_corpora.py``) is
corrupted the way Whisper mishears: a known fraction of its words (Sudachi tokens with
a kanji that are not names or numbers) are replaced by a word that sounds the same, or
one mora apart (edit distance 1 over the exact kana morae, ー ッ ン counting as morae),
drawn from the held-out text's own vocabulary (weighted by the square root of its
count), never a spelling of the same word. The stage then runs on the corrupted text and
each change is judged against the original:

- *fixed*: an injected word is restored exactly;
- *wrong*: an injected word is changed into something else (still an error);
- *false change*: a correct word is changed; reported per correct word.

Thresholds are chosen on the ``tune`` split (``--tune``: a grid over the margin and the
per-distance penalty; the best share fixed with at most ``--max-false`` of correct words
changed) and reported on ``test`` and on the sources never trained on. Baselines beside
it: "do nothing" (0 fixed, 0 changed) and "the LM's best candidate" (margin 0, no
distance penalty: any candidate the model prefers at all).

    uv run python -m tools.eval_homophones --tune          # choose settings, then report
    uv run python -m tools.eval_homophones --margin 3 --per-distance 1
    uv run python -m tools.eval_homophones --clean 3000000  # false changes on clean text
    uv run python -m tools.eval_homophones --seeds          # changes in the seed documents
    uv run python -m tools.eval_homophones --common-voice   # CER on real recordings
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from kikigaki.nlp import Morpheme, tokenize
from postprocess.homophones import (
    HomophoneSettings,
    glossary_index,
    load_model,
    score_candidates,
    select_fixes,
)
from postprocess.readings import kana_morae as _kana_morae
from tools.lm_corpora import documents

REPO = Path(__file__).resolve().parent.parent
_KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々]")
_KATAKANA = re.compile(r"[\u30a1-\u30fa\u30fc]+")
_CONTENT = frozenset({"名詞", "動詞", "形容詞", "形状詞", "副詞", "連体詞", "接頭辞", "接尾辞"})


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --------------------------------------------------------------------------- text


def sample_lines(root: Path, source: str, split: str, chars: int, seed: int) -> list[str]:
    """Lines of whole documents of ``source``/``split``, in a seeded random document
    order, until ``chars`` characters."""
    docs = list(documents(root, (source,), split))
    random.Random(f"{seed}:{source}:{split}").shuffle(docs)
    lines: list[str] = []
    total = 0
    for document in docs:
        for line in document.lines:
            if total >= chars:
                return lines
            lines.append(line)
            total += len(line)
    return lines


# --------------------------------------------------------------------------- injection


def morae(reading: str) -> tuple[str, ...]:
    """Exact kana morae: small kana join the one before; ー, ッ and ン are morae."""
    units = []
    for start, end, _, _ in _kana_morae(reading):
        piece = reading[start:end]
        # _kana_morae joins ー and ッ to the mora before; split them off again
        head = piece.rstrip("ーッ")
        units.append(head)
        units.extend(piece[len(head):])
    return tuple(u for u in units if u)


def _sounds(mora: str) -> tuple[str, str]:
    """(consonant, vowel) of one mora; ー, ッ and ン are their own consonant."""
    if mora in ("ー", "ッ", "ン"):
        return mora, ""
    parsed = _kana_morae(mora)
    return (parsed[0][2], parsed[0][3]) if parsed else (mora, "")


def close_edit(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether readings one mora apart differ only a little: the changed mora keeps
    its consonant or its vowel (ゴ/オ, カ/ガ, カ/キ), or the mora added or dropped is a
    bare vowel, ン, ッ or ー."""
    if len(a) == len(b):
        (x, y), = [(p, q) for p, q in zip(a, b, strict=True) if p != q]
        (cx, vx), (cy, vy) = _sounds(x), _sounds(y)
        return cx == cy or (bool(vx) and vx == vy)
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    extra = next((m for i, m in enumerate(longer) if i >= len(shorter) or m != shorter[i]))
    consonant, _ = _sounds(extra)
    return consonant in ("", "ー", "ッ", "ン")


@dataclass(frozen=True)
class Word:
    surface: str
    reading: str
    normalized: str
    count: int


class Confusions:
    """Words by their exact reading, and by their reading with one mora deleted."""

    def __init__(self, words: Iterable[Word], *, far: bool = False) -> None:
        self.far = far
        self.by_reading: dict[tuple[str, ...], list[Word]] = {}
        self.by_deletion: dict[tuple[str, ...], list[tuple[Word, int]]] = {}
        for word in words:
            key = morae(word.reading)
            self.by_reading.setdefault(key, []).append(word)
            for i in range(len(key)):
                self.by_deletion.setdefault(key[:i] + key[i + 1:], []).append((word, i))

    def of(self, word: Morpheme) -> list[tuple[Word, str]]:
        """Words that sound like ``word``: (word, kind), kind "same" (the same reading),
        "near" (one mora apart, a little: ``close_edit``) or, if asked for, "far" (one
        mora apart, any mora)."""
        key = morae(word.reading)
        found: dict[str, tuple[Word, str]] = {}
        for other in self.by_reading.get(key, ()):
            found.setdefault(other.surface, (other, "same"))
        if len(key) >= 2:
            near: list[Word] = []
            for i, shorter in enumerate(_deletions(key)):
                near += self.by_reading.get(shorter, [])  # the other is a mora shorter
                near += [w for w, j in self.by_deletion.get(shorter, ()) if j == i]  # swapped
            near += [w for w, _ in self.by_deletion.get(key, ())]  # a mora longer
            for other in near:
                if morae(other.reading) == key:
                    continue
                kind = "near" if close_edit(key, morae(other.reading)) else "far"
                if kind == "near" or self.far:
                    found.setdefault(other.surface, (other, kind))
        return [
            (other, kind) for other, kind in found.values()
            if other.surface != word.surface and other.normalized != word.normalized
            and _KANJI.search(other.surface)
        ]


def _deletions(key: tuple[str, ...]) -> list[tuple[str, ...]]:
    return [key[:i] + key[i + 1:] for i in range(len(key))]


def vocabulary(lines: Sequence[str], min_count: int = 2) -> list[Word]:
    counts: Counter[tuple[str, str, str]] = Counter()
    for line in lines:
        for m in tokenize(line):
            if _eligible(m):
                counts[(m.surface, m.reading, m.normalized)] += 1
    return [Word(s, r, n, c) for (s, r, n), c in counts.items() if c >= min_count]


def _eligible(m: Morpheme) -> bool:
    return (m.pos[0] in _CONTENT and m.pos[1] not in ("固有名詞", "数詞")
            and bool(_KATAKANA.fullmatch(m.reading)) and not re.search(r"[A-Za-z0-9]", m.surface))


@dataclass(frozen=True)
class Injection:
    start: int  # in the corrupted text
    end: int
    original: str
    kind: str  # "same" or "near"


@dataclass(frozen=True)
class Corrupted:
    original: str
    text: str
    injections: tuple[Injection, ...]
    words: int  # Sudachi tokens of the original (punctuation not counted)


def _pick(options: Sequence[tuple[Word, str]], rng: random.Random) -> tuple[Word, str]:
    """One of the kinds possible (same reading, one mora apart...) with even odds, then a
    word of that kind weighted by the square root of its count."""
    kinds = sorted({kind for _, kind in options})
    kind = rng.choice(kinds)
    pool = [(o, k) for o, k in options if k == kind]
    return rng.choices(pool, [math.sqrt(o.count) for o, _ in pool])[0]


def corrupt(line: str, confusions: Confusions, rate: float, rng: random.Random) -> Corrupted:
    morphemes = tokenize(line)
    pieces: list[str] = []
    injections: list[Injection] = []
    cursor = 0
    length = 0
    for m in morphemes:
        pieces.append(line[cursor : m.begin])
        length += m.begin - cursor
        options = confusions.of(m) if _eligible(m) and _KANJI.search(m.surface) else []
        if options and rng.random() < rate:
            other, kind = _pick(options, rng)
            pieces.append(other.surface)
            injections.append(Injection(length, length + len(other.surface), m.surface, kind))
            length += len(other.surface)
        else:
            pieces.append(m.surface)
            length += len(m.surface)
        cursor = m.end
    pieces.append(line[cursor:])
    words = sum(1 for m in morphemes if m.pos[0] not in ("補助記号", "空白"))
    return Corrupted(line, "".join(pieces), tuple(injections), words)


# --------------------------------------------------------------------------- judging


@dataclass
class Tally:
    injected: int = 0
    fixed: int = 0
    wrong: int = 0
    correct_words: int = 0
    false_words: int = 0
    same: Counter[str] | None = None  # by injection kind: fixed / total

    def __post_init__(self) -> None:
        self.same = Counter()

    def add(self, other: Tally) -> None:
        self.injected += other.injected
        self.fixed += other.fixed
        self.wrong += other.wrong
        self.correct_words += other.correct_words
        self.false_words += other.false_words
        assert self.same is not None and other.same is not None
        self.same.update(other.same)

    @property
    def fixed_share(self) -> float:
        return self.fixed / max(self.injected, 1)

    @property
    def false_share(self) -> float:
        return self.false_words / max(self.correct_words, 1)

    def row(self, name: str) -> str:
        assert self.same is not None
        kinds = " ".join(f"{k} {self.same[k + ':fixed']}/{self.same[k]}"
                         for k in ("same", "near", "far") if self.same[k])
        return (f"{name:<22} injected {self.injected:>5}  fixed {self.fixed_share:6.1%}  "
                f"wrong {self.wrong / max(self.injected, 1):5.1%}  correct words changed "
                f"{self.false_share:7.3%} ({self.false_words}/{self.correct_words})  [{kinds}]")


def judge(case: Corrupted, fixes: Sequence) -> Tally:  # type: ignore[type-arg]
    tally = Tally(injected=len(case.injections),
                  correct_words=case.words - len(case.injections))
    assert tally.same is not None
    for injection in case.injections:
        tally.same[injection.kind] += 1
    for fix in fixes:
        hit = [i for i in case.injections if fix.start < i.end and i.start < fix.end]
        if not hit:
            tally.false_words += _words_touched(case.text, fix)
            continue
        injection = hit[0]
        restored = (case.text[fix.start : injection.start] + injection.original
                    + case.text[injection.end : fix.end])
        if len(hit) == 1 and fix.start <= injection.start and injection.end <= fix.end \
                and restored == fix.replacement:
            tally.fixed += 1
            tally.same[injection.kind + ":fixed"] += 1
        else:
            tally.wrong += len(hit)
    return tally


def _words_touched(text: str, fix) -> int:  # type: ignore[no-untyped-def]
    prefix = 0
    while prefix < min(len(fix.original), len(fix.replacement)) and \
            fix.original[prefix] == fix.replacement[prefix]:
        prefix += 1
    start = fix.start + prefix
    end = max(start + 1, fix.end - _common_suffix(fix.original[prefix:],
                                                   fix.replacement[prefix:]))
    return max(1, sum(1 for m in tokenize(text) if m.begin < end and start < m.end))


def _common_suffix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


# --------------------------------------------------------------------------- runs


@dataclass
class Scored:
    case: Corrupted
    candidates: list  # type: ignore[type-arg]


def prepare(root: Path, source: str, split: str, chars: int, rate: float, seed: int,
            confusions: Confusions) -> list[Corrupted]:
    rng = random.Random(f"{seed}:inject:{source}:{split}")
    return [corrupt(line, confusions, rate, rng)
            for line in sample_lines(root, source, split, chars, seed)]


def score_all(cases: Sequence[Corrupted], settings: HomophoneSettings, floor: float
              ) -> list[Scored]:
    model = load_model()
    return [Scored(case, score_candidates(case.text, model, settings, floor=floor))
            for case in cases]


def tally(scored: Sequence[Scored], settings: HomophoneSettings) -> Tally:
    total = Tally()
    for item in scored:
        total.add(judge(item.case, select_fixes(item.candidates, settings)))
    return total


MARGINS = (1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0)
PER_DISTANCE = (0.0, 1.0, 2.0, 3.0)
PRIOR_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
MAX_DISTANCES = (1.0, 1.5, 2.0)


def grid(scored: Sequence[Scored], base: HomophoneSettings, max_false: float
         ) -> HomophoneSettings:
    """The setting that fixes the most injected errors on ``scored`` with at most
    ``max_false`` of correct words changed."""
    best: tuple[float, HomophoneSettings] | None = None
    for margin, per_distance, prior_weight, max_distance in itertools.product(
            MARGINS, PER_DISTANCE, PRIOR_WEIGHTS, MAX_DISTANCES):
        settings = replace(base, margin=margin, per_distance=per_distance,
                           prior_weight=prior_weight, max_distance=max_distance)
        result = tally(scored, settings)
        ok = result.false_share <= max_false
        log(f"margin {margin:3.1f} per_distance {per_distance:3.1f} prior_weight "
            f"{prior_weight:4.2f} max_distance {max_distance:3.1f}: fixed "
            f"{result.fixed_share:6.1%}, correct changed "
            f"{result.false_share:7.3%}{'' if ok else '  (too many)'}")
        if ok and (best is None or result.fixed_share > best[0]):
            best = (result.fixed_share, settings)
    if best is None:
        raise SystemExit("no setting keeps the false changes under --max-false")
    return best[1]


def corpus_root(given: Path | None) -> Path:
    root = given or REPO.parent / "shared" / "corpora"
    if not root.is_dir():
        raise SystemExit(f"{root}: the shared corpora are not there; pass --corpora")
    return root


TUNE_SOURCES = ("diet", "chat")
TEST_SETS = (("diet", "test"), ("chat", "test"), ("jglue", "test"), ("koniwa", "test"),
             ("j_cre3", "test"))


def report(root: Path, args: argparse.Namespace, settings: HomophoneSettings,
           confusions: Confusions) -> None:
    baseline = replace(settings, margin=0.0, per_distance=0.0, prior_weight=0.0)
    total, total_baseline = Tally(), Tally()
    examples: list[str] = []
    for source, split in TEST_SETS:
        cases = prepare(root, source, split, args.chars, args.rate, args.seed, confusions)
        scored = score_all(cases, settings, floor=0.0)
        result, result_baseline = tally(scored, settings), tally(scored, baseline)
        total.add(result)
        total_baseline.add(result_baseline)
        print(result.row(f"{source}/{split}"))
        print(result_baseline.row("  baseline: LM best"))
        examples += _examples(scored, settings, 4)
    print(total.row("all test sets"))
    print(total_baseline.row("  baseline: LM best"))
    print("baseline: do nothing   fixed   0.0%  correct words changed   0.000%")
    print("\n".join(examples))


def _examples(scored: Sequence[Scored], settings: HomophoneSettings, limit: int) -> list[str]:
    lines = []
    for item in scored:
        for fix in select_fixes(item.candidates, settings):
            hit = [i for i in item.case.injections if fix.start < i.end and i.start < fix.end]
            verdict = "fixed" if hit and fix.replacement.find(hit[0].original) >= 0 else \
                "WRONG" if hit else "FALSE"
            context = item.case.text[max(0, fix.start - 8) : fix.end + 8]
            lines.append(f"  {verdict}: {fix.original}→{fix.replacement} ({fix.score:+.1f}, "
                         f"d={fix.distance}) …{context}…")
            if len(lines) >= limit:
                return lines
    return lines


def clean_run(root: Path, chars: int, settings: HomophoneSettings, seed: int) -> None:
    """Changes made to clean held-out text (every one is a false change)."""
    model = load_model()
    shares = {"diet": 0.5, "chat": 0.3, "jglue": 0.2}
    changes, total_chars, total_words = [], 0, 0
    began = time.perf_counter()
    for source, share in shares.items():
        for line in sample_lines(root, source, "test", int(chars * share), seed):
            total_chars += len(line)
            total_words += sum(1 for m in tokenize(line) if m.pos[0] not in ("補助記号", "空白"))
            for fix in find_fixes_quick(line, model, settings):
                changes.append(f"{source}: {fix.original}→{fix.replacement} ({fix.score:+.1f}) "
                               f"…{line[max(0, fix.start - 10) : fix.end + 10]}…")
    seconds = time.perf_counter() - began
    print(f"clean text: {total_chars:,} characters, {total_words:,} words, {len(changes)} "
          f"changes ({len(changes) / max(total_words, 1):.4%} of words), {seconds:.0f} s")
    print("\n".join(changes[:60]))


def find_fixes_quick(text: str, model, settings: HomophoneSettings):  # type: ignore[no-untyped-def]
    return select_fixes(score_candidates(text, model, settings), settings)


def seeds_run(settings: HomophoneSettings) -> None:
    """Every change in the four seed documents of the collection and in the episode."""
    from postprocess.fillers import remove_fillers
    from postprocess.glossary import default_glossary
    from postprocess.homophones import correct_homophones, protected_spans, repeated_words
    from postprocess.normalize import normalize
    from postprocess.terms import correct_terms
    from transcribe.readers import read_transcript
    from transcribe.readers.collection import load_collection

    glossary = default_glossary()
    model = load_model()
    terms = (glossary_index(glossary),)
    total = 0
    for document in load_collection(REPO / "seeds"):
        count = 0
        repeated = repeated_words(document.text)
        for block in document.blocks:
            if block.kind == "preformatted":
                continue
            protected = protected_spans(block.text, glossary, repeated)
            for fix in select_fixes(score_candidates(block.text, model, settings,
                                                     protected=protected,
                                                     extra_indexes=terms), settings):
                count += 1
                print(f"  {document.doc_id}: {fix.original}→{fix.replacement} "
                      f"({fix.score:+.1f}, d={fix.distance}) "
                      f"…{block.text[max(0, fix.start - 12) : fix.end + 12]}…")
        print(f"{document.doc_id}: {count} changes")
        total += count
    print(f"collection documents: {total} changes")
    episode = normalize(read_transcript(REPO / "seeds" / "002_d502b1dd49aa2187.txt"))
    episode = correct_terms(remove_fillers(episode), glossary)
    corrected = correct_homophones(episode, glossary=glossary, settings=settings)
    new = corrected.corrections[len(episode.corrections):]
    print(f"seed episode 002: {len(new)} changes")
    for c in new:
        print(f"  {c.original}→{c.replacement} ({c.reason}, {c.score:+.1f})")


def common_voice_run(settings: HomophoneSettings) -> None:
    """CER of faster-whisper base on the 8 Common Voice clips, before and after the
    stage: with Whisper's word probabilities (the audio path) and without (as text)."""
    import json

    from postprocess.evaluation import cer
    from postprocess.glossary import default_glossary
    from postprocess.homophones import correct_homophones
    from transcribe.asr import transcribe_audio

    clips = REPO.parent / "shared" / "audio" / "common_voice_ja"
    if not clips.is_dir():
        raise SystemExit(f"{clips}: the Common Voice clips are not there")
    glossary = default_glossary()
    pairs: dict[str, list[tuple[str, str]]] = {"before": [], "audio": [], "text": []}
    for line in (clips / "manifest.jsonl").open(encoding="utf-8"):
        clip = json.loads(line)
        episode = transcribe_audio(clips / clip["audio"])
        audio = correct_homophones(episode, glossary=glossary, settings=settings)
        text = correct_homophones(episode.model_copy(update={"words": []}), glossary=glossary,
                                  settings=settings)
        for name, result in (("before", episode), ("audio", audio), ("text", text)):
            pairs[name].append((clip["text"], result.text))
        low = [f"{w.text}({w.probability:.2f})" for w in episode.words
               if w.probability is not None and w.probability < settings.confident]
        print(f"{clip['id']}: {episode.text}")
        for c in audio.corrections:
            print(f"  audio path: {c.original}→{c.replacement} ({c.score:+.1f})")
        for c in text.corrections:
            print(f"  text path:  {c.original}→{c.replacement} ({c.score:+.1f})")
        print(f"  words below {settings.confident}: {' '.join(low)}")
    for name, items in pairs.items():
        rate, errors, length = cer(items)
        print(f"CER {name:<6} {rate:.3f} ({errors}/{length})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpora", type=Path)
    parser.add_argument("--tune", action="store_true", help="choose settings on tune first")
    parser.add_argument("--margin", type=float)
    parser.add_argument("--per-distance", type=float)
    parser.add_argument("--prior-weight", type=float)
    parser.add_argument("--chars", type=int, default=150_000, help="per source and split")
    parser.add_argument("--rate", type=float, default=0.03, help="share of eligible words")
    parser.add_argument("--max-false", type=float, default=0.001)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--far", action="store_true",
                        help="also inject words one mora apart that share neither sound")
    parser.add_argument("--clean", type=int, help="count changes on this much clean text")
    parser.add_argument("--seeds", action="store_true", help="changes in the seed documents")
    parser.add_argument("--common-voice", action="store_true",
                        help="CER on the 8 Common Voice clips before and after the stage")
    args = parser.parse_args(argv)
    settings = HomophoneSettings()
    if args.margin is not None:
        settings = replace(settings, margin=args.margin)
    if args.per_distance is not None:
        settings = replace(settings, per_distance=args.per_distance)
    if args.prior_weight is not None:
        settings = replace(settings, prior_weight=args.prior_weight)
    if args.seeds:
        seeds_run(settings)
        return 0
    if args.common_voice:
        common_voice_run(settings)
        return 0
    root = corpus_root(args.corpora)
    if args.clean:
        clean_run(root, args.clean, settings, args.seed)
        return 0
    log("vocabulary of the held-out text")
    pool = [line for source, split in (*((s, "tune") for s in TUNE_SOURCES), *TEST_SETS)
            for line in sample_lines(root, source, split, args.chars, args.seed)]
    confusions = Confusions(vocabulary(pool), far=args.far)
    if args.tune:
        cases = [c for source in TUNE_SOURCES
                 for c in prepare(root, source, "tune", args.chars, args.rate, args.seed,
                                  confusions)]
        scored = score_all(cases, settings, floor=0.0)
        settings = grid(scored, settings, args.max_false)
        print(f"chosen on tune: margin {settings.margin}, per_distance {settings.per_distance},"
              f" prior_weight {settings.prior_weight}, max_distance {settings.max_distance}")
        print(tally(scored, settings).row("tune (chosen)"))
    report(root, args, settings, confusions)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
