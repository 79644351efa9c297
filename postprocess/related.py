"""Related documents of the collection: those near the episode in meaning and sharing its
key terms, above a floor, best first.

A document's score blends the cosine of the episode's and the document's mean sentence
embedding with the share of the episode's key terms it uses (in any of their forms).
Documents under ``RELATED_FLOOR`` are not listed: a list of everything, each with a
number, told a reader nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from kikigaki.document import CollectionDocument, RelatedDocument, Term
from postprocess import vector_store
from postprocess.embeddings import centroid, embed
from postprocess.mentions import occurs

# How much the share of key terms a document has in common with the episode counts
# against the embedding similarity in a related document's score.
SHARED_TERMS_WEIGHT = 0.35

# Characters of a collection document read for its embedding: the opening says what it
# is about, and embedding a 60,000-character slide deck whole would cost seconds.
DOCUMENT_SAMPLE_CHARS = 4_000
# The lowest score listed, and how many at most. On the seed collection the two documents
# on the episode's subject scored 0.33 and 0.45, the two unrelated ones 0.18 and 0.20.
RELATED_FLOOR = 0.3
MAX_RELATED = 5


def related_documents(
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
        text = _document_text(doc)
        shared = [t.canonical for t in terms if any(occurs(f, text) for f in _forms(t))]
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
    ranked = sorted(related, key=lambda r: (-r.score, r.doc_id))
    return [r for r in ranked if r.score >= RELATED_FLOOR][:MAX_RELATED]


def _document_vectors(collection: Sequence[CollectionDocument]) -> list[np.ndarray]:
    """Each document's mean chunk embedding. Embedding a collection costs seconds on
    every run while it rarely changes, so vectors are kept on disk by their chunks'
    content (:mod:`postprocess.vector_store`) and only new or changed documents are
    embedded."""
    chunks = [_document_chunks(doc) for doc in collection]
    vectors: list[np.ndarray | None] = [vector_store.load(c) for c in chunks]
    missing = [i for i, vector in enumerate(vectors) if vector is None]
    rows = embed([c for i in missing for c in chunks[i]])
    offset = 0
    for i in missing:
        # float32, as stored: a run gives the same scores whether it embeds or loads
        vectors[i] = centroid(rows[offset : offset + len(chunks[i])]).astype(np.float32)
        vector_store.save(chunks[i], vectors[i])
        offset += len(chunks[i])
    return [vector for vector in vectors if vector is not None]


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


def _forms(term: Term) -> list[str]:
    return [f for f in dict.fromkeys([term.canonical, *term.forms]) if len(f) >= 2]
