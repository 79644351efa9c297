"""Topic boundaries: the gap model, its decisions, speaker and pause cues, snapping to
where a topic opens, and the same-register documents built from ../shared corpora."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from kikigaki.nlp import tokenize
from postprocess import segmentation
from postprocess.embeddings import embed
from postprocess.topics import content_words, snap_to_openings
from tests.test_topics import PASSAGES

CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"


def _features(sentences: list[str], cues: segmentation.Cues | None = None) -> np.ndarray:
    words = [dict(content_words(tokenize(s))) for s in sentences]
    return segmentation.gap_features(embed(sentences), words, cues)


def test_one_feature_row_per_gap() -> None:
    sentences = [s for p in PASSAGES for s in p]
    features = _features(sentences)
    assert features.shape == (len(sentences) - 1, len(segmentation.FEATURE_NAMES))
    assert len(segmentation.GAP_WEIGHTS) == len(segmentation.FEATURE_NAMES)
    assert np.isfinite(features).all()


def test_the_gap_model_scores_a_change_of_subject_above_its_neighbours() -> None:
    sentences = [s for p in PASSAGES for s in p]
    probabilities = segmentation.boundary_probabilities(_features(sentences))
    junctions = [len(PASSAGES[0]) - 1, len(PASSAGES[0]) + len(PASSAGES[1]) - 1]
    median = float(np.median(probabilities))
    assert all(probabilities[g] > median for g in junctions)


def test_pick_boundaries_keeps_a_minimum_length_and_a_threshold() -> None:
    probabilities = np.array([0.1, 0.9, 0.95, 0.1, 0.1, 0.8, 0.2, 0.1, 0.1, 0.7, 0.1])
    starts = segmentation.pick_boundaries(probabilities, min_sentences=3, threshold=0.5)
    assert starts[0] == 0
    assert all(b - a >= 3 for a, b in pairwise(starts))
    assert 3 in starts  # the most probable gap (index 2) starts sentence 3
    assert segmentation.pick_boundaries(probabilities, min_sentences=3, threshold=0.99) == [0]
    capped = segmentation.pick_boundaries(probabilities, min_sentences=2, max_segments=2)
    assert len(capped) == 2


def test_a_speaker_change_and_a_long_pause_are_features() -> None:
    sentences = [s for p in PASSAGES[:2] for s in p]
    n = len(sentences)
    speakers = ["A"] * 9 + ["B"] * (n - 9)
    starts = [float(i) for i in range(n)]
    ends = [i + 0.8 for i in range(n)]
    starts[9:] = [s + 5.0 for s in starts[9:]]
    cues = segmentation.Cues(speakers, starts, ends)
    features = _features(sentences, cues)
    change = segmentation.FEATURE_NAMES.index("speaker_change")
    pause = segmentation.FEATURE_NAMES.index("pause")
    assert features[8, change] == 1.0 and features[:, change].sum() == 1.0
    assert int(np.argmax(features[:, pause])) == 8
    assert not _features(sentences)[:, change].any()  # no audio, no cue


def test_a_boundary_moves_past_the_punchline_to_the_next_opening() -> None:
    texts = [f"最初の話の文{i}です。" for i in range(10)]
    texts += ["すごいね。", "はい、もう一個の話に行きます。"]
    texts += [f"二つ目の話の文{i}です。" for i in range(10)]
    probabilities = np.full(len(texts) - 1, 0.1)
    probabilities[9] = 0.6  # the gap before the punchline すごいね。
    assert snap_to_openings([0, 10], texts, probabilities, 6) == [0, 11]


@pytest.mark.skipif(not (CORPORA / "koniwa").exists(), reason="../shared corpora absent")
def test_same_register_documents_are_built_from_the_corpora(tmp_path: Path) -> None:
    from tools.make_topic_eval import main

    main(["--corpora", str(CORPORA), "--out", str(tmp_path), "--documents", "3",
          "--sources", "radio"])
    documents = sorted(tmp_path.glob("radio_*.txt"))
    assert len(documents) == 3
    for path in documents:
        passages = path.read_text(encoding="utf-8").strip().split("\n\n")
        assert 3 <= len(passages) <= 6
        assert all(15 <= len(p.splitlines()) <= 40 for p in passages)
        assert path.with_suffix(".json").exists()  # radio has a clock
