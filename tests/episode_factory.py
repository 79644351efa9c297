"""A small but complete annotated episode and collection, built without GiNZA.

Every layer the publisher shows is filled (meta, timed and untimed sentences, paragraphs
with speakers, chapters, people, terms with links, annotations, related documents), and
hostile strings sit in the title, sentences and definitions to prove the pages escape them.
"""

from __future__ import annotations

from pathlib import Path

from kikigaki.document import (
    Annotation,
    Chapter,
    CollectionDocument,
    Episode,
    EpisodeMeta,
    Paragraph,
    Person,
    RelatedDocument,
    Sentence,
    Speaker,
    Term,
    TermLink,
)
from transcribe.readers.collection import document_from_text

HOSTILE = "<script>alert(1)</script>"
QUOTES = "\"'&"

LSTM_NOTES = """LSTM のまとめ

LSTM とは、長い系列の依存関係を学習できる再帰型ニューラルネットワークである。
- ゲートで記憶を制御する
- 勾配消失を防ぐ
Transformer との違い
Attention だけで系列を扱うのが Transformer で、LSTM は時間方向に逐次処理する。
"""

COURSE_NOTES = """# 講座の記録 2024-03-01

## Hugging Face を使った演習

Hugging Face のライブラリで事前学習モデルを読み込み、<b>ファインチューニング</b>した。

```
from transformers import AutoModel
model = AutoModel.from_pretrained("cl-tohoku/bert-base-japanese")
```

- 演習は毎週木曜日
- 宿題は 5 問
"""

_SENTENCES = [
    # chapter 1: timed, two speakers
    ("今日は Transformer の話をします。", 0.0, 3.2, "SPEAKER_00"),
    ("その前に LSTM を振り返りましょう。", 3.2, 6.0, "SPEAKER_00"),
    ("LSTM は系列を順番に処理するモデルです。", 6.0, 9.5, "SPEAKER_01"),
    (f"ところで {HOSTILE} と書くと危ないですね。", 9.5, 12.0, "SPEAKER_01"),
    ("市來さんはどう思いますか。", 12.0, 14.0, "SPEAKER_01"),
    # chapter 2: timed
    ("Attention Is All You Need という論文があります。", 14.0, 18.5, "SPEAKER_00"),
    (f"引用符 {QUOTES} も正しく表示されるはずです。", 18.5, 21.0, "SPEAKER_00"),
    ("Hugging Face でモデルを試せます。", 21.0, 24.0, "SPEAKER_01"),
    # chapter 3: untimed, no speaker
    ("最後にまとめます。", None, None, None),
    ("Transformer は Attention だけで系列を扱います。", None, None, None),
    ("LSTM より並列化しやすいのが利点です。", None, None, None),
    ("次回は実装を見ていきます。", None, None, None),
]


def collection() -> list[CollectionDocument]:
    return [
        document_from_text("lstm-notes", LSTM_NOTES, source="lstm-notes.txt"),
        document_from_text("course", COURSE_NOTES, source="course.md", markdown=True),
    ]


def _block_href(doc: CollectionDocument, word: str) -> tuple[str, str]:
    block = next(b for b in doc.blocks if word in b.text)
    return f"{doc.href}#{block.id}", block.text


def _sentences() -> list[Sentence]:
    return [
        Sentence(text=text, start=start, end=end, speaker=speaker, segment=index)
        for index, (text, start, end, speaker) in enumerate(_SENTENCES)
    ]


def _annotations(sentences: list[Sentence]) -> list[Annotation]:
    marks = [
        ("LSTM", "term"),
        ("Transformer", "term"),
        ("Hugging Face", "term"),
        ("Attention Is All You Need", "term"),
        ("市來", "person"),
    ]
    annotations = []
    for index, sentence in enumerate(sentences):
        for label, kind in marks:
            start = sentence.text.find(label)
            if start >= 0:
                annotations.append(
                    Annotation(
                        sentence=index, start=start, end=start + len(label), kind=kind, label=label
                    )  # type: ignore[arg-type]
                )
    return annotations


def _terms(docs: list[CollectionDocument]) -> list[Term]:
    lstm_doc, course_doc = docs
    lstm_href, lstm_text = _block_href(lstm_doc, "LSTM とは")
    hf_href, hf_text = _block_href(course_doc, "Hugging Face のライブラリ")
    contrast_href, contrast_text = _block_href(lstm_doc, "Transformer との違い")
    return [
        Term(
            canonical="LSTM",
            definition=f"長短期記憶。{HOSTILE} {QUOTES}",
            link="https://en.wikipedia.org/wiki/Long_short-term_memory",
            mentions=3,
            first_sentence=1,
            links=[
                TermLink(
                    doc_id=lstm_doc.doc_id, title=lstm_doc.title, href=lstm_href, snippet=lstm_text
                )
            ],
        ),
        Term(
            canonical="Transformer",
            definition="Attention に基づく系列変換モデル。",
            link="javascript:alert(1)",
            mentions=2,
            first_sentence=0,
            links=[
                TermLink(
                    doc_id=lstm_doc.doc_id,
                    title=lstm_doc.title,
                    href=contrast_href,
                    snippet=contrast_text,
                )
            ],
        ),
        Term(
            canonical="Hugging Face",
            definition="機械学習モデルの共有サービス。",
            link="https://huggingface.co/",
            mentions=1,
            first_sentence=7,
            links=[
                TermLink(
                    doc_id=course_doc.doc_id, title=course_doc.title, href=hf_href, snippet=hf_text
                )
            ],
        ),
        Term(canonical="Attention Is All You Need", mentions=1, first_sentence=5),
    ]


def episode(
    slug: str = "s38e02-test", title: str | None = None, date: str | None = "2023-02-22"
) -> Episode:
    docs = collection()
    sentences = _sentences()
    return Episode(
        meta=EpisodeMeta(
            show="ZENKEI AI ポッドキャスト",
            title=title if title is not None else f"S38E02 Transformer を理解する {HOSTILE}",
            episode_id="S38E02",
            date=date,
            description=f"シーズン38のエピソード2です。\n{QUOTES} を含む説明。",
            source="factory",
            source_format="text",
            slug=slug,
            hosts=["市來", "ゲスト"],
        ),
        sentences=sentences,
        paragraphs=[
            Paragraph(first=0, end=2, speaker="SPEAKER_00"),
            Paragraph(first=2, end=5, speaker="SPEAKER_01"),
            Paragraph(first=5, end=7, speaker="SPEAKER_00"),
            Paragraph(first=7, end=8, speaker="SPEAKER_01"),
            Paragraph(first=8, end=12),
        ],
        speakers=[
            Speaker(id="SPEAKER_00", name="市來", role="host"),
            Speaker(id="SPEAKER_01", name=f"ゲスト{QUOTES}", role="guest"),
        ],
        chapters=[
            Chapter(
                first=0,
                end=5,
                title="LSTM の振り返り",
                summary="LSTM を復習する。",
                start=0.0,
                end_time=14.0,
                keywords=["LSTM"],
            ),
            Chapter(
                first=5,
                end=8,
                title=f"Attention の論文 {HOSTILE}",
                summary=f"論文の紹介 {QUOTES}",
                start=14.0,
                end_time=24.0,
            ),
            Chapter(first=8, end=12, title="まとめ", summary="Transformer の利点。"),
        ],
        summary=[
            "Transformer を LSTM と比べて理解する回です。",
            "Attention Is All You Need の論文を紹介します。",
        ],
        people=[
            Person(name="市來", role="host", mentions=2),
            Person(name="Andrej Karpathy", role="mentioned", mentions=1),
        ],
        terms=_terms(docs),
        annotations=_annotations(sentences),
        related=[
            RelatedDocument(
                doc_id="course",
                title=docs[1].title,
                href=docs[1].href,
                score=0.41,
                shared_terms=["Hugging Face"],
            ),
            RelatedDocument(
                doc_id="lstm-notes",
                title=docs[0].title,
                href=docs[0].href,
                score=0.77,
                shared_terms=["LSTM", "Transformer"],
            ),
        ],
        stages=["factory"],
    )


def audio_episode(
    audio: Path, slug: str = "s38e02-audio", seconds: float = 6.0, *, timed: bool = False
) -> Episode:
    """The factory episode with ``audio`` as its source audio and its timed sentences and
    chapters squeezed into the first ``seconds`` of it (the factory times span 24 s; with
    ``timed``, every sentence is timed and they span 32 s)."""
    base = timed_episode(slug) if timed else episode(slug=slug)
    scale = seconds / (32.0 if timed else 24.0)

    def scaled(value: float | None) -> float | None:
        return round(value * scale, 3) if value is not None else None

    sentences = [
        s.model_copy(update={"start": scaled(s.start), "end": scaled(s.end)})
        for s in base.sentences
    ]
    chapters = [
        c.model_copy(update={"start": scaled(c.start), "end_time": scaled(c.end_time)})
        for c in base.chapters
    ]
    meta = base.meta.model_copy(
        update={"audio": str(audio), "source_format": "audio", "duration": seconds}
    )
    return base.model_copy(update={"meta": meta, "sentences": sentences, "chapters": chapters})


def timed_episode(slug: str = "s38e02-timed") -> Episode:
    """The factory episode with every sentence timed (its last chapter at 24-32 s), as a
    transcription gives it."""
    base = episode(slug=slug)
    sentences = [
        s if s.start is not None
        else s.model_copy(update={"start": 24.0 + 2 * (i - 8), "end": 26.0 + 2 * (i - 8)})
        for i, s in enumerate(base.sentences)
    ]
    chapters = [*base.chapters[:-1],
                base.chapters[-1].model_copy(update={"start": 24.0, "end_time": 32.0})]
    meta = base.meta.model_copy(update={"duration": 32.0})
    return base.model_copy(update={"meta": meta, "sentences": sentences, "chapters": chapters})
