"""The document model round-trips through JSON without loss."""

from __future__ import annotations

from kikigaki.document import (
    Annotation,
    Chapter,
    Correction,
    Episode,
    EpisodeMeta,
    Paragraph,
    Person,
    RelatedDocument,
    Segment,
    Sentence,
    Speaker,
    Term,
    TermLink,
    Word,
)


def _full_episode() -> Episode:
    return Episode(
        meta=EpisodeMeta(show="番組", title="第1回", episode_id="S01E01", date="2023-02-22",
                         source="x.srt", source_format="srt", slug="ep1", hosts=["市來"]),
        segments=[Segment(text="こんにちは", start=0.0, end=1.5, speaker="S0")],
        words=[Word(text="こんにちは", start=0.0, end=1.5, speaker="S0", probability=0.9)],
        sentences=[Sentence(text="こんにちは。", start=0.0, end=1.5, speaker="S0", segment=0)],
        paragraphs=[Paragraph(first=0, end=1, speaker="S0")],
        speakers=[Speaker(id="S0", name="市來", role="host")],
        chapters=[Chapter(first=0, end=1, title="挨拶", summary="挨拶。", start=0.0, end_time=1.5)],
        summary=["挨拶をする。"],
        people=[Person(name="市來", role="host", mentions=1)],
        terms=[Term(canonical="LSTM", links=[TermLink(doc_id="d", title="t", href="docs/d/")])],
        annotations=[Annotation(sentence=0, start=0, end=2, kind="term", label="LSTM")],
        related=[RelatedDocument(doc_id="d", title="t", href="docs/d/", score=0.5)],
        corrections=[Correction(segment=0, original="LSDM", replacement="LSTM", canonical="LSTM")],
        stages=["read:srt"],
    )


def test_json_round_trip_is_lossless() -> None:
    episode = _full_episode()
    assert Episode.from_json(episode.to_json()) == episode


def test_with_stage_copies_and_logs() -> None:
    episode = _full_episode()
    changed = episode.with_stage("x", summary=["別"])
    assert changed.summary == ["別"]
    assert changed.stages == ["read:srt", "x"]
    assert episode.summary == ["挨拶をする。"]
    assert episode.speaker_name("S0") == "市來"
    assert episode.speaker_name("S9") == "S9"
