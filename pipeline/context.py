"""Everything a run reads besides the episode, read once and checked up front.

:func:`build_context` reads the sidecar, the glossaries (the shipped one, the user's, the
sidecar's ``[[term]]``), the hotwords file and the collection (the ``--collection``
folder, else the documents the site was last published beside). The command line calls
it before Prefect starts, so a bad file costs no wait; the flows call it again as a
cached task. Each file is read once per call.
"""

from __future__ import annotations

from pathlib import Path

from kikigaki.document import CollectionDocument
from kikigaki.sidecar import Sidecar, find_sidecar
from pipeline.options import Options
from pipeline.stages import Context
from pipeline.steps import Hotwords
from postprocess.glossary import Glossary, glossary_from_entries, load_glossary
from postprocess.hotwords import read_hotwords
from transcribe.readers.collection import load_collection
from transcribe.readers.site_collection import load_site_collection


def build_context(source: Path, options: Options) -> Context:
    sidecar = find_sidecar(Path(source), options.sidecar)
    glossary, user = glossaries(options.text.glossary_paths, sidecar)
    return Context(
        options=options,
        glossary=glossary,
        documents=tuple(collection_documents(options)),
        sidecar=sidecar,
        hotwords=hotwords(options, glossary, user),
    )


def glossaries(paths: tuple[Path, ...], sidecar: Sidecar) -> tuple[Glossary, Glossary]:
    """(the whole glossary, the user's part of it): shipped, then files, then sidecar."""
    user = load_glossary(paths, include_default=False)
    if sidecar.terms:
        user = user.merged(glossary_from_entries(list(sidecar.terms), sidecar.source))
    return load_glossary(()).merged(user), user


def collection_documents(options: Options) -> list[CollectionDocument]:
    """The documents the site is published beside (all of them, episode pages too): those
    of ``--collection``, else the ones the site already carries (none for a new site)."""
    if options.text.collection_dir is not None:
        return load_collection(Path(options.text.collection_dir))
    return load_site_collection(options.publish.out)


def hotwords(options: Options, glossary: Glossary, user: Glossary) -> Hotwords:
    text = options.text
    words = read_hotwords(text.hotwords_file) if text.hotwords_file else ()
    return Hotwords(
        glossary=glossary,
        user_terms=tuple(term.canonical for term in user.terms),
        words=words,
        off=text.no_hotwords,
    )
