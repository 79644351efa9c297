"""Global speakers from the local speakers of the diarizer's windows.

Every (window, local speaker) that was embedded carries one CAM++ embedding; this module
clusters them into the episode's speakers and links every local speaker to one of them
(never two local speakers of one window to the same speaker).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from transcribe.diarize import DiarizationSettings


def unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def _cluster(vectors: np.ndarray, settings: DiarizationSettings) -> np.ndarray:
    """Cluster unit vectors; labels 0..k-1 with k within the settings' speaker bounds."""
    from scipy.cluster.hierarchy import fcluster, linkage

    low, high = settings.speaker_bounds()
    if len(vectors) < 2:
        return np.zeros(len(vectors), dtype=np.int64)
    tree = linkage(vectors, method="average", metric="cosine")
    labels = fcluster(tree, settings.threshold, criterion="distance") - 1
    labels = _absorb_small_clusters(vectors, labels, settings.min_cluster_size, low)
    count = len(np.unique(labels))
    wanted = min(max(count, low), high or count, len(vectors))
    if wanted != count:
        labels = fcluster(tree, wanted, criterion="maxclust") - 1
    return _renumber(labels)


def _absorb_small_clusters(vectors: np.ndarray, labels: np.ndarray, min_size: int,
                           min_clusters: int) -> np.ndarray:
    sizes = np.bincount(labels)
    large = np.flatnonzero(sizes >= min_size)
    if len(large) == 0 or len(large) < min_clusters or len(large) == len(sizes):
        return labels
    centroids = unit(np.stack([vectors[labels == k].mean(0) for k in large]))
    small = ~np.isin(labels, large)
    nearest = (vectors[small] @ centroids.T).argmax(1)
    labels = labels.copy()
    labels[small] = large[nearest]
    return labels


def _renumber(labels: np.ndarray) -> np.ndarray:
    _, renumbered = np.unique(labels, return_inverse=True)
    return renumbered.astype(np.int64)


def _training_rows(embeddings: np.ndarray, clean_seconds: np.ndarray,
                   settings: DiarizationSettings) -> np.ndarray:
    """(window, speaker) pairs whose embeddings shape the clusters, evenly thinned."""
    embedded = ~np.isnan(embeddings[..., 0])
    long_enough = clean_seconds >= settings.min_cluster_seconds
    pairs = np.argwhere(embedded & long_enough)
    if len(pairs) == 0:
        pairs = np.argwhere(embedded)
    if len(pairs) > settings.max_cluster_embeddings:
        keep = np.linspace(0, len(pairs) - 1, settings.max_cluster_embeddings)
        pairs = pairs[np.unique(np.rint(keep).astype(np.int64))]
    return pairs


def speaker_centroids(embeddings: np.ndarray, clean_seconds: np.ndarray,
                      settings: DiarizationSettings) -> np.ndarray:
    """(speakers, 192) unit centroids of the global speakers found by clustering."""
    pairs = _training_rows(embeddings, clean_seconds, settings)
    if len(pairs) == 0:
        return np.zeros((0, embeddings.shape[-1]), dtype=np.float32)
    vectors = unit(embeddings[pairs[:, 0], pairs[:, 1]])
    labels = _cluster(vectors, settings)
    return unit(np.stack([vectors[labels == k].mean(0) for k in range(labels.max() + 1)]))


def link_local_speakers(embeddings: np.ndarray, centroids: np.ndarray,
                        min_margin: float) -> tuple[np.ndarray, np.ndarray]:
    """(W, 3) global speaker of every local speaker (-1 when not embedded) and its weight.

    The weight says how clearly the local speaker is its global one: the cosine
    similarity to that speaker's centroid minus the similarity to the next best
    centroid, at least ``min_margin``.
    """
    from scipy.optimize import linear_sum_assignment

    assignment = np.full(embeddings.shape[:2], -1, dtype=np.int64)
    weights = np.zeros(embeddings.shape[:2], dtype=np.float32)
    if len(centroids) == 0:
        return assignment, weights
    for index, window in enumerate(embeddings):
        speakers = np.flatnonzero(~np.isnan(window[:, 0]))
        if len(speakers) == 0:
            continue
        similarity = unit(window[speakers]) @ centroids.T
        rows, cols = linear_sum_assignment(similarity, maximize=True)
        assignment[index, speakers[rows]] = cols
        weights[index, speakers[rows]] = _match_margin(similarity[rows], cols, min_margin)
    return assignment, weights


def _match_margin(similarity: np.ndarray, chosen: np.ndarray, floor: float) -> np.ndarray:
    """Per row: similarity to the chosen centroid minus the best other one's, >= floor."""
    if similarity.shape[1] < 2:
        return np.ones(len(similarity), dtype=np.float32)
    rows = np.arange(len(similarity))
    others = similarity.copy()
    others[rows, chosen] = -np.inf
    margin = similarity[rows, chosen] - others.max(1)
    return np.clip(margin, floor, 1.0).astype(np.float32)


