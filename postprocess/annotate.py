"""Annotation: the show notes around the transcript.

One stage, several modules:

- ``postprocess.people``: the hosts, guests and people mentioned, with who they are;
- ``postprocess.key_terms``: at most eight key terms, each with its forms in the
  transcript, where the collection explains it;
- ``postprocess.links``: the resources mentioned, under the chapter mentioning them;
- ``postprocess.related``: collection documents above a similarity floor;
- ``postprocess.outline``: chapter titles and summaries, and the theme paragraph;
- ``postprocess.llm_writer`` (only with ``llm_url``): a language model rewrites the theme,
  titles and summaries; the extractive text stays wherever it fails a check.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from kikigaki.document import CollectionDocument, Episode
from kikigaki.nlp import tokenize
from postprocess.embeddings import centroid, embed
from postprocess.key_terms import SNIPPET_MAX_CHARS, find_terms, make_term, snippet, term_links
from postprocess.links import find_links
from postprocess.mentions import annotate_mentions
from postprocess.outline import write_outline, write_theme
from postprocess.people import clean_name, find_people, people_list
from postprocess.related import related_documents

if TYPE_CHECKING:
    from postprocess.glossary import Glossary

__all__ = ["SNIPPET_MAX_CHARS", "annotate", "clean_name", "snippet", "term_links"]


def annotate(
    episode: Episode,
    collection: Sequence[CollectionDocument],
    glossary: Glossary,
    *,
    llm_url: str | None = None,
    japanese: bool = True,
) -> Episode:
    """Theme, outline, people, key terms with links, resources, mention annotations and
    related documents. ``llm_url`` (an OpenAI-compatible endpoint) lets a language model
    rewrite the theme, titles and summaries. ``japanese=False`` (another language's
    episode) finds people and terms only from the glossary."""
    texts = [s.text for s in episode.sentences]
    if not texts:
        nothing: dict[str, list] = {
            "summary": [],
            "people": [],
            "terms": [],
            "annotations": [],
            "links": [],
        }
        return episode.with_stage(
            "annotate", theme="", related=related_documents(None, [], collection), **nothing
        )
    morphemes = [tokenize(t) for t in texts]
    guests = [s.name for s in episode.speakers if s.role == "guest" and s.name]
    people = find_people(texts, morphemes, episode.meta.hosts, glossary, guests,
                         japanese=japanese)
    found_terms = find_terms(texts, morphemes, collection, glossary, people, japanese=japanese)
    annotations = annotate_mentions(texts, [*people, *found_terms])
    mentions = Counter(a.label for a in annotations)
    first_seen: dict[str, int] = {}
    for a in annotations:
        first_seen.setdefault(a.label, a.sentence)
    terms = [make_term(t, texts, mentions, first_seen, collection) for t in found_terms]
    links = find_links(texts, episode.chapters, glossary, people)
    if japanese:
        chapters = write_outline(episode, terms)
        theme = write_theme(episode, chapters, terms, links)
    else:  # the outline writer reads Japanese: keep the chapters' own titles
        chapters = list(episode.chapters)
        theme = [c.summary for c in chapters[:2] if c.summary] or [episode.meta.description]
    notes = episode.model_copy(
        update={
            "chapters": chapters,
            "summary": theme,
            "theme": "".join(theme),
            "links": links,
            "terms": terms,
        }
    )
    if llm_url:
        from postprocess.llm_writer import rewrite_notes

        notes = rewrite_notes(notes, llm_url)
    return notes.with_stage(
        "annotate",
        people=people_list(people, mentions),
        annotations=annotations,
        related=related_documents(centroid(embed(texts)), terms, collection),
    )
