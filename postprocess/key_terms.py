"""Key terms: at most eight, specific to the episode, each with the forms the transcript
uses (拡散モデル said as ディフュージョンモデル), and where the collection explains them.

Candidates are glossary terms the episode uses (not people, and not the papers, sites and
projects that ``postprocess.links`` lists as references) and salient noun compounds (TF-IDF
of the episode against the collection, names preferred). A term the episode says once, or
only in one breath, is not key; organisations and services count less than concepts and
models, which are what a listener looks up. A term links to its glossary reference only
when that is a specific resource (a paper, a repository page), not a bare home page.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from kikigaki.document import CollectionDocument, DocumentBlock, Term, TermLink
from kikigaki.nlp import Morpheme
from postprocess.mentions import Found, count, glossary_forms, occurs, pattern
from postprocess.people import is_person_term, name_key
from postprocess.topics import Phrase, noun_phrases, phrase_key, phrase_score, preferred_form

if TYPE_CHECKING:
    from postprocess.glossary import Glossary, GlossaryTerm

MAX_TERMS = 8
LINKS_PER_TERM = 2
SNIPPET_MAX_CHARS = 80
# Glossary categories listed as references (postprocess.links), not as terms.
REFERENCE_CATEGORIES = frozenset({"paper", "website", "event", "book", "video"})
# A block explains a term when it says what the term is, or the term heads the block.
_EXPLAINS_AFTER = re.compile(
    r"^\s*(?:\s*[(（][^)）]{1,40}[)）])?\s*(?:とは|って何|[:：]|は、?[^。]{0,60}"
    r"(?:である|のこと|を指す|という|と呼ぶ|と呼ばれ|です))"
)
# How much a mention of each kind of glossary term weighs: a listener looks up concepts
# and models; a company or a service named in passing is not what the episode is about.
_CATEGORY_WEIGHTS = {
    "concept": 1.0,
    "model": 1.0,
    "dataset": 0.9,
    "library": 0.7,
    "software": 0.7,
    "service": 0.5,
    "org": 0.4,
    "collection": 0.6,
}


def find_terms(
    texts: Sequence[str],
    morphemes: Sequence[Sequence[Morpheme]],
    collection: Sequence[CollectionDocument],
    glossary: Glossary,
    people: Sequence[Found],
    *,
    japanese: bool = True,
) -> list[Found]:
    """Key terms of the episode, best first, at most ``MAX_TERMS``: glossary terms, and
    in Japanese the salient noun compounds too."""
    person_keys = {name_key(s) for p in people for s in p.surfaces}
    collection_texts = [_document_text(doc).lower() for doc in collection]
    glossary_found = _glossary_terms(texts, glossary, collection_texts, person_keys)
    taken = {phrase_key(s) for t in glossary_found for s in t.surfaces} | person_keys
    phrases = [p for ms, t in zip(morphemes, texts, strict=True) for p in noun_phrases(ms, t)]
    others = _salient_phrases(phrases, collection_texts, taken) if japanese else []
    ranked = sorted([*glossary_found, *others], key=lambda t: -t.score)
    return ranked[:MAX_TERMS]


def _glossary_terms(
    texts: Sequence[str],
    glossary: Glossary,
    collection_texts: Sequence[str],
    person_keys: set[str],
) -> list[Found]:
    found = []
    whole = "\n".join(texts)
    for entry in glossary.terms:
        if is_person_term(entry) or entry.category in REFERENCE_CATEGORIES:
            continue
        if name_key(entry.canonical) in person_keys:
            continue
        forms = glossary_forms(entry)
        used = [form for form in forms if occurs(form, whole)]
        mentions = sum(count(form, whole) for form in used)
        if mentions < 2:
            continue  # said once: not what the episode explains or relies on
        spread = _spread(used, texts)
        df = sum(1 for doc in collection_texts if any(occurs(f, doc) for f in forms))
        weight = _CATEGORY_WEIGHTS.get(entry.category, 0.7)
        score = (
            2
            * weight
            * spread
            * phrase_score(mentions, df, len(collection_texts) + 1, entry.canonical, 1.4)
        )
        found.append(Found(entry.canonical, "term", set(forms), entry=entry, score=score))
    return found


def _spread(forms: Sequence[str], texts: Sequence[str]) -> float:
    """1.0 for a term the episode comes back to, less for one said in a single stretch."""
    places = [i for i, t in enumerate(texts) if any(occurs(f, t) for f in forms)]
    if len(places) < 2:
        return 0.5
    return 0.7 if places[-1] - places[0] < 5 else 1.0


def _salient_phrases(
    phrases: Sequence[Phrase], collection_texts: Sequence[str], taken: set[str]
) -> list[Found]:
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
        found.append(Found(label, "term", set(forms[key]), score=score))
    return sorted(found, key=lambda t: -t.score)


def _overlaps(key: str, taken: set[str]) -> bool:
    """``key`` is part of a listed term, or mostly made of one (トランスフォーマー完璧)."""
    return any(key in t or (t in key and 2 * len(t) >= len(key)) for t in taken)


def used_forms(found: Found, texts: Sequence[str]) -> list[str]:
    """The label first, then the other forms the transcript uses, most used first."""
    whole = "\n".join(texts)
    tally = Counter({s: count(s, whole) for s in found.surfaces})
    used = [s for s, k in tally.most_common() if k and s.lower() != found.label.lower()]
    return [found.label, *_distinct_forms(used)]


def _distinct_forms(forms: Sequence[str]) -> list[str]:
    """Forms that are not another, longer form's part (トランスフォーマ in トランスフォーマー)."""
    return [f for f in forms if not any(f != g and f.lower() in g.lower() for g in forms)]


def make_term(
    found: Found,
    texts: Sequence[str],
    mentions: Counter[str],
    first_seen: dict[str, int],
    collection: Sequence[CollectionDocument],
) -> Term:
    entry = found.entry
    link_forms = [entry.canonical, entry.reading] if entry else sorted(found.surfaces)
    return Term(
        canonical=found.label,
        forms=used_forms(found, texts),
        definition=entry.definition if entry else "",
        link=specific_link(entry),
        mentions=mentions[found.label],
        first_sentence=first_seen.get(found.label),
        links=term_links([f for f in link_forms if f and len(f) >= 2], collection),
    )


def specific_link(entry: GlossaryTerm | None) -> str:
    """The glossary's link when it names a specific resource (a paper, a repository, a
    page), not the home page of a library or a company."""
    if entry is None or not entry.link:
        return ""
    path = urlparse(entry.link).path.strip("/")
    return entry.link if path else ""


def term_links(
    forms: Sequence[str], collection: Sequence[CollectionDocument], limit: int = LINKS_PER_TERM
) -> list[TermLink]:
    """Blocks of the collection that explain a term written as one of ``forms`` (a
    definition, a heading about it, a block that opens with it), at most one per document
    until every document had a turn; a block that merely uses the term is not listed."""
    hits: list[tuple[int, int, int, CollectionDocument, DocumentBlock, int, int]] = []
    for doc_index, doc in enumerate(collection):
        for block_index, block in enumerate(doc.blocks):
            span = _first_hit(forms, block.text)
            if span is not None:
                weight = _explains(block, *span)
                if weight < 2 and block.kind != "heading":
                    continue  # a mere use, or a fragment that opens with the term
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
        match = pattern(form).search(text)
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


_BREAKS = re.compile(r"[。！？!?、，,;；:：\s]")


def snippet(text: str, start: int, end: int, limit: int = SNIPPET_MAX_CHARS) -> str:
    """At most ``limit`` characters of ``text`` around ``start``..``end``, one line, cut
    after a punctuation mark or a space where one is near (not inside a word), each cut
    marked with …"""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    room = limit - 2  # for the two marks
    begin = max(0, min(start - room // 4, len(text) - room))
    if begin > 0:
        cut = max((m.end() for m in _BREAKS.finditer(text, begin, start)), default=begin)
        begin = cut if cut < start else begin
    stop = min(len(text), begin + room)
    if stop < len(text):
        cuts = [m.end() for m in _BREAKS.finditer(text, max(end, begin + room // 2), stop)]
        stop = cuts[-1] if cuts else stop
    prefix = "…" if begin > 0 else ""
    suffix = "…" if stop < len(text) else ""
    return prefix + text[begin:stop].strip() + suffix


def _document_text(doc: CollectionDocument) -> str:
    return doc.text or "\n".join(b.text for b in doc.blocks)
