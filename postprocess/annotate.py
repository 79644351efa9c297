"""Annotation: the episode's summary, the people and key terms it mentions, where the
collection explains those terms, and which collection documents are related.

One GiNZA pass (named entities only, sentences batched through ``pipe``) finds people;
everything else uses Sudachi and the sentence encoder, which are much faster.

- people: GiNZA ``Person`` entities and Sudachi personal names before an honorific
  (岡野原さん), cleaned (honorifics, a repeated surname), filtered (common nouns, glossary
  terms that are not people), merged when one name is part of another (ジェレミー and
  ジェレミー・ハワード), plus glossary entries that are people and the hosts.
- terms: glossary terms that occur, then salient noun compounds (TF-IDF of the episode
  against the collection, names preferred); each linked to up to three collection blocks,
  blocks that explain the term (とは, である, a heading, a parenthesis) before mere uses.
- related: every collection document, scored by the cosine of the episode's and the
  document's mean embedding, blended with the share of key terms they have in common.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from kikigaki.document import (
    Annotation,
    CollectionDocument,
    DocumentBlock,
    Episode,
    Person,
    RelatedDocument,
    Term,
    TermLink,
)
from kikigaki.nlp import Morpheme, ginza, tokenize
from postprocess.embeddings import centroid, embed
from postprocess.topics import (
    Phrase,
    clean_sentence,
    noun_phrases,
    phrase_key,
    phrase_score,
    preferred_form,
    trim,
)

if TYPE_CHECKING:
    from postprocess.glossary import Glossary, GlossaryTerm

SUMMARY_SENTENCES = 3
SUMMARY_MAX_CHARS = 150
MAX_TERMS = 20
MIN_TERMS = 10
LINKS_PER_TERM = 3
SNIPPET_MAX_CHARS = 80
# How much the share of key terms a document has in common with the episode counts
# against the embedding similarity in a related document's score.
SHARED_TERMS_WEIGHT = 0.35
# Characters of a collection document read for its embedding: the opening says what it
# is about, and embedding a 60,000-character slide deck whole would cost seconds.
DOCUMENT_SAMPLE_CHARS = 4_000

_HONORIFIC = re.compile(r"(さん|さま|様|氏|先生|くん|君|ちゃん|博士|教授|社長|選手)$")
_NAME_SEPARATORS = re.compile(r"[\s・･=＝]+")
_LATIN_NAME = re.compile(r"^[A-Z][a-z]+(?:[ -][A-Z][a-z]+)+$")
_LATIN_NAME_IN_TEXT = re.compile(r"[A-Z][a-z]+[ -][A-Z][a-z]+")
# Capitalised technical words GiNZA tags as people in English phrases.
_NOT_NAME_WORDS_TEXT = """
    network neural convolutional recurrent model models learning deep machine language
    attention transformer diffusion stable data science vision open source proof concept
    google apple amazon microsoft meta tesla twitter github linux kernel
"""
_NOT_NAME_WORDS = frozenset(_NOT_NAME_WORDS_TEXT.split())
_PERSON_CATEGORIES = frozenset({"person", "people", "人物", "人名", "人"})
# The first sentence of a glossary definition that describes someone ends with what they
# are: "AI 研究者。", "fast.ai の共同創業者。", "a computer scientist."
_PERSON_DEFINITION = re.compile(
    r"(研究者|科学者|エンジニア|プログラマー?|起業家|創業者|創設者|投資家|教授|講師|作家|人物|"
    r"経営者|CEO|researcher|engineer|scientist|founder|entrepreneur|investor|professor|"
    r"author|programmer)(?:\s*[(（][^)）]*[)）])?\s*$",
    re.IGNORECASE,
)
_FIRST_SENTENCE = re.compile(r"^.*?(?:。|\.(?=\s|$)|$)", re.DOTALL)
# A block explains a term when it says what the term is, or the term heads the block.
_EXPLAINS_AFTER = re.compile(
    r"^\s*(?:\s*[(（][^)）]{1,40}[)）])?\s*(?:とは|って何|[:：]|は、?[^。]{0,60}"
    r"(?:である|のこと|を指す|という|と呼ぶ|と呼ばれ|です))"
)
_LATIN_CHAR = re.compile(r"[A-Za-z0-9]")


@dataclass
class _Found:
    """A person or a term: the name to show and the forms it is written in."""

    label: str
    kind: str  # "person" or "term"
    surfaces: set[str] = field(default_factory=set)
    role: str = "mentioned"
    entry: GlossaryTerm | None = None
    score: float = 0.0


# --------------------------------------------------------------------------- the stage


def annotate(
    episode: Episode,
    collection: Sequence[CollectionDocument],
    glossary: Glossary,
    *,
    japanese: bool = True,
) -> Episode:
    """Summary, people, key terms with links, mention annotations and related documents.

    With ``japanese=False`` (another language's episode) people are the hosts and the
    glossary's people, and terms only glossary terms: the name and phrase finders read
    Japanese morphology."""
    texts = [s.text for s in episode.sentences]
    if not texts:
        nothing: dict[str, list] = {"summary": [], "people": [], "terms": [], "annotations": []}
        return episode.with_stage("annotate", related=_related(None, [], collection), **nothing)
    vectors = embed(texts)
    morphemes = [tokenize(t) for t in texts]
    if japanese:
        people = find_people(texts, morphemes, episode.meta.hosts, glossary)
        found_terms = find_terms(texts, morphemes, collection, glossary, people)
    else:
        people = _known_people(texts, episode.meta.hosts, glossary)
        collection_texts = [_document_text(doc).lower() for doc in collection]
        found_terms = _glossary_terms(texts, glossary, collection_texts, set())[:MAX_TERMS]
    annotations = annotate_mentions(texts, [*people, *found_terms])
    mentions = Counter(a.label for a in annotations)
    first_seen: dict[str, int] = {}
    for a in annotations:
        first_seen.setdefault(a.label, a.sentence)
    terms = [_term(t, mentions, first_seen, collection) for t in found_terms]
    return episode.with_stage(
        "annotate",
        summary=summarize(vectors, texts, episode, _topics_by_sentence(annotations, terms, texts)),
        people=_people(people, mentions),
        terms=terms,
        annotations=annotations,
        related=_related(centroid(vectors), terms, collection),
    )


# --------------------------------------------------------------------------- summary


def summarize(
    vectors: np.ndarray,
    texts: Sequence[str],
    episode: Episode,
    topics: Sequence[set[str]],
) -> list[str]:
    """Central sentences of the episode that between them name its main topics
    (``topics[i]``: the key terms sentence ``i`` names), from different chapters when
    there are chapters; cleaned, in the order they were said."""
    center = centroid(vectors)
    base = [float(vectors[i] @ center) * _summary_fitness(t) for i, t in enumerate(texts)]
    chapter_of = _chapter_index(episode, len(texts))
    picked: list[int] = []
    covered: set[str] = set()
    while len(picked) < SUMMARY_SENTENCES:
        candidates = [
            i
            for i in range(len(texts))
            if all(chapter_of[i] != chapter_of[j] for j in picked)
            and all(float(vectors[i] @ vectors[j]) <= 0.9 for j in picked)
        ]
        if not candidates:
            break
        best = max(candidates, key=lambda i: base[i] * (1 + 0.3 * len(topics[i] - covered)))
        picked.append(best)
        covered |= topics[best]
    return [trim(clean_sentence(texts[i]), SUMMARY_MAX_CHARS) for i in sorted(picked)]


def _topics_by_sentence(
    annotations: Sequence[Annotation], terms: Sequence[Term], texts: Sequence[str]
) -> list[set[str]]:
    main = {t.canonical for t in terms[:8]}
    topics: list[set[str]] = [set() for _ in texts]
    for a in annotations:
        if a.label in main:
            topics[a.sentence].add(a.label)
    return topics


def _summary_fitness(text: str) -> float:
    """Prefer sentences that say something and can be quoted whole."""
    length = len(clean_sentence(text))
    if length < 20 or length > SUMMARY_MAX_CHARS:
        return 0.4
    if length > 100:
        return 0.7
    return 1.0


def _chapter_index(episode: Episode, count: int) -> list[int]:
    if not episode.chapters:
        # No chapters yet: thirds of the episode keep the summary from one corner.
        return [i * 3 // max(1, count) for i in range(count)]
    index = [0] * count
    for number, chapter in enumerate(episode.chapters):
        for i in range(chapter.first, min(chapter.end, count)):
            index[i] = number
    return index


# --------------------------------------------------------------------------- people


def find_people(
    texts: Sequence[str],
    morphemes: Sequence[Sequence[Morpheme]],
    hosts: Sequence[str],
    glossary: Glossary,
) -> list[_Found]:
    """People mentioned in ``texts`` and the hosts, each with the forms of their name."""
    glossary_people = [t for t in glossary.terms if is_person_term(t)]
    not_people = {_name_key(s) for t in glossary.terms if not is_person_term(t) for s in _forms(t)}
    names: list[str] = []
    candidates = [i for i, ms in enumerate(morphemes) if _may_name_someone(ms, texts[i])]
    entities = _entity_people([texts[i] for i in candidates])
    for raw in [*entities, *_honorific_people(morphemes, texts)]:
        name = clean_name(raw)
        if _plausible_name(name) and _name_key(name) not in not_people:
            names.append(name)
    found: list[_Found] = []
    whole = "\n".join(texts)
    for entry in glossary_people:
        forms = _forms(entry)
        if any(_occurs(form, whole) for form in forms):
            found.append(_Found(entry.canonical, "person", set(forms), entry=entry))
    for name in sorted(set(names), key=lambda n: (-len(_name_key(n)), n)):
        _merge_name(found, name)
    for host in hosts:
        _add_host(found, host)
    return found


def _known_people(texts: Sequence[str], hosts: Sequence[str], glossary: Glossary) -> list[_Found]:
    """The hosts and the glossary's people the text names: no name finding."""
    whole = "\n".join(texts)
    found = [
        _Found(entry.canonical, "person", set(_forms(entry)), entry=entry)
        for entry in glossary.terms
        if is_person_term(entry) and any(_occurs(form, whole) for form in _forms(entry))
    ]
    for host in hosts:
        _add_host(found, host)
    return found


def _may_name_someone(morphemes: Sequence[Morpheme], text: str) -> bool:
    """Whether a sentence can hold a name we would accept (see ``_plausible_name``): one
    with a token Sudachi knows as a personal name, or two capitalised Latin words. Only
    these go through GiNZA, which is what keeps its pass short."""
    return any(m.pos[2] == "人名" for m in morphemes) or bool(_LATIN_NAME_IN_TEXT.search(text))


def _entity_people(texts: Sequence[str]) -> list[str]:
    nlp = ginza()
    keep = {"tok2vec", "ner"}
    disable = [name for name in nlp.pipe_names if name not in keep]
    names = []
    for doc in nlp.pipe(texts, batch_size=64, disable=disable):
        names.extend(e.text for e in doc.ents if e.label_ == "Person")
    return names


def _honorific_people(morphemes: Sequence[Sequence[Morpheme]], texts: Sequence[str]) -> list[str]:
    """Sudachi personal names right before さん/氏/先生: 岡野原さん."""
    names = []
    for ms, text in zip(morphemes, texts, strict=True):
        for i, m in enumerate(ms[:-1]):
            if m.pos[2] == "人名" and _HONORIFIC.fullmatch(ms[i + 1].surface):
                first = i
                while first > 0 and (
                    ms[first - 1].pos[2] == "人名" or ms[first - 1].surface == "・"
                ):
                    first -= 1
                names.append(text[ms[first].begin : m.end])
    return names


def clean_name(name: str) -> str:
    """``name`` without honorifics, surrounding marks or a doubled last part."""
    name = name.strip(" 　、。「」『』()（）・")
    while (match := _HONORIFIC.search(name)) and match.start() > 0:
        name = name[: match.start()]
    return _collapse_repeat(name)


def _collapse_repeat(name: str) -> str:
    """アンドレ・カーパシーカーパシー (a speaker repeating the name) -> アンドレ・カーパシー."""
    for size in range(len(name) // 2, 1, -1):
        if name.endswith(name[-size:] * 2):
            return name[:-size]
    return name


def _plausible_name(name: str) -> bool:
    if len(name) < 2 or all("\u3040" <= c <= "\u309f" for c in name):
        return False
    if _LATIN_CHAR.search(name):
        words = _NAME_SEPARATORS.split(name)
        return bool(_LATIN_NAME.match(name)) and not any(
            w.lower() in _NOT_NAME_WORDS for w in words
        )
    # A Japanese or katakana name has at least one part Sudachi knows as a personal name.
    return any(m.pos[2] == "人名" for m in tokenize(name))


def _merge_name(found: list[_Found], name: str) -> None:
    """Add ``name`` to the person it is a form or part of, or as a new person."""
    key = _name_key(name)
    for person in found:
        if person.kind == "person" and any(_same_person(key, s) for s in person.surfaces):
            person.surfaces.add(name)
            return
    found.append(_Found(name, "person", {name}))


def _same_person(key: str, surface: str) -> bool:
    """``key`` is ``surface`` or one of its parts (a given name or a surname)."""
    if key == _name_key(surface):
        return True
    parts = [_name_key(p) for p in _NAME_SEPARATORS.split(surface)]
    if len(key) >= 2 and key in parts:
        return True
    # A run-together name: アンドレカーパシー for アンドレ・カーパシー.
    return len(parts) > 1 and key == "".join(parts)


def _add_host(found: list[_Found], host: str) -> None:
    host = clean_name(host)
    if not host:
        return
    key = _name_key(host)
    for person in found:
        if person.kind == "person" and any(
            _same_person(key, s) or _same_person(_name_key(s), host) for s in person.surfaces
        ):
            person.role = "host"
            if person.entry is None:
                person.label = host  # the show's own spelling of its host
            person.surfaces.add(host)
            return
    found.insert(0, _Found(host, "person", {host}, role="host"))


def _people(people: list[_Found], mentions: Counter[str]) -> list[Person]:
    result = [
        Person(name=p.label, role=p.role, mentions=mentions[p.label])  # type: ignore[arg-type]
        for p in people
        if p.role == "host" or mentions[p.label] > 0
    ]
    return sorted(result, key=lambda p: (p.role != "host", -p.mentions, p.name))


def is_person_term(term: GlossaryTerm) -> bool:
    """Whether a glossary entry names a person: its category says so, or its definition
    describes someone (a researcher, an engineer, a founder...)."""
    category = str(getattr(term, "category", "") or getattr(term, "kind", "") or "")
    if category:
        return category.strip().lower() in _PERSON_CATEGORIES
    first = _FIRST_SENTENCE.match((term.definition or "").strip())
    return bool(first and _PERSON_DEFINITION.search(first.group(0).rstrip("。. ")))


def _name_key(text: str) -> str:
    return _NAME_SEPARATORS.sub("", text).lower()


# --------------------------------------------------------------------------- terms


def find_terms(
    texts: Sequence[str],
    morphemes: Sequence[Sequence[Morpheme]],
    collection: Sequence[CollectionDocument],
    glossary: Glossary,
    people: Sequence[_Found],
) -> list[_Found]:
    """Key terms of the episode, best first: glossary terms, then salient compounds."""
    person_keys = {_name_key(s) for p in people for s in p.surfaces}
    collection_texts = [_document_text(doc).lower() for doc in collection]
    glossary_found = _glossary_terms(texts, glossary, collection_texts, person_keys)
    taken = {phrase_key(s) for t in glossary_found for s in t.surfaces} | person_keys
    phrases = [p for ms, t in zip(morphemes, texts, strict=True) for p in noun_phrases(ms, t)]
    others = _salient_phrases(phrases, collection_texts, taken)
    room = max(MIN_TERMS - len(glossary_found), min(5, MAX_TERMS - len(glossary_found)))
    return [*glossary_found[:MAX_TERMS], *others[: max(0, room)]][:MAX_TERMS]


def _glossary_terms(
    texts: Sequence[str],
    glossary: Glossary,
    collection_texts: Sequence[str],
    person_keys: set[str],
) -> list[_Found]:
    found = []
    whole = "\n".join(texts)
    for entry in glossary.terms:
        if is_person_term(entry) or _name_key(entry.canonical) in person_keys:
            continue
        forms = _forms(entry)
        count = sum(_count(form, whole) for form in forms)
        if not count:
            continue
        df = sum(1 for doc in collection_texts if any(_occurs(f, doc) for f in forms))
        score = 2 * phrase_score(count, df, len(collection_texts) + 1, entry.canonical, 1.4)
        found.append(_Found(entry.canonical, "term", set(forms), entry=entry, score=score))
    return sorted(found, key=lambda t: -t.score)


def _salient_phrases(
    phrases: Sequence[Phrase], collection_texts: Sequence[str], taken: set[str]
) -> list[_Found]:
    counts = Counter(phrase_key(p.text) for p in phrases)
    forms: dict[str, Counter[str]] = {}
    weights: dict[str, float] = {}
    for p in phrases:
        forms.setdefault(phrase_key(p.text), Counter())[p.text] += 1
        weights[phrase_key(p.text)] = p.weight
    found = []
    for key, tf in counts.items():
        if tf < 2 or weights[key] <= 1.0 or _overlaps(key, taken):
            continue  # said once, a common word, or a term already listed
        df = sum(1 for doc in collection_texts if key in doc)
        if weights[key] < 1.2 and not df:
            continue  # a plain compound is a term only when the collection uses it too
        score = phrase_score(tf, df, len(collection_texts) + 1, key, weights[key])
        label = preferred_form(forms[key])
        found.append(_Found(label, "term", set(forms[key]), score=score))
    return sorted(found, key=lambda t: -t.score)


def _overlaps(key: str, taken: set[str]) -> bool:
    """``key`` is part of a listed term, or mostly made of one (トランスフォーマー完璧)."""
    return any(key in t or (t in key and 2 * len(t) >= len(key)) for t in taken)


def _forms(entry: GlossaryTerm) -> list[str]:
    """How a glossary term is written in text: canonical, variants, katakana reading.

    A reading that is also an ordinary word (arXiv's アーカイブ, CLIP's クリップ) would tag
    every ordinary use, so it does not count."""
    from postprocess.terms import is_dictionary_word

    forms = [entry.canonical, *entry.variants]
    if entry.reading and len(entry.reading) >= 3 and not is_dictionary_word(entry.reading):
        forms.append(entry.reading)
    return [f for f in dict.fromkeys(forms) if len(f) >= 2]


def _term(
    found: _Found,
    mentions: Counter[str],
    first_seen: dict[str, int],
    collection: Sequence[CollectionDocument],
) -> Term:
    entry = found.entry
    link_forms = [entry.canonical, entry.reading] if entry else sorted(found.surfaces)
    return Term(
        canonical=found.label,
        definition=entry.definition if entry else "",
        link=entry.link if entry else "",
        mentions=mentions[found.label],
        first_sentence=first_seen.get(found.label),
        links=term_links([f for f in link_forms if f and len(f) >= 2], collection),
    )


# --------------------------------------------------------------------------- links


def term_links(
    forms: Sequence[str], collection: Sequence[CollectionDocument], limit: int = LINKS_PER_TERM
) -> list[TermLink]:
    """Blocks of the collection that explain or use a term written as one of ``forms``:
    explanations first, at most one block per document until every document had a turn."""
    hits: list[tuple[int, int, int, CollectionDocument, DocumentBlock, int, int]] = []
    for doc_index, doc in enumerate(collection):
        for block_index, block in enumerate(doc.blocks):
            span = _first_hit(forms, block.text)
            if span is not None:
                weight = _explains(block, *span)
                hits.append((-weight, doc_index, block_index, doc, block, *span))
    hits.sort(key=lambda h: h[:3])
    chosen: list[tuple] = []
    used_docs: set[int] = set()
    for hit in hits:  # one per document first
        if len(chosen) < limit and hit[1] not in used_docs:
            chosen.append(hit)
            used_docs.add(hit[1])
    for hit in hits:
        if len(chosen) < limit and hit not in chosen:
            chosen.append(hit)
    chosen.sort(key=lambda h: h[:3])
    return [
        TermLink(
            doc_id=doc.doc_id,
            title=doc.title,
            href=f"{doc.href}#{block.id}",
            snippet=snippet(block.text, start, end),
        )
        for _, _, _, doc, block, start, end in chosen
    ]


def _first_hit(forms: Sequence[str], text: str) -> tuple[int, int] | None:
    best: tuple[int, int] | None = None
    for form in forms:
        match = _pattern(form).search(text)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), match.end())
    return best


def _explains(block: DocumentBlock, start: int, end: int) -> int:
    """2 when the block explains the term (とは, である, a definition), 1 when it is a
    heading about it or opens with it, 0 for a mere use."""
    if _EXPLAINS_AFTER.match(block.text[end:]):
        return 2
    if block.kind == "heading" or start <= 2:
        return 1
    return 0


def snippet(text: str, start: int, end: int, limit: int = SNIPPET_MAX_CHARS) -> str:
    """At most ``limit`` characters of ``text`` around ``start``..``end``, one line."""
    text = " ".join(text.split()) if "\n" in text or "  " in text else text
    if len(text) <= limit:
        return text
    begin = max(0, min(start - limit // 4, len(text) - limit))
    if begin > 0 and _LATIN_CHAR.match(text[begin - 1]):
        space = text.find(" ", begin, min(start, begin + 12))
        begin = space + 1 if space >= 0 else begin  # do not start inside a word
    stop = begin + limit
    prefix = "…" if begin > 0 else ""
    suffix = "…" if stop < len(text) else ""
    return prefix + text[begin + len(prefix) : stop - len(suffix)] + suffix


# --------------------------------------------------------------------------- mentions


def annotate_mentions(texts: Sequence[str], found: Sequence[_Found]) -> list[Annotation]:
    """Spans of every person and term mention; longest match wins, no overlaps."""
    patterns = [
        (f.kind, f.label, _pattern(surface))
        for f in found
        for surface in sorted(f.surfaces, key=len, reverse=True)
    ]
    annotations: list[Annotation] = []
    for index, text in enumerate(texts):
        candidates = [
            (m.start(), m.end(), kind, label)
            for kind, label, pattern in patterns
            for m in pattern.finditer(text)
        ]
        taken: list[tuple[int, int]] = []
        for start, end, kind, label in sorted(
            candidates, key=lambda c: (-(c[1] - c[0]), c[2] != "person", c[0])
        ):
            if all(end <= a or start >= b for a, b in taken):
                taken.append((start, end))
                annotations.append(
                    Annotation(sentence=index, start=start, end=end, kind=kind, label=label)  # type: ignore[arg-type]
                )
    return sorted(annotations, key=lambda a: (a.sentence, a.start))


_PATTERNS: dict[str, re.Pattern[str]] = {}


def _pattern(form: str) -> re.Pattern[str]:
    """``form`` anywhere, case-insensitively; Latin forms only as whole words."""
    if form not in _PATTERNS:
        body = re.escape(form)
        if _LATIN_CHAR.match(form[0]):
            body = r"(?<![A-Za-z0-9])" + body
        if _LATIN_CHAR.match(form[-1]):
            body += r"(?![A-Za-z0-9])"
        _PATTERNS[form] = re.compile(body, re.IGNORECASE)
    return _PATTERNS[form]


def _occurs(form: str, text: str) -> bool:
    return _pattern(form).search(text) is not None


def _count(form: str, text: str) -> int:
    return sum(1 for _ in _pattern(form).finditer(text))


# --------------------------------------------------------------------------- related


def _related(
    episode_vector: np.ndarray | None,
    terms: Sequence[Term],
    collection: Sequence[CollectionDocument],
) -> list[RelatedDocument]:
    if not collection:
        return []
    vectors = _document_vectors(collection)
    key_terms = [t.canonical for t in terms]
    related = []
    for doc, vector in zip(collection, vectors, strict=True):
        shared = [t.canonical for t in terms if any(link.doc_id == doc.doc_id for link in t.links)]
        similarity = 0.0 if episode_vector is None else float(vector @ episode_vector)
        share = min(1.0, len(shared) / max(1.0, min(len(key_terms), 10) / 2))
        score = (1 - SHARED_TERMS_WEIGHT) * max(0.0, similarity) + SHARED_TERMS_WEIGHT * share
        related.append(
            RelatedDocument(
                doc_id=doc.doc_id,
                title=doc.title,
                href=doc.href,
                score=round(min(1.0, max(0.0, score)), 4),
                shared_terms=shared,
            )
        )
    return sorted(related, key=lambda r: (-r.score, r.doc_id))


def _document_vectors(collection: Sequence[CollectionDocument]) -> list[np.ndarray]:
    chunks = [_document_chunks(doc) for doc in collection]
    rows = embed([c for doc_chunks in chunks for c in doc_chunks])
    vectors, offset = [], 0
    for doc_chunks in chunks:
        vectors.append(centroid(rows[offset : offset + len(doc_chunks)]))
        offset += len(doc_chunks)
    return vectors


def _document_chunks(doc: CollectionDocument, size: int = 400) -> list[str]:
    """The title and the opening of the document, in pieces of about ``size`` chars."""
    pieces = [doc.title] if doc.title else []
    current, total = "", 0
    for text in _block_texts(doc):
        if total >= DOCUMENT_SAMPLE_CHARS:
            break
        current += text + "\n"
        total += len(text)
        if len(current) >= size:
            pieces.append(current)
            current = ""
    if current:
        pieces.append(current)
    return pieces or [doc.text[:size]]


def _block_texts(doc: CollectionDocument) -> Iterable[str]:
    if doc.blocks:
        return (b.text for b in doc.blocks)
    return (line for line in doc.text.splitlines() if line.strip())


def _document_text(doc: CollectionDocument) -> str:
    return doc.text or "\n".join(b.text for b in doc.blocks)
