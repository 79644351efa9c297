"""The collection: seed documents read into blocks, structure recovered from plain text."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kikigaki.document import CollectionDocument
from kikigaki.errors import InputError
from kikigaki.slugs import slugify
from tests.conftest import EPISODE_SEED, SEEDS
from transcribe.readers.collection import (
    SLIDES,
    document_from_text,
    find_date,
    load_collection,
    related_documents,
    slide_deck,
)

COLLECTION_IDS = [
    "000_bc7f45b8dcf56d7a",
    "001_3a8888a9d5ffff60",
    "003_8da7d8b9ee6daeee",
    "004_0eab960c137c02f1",
]


@pytest.fixture(scope="module")
def seed_collection() -> list[CollectionDocument]:
    return related_documents(load_collection(SEEDS))


def _kinds(text: str, markdown: bool = False) -> list[tuple[str, str, int]]:
    document = document_from_text("doc", text, markdown=markdown)
    return [(b.kind, b.text, b.level) for b in document.blocks]


# --------------------------------------------------------------------------- seeds


def test_seed_collection_is_the_four_documents_without_the_episode_page(
    seed_collection: list[CollectionDocument],
) -> None:
    assert [d.doc_id for d in seed_collection] == COLLECTION_IDS


def test_the_episode_page_is_kept_as_an_episode_page() -> None:
    pages = [d for d in load_collection(SEEDS) if d.kind == "episode-page"]
    assert [d.doc_id for d in pages] == ["002_d502b1dd49aa2187"]
    (page,) = pages
    # read as the episode page it is: titled by the episode, no page furniture as headings
    assert page.title == "S38E02 Transformer を完璧に理解する!(前半)これまでの試み"
    assert page.date == "2023-02-22"
    headings = [b.text for b in page.blocks if b.kind == "heading"]
    assert headings == ["配信ページの文字起こし（未編集）"]
    texts = " ".join(b.text for b in page.blocks)
    for furniture in ("View all episodes", "Download on the App Store", "未編集の草稿",
                      "Listen Later", "HELLO! AI ポッドキャスト"):
        assert furniture not in texts, furniture
    assert page.blocks[0].text.startswith("ZENKEI AI ポッドキャスト、シーズン38は")


def test_seed_documents_have_titles_dates_and_hrefs(
    seed_collection: list[CollectionDocument],
) -> None:
    by_id = {d.doc_id: d for d in seed_collection}
    assert by_id["001_3a8888a9d5ffff60"].title == "2024-05-16 機械学習勉強会"
    assert by_id["003_8da7d8b9ee6daeee"].title == "AI最新論文読み会2022年7月"
    assert by_id["004_0eab960c137c02f1"].title == "松尾研の大規模言語講座を受講して"
    lab_report = by_id["000_bc7f45b8dcf56d7a"].title
    assert lab_report and lab_report != "TL;DR" and len(lab_report) <= 41
    assert by_id["001_3a8888a9d5ffff60"].date == "2024-05-16"
    assert by_id["003_8da7d8b9ee6daeee"].date == "2022-07-05"
    for doc in seed_collection:
        assert doc.href == f"docs/{doc.doc_id}/index.html"
        assert doc.source.endswith(f"{doc.doc_id}.txt")
        assert doc.text.strip()


def test_seed_blocks_have_headings_lists_and_sequential_ids(
    seed_collection: list[CollectionDocument],
) -> None:
    for doc in seed_collection:
        assert [b.id for b in doc.blocks] == [f"b{i}" for i in range(len(doc.blocks))]
        assert any(b.kind == "heading" for b in doc.blocks), doc.doc_id
        assert all(b.text.strip() for b in doc.blocks)
    by_id = {d.doc_id: d for d in seed_collection}
    lab = by_id["000_bc7f45b8dcf56d7a"]
    headings = [b.text for b in lab.blocks if b.kind == "heading"]
    assert {"TL;DR", "1. Chris Re Lab", "今月の取り組み", "Jazz Concert"} <= set(headings)
    assert sum(b.kind == "list-item" for b in lab.blocks) > 30
    meeting = by_id["001_3a8888a9d5ffff60"]
    depths = {b.level for b in meeting.blocks if b.kind == "list-item"}
    assert {0, 1, 2, 3} <= depths  # the notes nest bullets four deep
    assert "[blog] LLM に表データを読み解かせたかったので、ちょっと試してみた" in [
        b.text for b in meeting.blocks if b.kind == "heading"
    ]
    slides = by_id["003_8da7d8b9ee6daeee"]
    assert not any(b.text == "View Slide" for b in slides.blocks)  # page chrome dropped


def test_lab_report_sections_are_headings(seed_collection: list[CollectionDocument]) -> None:
    lab = next(d for d in seed_collection if d.doc_id == "000_bc7f45b8dcf56d7a")
    sections = [b.text for b in lab.blocks if b.kind == "heading" and b.level == 1]
    # "2. 研究" leads a "# every week" heading, not a paragraph: still a section
    assert {"1. Chris Re Lab", "2. 研究", "3. 生活"} <= set(sections)


def test_meeting_notes_tagged_titles_sit_under_their_presenter(
    seed_collection: list[CollectionDocument],
) -> None:
    notes = next(d for d in seed_collection if d.doc_id == "001_3a8888a9d5ffff60")
    headings = [(b.text, b.level) for b in notes.blocks if b.kind == "heading"]
    index = headings.index(("@Naoto Shimakoshi", 2))
    assert headings[index + 1] == (
        "[blog] 高性能な日本語マルチモーダル基盤モデル「clip-japanese-base」を公開しました", 3
    )  # longer than a plain heading may be, but led by its tag and followed by a list
    assert ("[論文] CREPE: Coordinate-Aware End-to-End Document Parser", 3) in headings


def test_seed_slide_deck_has_a_heading_per_slide(
    seed_collection: list[CollectionDocument],
) -> None:
    deck = next(d for d in seed_collection if d.doc_id == "003_8da7d8b9ee6daeee")
    assert deck.kind == SLIDES
    slides = [b.text for b in deck.blocks if b.kind == "heading" and b.level == 1]
    assert len(slides) == 51  # 52 slides; the last one is empty
    assert slides[0] == "スライド 1: AI最新論文読み会2022年7月"
    assert slides[1] == "スライド 2"  # it opens with a numbered list: no title
    assert "スライド 4: 背景" in slides  # its ■ line
    assert "スライド 50: 提案手法" in slides  # a ■ line the PDF text put last
    texts = [b.text for b in deck.blocks]
    assert "https://arxiv.org/abs/2206.08896v1" in texts
    wrapped = next(t for t in texts if t.startswith("本論文では、遺伝的プログラミング"))
    assert "(LLM)が、プログラムに適用する変異演算子" in wrapped  # a wrapped line, joined
    assert not any(t.startswith("View Slide") for t in texts)


DECK = """Deck title

Transcript

  1. 表紙のタイトル
    発表者の名前

    View Slide

  2. ■背景
    ・一つ目の点
    ・二つ目の点で、ここはスライドの幅いっぱいまで続いて折り返されてしまった長い
    文の続き。
    1. 番号付き 2. ではない
    〇小見出し
    https://example.com/paper

    View Slide

  3. View Slide3
"""


def test_slide_deck_from_a_slide_host() -> None:
    deck = slide_deck(DECK)
    assert deck is not None
    assert [number for number, _ in deck.slides] == [1, 2, 3]
    blocks = _kinds(DECK)
    assert blocks[0] == ("heading", "Deck title", 2)
    assert blocks[1:] == [
        ("heading", "スライド 1: 表紙のタイトル", 1),
        ("paragraph", "発表者の名前", 0),
        ("heading", "スライド 2: 背景", 1),
        ("list-item", "一つ目の点", 0),
        ("list-item", "二つ目の点で、ここはスライドの幅いっぱいまで続いて折り返されて"
                      "しまった長い文の続き。", 0),
        ("list-item", "1. 番号付き 2. ではない", 0),
        ("heading", "小見出し", 3),
        ("paragraph", "https://example.com/paper", 0),
    ]  # slide 3 holds only page chrome: left out
    assert document_from_text("deck", DECK).kind == SLIDES


@pytest.mark.parametrize(
    "text",
    [
        "Transcript\n\nただの本文です。\n",  # no slides
        "本文。\n  1. 一つ目\n  2. 二つ目\n",  # a numbered list, no Transcript line
        "Transcript\n本文が先にある。\n  1. 一\n    View Slide\n  2. 二\n",
    ],
)
def test_other_text_is_no_slide_deck(text: str) -> None:
    assert slide_deck(text) is None
    assert document_from_text("doc", text).kind == "document"


# --------------------------------------------------------------------------- structure


def test_headings_of_every_plain_text_kind() -> None:
    text = (
        "# 見出し一\n本文です。\n## 見出し二\n本文です。\n■ 四角の見出し\n本文です。\n"
        "【お知らせ】\n本文です。\n第1章 はじめに\n本文です。\n\nタイトルらしい行\n\n本文です。\n"
    )
    headings = [(t, lvl) for kind, t, lvl in _kinds(text) if kind == "heading"]
    assert headings == [
        ("見出し一", 1),
        ("見出し二", 2),
        ("四角の見出し", 1),
        ("【お知らせ】", 2),
        ("第1章 はじめに", 1),
        ("タイトルらしい行", 2),
    ]


def test_list_items_of_every_marker_with_nesting() -> None:
    text = "- ハイフン\n  - 入れ子\n・中黒\n* アスタリスク\n1. 番号付きの項目\n2. 二つ目の項目\n"
    blocks = _kinds(text)
    assert [(k, t, lvl) for k, t, lvl in blocks] == [
        ("list-item", "ハイフン", 0),
        ("list-item", "入れ子", 1),
        ("list-item", "中黒", 0),
        ("list-item", "アスタリスク", 0),
        ("list-item", "1. 番号付きの項目", 0),
        ("list-item", "2. 二つ目の項目", 0),
    ]


def test_short_lines_in_a_run_are_paragraphs_not_headings() -> None:
    text = "Mon: Lab Meeting\nWed: Lab Meeting\nWed: ML Lunch\n"
    assert [k for k, _, _ in _kinds(text)] == ["paragraph"] * 3


def test_indented_code_is_preformatted() -> None:
    text = "設定の例です。\n    import json\n    data = json.loads(text)\n続きの本文です。\n"
    blocks = _kinds(text)
    assert blocks[1] == ("preformatted", "import json\ndata = json.loads(text)", 0)
    assert blocks[2][0] == "paragraph"


def test_indented_japanese_is_not_code() -> None:
    blocks = _kinds("    日本語の字下げされた段落です。\n")
    assert blocks == [("paragraph", "日本語の字下げされた段落です。", 0)]


def test_markdown_documents_are_parsed_as_markdown() -> None:
    text = "# 題名\n\n一行目の\n続きです **強調**。\n\n- 項目\n  - 入れ子\n\n```\ncode()\n```\n"
    assert _kinds(text, markdown=True) == [
        ("heading", "題名", 1),
        ("paragraph", "一行目の続きです 強調。", 0),
        ("list-item", "項目", 0),
        ("list-item", "入れ子", 1),
        ("preformatted", "code()", 0),
    ]


def test_title_is_first_line_without_headings() -> None:
    document = document_from_text("doc", "ただの段落です。\n二つ目の段落です。\n")
    assert document.title == "ただの段落です。"


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["配信日 2023年2月22日"], "2023-02-22"),
        (["2023/2/3 の記録"], "2023-02-03"),
        (["Published Jan 7, 2021"], "2021-01-07"),
        (["2023-02-30 は存在しない日"], None),
        (["日付のない行"], None),
    ],
)
def test_find_date(lines: list[str], expected: str | None) -> None:
    assert find_date(lines) == expected


# --------------------------------------------------------------------------- files


def test_folder_reading_bom_markdown_empty_and_episode_pages(tmp_path: Path) -> None:
    (tmp_path / "b_note.txt").write_bytes("\ufeff見出し\n\n本文です。\n".encode())
    (tmp_path / "a_readme.md").write_text("# 読む\n\n本文。\n", encoding="utf-8")
    (tmp_path / "c_empty.txt").write_text("  \n", encoding="utf-8")
    (tmp_path / "d_ignored.csv").write_text("a,b\n", encoding="utf-8")
    shutil.copy(EPISODE_SEED, tmp_path / EPISODE_SEED.name)
    documents = related_documents(load_collection(tmp_path))
    assert [d.doc_id for d in documents] == ["a_readme", "b_note"]
    assert documents[1].title == "見出し"
    assert not documents[1].text.startswith("\ufeff")


@pytest.mark.parametrize("problem", ["missing", "file"])
def test_bad_folder_raises_input_error(tmp_path: Path, problem: str) -> None:
    target = tmp_path / "collection"
    if problem == "file":
        target.write_text("x", encoding="utf-8")
    with pytest.raises(InputError) as error:
        load_collection(target)
    assert str(target) in str(error.value) and "\n" not in str(error.value)


def test_binary_document_raises_input_error(tmp_path: Path) -> None:
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    with pytest.raises(InputError, match=r"image\.txt"):
        load_collection(tmp_path)


# --------------------------------------------------------------------------- slugs


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("002_d502b1dd49aa2187", "002_d502b1dd49aa2187"),
        ("../etc", "etc"),
        ("../../etc/passwd", "etc-passwd"),
        ("/abs/path", "abs-path"),
        ("Ｓ３８Ｅ０２", "s38e02"),
        ("S38E02 Transformer!", "s38e02-transformer"),
        ("ev\u202eil\u200b\u2066name", "evilname"),
        ("C:\\Windows\\x", "c-windows-x"),
    ],
)
def test_slugify(name: str, expected: str) -> None:
    assert slugify(name) == expected


@pytest.mark.parametrize("name", ["第五回", "..", "\u202e\u202c/"])
def test_slugify_without_ascii_gives_a_stable_hash(name: str) -> None:
    slug = slugify(name)
    assert slug == slugify(name)
    assert slug.startswith("ep-") and len(slug) == 11
    assert all(c in "abcdef0123456789-ep" for c in slug)


def test_slugify_distinguishes_japanese_names() -> None:
    assert slugify("第五回") != slugify("第六回")


@pytest.mark.parametrize("name", ["", "   ", "\u200b\u202e"])
def test_slugify_refuses_empty_names(name: str) -> None:
    with pytest.raises(InputError):
        slugify(name)
