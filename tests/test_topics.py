"""Topic segmentation: chapters over the seed episode, boundaries on known topic shifts."""

from __future__ import annotations

import re
from itertools import accumulate, pairwise

import pytest

from kikigaki.document import Episode, EpisodeMeta, Sentence
from kikigaki.nlp import tokenize
from postprocess.notes_text import clean_sentence, trim
from postprocess.topics import TITLE_MAX_CHARS, boundaries_for, labels, pk, segment_topics
from tests.conftest import EPISODE_SEED


def seed_body() -> str:
    """The transcript part of the seed episode page, without the page chrome."""
    text = EPISODE_SEED.read_text(encoding="utf-8")
    return text[text.index("こんにちは、ZENKEI") : text.index("...more")].strip()


def rough_sentences(text: str, max_chars: int = 110) -> list[str]:
    """A stand-in for the sentence stage: break at 。？！ and after a sentence-final form
    (です, ます, た, だ or a final particle) that nothing continues."""
    sentences: list[str] = []
    for line in text.splitlines():
        for piece in re.findall(r"[^。？！?!]+[。？！?!]*", line.strip()):
            sentences.extend(_split_run(piece, max_chars))
    return [s for s in sentences if s.strip()]


def _split_run(text: str, max_chars: int) -> list[str]:
    morphemes = tokenize(text)
    pieces, begin = [], 0
    for m, following in pairwise(morphemes):
        final = (m.pos[0] == "助動詞" and m.inflection_form.startswith("終止形")) or (
            m.tag == "助詞-終助詞"
        )
        continued = following.pos[0] in ("助動詞", "助詞", "補助記号")
        length = m.end - begin
        if not continued and (
            (final and length >= 20) or (length >= max_chars and m.pos[0] == "助詞")
        ):
            pieces.append(text[begin : m.end] + "。")
            begin = m.end
    tail = text[begin:]
    if tail:
        pieces.append(tail if tail[-1] in "。？！?!" else tail + "。")
    return pieces


def seed_episode() -> Episode:
    sentences = [Sentence(text=t) for t in rough_sentences(seed_body())]
    return Episode(meta=EpisodeMeta(title="S38E02", hosts=["市來"]), sentences=sentences)


# Four passages on unrelated subjects, for boundaries with a known answer.
PASSAGES = [
    [
        "今日はカレーの作り方を説明します。",
        "まず玉ねぎを薄切りにして、弱火でじっくり炒めます。",
        "玉ねぎが飴色になったら、にんにくと生姜を加えます。",
        "次に牛肉を入れて、表面に焼き色がつくまで焼きます。",
        "じゃがいもとにんじんを一口大に切って鍋に入れます。",
        "水を加えて沸騰したら、アクを丁寧に取り除きます。",
        "野菜が柔らかくなったら火を止めてルーを溶かします。",
        "最後に弱火で十分ほど煮込めば、おいしいカレーの完成です。",
        "隠し味にはちみつやコーヒーを入れる家庭も多いようです。",
    ],
    [
        "昨日の野球の試合は、九回裏に劇的な逆転サヨナラ勝ちでした。",
        "先発投手は七回まで無失点の好投を見せました。",
        "しかし八回に中継ぎが打たれて、三点を失いました。",
        "九回裏、先頭打者がヒットで出塁し、盗塁も決めました。",
        "続く打者がフォアボールを選び、ノーアウト一二塁となりました。",
        "四番バッターが初球を打ち、打球はライトスタンドに飛び込みました。",
        "逆転のスリーランホームランに球場は大歓声に包まれました。",
        "監督は試合後、選手たちの粘りを高く評価していました。",
    ],
    [
        "来月の連休に、家族で京都へ旅行する予定です。",
        "新幹線で京都駅に着いたら、まず清水寺を参拝します。",
        "清水寺から二年坂と三年坂を歩いて、八坂神社まで向かいます。",
        "夜は祇園の町並みを散策して、湯豆腐の店で夕食をとります。",
        "二日目は嵐山で竹林の小径を歩き、渡月橋を眺める予定です。",
        "金閣寺と銀閣寺のどちらを訪ねるかは、まだ決めていません。",
        "旅館は紅葉の季節なので、早めに予約しておきました。",
        "お土産には八ッ橋と抹茶のお菓子を買って帰るつもりです。",
        "京都の寺社は朝早く訪れると、観光客が少なくて静かです。",
    ],
    [
        "確定申告の時期が近づいてきたので、書類を準備しています。",
        "医療費控除を受けるために、病院の領収書を集めました。",
        "ふるさと納税の寄附金受領証明書も忘れずに用意します。",
        "今年からは電子申告を使って、自宅で手続きを済ませる予定です。",
        "マイナンバーカードとカードリーダーがあれば申告できます。",
        "源泉徴収票の金額を入力すると、所得税が自動で計算されます。",
        "還付金は申告から一か月ほどで口座に振り込まれるそうです。",
        "申告期限を過ぎると延滞税がかかるので注意が必要です。",
    ],
]


@pytest.fixture(scope="module")
def seed() -> Episode:
    return seed_episode()


@pytest.fixture(scope="module")
def segmented(seed: Episode) -> Episode:
    return segment_topics(seed)


def test_chapters_cover_every_sentence_in_order(seed: Episode, segmented: Episode) -> None:
    chapters = segmented.chapters
    assert chapters[0].first == 0
    assert chapters[-1].end == len(seed.sentences)
    for before, after in pairwise(chapters):
        assert before.end == after.first
    assert all(c.end - c.first >= 8 for c in chapters)
    assert segmented.stages == [*seed.stages, "topics"]


def test_the_seed_episode_has_four_to_seven_chapters(segmented: Episode) -> None:
    assert 4 <= len(segmented.chapters) <= 7


def test_titles_are_short_key_phrases_of_their_chapter(segmented: Episode) -> None:
    for chapter in segmented.chapters:
        assert 0 < len(chapter.title) <= TITLE_MAX_CHARS
        assert chapter.keywords
        text = "".join(s.text for s in segmented.chapter_sentences(chapter)).lower()
        assert chapter.keywords[0].lower() in text
    titles = " ".join(c.title for c in segmented.chapters)
    assert "ディフュージョンモデル" in titles or "トランスフォーマー" in titles


def test_summaries_are_drawn_from_their_chapter(segmented: Episode) -> None:
    for chapter in segmented.chapters:
        text = "".join(s.text for s in segmented.chapter_sentences(chapter))
        pieces = [p for p in re.split(r"(?<=[。？！?!…])", chapter.summary) if p]
        assert 1 <= len(pieces) <= 2
        for piece in pieces:
            assert len(piece) <= 120
            assert piece.rstrip("…") in text


def test_the_input_episode_is_not_changed(seed: Episode, segmented: Episode) -> None:
    assert seed.chapters == []
    assert seed == seed_episode()
    assert segmented.sentences == seed.sentences


def test_chapter_times_come_from_their_sentences() -> None:
    sentences = [
        Sentence(text=s, start=10.0 * i, end=10.0 * i + 8)
        for i, s in enumerate(s for p in PASSAGES for s in p)
    ]
    episode = segment_topics(Episode(sentences=sentences), min_chapter_sentences=5)
    for chapter in episode.chapters:
        assert chapter.start == sentences[chapter.first].start
        assert chapter.end_time == sentences[chapter.end - 1].end


def test_text_without_a_clock_has_chapters_without_times(segmented: Episode) -> None:
    assert all(c.start is None and c.end_time is None for c in segmented.chapters)


def test_boundaries_are_found_between_unrelated_passages() -> None:
    sentences = [s for p in PASSAGES for s in p]
    truth = [0, *accumulate(len(p) for p in PASSAGES)][:-1]
    for minimum in (4, 6, 8):
        found = boundaries_for(sentences, min_sentences=minimum)
        assert found[0] == 0
        score = pk(labels(truth, len(sentences)), labels(found, len(sentences)))
        assert score < 0.2, (minimum, found, truth)


def test_one_subject_is_one_segment() -> None:
    assert boundaries_for(PASSAGES[2] + PASSAGES[2][::-1], min_sentences=4) == [0]


def test_max_segments_caps_the_number_of_boundaries() -> None:
    sentences = [s for p in PASSAGES for s in p]
    assert len(boundaries_for(sentences, min_sentences=4, max_segments=2)) == 2
    assert boundaries_for([]) == []
    assert boundaries_for(sentences[:5]) == [0]


def test_an_episode_without_sentences_has_no_chapters() -> None:
    assert segment_topics(Episode()).chapters == []


def test_pk_is_zero_for_a_perfect_match_and_grows_with_errors() -> None:
    reference = labels([0, 10, 20], 30)
    assert pk(reference, reference) == 0
    assert pk(reference, labels([0], 30)) > 0.3
    assert 0 < pk(reference, labels([0, 12, 20], 30)) < pk(reference, labels([0], 30))
    with pytest.raises(ValueError):
        pk(reference, reference[:-1])


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("はい、進めます。", "進めます。"),
        ("で、ポイントはここです。", "ポイントはここです。"),
        ("でもなんでディフュージョンモデルなのか。", "なんでディフュージョンモデルなのか。"),
        ("その本を読みました。", "その本を読みました。"),
        ("まあいいや。", "まあいいや。"),
    ],
)
def test_clean_sentence_drops_leading_fillers_and_conjunctions(raw: str, clean: str) -> None:
    assert clean_sentence(raw) == clean


def test_trim_cuts_at_a_comma_and_marks_the_cut() -> None:
    text = "あ" * 70 + "、" + "い" * 70
    assert trim(text, 120) == "あ" * 70 + "…"
    assert trim("短い。", 120) == "短い。"
    assert len(trim("う" * 300, 120)) == 120
