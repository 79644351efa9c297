"""A character n-gram language model (interpolated modified Kneser-Ney, backoff form).

Used by the homophone stage to compare a stretch of text with the same stretch with one
word swapped for a word that sounds alike: a character model needs no re-tokenisation
of the changed text, so 「高校期待」 and 「乞うご期待」 are scored on the same terms.

Text is first reduced to what the model reads (:func:`lm_view`): kana, kanji and the
long-vowel mark; a run of digits becomes ``0`` and a run of Latin letters ``A``;
punctuation and spaces are dropped (the stage runs before punctuation is restored, and
a transcript may or may not carry marks). Each n-gram is a 64-bit hash of its
characters (a rolling hash finished by splitmix64), kept per order in a sorted array
with its log10 probability and backoff weight; a batch of queries is one
``numpy.searchsorted`` per order. ``tools/train_homophones.py`` trains it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np

BOUNDARY = 0  # line start/end
FINGERPRINT_BITS = 40  # of an n-gram's 64-bit hash kept in the model
UNKNOWN = 1
_FIRST_CHAR_ID = 2

_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
_KEPT = (
    r"\u3041-\u3096\u309d\u309e\u30a1-\u30fa\u30fc\u30fd\u30fe"
    r"\u3005\u3006\u30f6\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
)
_LM_TOKEN = re.compile(rf"[0-9]+(?:[.,][0-9]+)*|[A-Za-z]+|[{_KEPT}]")


def _fold(char: str) -> str:
    """Full-width ASCII as ASCII (the corpora write １．３％ where a transcript has 1.3%)."""
    code = ord(char)
    return chr(code - 0xFEE0) if 0xFF01 <= code <= 0xFF5E else char


def lm_view(text: str) -> tuple[str, list[tuple[int, int]]]:
    """What the model reads of ``text``, and for each of its characters the span of
    ``text`` it stands for."""
    folded = "".join(_fold(c) for c in text) if any("\uff01" <= c <= "\uff5e" for c in text) \
        else text
    chars: list[str] = []
    spans: list[tuple[int, int]] = []
    for match in _LM_TOKEN.finditer(folded):
        token = match.group()
        chars.append("0" if token[0].isdigit() else "A" if token[0].isascii() else token)
        spans.append(match.span())
    return "".join(chars), spans


def lm_text(text: str) -> str:
    """Only what the model reads of ``text`` (for training)."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(
        "0" if t[0].isdigit() else "A" if t[0].isascii() else t
        for t in _LM_TOKEN.findall(text)
    )


def _splitmix(x: np.ndarray) -> np.ndarray:
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def ngram_hashes(ids: np.ndarray, order: int) -> list[np.ndarray]:
    """For k = 1..order, the hash of the k characters ending at each position (positions
    before ``k - 1`` hold a hash of a shorter, left-truncated n-gram: callers mask them)."""
    with np.errstate(over="ignore"):
        base = ids.astype(np.uint64) + np.uint64(1)
        hashes = [_splitmix(base * _MULTIPLIER)]
        for _ in range(1, order):
            previous = np.empty_like(hashes[-1])
            previous[0] = 0
            previous[1:] = hashes[-1][:-1]
            hashes.append(_splitmix(previous * _MULTIPLIER + base))
    return hashes


def _unpack_keys(arrays: dict[str, np.ndarray], prefix: str, k: int) -> np.ndarray:
    """The sorted fingerprints of order ``k`` (see ``tools/train_homophones.pack_keys``)."""
    sizes = arrays[f"{prefix}bucket_sizes_{k}"].astype(np.int64)
    bucket = np.repeat(np.arange(len(sizes), dtype=np.uint64), sizes)
    low = arrays[f"{prefix}low16_{k}"].astype(np.uint64) | \
        (arrays[f"{prefix}high8_{k}"].astype(np.uint64) << np.uint64(16))
    return (bucket << np.uint64(FINGERPRINT_BITS - 16)) | low


@dataclass(frozen=True, eq=False)
class CharLM:
    order: int
    chars: dict[str, int]
    keys: tuple[np.ndarray, ...]  # per order, sorted n-gram fingerprints (hash top bits)
    logprob: tuple[np.ndarray, ...]  # per order, log10 p(last char | the others)
    backoff: tuple[np.ndarray, ...]  # per order, log10 backoff weight as a context
    unknown_logprob: float

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], prefix: str = "lm_") -> CharLM:
        order = int(arrays[f"{prefix}order"])
        alphabet = str(arrays[f"{prefix}alphabet"])

        def levels(name: str, k: int) -> np.ndarray:
            if f"{prefix}{name}_{k}" not in arrays:  # the highest order backs off nowhere
                return np.zeros(len(arrays[f"{prefix}low16_{k}"]), dtype=np.float32)
            return arrays[f"{prefix}{name}_levels_{k}"][arrays[f"{prefix}{name}_{k}"]]

        return cls(
            order=order,
            chars={c: i + _FIRST_CHAR_ID for i, c in enumerate(alphabet)},
            keys=tuple(_unpack_keys(arrays, prefix, k) for k in range(1, order + 1)),
            logprob=tuple(levels("logprob", k) for k in range(1, order + 1)),
            backoff=tuple(levels("backoff", k) for k in range(1, order + 1)),
            unknown_logprob=float(arrays[f"{prefix}unknown_logprob"]),
        )

    @property
    def isolator(self) -> int:
        """An id never trained on: no n-gram reaches across it, so what follows it is
        scored without context (from the unigram on)."""
        return len(self.chars) + _FIRST_CHAR_ID

    def ids(self, text: str, *, start: bool = False) -> np.ndarray:
        """Character ids of already-reduced ``text``; a boundary first if ``start``."""
        ids = [self.chars.get(c, UNKNOWN) for c in text]
        return np.array(([BOUNDARY] if start else []) + ids, dtype=np.int64)

    def position_logprobs(self, ids: np.ndarray, needed: np.ndarray | None = None
                          ) -> np.ndarray:
        """log10 p(ids[i] | ids[:i]) for every i (0 for the first id, which is context
        only); with ``needed`` (a mask), only those positions are looked up (the rest
        are 0)."""
        n = len(ids)
        hashes = ngram_hashes(ids, self.order)
        wanted = np.ones(n, dtype=bool) if needed is None else needed.copy()
        wanted[0] = False
        # a position's lookups, and the one before it (its contexts' backoff weights)
        looked = np.nonzero(wanted | np.concatenate([wanted[1:], [False]]))[0]
        found = np.zeros((self.order, len(looked)), dtype=bool)
        prob = np.zeros((self.order, len(looked)), dtype=np.float32)
        bo = np.zeros((self.order, len(looked)), dtype=np.float32)
        shift = np.uint64(64 - FINGERPRINT_BITS)
        for k in range(self.order):
            queries = hashes[k][looked] >> shift
            order = np.argsort(queries, kind="stable")  # sorted needles search faster
            table = self.keys[k]
            where = np.empty(len(queries), dtype=np.int64)
            where[order] = np.searchsorted(table, queries[order])
            where = where.clip(0, len(table) - 1)
            hit = (table[where] == queries) & (looked >= k)  # k + 1 characters of history
            found[k] = hit
            prob[k] = np.where(hit, self.logprob[k][where], 0.0)
            bo[k] = np.where(hit, self.backoff[k][where], 0.0)
        targets = np.nonzero(wanted)[0]
        at = np.searchsorted(looked, targets)
        before = np.searchsorted(looked, targets - 1)
        result = np.zeros(n)
        result[targets] = self._combine(found[:, at], prob[:, at], bo[:, before])
        return result

    def _combine(self, found: np.ndarray, prob: np.ndarray, context_bo: np.ndarray
                 ) -> np.ndarray:
        """Backoff: the longest n-gram found, plus the backoff weights of the longer
        contexts (those ending one position back) that were passed over."""
        n = found.shape[1]
        longest = self.order - 1 - np.argmax(found[::-1], axis=0)
        any_found = found.any(axis=0)
        result = np.where(any_found, prob[longest, np.arange(n)], self.unknown_logprob)
        orders = np.arange(self.order)[:, None]
        use = (orders >= np.where(any_found, longest, -1)[None, :]) & (orders < self.order - 1)
        return result + (context_bo * use).sum(axis=0)
