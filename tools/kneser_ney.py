"""Estimate a character n-gram model with interpolated modified Kneser-Ney smoothing.

Input: one array of character ids in which ``BOUNDARY`` separates lines. Output: per
order, the sorted n-gram hashes with their log10 probabilities and backoff weights
(the ARPA backoff form that :class:`postprocess.charlm.CharLM` reads), pruned by count.

Chen & Goodman's modified Kneser-Ney: lower orders count distinct left extensions
(continuation counts, except n-grams that start at a line start), three discounts per
order from the counts of counts, and every order interpolated with the one below it
(the unigram with the uniform distribution). Pruning drops n-grams seen fewer than
``min_counts[k]`` times; their probability then comes from the backoff, as in an
unpruned model's backoff form for unseen n-grams. Everything is numpy on the whole
corpus at once (about 10 bytes per character per order of memory).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from postprocess.charlm import BOUNDARY, ngram_hashes


@dataclass
class Order:
    keys: np.ndarray  # sorted uint64 hashes of this order's n-grams
    raw: np.ndarray  # how often each was seen
    adjusted: np.ndarray  # the counts KN uses at this order
    position: np.ndarray  # where one occurrence ends in the corpus
    logprob: np.ndarray | None = None
    backoff: np.ndarray | None = None


def _valid(ids: np.ndarray, k: int) -> np.ndarray:
    """Positions where a k-gram ends without a boundary inside it (its first character
    may be a line start and its last a line end)."""
    n = len(ids)
    is_boundary = (ids == BOUNDARY).astype(np.int32)
    before = np.concatenate([[0], np.cumsum(is_boundary)])  # boundaries in ids[:i]
    ends = np.arange(k - 1, n)
    # boundaries strictly inside: ids[end-k+2 .. end-1]
    inside = before[ends] - before[np.minimum(ends - k + 2, ends)]
    return ends[inside == 0]


def count_orders(ids: np.ndarray, order: int) -> list[Order]:
    hashes = ngram_hashes(ids, order)
    orders: list[Order] = []
    for k in range(1, order + 1):
        positions = _valid(ids, k)
        keys, first, raw = np.unique(hashes[k - 1][positions], return_index=True,
                                     return_counts=True)
        orders.append(Order(keys, raw.astype(np.int64), raw.astype(np.float64),
                            positions[first]))
    # lower orders count distinct left extensions, unless they start at a line start
    for k in range(order - 1, 0, -1):
        higher = orders[k]
        suffixes = hashes[k - 1][higher.position]
        keys, extensions = np.unique(suffixes, return_counts=True)
        current = orders[k - 1]
        where = np.searchsorted(current.keys, keys)
        adjusted = np.zeros(len(current.keys))
        adjusted[where] = extensions
        starts_line = ids[current.position - (k - 1)] == BOUNDARY if k > 1 else \
            np.zeros(len(current.keys), dtype=bool)
        adjusted = np.where(starts_line | (adjusted == 0), current.raw, adjusted)
        current.adjusted = adjusted
    return orders


def discounts(adjusted: np.ndarray) -> np.ndarray:
    """D1, D2, D3+ from the counts of counts (Chen & Goodman)."""
    counts = np.rint(adjusted).astype(np.int64)
    n = [max(int((counts == c).sum()), 1) for c in (1, 2, 3, 4)]
    y = n[0] / (n[0] + 2 * n[1])
    d = np.array([1 - 2 * y * n[1] / n[0], 2 - 3 * y * n[2] / n[1], 3 - 4 * y * n[3] / n[2]])
    return np.clip(d, 0.05, np.array([0.95, 1.9, 2.9]))


def _discount_of(adjusted: np.ndarray, d: np.ndarray) -> np.ndarray:
    return np.where(adjusted >= 3, d[2], np.where(adjusted >= 2, d[1], d[0]))


def estimate(ids: np.ndarray, order: int, vocabulary_size: int,
             log: callable = print) -> list[Order]:  # type: ignore[valid-type]
    orders = count_orders(ids, order)
    hashes = ngram_hashes(ids, order)
    for k, current in enumerate(orders, 1):
        d = discounts(current.adjusted)
        log(f"order {k}: {len(current.keys):,} n-grams, discounts {np.round(d, 3)}")
        discounted = np.maximum(current.adjusted - _discount_of(current.adjusted, d), 0)
        if k == 1:
            total = current.adjusted.sum()
            gamma = _discount_of(current.adjusted, d).sum() / total
            prob = discounted / total + gamma / vocabulary_size
        else:
            context = hashes[k - 2][current.position - 1]
            context_keys, inverse = np.unique(context, return_inverse=True)
            total = np.bincount(inverse, weights=current.adjusted)
            mass = np.bincount(inverse, weights=_discount_of(current.adjusted, d))
            gamma = mass / total
            lower = orders[k - 2]
            suffix = hashes[k - 2][current.position]
            lower_prob = 10 ** lower.logprob[np.searchsorted(lower.keys, suffix)]
            prob = discounted / total[inverse] + gamma[inverse] * lower_prob
            backoff = np.zeros(len(lower.keys))
            backoff[np.searchsorted(lower.keys, context_keys)] = np.log10(gamma)
            lower.backoff = backoff
        current.logprob = np.log10(prob)
    orders[-1].backoff = np.zeros(len(orders[-1].keys))
    return orders


def prune(orders: list[Order], min_counts: tuple[int, ...]) -> list[Order]:
    """Drop n-grams seen fewer than ``min_counts[k - 1]`` times (must not decrease with
    the order, so a kept n-gram's context is kept to hold its backoff)."""
    pruned = []
    for current, least in zip(orders, min_counts, strict=True):
        keep = current.raw >= least
        pruned.append(Order(current.keys[keep], current.raw[keep], current.adjusted[keep],
                            current.position[keep], current.logprob[keep],
                            current.backoff[keep]))
    return pruned
