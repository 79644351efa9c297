"""Topic chapters: boundaries, key phrases, provisional titles and summaries.

Boundaries come from ``postprocess.segmentation`` (a gap model over TextTiling-style
cohesion features, speaker and pause cues), then move a few sentences to where the next
topic opens. Key phrases are each chapter's most distinctive noun compounds (TF-IDF
against the other chapters, glossary terms and proper nouns preferred); the title is the
best of them and the summary the chapter's most central sentences, cleaned of leading
fillers. The annotate stage (``postprocess.outline``) later writes the titles and
summaries a listener reads.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from kikigaki.document import Chapter, Episode, Sentence
from kikigaki.nlp import Morpheme, tokenize
from postprocess import segmentation
from postprocess.embeddings import EncoderName, centroid, e5_available, embed, normalize_rows
from postprocess.notes_text import clean_sentence, is_reaction, stands_alone, tidy, trim

TITLE_MAX_CHARS = 20
SUMMARY_MAX_CHARS = 120
# Nouns and verbs that say nothing about the subject of talk.
_STOP_WORDS_TEXT = """
    こと もの 物 事 ところ 所 とき 時 ため 為 感じ 話 今日 今 今回 前回 人 方 前 後 中 上 下 辺
    あたり 何 僕 私 俺 自分 皆 皆さん みんな 彼 彼女 これ それ あれ どれ ここ そこ あそこ 場合
    風 気 形 的 系 等 他 次 先 回 点 部分 一番 全部 最初 最後 最近 以上 以下 意味 理由 レベル
    ポイント パターン モード やつ わけ はず よう そう 多分 本当 ちょっと 結構 普通 一緒 必要
    する 為る ある 有る いる 居る なる 成る 言う 思う 行く 来る 見る 分かる わかる 出る 入る
    出す できる 出来る 考える 書く 持つ 聞く 感じる 使う やる 遣る 押さえる 抑える 思い出す
    読む 動く ございます おる 下さる くださる 頂く いただく 貰う もらう あげる 置く みる しまう
    いう
"""
_STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())
_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9.+\-]*")
_KATAKANA = re.compile(r"^[\u30a0-\u30ffー・]+$")



@dataclass(frozen=True)
class Phrase:
    """A noun compound as written, and how much it looks like a name rather than a common
    word: 1.4 for proper nouns and Latin, 1.2 for katakana compounds, 1.1 for other
    compounds, 1.0 for a single common noun."""

    text: str
    weight: float = 1.0

    @property
    def is_name(self) -> bool:
        return self.weight >= 1.2


# --------------------------------------------------------------------------- the stage


def segment_topics(
    episode: Episode,
    *,
    min_chapter_sentences: int | None = None,
    max_chapters: int | None = None,
    glossary_terms: Iterable[str] | None = None,
    encoder: EncoderName | None = None,
) -> Episode:
    """Split the episode's sentences into chapters with titles, summaries and keywords.

    Boundaries come from ``postprocess.segmentation`` (speaker changes and pauses count
    where the episode has them), then move to where the next topic opens rather than
    where the previous one's punchline lands. ``glossary_terms`` are names to prefer in
    titles; by default the canonical forms the glossary correction stage wrote
    (``episode.corrections``) and the default glossary. ``encoder`` is the sentence
    encoder for boundaries (by default the one the gap model was fitted with).
    """
    sentences = episode.sentences
    if not sentences:
        return episode.with_stage("topics", chapters=[])
    texts = [s.text for s in sentences]
    morphemes = [tokenize(t) for t in texts]
    starts = find_boundaries(
        texts,
        [content_words(m) for m in morphemes],
        cues=episode_cues(episode),
        min_sentences=min_chapter_sentences,
        max_segments=max_chapters,
        encoder=encoder,
    )
    vectors = embed(texts)
    ranges = list(zip(starts, [*starts[1:], len(texts)], strict=True))
    preferred = _preferred_terms(episode, glossary_terms)
    phrases = [_chapter_phrases(morphemes[a:b], texts[a:b]) for a, b in ranges]
    ranked = rank_phrases(phrases, preferred)
    chapters = [
        _chapter(sentences, vectors, first, end, scored, number)
        for number, ((first, end), scored) in enumerate(zip(ranges, ranked, strict=True), 1)
    ]
    return episode.with_stage("topics", chapters=chapters)


def boundaries_for(
    sentences: Sequence[str],
    *,
    min_sentences: int | None = None,
    max_segments: int | None = None,
    cues: segmentation.Cues | None = None,
    encoder: EncoderName | None = None,
) -> list[int]:
    """0-based indices where topics start (the first is always 0) in ``sentences``."""
    if not sentences:
        return []
    texts = list(sentences)
    words = [content_words(tokenize(t)) for t in texts]
    return find_boundaries(
        texts,
        words,
        cues=cues,
        min_sentences=min_sentences,
        max_segments=max_segments,
        encoder=encoder,
    )


def find_boundaries(
    texts: list[str],
    words: list[Counter[str]],
    *,
    cues: segmentation.Cues | None = None,
    min_sentences: int | None = None,
    max_segments: int | None = None,
    encoder: EncoderName | None = None,
) -> list[int]:
    minimum = max(1, min_sentences or segmentation.MIN_SENTENCES)
    if len(texts) < 2 * minimum:
        return [0]
    model = encoder or default_encoder()
    features = segmentation.gap_features(embed(texts, model), [dict(w) for w in words], cues)
    probabilities = segmentation.boundary_probabilities(features)
    starts = segmentation.pick_boundaries(
        probabilities, min_sentences=minimum, max_segments=max_segments
    )
    return snap_to_openings(starts, texts, probabilities, minimum)


def default_encoder() -> EncoderName:
    """The encoder the gap model was fitted with (USE unless e5 is fitted and installed)."""
    fitted: EncoderName = segmentation.GAP_ENCODER  # type: ignore[assignment]
    return fitted if fitted != "e5" or e5_available() else "use"


def episode_cues(episode: Episode) -> segmentation.Cues | None:
    """Speakers and times of the sentences, when the episode has audio."""
    sentences = episode.sentences
    has_speakers = any(s.speaker for s in sentences)
    has_times = any(s.start is not None for s in sentences)
    if not (has_speakers or has_times):
        return None
    return segmentation.Cues(
        speakers=[s.speaker for s in sentences] if has_speakers else None,
        starts=[s.start for s in sentences] if has_times else None,
        ends=[s.end for s in sentences] if has_times else None,
    )


# Sentence openings that start a new topic, and short sentences that close one.
_TOPIC_OPENERS = re.compile(
    r"^(?:さて|では|次[はに、]|続いて|ところで|もう一(?:個|つ)の|"
    r"(?:理由|ポイント|話)の?その[0-9０-９一二三四五]|[0-9０-９一二三四五]つ目|今日は|今回は|最後に)"
)
_SNAP_RANGE = (-3, 7)


def snap_to_openings(
    starts: list[int], texts: Sequence[str], probabilities: np.ndarray, minimum: int
) -> list[int]:
    """Move each boundary (by a few sentences at most) to the sentence that opens the next
    topic (はい、もう一個の…; 理由のその2), past the short reaction that closes the last one
    (すごいね。感動したね。), keeping chapters at least ``minimum // 2`` long."""

    moved = list(starts)
    n = len(texts)
    for k in range(1, len(moved)):
        low = moved[k - 1] + max(2, minimum // 2)
        high = (moved[k + 1] if k + 1 < len(moved) else n) - max(2, minimum // 2)
        best, best_score = moved[k], -1e9
        for start in range(moved[k] + _SNAP_RANGE[0], moved[k] + _SNAP_RANGE[1] + 1):
            if not low <= start <= high:
                continue
            score = float(probabilities[start - 1]) - 0.05 * abs(start - moved[k])
            if is_reaction(texts[start - 1]):
                score += 0.1
            if _TOPIC_OPENERS.match(tidy(texts[start])):
                score += 0.5
            elif is_reaction(texts[start]) or not stands_alone(texts[start]):
                score -= 0.2
            if score > best_score:
                best, best_score = start, score
        moved[k] = best
    return moved


# --------------------------------------------------------------------------- words


def content_words(morphemes: Sequence[Morpheme]) -> Counter[str]:
    """Lemmas of the nouns and full verbs, for lexical cohesion."""
    words: Counter[str] = Counter()
    for m in morphemes:
        if _is_content(m):
            words[m.normalized.lower()] += 1
    return words


def _is_content(m: Morpheme) -> bool:
    if m.pos[0] == "名詞":
        ok = m.pos[1] in ("普通名詞", "固有名詞") and m.pos[2] != "助数詞可能"
    elif m.pos[0] == "動詞":
        ok = m.pos[1] == "一般"
    else:
        ok = False
    if not ok or m.normalized in _STOP_WORDS or m.surface in _STOP_WORDS:
        return False
    return len(m.surface) > 1 or not _is_kana(m.surface)


def _is_kana(text: str) -> bool:
    return all("\u3040" <= c <= "\u30ff" for c in text)


def noun_phrases(morphemes: Sequence[Morpheme], text: str) -> list[Phrase]:
    """Noun compounds of ``text`` as written: runs of nouns, affixes and Latin words."""
    phrases: list[Phrase] = []
    run: list[Morpheme] = []
    for m in [*morphemes, None]:
        joins = m is not None and (_joins_compound(m) or (run and _is_glue(m, run)))
        if m is not None and joins and not (run and _name_edge(run[-1], m)):
            run.append(m)
            continue
        phrase = _phrase_of(run, text)
        if phrase is not None:
            phrases.append(phrase)
        run = []
    return phrases


def _joins_compound(m: Morpheme) -> bool:
    if m.pos[0] in ("名詞", "接頭辞", "接尾辞"):
        return True
    return bool(_LATIN.fullmatch(m.surface))


def _name_edge(last: Morpheme, m: Morpheme) -> bool:
    """A personal name ends or starts here: ジェレミー・ハワード|ファーストAI."""
    if m.pos[0] == "接尾辞" or _is_glue_token(last) or _is_glue_token(m):
        return False
    return (last.pos[2] == "人名") != (m.pos[2] == "人名")


def _is_glue(m: Morpheme, run: list[Morpheme]) -> bool:
    """A space between Latin words, a ・ between katakana words, - or . inside names."""
    last = run[-1].surface
    if m.surface in (" ", "\u3000"):
        return bool(_LATIN.fullmatch(last))
    return m.surface in ("・", "-", ".") and bool(_LATIN.fullmatch(last) or _KATAKANA.match(last))


def _phrase_of(run: list[Morpheme], text: str) -> Phrase | None:
    while run and _weak_start(run[0]):
        run = run[1:]  # dates, counts and 今日/その後: not the subject
    while run and _weak_end(run[-1]):
        run = run[:-1]
    if not run:
        return None
    surface = text[run[0].begin : run[-1].end]
    nouns = [m for m in run if m.pos[0] == "名詞"]
    if len(surface) < 2 or not nouns or surface in _STOP_WORDS:
        return None
    if all(_is_stop(m) for m in nouns):
        return None
    if len(run) == 1 and run[0].pos[2] in ("副詞可能", "助数詞可能"):
        return None
    if _is_kana(surface) and not _KATAKANA.match(surface):
        return None  # hiragana-only: やつ, ところ, わけ
    if any(m.pos[1] == "固有名詞" or _LATIN.fullmatch(m.surface) for m in nouns):
        return Phrase(surface, 1.4)
    if len(nouns) > 1:
        return Phrase(surface, 1.2 if _KATAKANA.match(surface) else 1.1)
    return Phrase(surface)


def _is_stop(m: Morpheme) -> bool:
    return m.normalized in _STOP_WORDS or m.surface in _STOP_WORDS


def _weak_start(m: Morpheme) -> bool:
    if m.pos[0] == "接尾辞" or _is_glue_token(m):
        return True
    return m.pos[0] == "名詞" and (m.pos[1] == "数詞" or m.pos[2] == "副詞可能" or _is_stop(m))


def _weak_end(m: Morpheme) -> bool:
    return m.pos[0] == "接頭辞" or _is_glue_token(m) or (m.pos[0] == "名詞" and _is_stop(m))


def _is_glue_token(m: Morpheme) -> bool:
    return m.surface in (" ", "\u3000", "・", "-", ".")


# --------------------------------------------------------------------------- titles


def _chapter_phrases(morphemes: list[list[Morpheme]], texts: list[str]) -> list[Phrase]:
    return [p for ms, t in zip(morphemes, texts, strict=True) for p in noun_phrases(ms, t)]


def rank_phrases(
    documents: Sequence[Sequence[Phrase]],
    preferred: Iterable[str] = (),
    *,
    top: int = 5,
) -> list[list[tuple[str, float]]]:
    """The ``top`` most distinctive phrases of each document with their scores, best first
    (TF-IDF against the other documents; ``preferred`` phrases count double)."""
    preferred_keys = {phrase_key(p) for p in preferred}
    counts = [Counter(phrase_key(p.text) for p in doc) for doc in documents]
    document_frequency = Counter(k for c in counts for k in c)
    total = len(documents)
    ranked: list[list[tuple[str, float]]] = []
    for doc, count in zip(documents, counts, strict=True):
        surfaces = _surfaces(doc)
        weights = {phrase_key(p.text): p.weight for p in doc}
        scores = {
            key: phrase_score(tf, document_frequency[key], total, key, weights[key])
            * (2.0 if key in preferred_keys else 1.0)
            for key, tf in count.items()
        }
        best = sorted(scores, key=scores.__getitem__, reverse=True)
        ranked.append(_distinct([(surfaces[k], scores[k]) for k in best], top))
    return ranked


def phrase_score(tf: int, df: int, total: int, key: str, weight: float) -> float:
    idf = math.log((1 + total) / (1 + df)) + 1
    score = (1 + math.log(tf)) * idf * weight
    if tf == 1:
        score *= 0.6  # said once in passing
    return score * min(1.0, 0.55 + 0.15 * len(key))


def _surfaces(doc: Sequence[Phrase]) -> dict[str, str]:
    """The most frequent written form of each phrase key."""
    forms: dict[str, Counter[str]] = {}
    for p in doc:
        forms.setdefault(phrase_key(p.text), Counter())[p.text] += 1
    return {k: preferred_form(c) for k, c in forms.items()}


def preferred_form(forms: Counter[str]) -> str:
    """The written form to show: capitalised Latin (RNN over rnn), then the most frequent."""
    return max(forms, key=lambda f: (f != f.lower(), forms[f]))


def _distinct(phrases: list[tuple[str, float]], top: int) -> list[tuple[str, float]]:
    """Drop a phrase that another, already chosen, contains or is contained in."""
    chosen: list[tuple[str, float]] = []
    for phrase, score in phrases:
        key = phrase_key(phrase)
        if any(key in phrase_key(c) or phrase_key(c) in key for c, _ in chosen):
            continue
        chosen.append((phrase, score))
        if len(chosen) == top:
            break
    return chosen


def phrase_key(text: str) -> str:
    return re.sub(r"[\s・]", "", text).lower()


def make_title(scored: Sequence[tuple[str, float]], number: int) -> str:
    """The best key phrase, joined with と to the next when that one scores nearly as
    well, within ``TITLE_MAX_CHARS``."""
    if not scored:
        return f"トピック{number}"
    first, best = scored[0]
    if len(first) > TITLE_MAX_CHARS:
        return first[: TITLE_MAX_CHARS - 1] + "…"
    for second, score in scored[1:3]:
        if score >= 0.6 * best and len(first) + 1 + len(second) <= TITLE_MAX_CHARS:
            return f"{first}と{second}"
    return first


def _preferred_terms(episode: Episode, glossary_terms: Iterable[str] | None) -> set[str]:
    if glossary_terms is not None:
        return set(glossary_terms)
    from postprocess.glossary import default_glossary

    # Glossary corrections only: an everyday word the homophone stage fixed is no title.
    names = {name for c in episode.corrections if not c.reason
             for name in (c.canonical, c.replacement)}
    for term in default_glossary().terms:
        names.add(term.canonical)
        names.update(term.variants)
        if term.reading:
            names.add(term.reading)
    return names


# --------------------------------------------------------------------------- chapters


def _chapter(
    sentences: list[Sentence],
    vectors: np.ndarray,
    first: int,
    end: int,
    scored: list[tuple[str, float]],
    number: int,
) -> Chapter:
    keywords = [phrase for phrase, _ in scored]
    texts = [s.text for s in sentences[first:end]]
    chosen = central_sentences(vectors[first:end], texts, 2, keywords=keywords[:3])
    starts = [s.start for s in sentences[first:end] if s.start is not None]
    ends = [s.end for s in sentences[first:end] if s.end is not None]
    return Chapter(
        first=first,
        end=end,
        title=make_title(scored, number),
        summary="".join(chosen),
        start=min(starts) if starts else None,
        end_time=max(ends) if ends else None,
        keywords=keywords,
    )


def central_sentences(
    vectors: np.ndarray,
    texts: Sequence[str],
    count: int,
    *,
    limit: int = SUMMARY_MAX_CHARS,
    keywords: Sequence[str] = (),
) -> list[str]:
    """The ``count`` sentences nearest the centroid (not near-duplicates), in text order,
    cleaned and trimmed to ``limit`` characters. Sentences of a fitting length and those
    naming ``keywords`` are preferred."""
    if not texts:
        return []
    vectors = normalize_rows(vectors)
    center = centroid(vectors)
    fitness = np.array([_length_fitness(t, limit) * _keyword_bonus(t, keywords) for t in texts])
    scores = vectors @ center * fitness
    picked: list[int] = []
    for i in np.argsort(-scores, kind="stable"):
        if len(picked) == count:
            break
        if any(float(vectors[i] @ vectors[j]) > 0.9 for j in picked):
            continue
        if picked and scores[i] < 0.5 * scores[picked[0]]:
            break
        picked.append(int(i))
    return [trim(clean_sentence(texts[i]), limit) for i in sorted(picked)]


def _length_fitness(text: str, limit: int) -> float:
    """Prefer sentences long enough to say something and short enough to quote whole."""
    length = len(clean_sentence(text))
    if length < 12:
        return 0.3
    if length < 25:
        return 0.75
    if length > limit:
        return max(0.3, 0.8 - (length - limit) / limit)
    if length > 0.75 * limit:
        return 0.9
    return 1.0


def _keyword_bonus(text: str, keywords: Sequence[str]) -> float:
    lowered = text.lower()
    hits = sum(1 for k in keywords if k.lower() in lowered)
    return 1.0 + 0.1 * min(hits, 2)


# --------------------------------------------------------------------------- evaluation


def pk(reference: Sequence[int], hypothesis: Sequence[int], k: int | None = None) -> float:
    """Beeferman's Pk: how often a window of ``k`` sentences is judged wrongly as lying
    within one segment or across two. Both arguments give a segment label per sentence
    (see :func:`labels`). 0 is perfect; a degenerate segmentation scores about 0.5."""
    if len(reference) != len(hypothesis):
        raise ValueError("reference and hypothesis label different numbers of sentences")
    n = len(reference)
    if k is None:
        segments = len(set(reference))
        k = max(1, round(n / segments / 2))
    if n <= k:
        return 0.0
    errors = sum(
        (reference[i] == reference[i + k]) != (hypothesis[i] == hypothesis[i + k])
        for i in range(n - k)
    )
    return errors / (n - k)


def labels(starts: Sequence[int], n: int) -> list[int]:
    """Segment labels per sentence from segment start indices."""
    result = [0] * n
    for label, (a, b) in enumerate(zip(starts, [*starts[1:], n], strict=False)):
        result[a:b] = [label] * (b - a)
    return result
