"""The static site: show notes for each episode beside the collection's documents.

``publish_site(out, episodes, collection)`` renders the whole site in memory, writes it
into a staging folder and swaps that in for ``out`` (:func:`kikigaki.atomic.staged_directory`),
so a failure at any point raises :class:`PublishError` and leaves the previous site as it
was. Episodes a previous run published (``out/<slug>/episode.json``) are re-rendered too,
unless an episode of the same slug replaces them. Layout::

    index.html  style.css  kikigaki.js  favicon.svg  .kikigaki-site
    collection.json                  the documents published beside (the next run's default)
    show-image.<ext>                 the show's artwork, when given as a file
    feed.xml                         RSS 2.0 + Podcasting 2.0 feed of the episodes
    search.html                      site-wide search over every sentence and block
    search-index.js  search-index.json   its index (the script works from file:// too)
    docs/<doc_id>/index.html         each collection document, blocks anchored #b<n>
    <slug>/index.html                show notes, the transcript anchored #s<n>
    <slug>/audio.<ext>               the episode's audio, when it has one (a player page)
    <slug>/cover.<ext>               the episode's artwork, when given as a file
    <slug>/transcript.txt            one sentence per line
    <slug>/transcript.html           Podcasting 2.0 HTML transcript
    <slug>/transcript.json           Podcasting 2.0 transcript JSON, when fully timed
    <slug>/episode.json              the whole Episode
    <slug>/show-notes.md
    <slug>/captions.vtt …            timed files, for a timed transcript (publish.captions)

The transcripts are described in :mod:`publish.transcripts`, the feed in
:mod:`publish.feed`, the structured data in :mod:`publish.schema_org`.

An episode whose ``meta.audio`` names a readable file (or whose earlier copy is still in
the site) gets the file copied beside its page and an ``<audio>`` player whose chapters
and sentence times seek it (``kikigaki.js``); an unchanged file is hard-linked from the
previous site instead of copied again. Pages work without JavaScript: the script only
enhances links and forms that are already there (the player, the search within a
transcript, the site-wide search), and only episode pages and the search page load it.

Feeds need absolute links: ``base_url`` is where the site will be served
(``--base-url``). Without one, the last one used for this site (kept in its marker file)
or the placeholder :data:`DEFAULT_BASE_URL` is used: ``kikigaki preview`` serves the
site there. The show's artwork (``--show-image``) is kept the same way. Each episode
page carries its schema.org ``PodcastEpisode`` as JSON-LD and every page links the feed.

A document that is the source of a published episode (the seed episode's own page) gets
no page of its own: its address points to the episode (:mod:`publish.sources`), and the
index and the search list it no more.

A document page shows its blocks as recovered (:mod:`transcribe.readers.collection`):
headings, lists nested as written, http(s) URLs as links, a table of contents when it has several
sections, and the episodes that point into it (listed at the top with the terms and the
blocks they point to, and a ``↩`` link beside each such block). The index lists the
episodes, then the documents grouped by kind, with their dates.

The templates only lay out: everything they show is prepared here as a view model
(strings, anchors, relative links, the sentence pieces an annotation marks). Output is
deterministic: the same input gives byte-identical files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from kikigaki.atomic import exclusive, staged_directory
from kikigaki.document import CollectionDocument, Episode
from kikigaki.errors import KikigakiError, PublishError
from kikigaki.resources import templates_dir
from publish.artwork import episode_covers, show_image
from publish.audio import audio_sources, place_file
from publish.document_page import render_document_page, render_source_page
from publish.episode_page import render_episode_files
from publish.feed import PublishedEpisode, rss_feed
from publish.index_page import render_index, render_search_page, search_index, search_script
from publish.layout import (
    BASE_URL_LINE,
    DEFAULT_BASE_URL,
    FEED,
    SEARCH_INDEX,
    SEARCH_PAGE,
    SEARCH_SCRIPT,
    SHOW_IMAGE_LINE,
    STATIC_FILES,
    document_page_path,
    episode_slug,
    previous_base_url,
    previous_setting,
    site_base_url,
    site_info,
)
from publish.sitedir import SITE_MARKER, check_site_dir
from publish.sources import source_documents
from transcribe.readers.site_collection import SITE_COLLECTION, collection_json

# --------------------------------------------------------------------------- the site


def publish_site(
    out_dir: Path,
    episodes: Sequence[Episode],
    collection: Sequence[CollectionDocument],
    base_url: str | None = None,
    *,
    show_image: str | None = None,
) -> Path:
    """Publish ``episodes`` (and those already in ``out_dir``) beside ``collection``, for
    a site served at ``base_url`` (default: the last one this site used, else
    :data:`DEFAULT_BASE_URL`), with the show's artwork ``show_image`` (a URL or an image
    file; default: the one this site used last, if any).

    Returns ``out_dir / "index.html"``; raises PublishError, leaving the old site intact
    (InputError for a base URL that is not an absolute http(s) URL).
    """
    out_dir = Path(out_dir)
    check_site_dir(out_dir)
    with exclusive(out_dir):  # another run's episodes must not be lost between read and swap
        return _publish(out_dir, episodes, collection, base_url, show_image)


def _publish(
    out_dir: Path,
    episodes: Sequence[Episode],
    collection: Sequence[CollectionDocument],
    base_url: str | None,
    image: str | None,
) -> Path:
    base = site_base_url(base_url) if base_url else previous_base_url(out_dir)
    try:
        site_episodes = _site_episodes(out_dir, episodes)
        by_slug = _unique_by_slug(site_episodes)
        audio = audio_sources(out_dir, by_slug)
        covers = episode_covers(out_dir, by_slug)
        kept = image if image is not None else previous_setting(out_dir, SHOW_IMAGE_LINE)
        image_value, image_file = show_image(kept, out_dir)
        files = render_site(
            site_episodes,
            collection,
            {s: a.name for s, a in audio.items()},
            base_url=base,
            audio_bytes={s: a.path.stat().st_size for s, a in audio.items()},
            covers={s: c.name for s, c in covers.items()},
            show_image=image_value,
        )
        copies = [(f"{slug}/{f.name}", f) for slug, f in [*audio.items(), *covers.items()]]
        copies += [(image_file.name, image_file)] if image_file else []
        with staged_directory(out_dir) as staging:
            _write_files(staging, files)
            for name, source in copies:
                place_file(source, staging / name, out_dir / name)
    except KikigakiError:
        raise
    except Exception as error:
        raise PublishError(
            out_dir,
            f"the site could not be written ({type(error).__name__}: {error})",
            "the previous site is unchanged; fix the cause and publish again",
        ) from error
    return out_dir / "index.html"


def render_site(
    episodes: Sequence[Episode],
    collection: Sequence[CollectionDocument],
    audio: Mapping[str, str] | None = None,
    *,
    base_url: str = DEFAULT_BASE_URL,
    audio_bytes: Mapping[str, int] | None = None,
    covers: Mapping[str, str] | None = None,
    show_image: str = "",
) -> dict[str, str]:
    """Every text file of the site: relative path → content. ``audio`` names the audio
    file published beside each episode that has one (slug → file name), ``audio_bytes``
    its size, ``covers`` its artwork file; ``base_url`` is where the site is served (for
    the feed), ``show_image`` the show's artwork (a URL, or its file in the site)."""
    by_slug = _unique_by_slug(episodes)
    audio, audio_bytes, covers = audio or {}, audio_bytes or {}, covers or {}
    site = site_info(by_slug.values(), base_url, image=show_image)
    marker = f"kikigaki site\n{BASE_URL_LINE}{site.base_url}\n"
    marker += f"{SHOW_IMAGE_LINE}{show_image}\n" if show_image else ""
    files: dict[str, str] = {SITE_MARKER: marker}
    for name in STATIC_FILES:
        files[name] = (templates_dir() / name).read_text(encoding="utf-8")
    published: list[PublishedEpisode] = []
    for slug, episode in by_slug.items():
        name, size, cover = audio.get(slug, ""), audio_bytes.get(slug, 0), covers.get(slug, "")
        rendered = render_episode_files(episode, collection, name, site=site, audio_bytes=size,
                                        cover=cover)
        for file_name, content in rendered.items():
            files[f"{slug}/{file_name}"] = content
        published.append(PublishedEpisode(slug, episode, frozenset(rendered), name, size, cover))
    sources = source_documents(by_slug, collection)
    for document in collection:
        page = document_page_path(document)
        if page in files or page.split("/")[0] in by_slug:
            raise PublishError(
                document.source or document.doc_id,
                f"its page {page} clashes with another page of the site",
                "give the document another file name",
            )
        slug = sources.get(document.doc_id)
        files[page] = (
            render_source_page(document, slug, by_slug[slug]) if slug is not None
            else render_document_page(document, list(by_slug.items()))
        )
    listed = [d for d in collection if d.doc_id not in sources]  # one page per place
    files["index.html"] = render_index(by_slug, listed)
    files[SEARCH_INDEX] = search_index(by_slug, listed)
    files[SEARCH_SCRIPT] = search_script(files[SEARCH_INDEX])
    files[SEARCH_PAGE] = render_search_page(by_slug, listed)
    files[SITE_COLLECTION] = collection_json(collection)
    files[FEED] = rss_feed(site, published)
    return files


def _unique_by_slug(episodes: Iterable[Episode]) -> dict[str, Episode]:
    """Episodes by slug (a later one replaces an earlier one), newest first."""
    by_slug: dict[str, Episode] = {}
    for episode in episodes:
        by_slug[episode_slug(episode)] = episode
    dated = sorted(
        (s for s in by_slug if by_slug[s].meta.date),
        key=lambda s: (by_slug[s].meta.date, s),
        reverse=True,
    )
    undated = sorted(s for s in by_slug if not by_slug[s].meta.date)
    return {slug: by_slug[slug] for slug in [*dated, *undated]}


def _site_episodes(out_dir: Path, episodes: Sequence[Episode]) -> list[Episode]:
    """The episodes already published in ``out_dir``, then ``episodes`` (which win)."""
    previous: list[Episode] = []
    if out_dir.is_dir() and (out_dir / SITE_MARKER).is_file():
        for path in sorted(out_dir.glob("*/episode.json")):
            try:
                previous.append(Episode.load(path))
            except (OSError, ValueError) as error:
                raise PublishError(
                    path,
                    f"a published episode cannot be read ({type(error).__name__})",
                    "fix or delete that episode's folder, then publish again",
                ) from error
    return [*previous, *episodes]


def _write_files(root: Path, files: dict[str, str]) -> None:
    for name in sorted(files):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files[name].encode("utf-8"))


