"""Train the homophone stage's model: a character n-gram language model and a sound index.

Reads the training split of the Diet speeches and RealPersonaChat (``tools/lm_corpora``;
JGLUE, Koniwa and J-CRe3 are never trained on) and writes one ``.npz`` with

- ``lm_*``: a character 6-gram model, interpolated modified Kneser-Ney
  (``tools/kneser_ney.py``), pruned by count; keys are 64-bit n-gram hashes, log10
  probabilities and backoff weights are quantised to 8 bits (256 levels per order);
- ``ix_*``: the sound index: phrases of one to three Sudachi morphemes (mode C) with a
  kanji and no particle, seen often enough, with their readings (Sudachi's, plus the
  others its dictionary gives the whole phrase), normalised forms, counts and flags.

    nice uv run python tools/train_homophones.py --corpora ../shared/corpora \\
        --out postprocess/models/homophones.npz

No corpus text is written: only hashes, probabilities and the index's words and phrases.
``--cache DIR`` keeps the slow intermediate results (character ids, Sudachi tokens)
between runs.
"""

from __future__ import annotations

import argparse
import itertools
import pickle
import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from postprocess.charlm import FINGERPRINT_BITS, lm_text
from postprocess.sound_index import NUMERAL, PROPER, key_ids, mora_symbols, sound_key
from tools.kneser_ney import estimate, prune
from tools.lm_corpora import TRAINED_SOURCES, documents

_KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々]")
_KATAKANA = re.compile(r"[\u30a1-\u30fa\u30fc]+")
_SEPARATOR = -1
_SUDACHI_CHUNK = 10_000


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def training_lines(root: Path) -> Iterator[str]:
    for document in documents(root, TRAINED_SOURCES, "train"):
        yield from document.lines


# --------------------------------------------------------------------------- characters


def character_ids(root: Path, min_count: int) -> tuple[np.ndarray, str]:
    """The training text as character ids (boundary 0 around each line) and the alphabet
    (characters seen at least ``min_count`` times; the rest are id 1, unknown)."""
    lines = [t for t in (lm_text(line) for line in training_lines(root)) if t]
    counts = Counter(itertools.chain.from_iterable(lines))
    alphabet = "".join(sorted(c for c, n in counts.items() if n >= min_count))
    ids_of = {c: i + 2 for i, c in enumerate(alphabet)}
    total = sum(len(line) + 1 for line in lines) + 1
    ids = np.zeros(total, dtype=np.int32)
    cursor = 1
    for line in lines:
        ids[cursor : cursor + len(line)] = [ids_of.get(c, 1) for c in line]
        cursor += len(line) + 1
    return ids, alphabet


def quantise(values: np.ndarray, levels: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """8-bit codes and their centres (quantiles of ``values``)."""
    if len(values) == 0:
        return np.zeros(0, np.uint8), np.zeros(levels, np.float32)
    edges = np.quantile(values, np.linspace(0, 1, levels + 1)[1:-1])
    codes = np.searchsorted(edges, values).astype(np.uint8)
    sums = np.bincount(codes, weights=values, minlength=levels)
    counts = np.bincount(codes, minlength=levels)
    centres = np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)
    return codes, centres.astype(np.float32)


def pack_keys(prints: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """Sorted ``FINGERPRINT_BITS``-bit fingerprints in three bytes each: the top 16 bits
    as counts per bucket, the next 24 as a uint16 and a uint8 array."""
    bucket = (prints >> np.uint64(FINGERPRINT_BITS - 16)).astype(np.int64)
    low = (prints & np.uint64((1 << (FINGERPRINT_BITS - 16)) - 1)).astype(np.uint32)
    return {
        f"lm_bucket_sizes_{k}": np.bincount(bucket, minlength=1 << 16).astype(np.uint16),
        f"lm_low16_{k}": (low & 0xFFFF).astype(np.uint16),
        f"lm_high8_{k}": (low >> 16).astype(np.uint8),
    }


def lm_arrays(ids: np.ndarray, alphabet: str, order: int, min_counts: tuple[int, ...]
              ) -> dict[str, np.ndarray]:
    orders = prune(estimate(ids, order, len(alphabet) + 2, log), min_counts)
    arrays: dict[str, np.ndarray] = {
        "lm_order": np.int64(order),
        "lm_alphabet": np.str_(alphabet),
        "lm_unknown_logprob": np.float32(orders[0].logprob.min()),
    }
    for k, current in enumerate(orders, 1):
        prints = current.keys >> np.uint64(64 - FINGERPRINT_BITS)
        first = np.ones(len(prints), dtype=bool)  # two n-grams may share a fingerprint
        first[1:] = prints[1:] != prints[:-1]
        arrays.update(pack_keys(prints[first], k))
        arrays[f"lm_logprob_{k}"], arrays[f"lm_logprob_levels_{k}"] = \
            quantise(current.logprob[first])
        if k < order:
            arrays[f"lm_backoff_{k}"], arrays[f"lm_backoff_levels_{k}"] = \
                quantise(current.backoff[first])
        log(f"order {k}: kept {len(current.keys):,}")
    return arrays


# --------------------------------------------------------------------------- tokens


def tokens(root: Path) -> tuple[np.ndarray, list[tuple[str, str, str, str, str]]]:
    """The training text as Sudachi (mode C) token ids, ``_SEPARATOR`` between lines, and
    the vocabulary: (surface, reading, normalised form, POS 1, POS 2) per id."""
    from sudachipy import dictionary, tokenizer

    analyser = dictionary.Dictionary(dict="core").create(tokenizer.Tokenizer.SplitMode.C)
    vocabulary: dict[tuple[str, str, str, str, str], int] = {}
    stream: list[int] = []
    for line in training_lines(root):
        stream.append(_SEPARATOR)
        for start in range(0, len(line), _SUDACHI_CHUNK):
            for m in analyser.tokenize(line[start : start + _SUDACHI_CHUNK]):
                pos = m.part_of_speech()
                key = (m.surface(), m.reading_form(), m.normalized_form(), pos[0], pos[1])
                stream.append(vocabulary.setdefault(key, len(vocabulary)))
    stream.append(_SEPARATOR)
    return np.array(stream, dtype=np.int64), list(vocabulary)


def cached(path: Path | None, make):  # type: ignore[no-untyped-def]
    if path is not None and path.exists():
        with path.open("rb") as handle:
            return pickle.load(handle)
    value = make()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return value


# --------------------------------------------------------------------------- phrases


def phrase_counts(stream: np.ndarray, vocabulary: list[tuple[str, str, str, str, str]],
                  min_counts: tuple[int, int, int]) -> dict[tuple[int, ...], int]:
    """Token sequences of one to three tokens that may be a phrase, with their counts:
    a kanji somewhere, a katakana reading for each token, no particle or punctuation, not
    starting with an auxiliary or a suffix."""
    usable = np.array([_usable(v) for v in vocabulary] + [False])  # index -1: separator
    starts_ok = np.array([v[3] not in ("助動詞", "接尾辞") for v in vocabulary] + [False])
    kanji = np.array([bool(_KANJI.search(v[0])) for v in vocabulary] + [False])
    size = np.int64(len(vocabulary))
    found: dict[tuple[int, ...], int] = {}
    for n, least in zip((1, 2, 3), min_counts, strict=True):
        ok = starts_ok[stream[: len(stream) - n + 1]].copy()
        has_kanji = np.zeros(len(ok), dtype=bool)
        code = np.zeros(len(ok), dtype=np.int64)
        for j in range(n):
            column = stream[j : len(stream) - n + 1 + j]
            ok &= usable[column]
            has_kanji |= kanji[column]
            code = code * size + np.where(column < 0, 0, column)
        codes, counts = np.unique(code[ok & has_kanji], return_counts=True)
        for value, count in zip(codes[counts >= least].tolist(),
                                counts[counts >= least].tolist(), strict=True):
            parts = []
            for _ in range(n):
                value, part = divmod(value, int(size))
                parts.append(part)
            found[tuple(reversed(parts))] = count
        log(f"{n}-token phrases: {int((counts >= least).sum()):,} seen at least {least} times")
    return found


def _usable(entry: tuple[str, str, str, str, str]) -> bool:
    surface, reading, _, pos, _ = entry
    return (pos not in ("助詞", "補助記号", "空白", "記号")
            and bool(_KATAKANA.fullmatch(reading)) and not re.search(r"[A-Za-z\d]", surface))


def index_entries(phrases: dict[tuple[int, ...], int],
                  vocabulary: list[tuple[str, str, str, str, str]]
                  ) -> list[tuple[str, str, str, int, int]]:
    """(surface, reading, normalised, count, flags) per phrase and reading; the same
    surface and reading from different tokenisations are merged."""
    from sudachipy import dictionary

    lexicon = dictionary.Dictionary(dict="core")
    merged: dict[tuple[str, str], list] = {}
    for sequence, count in phrases.items():
        entries = [vocabulary[i] for i in sequence]
        surface = "".join(e[0] for e in entries)
        normalized = "".join(e[2] for e in entries)
        flags = (PROPER if any(e[4] == "固有名詞" for e in entries) else 0) | \
            (NUMERAL if any(e[4] == "数詞" for e in entries) else 0)
        readings = ["".join(e[1] for e in entries)]
        for entry in lexicon.lookup(surface):
            if _KATAKANA.fullmatch(entry.reading_form()) and \
                    entry.part_of_speech()[1] != "固有名詞" and \
                    entry.reading_form() not in readings:
                readings.append(entry.reading_form())
        for reading in readings[:3]:
            slot = merged.setdefault((surface, reading), [normalized, 0, 0])
            slot[1] += count
            slot[2] |= flags
    return [(s, r, n, c, f) for (s, r), (n, c, f) in merged.items()]


def index_arrays(entries: list[tuple[str, str, str, int, int]]) -> dict[str, np.ndarray]:
    keys = [sound_key(reading) for _, reading, _, _, _ in entries]
    kept = [i for i, k in enumerate(keys) if len(k) >= 2]
    entries = [entries[i] for i in kept]
    keys = [keys[i] for i in kept]
    morae = [mora_symbols(k) for k in keys]
    return {
        "ix_surfaces": np.str_("\n".join(e[0] for e in entries)),
        "ix_readings": np.str_("\n".join(e[1] for e in entries)),
        "ix_normalized": np.str_("\n".join(e[2] for e in entries)),
        "ix_counts": np.array([e[3] for e in entries], dtype=np.uint32),
        "ix_flags": np.array([e[4] for e in entries], dtype=np.uint8),
        "ix_key_tokens": np.array([t for k in keys for t in key_ids(k)], dtype=np.uint8),
        "ix_key_offsets": np.cumsum([0] + [len(k) for k in keys]).astype(np.uint32),
        "ix_mora_ids": np.array([m for ms in morae for m in ms], dtype=np.uint8),
        "ix_mora_offsets": np.cumsum([0] + [len(m) for m in morae]).astype(np.uint32),
    }


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    parser.add_argument("--out", type=Path, default=Path("postprocess/models/homophones.npz"))
    parser.add_argument("--cache", type=Path, help="keep intermediate results here")
    parser.add_argument("--order", type=int, default=6)
    parser.add_argument("--min-counts", default="1,2,3,4,4,5",
                        help="least count kept per order (comma-separated)")
    parser.add_argument("--min-char-count", type=int, default=3)
    parser.add_argument("--phrase-min-counts", default="3,5,8",
                        help="least count of 1-, 2- and 3-token phrases in the index")
    args = parser.parse_args(argv)
    cache = args.cache
    log("characters")
    ids, alphabet = cached(cache and cache / "characters.pkl",
                           lambda: character_ids(args.corpora, args.min_char_count))
    log(f"{len(ids):,} character positions, alphabet of {len(alphabet):,}")
    min_counts = tuple(int(c) for c in args.min_counts.split(","))
    arrays = lm_arrays(ids.astype(np.int64), alphabet, args.order, min_counts)
    del ids
    log("tokens")
    stream, vocabulary = cached(cache and cache / "tokens.pkl", lambda: tokens(args.corpora))
    log(f"{len(stream):,} tokens, vocabulary of {len(vocabulary):,}")
    phrase_min = tuple(int(c) for c in args.phrase_min_counts.split(","))
    phrases = phrase_counts(stream, vocabulary, phrase_min)  # type: ignore[arg-type]
    entries = index_entries(phrases, vocabulary)
    log(f"index: {len(entries):,} entries")
    arrays.update(index_arrays(entries))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    log(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
