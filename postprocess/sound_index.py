"""Words and short phrases by how they sound: which ones sound the same as a reading, or
one mora apart.

A reading (katakana) becomes a *sound key*: one token per consonant and vowel, with what
hearing does not settle left out (a long vowel, ッ, a vowel that only lengthens the one
before: コウコウ and ココ, イッセイ and イセイ are the same key). Two keys are compared by
an edit distance in which a voiced/voiceless pair or ン costs half (``sound_distance``).

The index holds the phrases of the language model's training text (one to three Sudachi
morphemes with a kanji, seen often enough) and, built at run time, the glossary's kanji
terms. For lookup, each key becomes one coarse symbol per mora (voicing ignored: k/g,
s/z, t/d, h/b/p...), hashed whole and with each mora deleted, so that one lookup finds
the phrases whose symbols are equal or one mora apart (substituted, inserted or deleted,
as in SymSpell); the exact distance is measured afterwards, only for the candidates the
language model prefers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from postprocess.readings import kana_morae as _kana_morae

# Sound-key tokens; a mora's coarse symbol ignores voicing (k/g, s/z, t/d, h/b/p...).
_TOKENS = (
    "a", "i", "u", "e", "o", "N",
    "k", "g", "ky", "gy", "s", "z", "sh", "j", "ch", "t", "d", "ts", "ty", "dy",
    "n", "ny", "h", "f", "b", "p", "v", "hy", "by", "py", "fy", "m", "my",
    "y", "r", "ry", "w", "?",
)
_VOWELS = ("a", "i", "u", "e", "o")
_COARSE_CONSONANTS = {
    "g": "k", "gy": "ky", "z": "s", "j": "sh", "ch": "sh", "d": "t", "ts": "t", "dy": "ty",
    "f": "h", "b": "h", "p": "h", "v": "h", "by": "hy", "py": "hy", "fy": "hy",
}
_CONSONANT_CLASS = {
    c: i for i, c in enumerate(dict.fromkeys(
        _COARSE_CONSONANTS.get(t, t) for t in ("", *_TOKENS[6:])))
}
TOKEN_ID = {t: i for i, t in enumerate(_TOKENS)}
_LENGTHENING = {("e", "i"), ("o", "u")}
_HASH_BASE = np.uint64(1_000_003)
_EMPTY = np.uint64(0x9E3779B97F4A7C15)


def sound_key(reading: str) -> tuple[str, ...]:
    """The sound tokens of a katakana reading: ``コウゴキタイ`` -> k o g o k i t a i."""
    tokens: list[str] = []
    last_vowel = ""
    for _, _, consonant, vowel in _kana_morae(reading):
        if not consonant and not vowel:
            continue
        if not consonant and (vowel == last_vowel or (last_vowel, vowel) in _LENGTHENING):
            continue
        tokens.extend(t for t in (consonant, vowel) if t)
        last_vowel = vowel
    return tuple(tokens)


def mora_symbols(key: Sequence[str]) -> list[int]:
    """One coarse symbol per mora of a sound key (a consonant class and a vowel, or ン)."""
    symbols: list[int] = []
    consonant = ""
    for token in key:
        if token in _VOWELS or token == "N":
            vowel = 5 if token == "N" else _VOWELS.index(token)
            klass = _CONSONANT_CLASS.get(_COARSE_CONSONANTS.get(consonant, consonant), 0)
            symbols.append(klass * 6 + vowel)
            consonant = ""
        else:
            consonant = token
    return symbols


_VOICING = frozenset(frozenset(pair) for pair in (
    ("k", "g"), ("ky", "gy"), ("s", "z"), ("sh", "j"), ("ch", "j"), ("t", "d"), ("ts", "z"),
    ("h", "b"), ("h", "p"), ("b", "p"), ("f", "b"), ("f", "h"), ("hy", "by"), ("hy", "py"),
    ("by", "py"), ("n", "m"), ("b", "v"),
))


def _substitution(a: str, b: str) -> float:
    if a == b:
        return 0.0
    return 0.5 if frozenset((a, b)) in _VOICING else 1.0


def _indel(token: str) -> float:
    return 0.5 if token == "N" else 1.0


def sound_distance(a: Sequence[str], b: Sequence[str], limit: float) -> float | None:
    """How far apart two sound keys are, or None beyond ``limit``: an edit distance in
    which a voiced/voiceless pair (k/g, s/z, t/d, h/b/p) or n/m costs 0.5, ン in or out
    0.5 and any other consonant or vowel changed, added or dropped 1."""
    row = [0.0]
    for token in b:
        row.append(row[-1] + _indel(token))
    for x in a:
        new = [row[0] + _indel(x)]
        for j, y in enumerate(b, 1):
            new.append(min(row[j] + _indel(x), new[j - 1] + _indel(y),
                           row[j - 1] + _substitution(x, y)))
        if min(new) > limit:
            return None
        row = new
    return row[-1] if row[-1] <= limit else None


def _hash_rows(rows: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each row's first ``lengths[i]`` symbols (rows padded)."""
    hashes = np.full(len(rows), _EMPTY, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for column in range(rows.shape[1]):
            live = column < lengths
            mixed = hashes * _HASH_BASE + rows[:, column].astype(np.uint64) + np.uint64(1)
            hashes = np.where(live, mixed, hashes)
    return hashes


def neighbourhood_hashes(rows: np.ndarray, lengths: np.ndarray
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For padded symbol rows: the whole-row hashes, and (row, hash) of every row with one
    symbol deleted."""
    whole = _hash_rows(rows, lengths)
    owners, hashes = [np.zeros(0, np.int64)], [np.zeros(0, np.uint64)]
    for drop in range(rows.shape[1]):
        picked = np.nonzero(lengths > drop)[0]
        if not len(picked):
            break
        shortened = np.concatenate([rows[picked, :drop], rows[picked, drop + 1:],
                                    np.zeros((len(picked), 1), rows.dtype)], axis=1)
        owners.append(picked)
        hashes.append(_hash_rows(shortened, lengths[picked] - 1))
    return whole, np.concatenate(owners), np.concatenate(hashes)


def padded(sequences: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)
    rows = np.zeros((len(sequences), max(int(lengths.max(initial=0)), 1)), dtype=np.uint8)
    for i, sequence in enumerate(sequences):
        rows[i, : len(sequence)] = sequence
    return rows, lengths


@dataclass(frozen=True)
class Phrase:
    surface: str
    reading: str
    normalized: str
    count: int
    flags: int

    @property
    def is_proper(self) -> bool:
        return bool(self.flags & PROPER)

    @property
    def has_numeral(self) -> bool:
        return bool(self.flags & NUMERAL)


PROPER, NUMERAL, GLOSSARY = 1, 2, 4


@dataclass(eq=False)
class SoundIndex:
    """Phrases with their sound keys; ``lookup`` finds those that sound alike."""

    surfaces: list[str]
    readings: list[str]
    normalized: list[str]
    counts: np.ndarray
    flags: np.ndarray
    key_tokens: np.ndarray  # flat token ids of every phrase's sound key
    key_offsets: np.ndarray  # phrase i's key is key_tokens[offsets[i]:offsets[i+1]]
    mora_ids: np.ndarray  # flat coarse mora symbols
    mora_offsets: np.ndarray
    _whole_order: np.ndarray = field(init=False, repr=False)
    _whole_sorted: np.ndarray = field(init=False, repr=False)
    _del_owner: np.ndarray = field(init=False, repr=False)
    _del_sorted: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        lengths = np.diff(self.mora_offsets).astype(np.int64)
        rows = np.zeros((len(lengths), max(int(lengths.max(initial=0)), 1)), dtype=np.uint8)
        column = np.arange(len(self.mora_ids)) - np.repeat(self.mora_offsets[:-1], lengths)
        rows[np.repeat(np.arange(len(lengths)), lengths), column] = self.mora_ids
        whole, owners, deleted = neighbourhood_hashes(rows, lengths)
        self._whole_order = np.argsort(whole, kind="stable")
        self._whole_sorted = whole[self._whole_order]
        order = np.argsort(deleted, kind="stable")
        self._del_owner = owners[order]
        self._del_sorted = deleted[order]

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> SoundIndex:
        return cls(
            surfaces=str(arrays["ix_surfaces"]).split("\n"),
            readings=str(arrays["ix_readings"]).split("\n"),
            normalized=str(arrays["ix_normalized"]).split("\n"),
            counts=arrays["ix_counts"],
            flags=arrays["ix_flags"],
            key_tokens=arrays["ix_key_tokens"],
            key_offsets=arrays["ix_key_offsets"],
            mora_ids=arrays["ix_mora_ids"],
            mora_offsets=arrays["ix_mora_offsets"],
        )

    @classmethod
    def from_phrases(cls, phrases: Sequence[Phrase]) -> SoundIndex:
        """A small index built at run time (the glossary's terms)."""
        keys = [sound_key(p.reading) for p in phrases]
        morae = [mora_symbols(k) for k in keys]
        return cls(
            surfaces=[p.surface for p in phrases],
            readings=[p.reading for p in phrases],
            normalized=[p.normalized for p in phrases],
            counts=np.array([p.count for p in phrases], dtype=np.uint32),
            flags=np.array([p.flags for p in phrases], dtype=np.uint8),
            key_tokens=np.array([t for k in keys for t in key_ids(k)], dtype=np.uint8),
            key_offsets=np.cumsum([0] + [len(k) for k in keys]).astype(np.uint32),
            mora_ids=np.array([m for ms in morae for m in ms], dtype=np.uint8),
            mora_offsets=np.cumsum([0] + [len(m) for m in morae]).astype(np.uint32),
        )

    def __len__(self) -> int:
        return len(self.surfaces)

    def phrase(self, i: int) -> Phrase:
        return Phrase(self.surfaces[i], self.readings[i], self.normalized[i],
                      int(self.counts[i]), int(self.flags[i]))

    def key(self, i: int) -> tuple[str, ...]:
        start, end = self.key_offsets[i], self.key_offsets[i + 1]
        return tuple(_TOKENS[t] for t in self.key_tokens[start:end])

    def lookup(self, keys: Sequence[Sequence[str]], near: Sequence[bool]
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(query, phrase, apart) triples, no pair twice: the phrases whose mora symbols
        equal a key's own (apart 0) or, where ``near``, are one mora apart (apart 1: one
        substituted, inserted or deleted)."""
        empty = np.zeros(0, np.int64)
        if not keys or not len(self):
            return empty, empty, empty
        rows, lengths = padded([mora_symbols(k) for k in keys])
        whole, owners, deleted = neighbourhood_hashes(rows, lengths)
        every = np.arange(len(keys))
        near_mask = np.asarray(near, dtype=bool)
        keep = near_mask[owners]
        owners, deleted = owners[keep], deleted[keep]
        searches = (
            (whole, every, self._whole_sorted, self._whole_order),  # the same
            (deleted, owners, self._whole_sorted, self._whole_order),  # a mora shorter
            (deleted, owners, self._del_sorted, self._del_owner),  # one substituted
            (whole[near_mask], every[near_mask], self._del_sorted, self._del_owner),  # longer
        )
        found = [_matches(*search) for search in searches]
        pairs = np.concatenate([q * len(self) + p for q, p in found])
        apart = np.concatenate([np.full(len(q), int(n > 0)) for n, (q, _) in enumerate(found)])
        order = np.lexsort((apart, pairs))  # per pair, the closest match first
        pairs, apart = pairs[order], apart[order]
        first = np.ones(len(pairs), dtype=bool)
        first[1:] = pairs[1:] != pairs[:-1]
        pairs, apart = pairs[first], apart[first]
        return pairs // len(self), pairs % len(self), apart


def key_ids(key: Sequence[str]) -> list[int]:
    return [TOKEN_ID.get(t, TOKEN_ID["?"]) for t in key]


def _matches(queries: np.ndarray, owners: np.ndarray, table: np.ndarray, payload: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """(owner, payload) for every entry of the sorted ``table`` equal to a query."""
    left = np.searchsorted(table, queries, side="left")
    right = np.searchsorted(table, queries, side="right")
    sizes = right - left
    hits = np.repeat(np.arange(len(queries)), sizes)
    offsets = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return owners[hits].astype(np.int64), payload[left[hits] + offsets].astype(np.int64)
