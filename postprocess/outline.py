"""The extractive show-notes writer: chapter titles a listener recognises, one or two
self-contained sentences per chapter, and a theme paragraph for the whole episode.

- A chapter title is a question the chapter asks (なんでディフュージョンモデルなのか？) or a
  descriptive noun phrase it says (今2023年で抑えておくべきポイント), found with GiNZA's
  dependency parse among the chapter's most central sentences and scored by the chapter's
  key phrases it names; failing both, its two best key phrases.
- A chapter summary is its most central sentences that stand alone (no leading anaphor or
  filler), tidied.
- The theme paragraph says what the episode is about: the sentence of the host's own
  description that names most of the episode's key terms, the episode's most central
  self-contained sentence naming two of them, and the chapters' subjects in one line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from kikigaki.document import Chapter, Episode, Link, Term
from postprocess.embeddings import centroid, embed, normalize_rows
from postprocess.mentions import occurs
from postprocess.notes_text import plain_ending, quotable, stands_alone, states, tidy
from postprocess.topics import TITLE_MAX_CHARS, make_title, phrase_key

SUMMARY_MAX_CHARS = 110
THEME_MAX_CHARS = 110
SUBJECTS_MAX_CHARS = 140
CANDIDATE_SENTENCES = 8  # central sentences per chapter parsed for a title
_TITLE_MIN_CHARS = 6
_QUESTION = re.compile(r"[？?]$|(?:のか|んだろう|でしょうか|ですか|なのか)[。？]?$")
_NOT_IN_TITLE = re.compile(
    r"^(?:その|この|あの|ここ|そこ)|それ|これ|あれ|こいつ|そいつ|やつ|こっち|そっち|そういう|"
    r"こういう|僕|俺|自分|彼|みんな|皆さん|だから|なので|けど|って|あるいは|または|とか|"
    r"こと$|もの$|ところ$|感じ$|話$"
)
# A sentence of a description: up to 。 or a line end (a ! inside 「…!」 is part of a title).
_DESCRIPTION_SENTENCE = re.compile(r"[^。\n]+。?")
_RECORDING = re.compile(r"開催|模様|収録|配信|ライブ|お届け|Zoom|ZOOM|YouTube|放送")


# --------------------------------------------------------------------------- chapters


def write_outline(episode: Episode, terms: Sequence[Term]) -> list[Chapter]:
    """The episode's chapters with descriptive titles and self-contained summaries."""
    texts = [s.text for s in episode.sentences]
    if not texts or not episode.chapters:
        return list(episode.chapters)
    vectors = embed(texts)
    term_forms = [f for t in terms for f in (t.forms or [t.canonical])]
    return [
        chapter.model_copy(
            update={
                "title": chapter_title(chapter, texts, vectors, term_forms, number),
                "summary": chapter_summary(
                    texts[chapter.first : chapter.end],
                    vectors[chapter.first : chapter.end],
                    chapter.keywords,
                ),
            }
        )
        for number, chapter in enumerate(episode.chapters, 1)
    ]


def chapter_summary(texts: Sequence[str], vectors: np.ndarray, keywords: Sequence[str]) -> str:
    """One or two central sentences that stand alone, tidied, in the order said."""
    order = _by_centrality(texts, vectors, keywords)
    chosen: list[int] = []
    for i in order:
        if states(texts[i]) and len(tidy(texts[i])) <= 2 * SUMMARY_MAX_CHARS:
            chosen.append(i)
        if len(chosen) == 2 or sum(len(tidy(texts[j])) for j in chosen) > 60:
            break
    return "".join(plain_ending(quotable(texts[i], SUMMARY_MAX_CHARS)) for i in sorted(chosen))


def _by_centrality(texts: Sequence[str], vectors: np.ndarray, keywords: Sequence[str]) -> list[int]:
    rows = normalize_rows(vectors)
    center = centroid(rows)
    lowered = [t.lower() for t in texts]
    bonus = np.array([1 + 0.15 * sum(k.lower() in t for k in keywords[:4]) for t in lowered])
    fitness = np.array([_length_fitness(len(tidy(t))) for t in texts])
    scores = (rows @ center) * bonus * fitness
    return [int(i) for i in np.argsort(-scores, kind="stable")]


def _length_fitness(length: int) -> float:
    if length < 15:
        return 0.3
    if length < 25:
        return 0.8
    return 1.0 if length <= SUMMARY_MAX_CHARS else 0.7


def chapter_title(
    chapter: Chapter,
    texts: Sequence[str],
    vectors: np.ndarray,
    term_forms: Sequence[str],
    number: int,
) -> str:
    """A question or descriptive phrase of the chapter naming its key phrases; else the
    key phrases themselves."""
    own = texts[chapter.first : chapter.end]
    keys = [*chapter.keywords[:4], *term_forms]
    order = _by_centrality(own, vectors[chapter.first : chapter.end], chapter.keywords)
    central = order[:CANDIDATE_SENTENCES]
    rank = {i: r for r, i in enumerate(order)}
    candidates = [
        (c, i) for i in central for c in [*_questions(own[i]), *noun_phrase_titles(own[i])]
    ]
    scored = [(_title_score(c, keys, rank[i], len(own)), c) for c, i in candidates]
    scored = [s for s in scored if s[0] > 0]
    if scored:
        return max(scored)[1]
    return make_title([(k, 1.0) for k in chapter.keywords], number)


def _questions(text: str) -> list[str]:
    """The question clause of a sentence that asks one, tidied."""
    cleaned = tidy(text)
    if not _QUESTION.search(cleaned):
        return []
    clause = re.split(r"[、,]", cleaned.rstrip("。？?"))[-1]
    clause = tidy(clause)
    if not _TITLE_MIN_CHARS <= len(clause) <= TITLE_MAX_CHARS + 6:
        return []
    return [clause + "？"]


def noun_phrase_titles(text: str) -> list[str]:
    """Noun phrases of ``text`` with their modifiers (a head noun and its left subtree),
    trimmed from the left at a phrase boundary to fit a title."""
    from kikigaki.nlp import parse

    doc = parse(tidy(text))
    found = []
    for token in doc:
        if token.pos_ not in ("NOUN", "PROPN") or token.dep_ in ("compound", "nmod"):
            continue
        if token.i + 1 < len(doc) and doc[token.i + 1].pos_ in ("NOUN", "PROPN"):
            continue  # inside a compound: the head comes later
        span = doc[token.left_edge.i : token.i + 1]
        phrase = _fit_phrase(span)
        if phrase:
            found.append(phrase)
    return found


def _fit_phrase(span) -> str | None:  # type: ignore[no-untyped-def]
    tokens = list(span)
    while tokens and (
        tokens[0].pos_ in _NOT_FIRST
        or tokens[0].lemma_ in _WEAK_VERBS
        or sum(len(t.text_with_ws) for t in tokens) > TITLE_MAX_CHARS + 4
    ):
        tokens = tokens[1:]
    text = "".join(t.text_with_ws for t in tokens).strip()
    text = text.rsplit("、", 1)[-1]
    text = _LEADING_DISCOURSE.sub("", _without_quotative(_after_topic(tokens, text)))
    if not _TITLE_MIN_CHARS <= len(text) <= TITLE_MAX_CHARS + 4 or _NOT_IN_TITLE.search(text):
        return None
    return text


_NOT_FIRST = frozenset({"ADP", "PUNCT", "SCONJ", "AUX", "ADV", "CCONJ", "PART", "SYM", "PRON"})
_WEAK_VERBS = frozenset({"いう", "言う", "ある", "する", "なる", "思う", "できる"})
# Words that link a phrase to what was said before (かたやディフュージョンモデル: GiNZA reads
# かたや as かた + や); a heading starts after them.
_LEADING_DISCOURSE = re.compile(
    r"^(?:かたや|一方で?|でも|それで|まず|次に|じゃあ|結局|例えば|ちなみに)"
)
_QUOTATIVE = re.compile(r"(?:よ|ね|な)?(?:っていう|という|って言う|みたいな)")


def _after_topic(tokens: list, text: str) -> str:  # type: ignore[type-arg]
    """A noun phrase whose modifier states its own topic (OpenAIはソースコードは出さない
    モデル) is a sentence, not a heading: keep what follows the last topic は."""
    topics = [t for t in tokens if t.text == "は" and t.tag_.endswith("係助詞")]
    if not topics:
        return text
    after = "".join(t.text_with_ws for t in tokens[tokens.index(topics[-1]) + 1 :]).strip()
    return after if after and text.endswith(after) else text


def _without_quotative(text: str) -> str:
    """スクラッチからGPTをコーディングするよっていうビデオ → …コーディングするビデオ; a
    clause quoted before a long head keeps only the head."""
    parts = _QUOTATIVE.split(text)
    if len(parts) == 1:
        return text
    if len(parts[-1]) >= _TITLE_MIN_CHARS:
        return parts[-1]
    return "".join(parts)


def _title_score(candidate: str, keys: Sequence[str], rank: int, size: int) -> float:
    key = phrase_key(candidate)
    named = [k for k in dict.fromkeys(keys) if phrase_key(k) and phrase_key(k) in key]
    if not named:
        return 0.0
    weight = sum(1.0 / (1 + keys.index(k)) for k in named[:3])
    length = len(candidate)
    fit = 1.0 if 8 <= length <= 20 else 0.75
    question = 1.15 if candidate.endswith("？") else 1.0
    central = 1.0 - 0.5 * rank / max(1, size)
    rest = key
    for k in named:
        rest = rest.replace(phrase_key(k), "")
    bare = 0.5 if len(rest) < 3 else 1.0  # the keyword alone, or with a word stuck on
    return weight * fit * question * central * bare


# --------------------------------------------------------------------------- theme


def write_theme(
    episode: Episode, chapters: Sequence[Chapter], terms: Sequence[Term], links: Sequence[Link]
) -> list[str]:
    """Two or three sentences that say what the episode is about."""
    texts = [s.text for s in episode.sentences]
    forms = [f for t in terms[:6] for f in (t.forms or [t.canonical])]
    sentences = []
    described = _from_description(episode.meta.description, episode.meta.title, forms)
    if described:
        sentences.append(described)
    thesis = _thesis(texts, terms)
    if thesis:
        sentences.append(thesis)
    subjects = _subjects(chapters, links, texts)
    if subjects:
        sentences.append(subjects)
    return sentences[:3]


def _from_description(description: str, title: str, forms: Sequence[str]) -> str:
    """The sentence of the host's description that names most key terms and shares most
    with the episode's title, and is not about when or where it was recorded."""
    lines = [s.strip() for s in _DESCRIPTION_SENTENCE.findall(description) if s.strip()]
    title_pairs = _pairs(title)
    scored = []
    for line in lines:
        hits = sum(1 for f in set(forms) if occurs(f, line))
        if _RECORDING.search(line) and not hits:
            continue
        shared = len(_pairs(line) & title_pairs) / max(1, len(title_pairs))
        scored.append((hits + 2 * shared, -len(line), line))
    if not scored:
        return ""
    best = max(scored)[2]
    return best if best.endswith(("。", "！", "？", "!")) else best + "。"


def _thesis(texts: Sequence[str], terms: Sequence[Term]) -> str:
    """The sentence that best states the subject: it stands alone, names two of the main
    key terms (the top ones weigh more), is central, and comes early (a host states the
    subject in the opening)."""
    if not texts:
        return ""
    rows = normalize_rows(embed(texts))
    center = centroid(rows)
    best, best_score = "", 0.0
    for i, text in enumerate(texts):
        weights = [
            1 / (1 + rank)
            for rank, t in enumerate(terms[:6])
            if any(occurs(f, text) for f in (t.forms or [t.canonical]))
        ]
        if len(weights) < 2 or not stands_alone(text):
            continue
        early = 1.0 - 0.4 * i / len(texts)
        score = sum(weights) * float(rows[i] @ center) * early * _length_fitness(len(tidy(text)))
        if score > best_score:
            best, best_score = text, score
    return plain_ending(quotable(best, THEME_MAX_CHARS)) if best else ""


def _pairs(text: str) -> set[str]:
    folded = re.sub(r"\s", "", text.lower())
    return {folded[i : i + 2] for i in range(len(folded) - 1)}


def _subjects(chapters: Sequence[Chapter], links: Sequence[Link], texts: Sequence[str]) -> str:
    """The chapters' descriptive titles (not bare key phrases) in one line, and the main
    resource, within ``SUBJECTS_MAX_CHARS``."""
    titles = [
        c.title.rstrip("？")
        for c in chapters
        if len(c.title) <= TITLE_MAX_CHARS and not _bare(c.title, c.keywords)
    ]
    line = ""
    while titles:
        line = "話題は" + "".join(f"「{t}」" for t in titles) + "など。"
        if len(line) <= SUBJECTS_MAX_CHARS:
            break
        titles = titles[:-1]
        line = ""
    guide = main_resource(links, texts)
    if guide and len(line) + len(guide) + 10 <= SUBJECTS_MAX_CHARS:
        line += f"手がかりにする資料は{guide}。"
    return line


# Words of a resource's title that name it: Latin words and kanji names (katakana words
# of a Japanese title are mostly common nouns: モデル, データ).
_TITLE_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]{2,}|[\u4e00-\u9fff]{3,}")
_COMMON_TITLE_WORDS = frozenset({"the", "and", "for", "from", "with", "part", "code", "spelled"})


def main_resource(links: Sequence[Link], texts: Sequence[str]) -> str:
    """The video, book or blog post the episode leans on most: the one whose title words
    the episode says in the most sentences."""
    best, best_count = "", 0
    for link in links:
        if link.kind not in ("video", "book", "blog"):
            continue
        words = {w for w in _TITLE_WORD.findall(link.title) if w.lower() not in _COMMON_TITLE_WORDS}
        count = sum(1 for t in texts if any(occurs(w, t) for w in words))
        if count > best_count:
            best, best_count = link.title, count
    return best


def _bare(title: str, keywords: Sequence[str]) -> bool:
    """A title that is only key phrases (ZENKEI AI FORUM; LSTMとHugging Face)."""
    rest = phrase_key(title)
    for keyword in sorted(keywords, key=len, reverse=True):
        rest = rest.replace(phrase_key(keyword), "")
    return len(rest.replace("と", "")) < 3
