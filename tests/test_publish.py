"""The static site: strict HTML5, escaped, linked, deterministic and published atomically."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote

import html5lib
import pytest

from kikigaki.document import Annotation, CollectionDocument, Episode, Segment
from kikigaki.errors import InputError, PublishError
from publish.document_page import block_views, linked_pieces, render_document_page
from publish.episode_page import render_episode_files, sentence_pieces
from publish.layout import episode_slug
from publish.site import publish_site
from publish.sitedir import SITE_MARKER
from tests import episode_factory
from tests.conftest import EPISODE_SEED, SEEDS
from transcribe.readers.collection import document_from_text, load_collection

SLUG = "s38e02-test"


@pytest.fixture(scope="module")
def collection() -> list[CollectionDocument]:
    return [*episode_factory.collection(), *load_collection(SEEDS)]


@pytest.fixture(scope="module")
def episode() -> Episode:
    return episode_factory.episode(slug=SLUG)


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory,
    episode: Episode,
    collection: list[CollectionDocument],
) -> Path:
    out = tmp_path_factory.mktemp("published") / "site"
    index = publish_site(out, [episode], collection)
    assert index == out / "index.html"
    return out


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _pages(site: Path) -> list[Path]:
    """The site's pages (not the episodes' HTML transcripts, which are files to fetch)."""
    return sorted(p for p in site.rglob("*.html") if p.name != "transcript.html")


def _tree(page: Path):  # type: ignore[no-untyped-def]
    return html5lib.parse(page.read_text(encoding="utf-8"), namespaceHTMLElements=False)


def _ids(page: Path) -> set[str]:
    return {e.get("id") for e in _tree(page).iter() if e.get("id")}


def _leftovers(parent: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if ".staging." in p.name or ".old." in p.name]


# --------------------------------------------------------------------------- layout


def test_site_layout(site: Path, collection: list[CollectionDocument]) -> None:
    files = set(_snapshot(site))
    expected = {"index.html", "style.css", SITE_MARKER}
    expected |= {"search.html", "search-index.json", "kikigaki.js", "favicon.svg"}
    expected |= {"search-index.js", "feed.xml"}
    expected |= {
        f"{SLUG}/{name}"
        for name in (
            "index.html",
            "transcript.txt",
            "transcript.html",  # no JSON: the last chapter has no times
            "episode.json",
            "show-notes.md",
            "captions.vtt",
            "captions.srt",
            "chapters.json",
        )
    }
    expected |= {doc.href for doc in collection}
    expected |= {"collection.json"}  # the documents, for the next run without --collection
    assert files == expected


def test_every_page_is_strict_html5_in_japanese(site: Path) -> None:
    pages = _pages(site)
    assert len(pages) == 10  # index, search, 2 episodes, 1 factory document, 5 seed pages
    for page in pages:
        text = page.read_text(encoding="utf-8")
        html5lib.HTMLParser(strict=True).parse(text)
        assert text.startswith('<!DOCTYPE html>\n<html lang="ja">')
        assert '<meta name="viewport"' in text
        for landmark in ("<header", "<nav", "<main", "<footer"):
            assert landmark in text, (page, landmark)


JSON_LD = re.compile(r'<script type="application/ld\+json">([^<]*)</script>')
SITE_SCRIPT = re.compile(r'<script src="(?:\.\./)*(?:kikigaki|search-index)\.js" defer></script>')


def test_data_is_escaped_and_the_only_scripts_are_the_sites(site: Path) -> None:
    for page in _pages(site):
        text = page.read_text(encoding="utf-8")
        # the only scripts: the site's own files and an episode page's JSON-LD block
        data = JSON_LD.findall(text)
        assert len(data) == (1 if page.parent.name == SLUG else 0), page
        for block in data:
            json.loads(block)
            assert "<" not in block and ">" not in block and "&" not in block
        rest = SITE_SCRIPT.sub("", JSON_LD.sub("", text)).lower()
        assert "<script" not in rest, page
        assert "javascript:" not in rest, page
        assert not re.search(r"<[a-z]+[^>]*\son[a-z]+=", rest), page
    episode_page = (site / SLUG / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in episode_page
    assert "&#34;&#39;&amp;" in episode_page
    assert SITE_SCRIPT.findall(episode_page) == ['<script src="../kikigaki.js" defer></script>']


def test_episode_json_ld_is_a_podcast_episode(site: Path, episode: Episode) -> None:
    text = (site / SLUG / "index.html").read_text(encoding="utf-8")
    (block,) = JSON_LD.findall(text)
    assert "\\u003cscript\\u003e" in block  # the hostile title cannot close the element
    data = json.loads(block)
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "PodcastEpisode"
    assert data["name"] == episode.meta.title
    assert data["datePublished"] == "2023-02-22"
    assert data["url"] == f"http://localhost:8000/{SLUG}/index.html"
    assert data["description"].startswith("Transformer を LSTM と比べて")
    assert data["@id"] == f"http://localhost:8000/{SLUG}/index.html#episode"
    assert data["partOfSeries"] == {
        "@type": "PodcastSeries",
        "@id": "http://localhost:8000/#series",
        "name": "ZENKEI AI ポッドキャスト",
        "url": "http://localhost:8000/index.html",
        "webFeed": "http://localhost:8000/feed.xml",
    }
    assert data["episodeNumber"] == 2  # S38E02
    assert data["partOfSeason"] == {
        "@type": "PodcastSeason", "seasonNumber": 38,
        "partOfSeries": {"@id": "http://localhost:8000/#series"},
    }
    people = ("市來", "ゲスト\"'&", "ゲスト")
    assert data["actor"] == [{"@type": "Person", "name": name} for name in people]
    assert data["mentions"] == [{"@type": "Person", "name": "Andrej Karpathy"}]
    assert data["associatedMedia"] == [
        {
            "@type": "MediaObject",
            "name": "文字起こし",
            "contentUrl": f"http://localhost:8000/{SLUG}/transcript.txt",
            "encodingFormat": "text/plain",
        }
    ]  # no audio in this site: no AudioObject
    assert "duration" not in data and "timeRequired" not in data  # no duration known


def test_every_page_links_the_feed(site: Path) -> None:
    for page in _pages(site):
        links = [
            e for e in _tree(page).iter("link") if e.get("type") == "application/rss+xml"
        ]
        assert [e.get("rel") for e in links] == ["alternate"], page
        assert (page.parent / links[0].get("href")).resolve() == (site / "feed.xml").resolve()


def test_show_notes_markdown_escapes_html(site: Path) -> None:
    notes = (site / SLUG / "show-notes.md").read_text(encoding="utf-8")
    assert "<script>" not in notes
    assert "\\<script\\>alert(1)\\</script\\>" in notes
    assert "[LSTM のまとめ](../docs/lstm-notes/index.html#b1)" in notes


def test_relative_links_resolve_to_files_and_anchors(site: Path) -> None:
    checked = 0
    for page in _pages(site):
        for element in _tree(page).iter():
            target = element.get("href") or element.get("src")
            if element.tag not in ("a", "link") or not target:
                continue
            if target.startswith("https://") or "external" in (element.get("rel") or ""):
                assert target.startswith(("https://", "http://")), (page, target)
                continue
            assert not target.startswith(("/", "http:", "file:")), (page, target)
            path_part, _, fragment = target.partition("#")
            destination = (page.parent / unquote(path_part)).resolve() if path_part else page
            assert destination.is_file(), (page, target)
            assert site.resolve() in destination.parents or destination == page
            if fragment and destination.suffix == ".html":
                assert fragment in _ids(destination), (page, target)
            checked += 1
    assert checked > 50


def test_chapter_and_sentence_anchors_exist(site: Path, episode: Episode) -> None:
    page = site / SLUG / "index.html"
    ids = _ids(page)
    assert {f"s{i}" for i in range(len(episode.sentences))} <= ids
    text = page.read_text(encoding="utf-8")
    for chapter in episode.chapters:
        assert f'href="#s{chapter.first}"' in text
    assert {"summary", "chapters", "people", "terms", "related", "transcript"} <= ids
    assert '<a class="term" href="#t0" title="LSTM">LSTM</a>' in text
    assert '<mark class="person" title="市來">市來</mark>' in text
    assert '<span class="speaker">市來</span>' in text
    assert 'data-start="14.000"' in text


def test_related_documents_are_ranked_without_raw_scores(site: Path) -> None:
    text = (site / SLUG / "index.html").read_text(encoding="utf-8")
    related = text[text.index('id="related"') : text.index('id="transcript"')]
    assert related.index("共通の用語: LSTM") < related.index("共通の用語: Hugging Face")
    assert ">0.77<" not in related and ">0.41<" not in related


def test_document_pages_anchor_blocks_and_link_back(
    site: Path, collection: list[CollectionDocument]
) -> None:
    for doc in collection:
        ids = _ids(site / doc.href)
        assert {b.id for b in doc.blocks} <= ids
    course = (site / "docs/course/index.html").read_text(encoding="utf-8")
    assert '<h1 id="b0">講座の記録 2024-03-01</h1>' in course  # the title is block b0
    assert '<h2 id="b1">Hugging Face を使った演習</h2>' in course
    assert "<pre id=" in course
    assert f'href="../../{SLUG}/index.html#t2"' in course


def test_index_lists_every_episode_and_document_with_dates(
    site: Path, collection: list[CollectionDocument]
) -> None:
    text = (site / "index.html").read_text(encoding="utf-8")
    assert f'href="{SLUG}/index.html"' in text
    assert '<time datetime="2023-02-22">' in text
    for doc in collection:
        assert f'href="{doc.href}"' in text
    assert '<time datetime="2024-05-16">' in text
    assert 'href="feed.xml"' in text


def test_index_groups_documents_by_kind(site: Path, collection: list[CollectionDocument]) -> None:
    tree = _tree(site / "index.html")
    groups = {
        section.find("h3").text.strip(): [a.get("href") for a in section.iter("a")]
        for section in tree.iter("section")
        if section.get("class") == "listing-group"
    }
    assert list(groups) == ["文書", "スライド", "配信ページ"]
    assert groups["スライド"] == ["docs/003_8da7d8b9ee6daeee/index.html"]
    assert groups["配信ページ"] == ["docs/002_d502b1dd49aa2187/index.html"]
    documents = groups["文書"]
    assert sorted(documents) == sorted(
        d.href for d in collection if d.kind == "document"
    )
    assert documents[:2] == [  # dated ones first, newest first
        "docs/001_3a8888a9d5ffff60/index.html",  # 2024-05-16
        "docs/course/index.html",  # 2024-03-01
    ]


# --------------------------------------------------------------------------- documents


def test_document_page_lists_the_episodes_that_link_into_it(site: Path) -> None:
    tree = _tree(site / "docs/lstm-notes/index.html")
    aside = tree.find(".//aside")
    assert aside is not None and aside.get("class") == "backlinks"
    (entry,) = [li for li in aside.iter("li") if li.find("time") is not None]
    assert entry.find("a").get("href") == f"../../{SLUG}/index.html"
    assert entry.find("time").get("datetime") == "2023-02-22"
    pairs = [
        [a.get("href") for a in li.iter("a")] for li in entry.iter("li") if li is not entry
    ]
    assert pairs == [
        [f"../../{SLUG}/index.html#t0", "#b1"],  # LSTM → the block explaining it
        [f"../../{SLUG}/index.html#t1", "#b4"],  # Transformer → its heading
    ]
    # each place reads as itself: its first words and its section, or its heading
    places = [[a.text for a in li.iter("a")][1] for li in entry.iter("li") if li is not entry]
    assert places == ["「LSTM とは、長い系列の依存関係を学習できる再…」（LSTM のまとめ）",
                      "Transformer との違い"]
    # the block itself links back to the episode's term (a heading does not: its name)
    block = next(e for e in tree.iter() if e.get("id") == "b1")
    refs = [a for a in block.iter("a") if a.get("class") == "block-ref"]
    assert [a.get("href") for a in refs] == [f"../../{SLUG}/index.html#t0"]
    heading = next(e for e in tree.iter() if e.get("id") == "b4")
    assert not list(heading.iter("a"))


def test_seed_pages_have_contents_nested_lists_and_links(site: Path) -> None:
    deck = _tree(site / "docs/003_8da7d8b9ee6daeee/index.html")
    contents = deck.find(".//nav[@class='doc-toc']")
    assert contents is not None
    targets = [a.get("href") for a in contents.iter("a")]
    slides = [h for h in deck.iter("h2") if (h.text or "").startswith("スライド")]
    assert targets == [f"#{h.get('id')}" for h in slides] and len(slides) == 51
    links = {a.get("href"): a.get("rel") for a in deck.iter("a") if a.get("rel")}
    assert links["https://arxiv.org/abs/2206.08896v1"] == "external noopener"
    numbered = [ol for ol in deck.iter("ol") if "numbered" in (ol.get("class") or "")]
    assert numbered  # "1. …" items keep their own numbers
    notes = _tree(site / "docs/001_3a8888a9d5ffff60/index.html")
    deepest = notes.findall(".//ul[@class='doc-list']/li/ul/li/ul/li/ul/li")
    assert [li.get("id") for li in deepest][:2] == ["b54", "b55"]  # four levels, as written


HOSTILE_DOC = (
    "題名\n\n"
    "<script>alert(1)</script> を見る。\n"
    "参照:https://example.com/a?b=1&c=2)。詳しくは (https://example.com/x_(y)) へ\n"
    "javascript:alert(1) と http://x\" onmouseover=\"alert(1) も\n"
)


def test_document_text_is_escaped_and_only_http_urls_are_links() -> None:
    document = document_from_text("evil", HOSTILE_DOC, source="evil.txt")
    page = render_document_page(document, [])
    html5lib.HTMLParser(strict=True).parse(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    tree = html5lib.parse(page, namespaceHTMLElements=False)
    hrefs = [a.get("href") for a in tree.iter("a") if a.get("rel") == "external noopener"]
    assert hrefs == ["https://example.com/a?b=1&c=2", "https://example.com/x_(y)", "http://x"]
    assert 'href="https://example.com/a?b=1&amp;c=2"' in page
    for element in tree.iter():
        assert not any(name.startswith("on") for name in element.attrib), element.attrib
        assert not (element.get("href") or "").startswith("javascript:")
    assert "javascript:alert(1) と http://x" in "".join(tree.itertext())  # kept as text


def test_linked_pieces_keep_the_text() -> None:
    text = "出典:https://arxiv.org/abs/2206.08896v1。次 https://a.example/b, 終わり"
    pieces = linked_pieces(text)
    assert "".join(p.text for p in pieces) == text
    assert [p.href for p in pieces if p.href] == [
        "https://arxiv.org/abs/2206.08896v1",
        "https://a.example/b",
    ]


def test_list_items_nest_under_the_item_before_them() -> None:
    document = document_from_text("d", "- 一\n    - 二\n        - 三\n- 四\n  - 五\n")
    (view,) = block_views(document.blocks)
    shape = [(i.text, [(c.text, [g.text for g in c.items]) for c in i.items]) for i in view.items]
    assert shape == [("一", [("二", ["三"])]), ("四", [("五", [])])]
    assert not view.ordered
    (numbered,) = block_views(document_from_text("n", "本文。\n1) 一\n2) 二\n").blocks[1:])
    assert numbered.ordered


# --------------------------------------------------------------------------- transcripts


def test_transcript_json_is_podcasting_2_0(collection: list[CollectionDocument]) -> None:
    episode = episode_factory.timed_episode()
    files = render_episode_files(episode, collection)
    document = json.loads(files["transcript.json"])
    assert document["version"] == "1.0.0"
    segments = document["segments"]
    assert [s["body"] for s in segments] == [s.text for s in episode.sentences]
    assert segments[0] == {
        "speaker": "市來",
        "startTime": 0.0,
        "endTime": 3.2,
        "body": episode.sentences[0].text,
    }
    assert segments[-1] == {"startTime": 30.0, "endTime": 32.0,
                            "body": episode.sentences[-1].text}  # no speaker known


def test_a_partly_timed_transcript_is_html_and_text_not_json(site: Path) -> None:
    """The JSON format's segments need times: without them for every sentence, the
    transcript is offered as HTML (times where known) and plain text."""
    assert not (site / SLUG / "transcript.json").exists()
    text = (site / SLUG / "transcript.html").read_text(encoding="utf-8")
    html5lib.HTMLParser(strict=True).parse(text)
    tree = _tree(site / SLUG / "transcript.html")
    body = tree.find("body")
    assert body is not None
    tags = [e.tag for e in body]
    assert tags[:3] == ["cite", "time", "p"] and tags.count("p") == 5  # the 5 paragraphs
    assert [e.text for e in body.iter("cite")] == ["市來:", "ゲスト\"'&:", "市來:", "ゲスト\"'&:"]
    assert [e.text for e in body.iter("time")] == ["0:00", "0:06", "0:14", "0:21"]  # timed
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_transcript_txt_has_one_sentence_per_line(site: Path, episode: Episode) -> None:
    text = (site / SLUG / "transcript.txt").read_text(encoding="utf-8")
    assert text.splitlines() == [s.text for s in episode.sentences]
    assert text.endswith("\n")


def test_episode_json_round_trips(site: Path, episode: Episode) -> None:
    assert Episode.load(site / SLUG / "episode.json") == episode


def test_untimed_episode_without_sentences_still_renders(
    collection: list[CollectionDocument],
) -> None:
    raw = Episode(segments=[Segment(text="一行目。"), Segment(text="二行目。")])
    raw.meta.slug = "raw"
    files = render_episode_files(raw, collection)
    assert set(files) == {
        "index.html",
        "transcript.txt",
        "transcript.html",
        "episode.json",
        "show-notes.md",
    }
    assert files["transcript.txt"] == "一行目。\n二行目。\n"
    html5lib.HTMLParser(strict=True).parse(files["index.html"])
    assert 'id="s1"' in files["index.html"]


def test_sentence_pieces_drop_overlapping_and_out_of_range_marks() -> None:
    marks = [
        Annotation(sentence=0, start=0, end=4, kind="term", label="LSTM"),
        Annotation(sentence=0, start=2, end=6, kind="term", label="overlap"),
        Annotation(sentence=0, start=6, end=99, kind="person", label="市來"),
    ]
    pieces = sentence_pieces("LSTM と市來さん", marks, {"LSTM": "t0"})
    assert [(p.text, p.kind, p.href) for p in pieces] == [
        ("LSTM", "term", "#t0"),
        (" と", "", ""),
        ("市來さん", "person", ""),
    ]


# --------------------------------------------------------------------------- the site folder


def test_output_is_deterministic(
    tmp_path: Path, episode: Episode, collection: list[CollectionDocument]
) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    publish_site(first, [episode], collection)
    publish_site(second, [episode], collection)
    assert _snapshot(first) == _snapshot(second)
    publish_site(first, [episode], collection)  # republishing over itself changes nothing
    assert _snapshot(first) == _snapshot(second)


def test_previous_episodes_are_kept_and_replaced_by_slug(
    tmp_path: Path, collection: list[CollectionDocument]
) -> None:
    out = tmp_path / "site"
    publish_site(out, [episode_factory.episode(slug="ep-one", date="2023-01-01")], collection)
    publish_site(out, [episode_factory.episode(slug="ep-two", date="2023-03-01")], collection)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="ep-one/index.html"' in index and 'href="ep-two/index.html"' in index
    assert index.index("ep-two/") < index.index("ep-one/")  # newest first
    renamed = episode_factory.episode(slug="ep-one", title="新しい題名", date="2023-01-01")
    publish_site(out, [renamed], collection)
    assert "新しい題名" in (out / "ep-one" / "index.html").read_text(encoding="utf-8")
    assert (out / "ep-two" / "index.html").is_file()


def test_slug_is_made_safe_and_never_the_docs_folder() -> None:
    assert episode_slug(episode_factory.episode(slug="../../etc")) == "etc"
    assert episode_slug(episode_factory.episode(slug="docs")) == "docs-episode"
    assert episode_slug(episode_factory.episode(slug="第五回")).startswith("ep-")


def test_refuses_a_folder_of_other_files(
    tmp_path: Path, episode: Episode, collection: list[CollectionDocument]
) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("大事なメモ", encoding="utf-8")
    with pytest.raises(PublishError, match="not a site kikigaki published"):
        publish_site(out, [episode], collection)
    assert _snapshot(out) == {"notes.txt": "大事なメモ".encode()}


def test_failure_mid_render_leaves_the_old_site(
    tmp_path: Path, episode: Episode, collection: list[CollectionDocument]
) -> None:
    out = tmp_path / "site"
    publish_site(out, [episode], collection)
    before = _snapshot(out)
    broken = CollectionDocument(
        doc_id="evil", title="悪い資料", text="x", href="../../outside.html", source="evil.txt"
    )
    other = episode_factory.episode(slug="another")
    with pytest.raises(PublishError) as error:
        publish_site(out, [other], [*collection, broken])
    assert "evil.txt" in str(error.value) and "\n" not in str(error.value)
    assert _snapshot(out) == before
    assert _leftovers(tmp_path) == []
    assert not (tmp_path.parent / "outside.html").exists()


def test_unreadable_previous_episode_raises_and_keeps_the_site(
    tmp_path: Path, episode: Episode, collection: list[CollectionDocument]
) -> None:
    out = tmp_path / "site"
    publish_site(out, [episode], collection)
    (out / SLUG / "episode.json").write_text("{broken", encoding="utf-8")
    before = _snapshot(out)
    with pytest.raises(PublishError, match=r"episode\.json"):
        publish_site(out, [episode_factory.episode(slug="another")], collection)
    assert _snapshot(out) == before
    assert _leftovers(tmp_path) == []


def test_unwritable_parent_raises_publish_error(
    tmp_path: Path, episode: Episode, collection: list[CollectionDocument]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(PublishError) as error:
        publish_site(blocker / "site", [episode], collection)
    assert "previous site is unchanged" in str(error.value)
    assert blocker.read_text(encoding="utf-8") == "not a folder"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_out_is_a_file(
    tmp_path: Path, episode: Episode, collection: list[CollectionDocument]
) -> None:
    target = tmp_path / "site"
    target.write_text("x", encoding="utf-8")
    with pytest.raises(PublishError, match="not a folder"):
        publish_site(target, [episode], collection)


def test_concurrent_publishes_of_different_episodes_keep_both(
    tmp_path: Path, collection: list[CollectionDocument]
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    out = tmp_path / "site"
    slugs = [f"ep-{n}" for n in range(4)]
    episodes = [episode_factory.episode(slug=slug) for slug in slugs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda e: publish_site(out, [e], collection), episodes))
    for slug in slugs:
        assert (out / slug / "index.html").is_file(), slug


# --------------------------------------------------------------------------- the collection


def test_the_episodes_own_page_points_to_its_show_notes(
    tmp_path: Path, collection: list[CollectionDocument]
) -> None:
    """The seed episode re-cleaned beside the seeds: its host page is its source, so the
    site has one place for it, the show notes."""
    from transcribe.readers import read_transcript

    episode = read_transcript(EPISODE_SEED)  # untimed, as the reader gives it
    slug = EPISODE_SEED.stem
    out = tmp_path / "site"
    publish_site(out, [episode], collection)
    pointer = out / "docs" / slug / "index.html"
    html5lib.HTMLParser(strict=True).parse(pointer.read_text(encoding="utf-8"))
    links = [a.get("href") for a in _tree(pointer).iter("a")]
    assert f"../../{slug}/index.html" in links
    text = pointer.read_text(encoding="utf-8")
    assert "View all episodes" not in text and "未編集の草稿" not in text
    index = (out / "index.html").read_text(encoding="utf-8")
    assert f"docs/{slug}/index.html" not in index and f"{slug}/index.html" in index
    search = json.loads((out / "search-index.json").read_text(encoding="utf-8"))
    hits = [p["href"] for p in search["pages"]
            if any("ZENKEI AI FORUM" in item[2] for item in p["items"])]
    assert hits == [f"{slug}/index.html"]  # one hit per place, not the raw page too


def test_the_site_keeps_its_collection_for_the_next_run(
    tmp_path: Path, collection: list[CollectionDocument]
) -> None:
    from pipeline.context import collection_documents
    from pipeline.options import Options, PublishOptions, TextOptions

    out = tmp_path / "site"
    fresh = Options(publish=PublishOptions(out=out))
    assert collection_documents(fresh) == []  # a new site: no documents, no seeds
    publish_site(out, [episode_factory.episode(slug="ep")], collection)
    assert collection_documents(fresh) == collection  # kept by the site
    given = Options(publish=PublishOptions(out=out), text=TextOptions(collection_dir=SEEDS))
    assert [d.doc_id for d in collection_documents(given)] == sorted(
        p.stem for p in SEEDS.glob("*.txt")
    )
    (out / "collection.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match=r"collection\.json"):
        collection_documents(fresh)


def test_index_excerpts_are_the_documents_first_real_paragraph(site: Path) -> None:
    tree = _tree(site / "index.html")
    excerpts = {
        entry.find("a").get("href"): entry.find("p[@class='entry-excerpt']").text
        for entry in tree.iter("li") if entry.get("class") == "entry"
    }
    deck = excerpts["docs/003_8da7d8b9ee6daeee/index.html"]
    assert deck.startswith("本論文では、遺伝的プログラミング")  # not a link title of slide 1
    notes = excerpts["docs/001_3a8888a9d5ffff60/index.html"]
    assert notes.startswith("日本語のimage-textペアを収集し")  # not the template's ※ note
    lab = excerpts["docs/000_bc7f45b8dcf56d7a/index.html"]
    assert not lab.startswith("Research: Lab のビジョン")  # not the title again


def test_documents_without_groups_or_with_none_read_simply(tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish_site(out, [episode_factory.episode(slug="ep")], episode_factory.collection())
    tree = _tree(out / "index.html")
    headings = [h.text.strip() for h in tree.iter("h2")] + [h.text for h in tree.iter("h3")]
    assert headings == ["エピソード", "資料"]  # one kind: no 「資料 › 文書」 heading under it
    bare = tmp_path / "bare"
    publish_site(bare, [episode_factory.episode(slug="ep")], [])
    assert [h.text.strip() for h in _tree(bare / "index.html").iter("h2")] == ["エピソード"]
