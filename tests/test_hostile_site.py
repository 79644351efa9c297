"""Hostile sites: the user's files in the site, crashes at every rename, links, modes.

The cases are numbered in the table at the top of ``tests/test_hostile.py`` (31-42).
Publishing is called directly (no Prefect) except where the command line is the point.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kikigaki.atomic import COMMIT_DIR, STAGING_PREFIX
from kikigaki.document import CollectionDocument, Episode
from kikigaki.errors import PublishError
from publish.site import publish_site
from publish.sitedir import MANIFEST, SITE_MARKER
from tests import episode_factory
from tests.test_hostile import (
    SAMPLE_TEXT,
    Capture,
    Untouched,
    assert_refused,
    run,
    state,
    strays,
    tree,
    untouched,  # noqa: F401 - the fixture
)

Tree = dict[str, bytes]


@pytest.fixture(scope="module")
def documents() -> list[CollectionDocument]:
    return episode_factory.collection()


@pytest.fixture
def site(tmp_path: Path, documents: list[CollectionDocument]) -> Path:
    """A site with one episode, ``one``."""
    out = tmp_path / "site"
    publish_site(out, [episode_factory.episode(slug="one", date="2023-01-01")], documents)
    return out


def user_files(site: Path) -> dict[Path, tuple[bytes, int]]:
    """The user's own files in the site: a git repository, a CNAME, notes in an episode's
    folder, and the inputs of a run (transcript, sidecar, glossary)."""
    git = site / ".git"
    for n in range(47):
        path = git / "objects" / f"{n:02x}" / f"object{n}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(64))
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    (site / "CNAME").write_text("podcast.example.com\n")
    (site / "one" / "notes.txt").write_text("my own notes\n")
    (site / "talk.txt").write_text(SAMPLE_TEXT, encoding="utf-8")
    (site / "talk.kikigaki.toml").write_text('title = "話"\n', encoding="utf-8")
    (site / "g.toml").write_text('[[term]]\ncanonical = "LSTM"\n', encoding="utf-8")
    return {p: state(p) for p in site.rglob("*") if p.is_file() and _is_users(site, p)}


def _is_users(site: Path, path: Path) -> bool:
    return path.name in ("CNAME", "notes.txt", "talk.txt", "talk.kikigaki.toml", "g.toml",
                         "HEAD") or ".git" in path.relative_to(site).parts


def assert_kept(files: dict[Path, tuple[bytes, int]]) -> None:
    for path, before in files.items():
        assert path.is_file(), f"{path} was removed"
        assert state(path) == before, f"{path} was modified"


def episodes_in(site: Path) -> set[str]:
    return {p.parent.name for p in site.glob("*/episode.json")}


def assert_whole(site: Path, slugs: set[str]) -> None:
    """The site is complete: every listed file there, the index lists every episode."""
    listed = json.loads((site / MANIFEST).read_text(encoding="utf-8"))["files"]
    assert all((site / name).is_file() for name in listed)
    assert episodes_in(site) == slugs
    index = (site / "index.html").read_text(encoding="utf-8")
    for slug in slugs:
        assert f'href="{slug}/index.html"' in index
    assert strays(site.parent) == []
    assert not [p for p in site.iterdir() if p.name.startswith((STAGING_PREFIX, COMMIT_DIR))]


# --------------------------------------------------------------------------- 31 the user's files


def test_site_users_files_are_kept(site: Path, documents: list[CollectionDocument]) -> None:
    mine = user_files(site)
    publish_site(site, [episode_factory.episode(slug="two", date="2023-02-01")], documents)
    assert_kept(mine)
    assert_whole(site, {"one", "two"})


def test_site_inputs_inside_it_are_only_read(prefect_harness: None, tmp_path: Path,
                                             capsys: Capture,
                                             untouched: Untouched,  # noqa: F811
                                             documents: list[CollectionDocument]) -> None:
    """The issue's case: transcript, sidecar and glossary kept in the site, given to a run."""
    site = tmp_path / "site"
    publish_site(site, [episode_factory.episode(slug="one", date="2023-01-01")], documents)
    mine = user_files(site)
    untouched.watch(*mine)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "memo.md").write_text("# メモ\n\n資料です。\n", encoding="utf-8")
    outcome = run(capsys, "reclean", site / "talk.txt", "--glossary", site / "g.toml",
                  "--out", site, "--collection", tmp_path / "docs", "--quiet")
    assert outcome.code == 0, outcome
    assert Episode.load(site / "talk" / "episode.json").meta.title == "話"  # its sidecar
    assert_kept(mine)
    assert episodes_in(site) == {"one", "talk"}


def test_site_refuses_to_write_over_a_users_file(site: Path,
                                                 documents: list[CollectionDocument]) -> None:
    (site / "two").mkdir()
    (site / "two" / "index.html").write_text("<p>mine</p>")
    before = tree(site)
    with pytest.raises(PublishError, match=r"did not make where it would publish: two/index"):
        publish_site(site, [episode_factory.episode(slug="two")], documents)
    assert tree(site) == before


def test_site_refuses_to_write_through_a_link(site: Path, tmp_path: Path,
                                              documents: list[CollectionDocument]) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (site / "two").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(PublishError, match="two/"):
        publish_site(site, [episode_factory.episode(slug="two")], documents)
    assert list(elsewhere.iterdir()) == []


def test_site_manifest_cannot_name_files_outside(site: Path, tmp_path: Path,
                                                 documents: list[CollectionDocument]) -> None:
    """A manifest edited to list ``../outside.txt`` or ``/abs`` removes nothing there."""
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    manifest = json.loads((site / MANIFEST).read_text(encoding="utf-8"))
    manifest["files"] += ["../outside.txt", str(outside), "one/../../outside.txt"]
    (site / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    publish_site(site, [], documents)
    assert outside.read_text() == "keep me"
    assert_whole(site, {"one"})


def test_site_published_audio_path_is_not_trusted(site: Path, tmp_path: Path,
                                                  documents: list[CollectionDocument]) -> None:
    """``meta.audio`` in a published episode.json names a private file: never copied."""
    private = tmp_path / "private.wav"
    private.write_bytes(b"RIFF secret")
    path = site / "one" / "episode.json"
    episode = Episode.load(path)
    hostile = episode.model_copy(update={"meta": episode.meta.model_copy(
        update={"audio": str(private)})})
    path.write_text(hostile.model_dump_json(), encoding="utf-8")
    publish_site(site, [], documents)
    assert not list((site / "one").glob("audio*"))
    assert "<audio" not in (site / "one" / "index.html").read_text(encoding="utf-8")


def test_site_published_episode_as_a_link_is_refused(site: Path, tmp_path: Path,
                                                     documents: list[CollectionDocument]
                                                     ) -> None:
    target = tmp_path / "other.json"
    target.write_bytes((site / "one" / "episode.json").read_bytes())
    (site / "one" / "episode.json").unlink()
    (site / "one" / "episode.json").symlink_to(target)
    before = tree(site)
    with pytest.raises(PublishError, match="is a link"):
        publish_site(site, [], documents)
    assert tree(site) == before


# --------------------------------------------------------------------------- 32 crashes


def _killed_at(rename: int, work: Callable[[], object]) -> int:
    """Run ``work`` in a forked child that kills itself (SIGKILL: no clean-up runs) just
    after its ``rename``-th rename (0: just before the first one); the child's status."""
    child = os.fork()
    if child == 0:  # pragma: no cover - the child never returns
        count = itertools.count(1)
        real = {"replace": os.replace, "rename": os.rename}

        def killing(name: str) -> Callable[..., None]:
            def renamed(*args: object, **kwargs: object) -> None:
                number = next(count)
                if rename == 0 and number == 1:
                    os.kill(os.getpid(), signal.SIGKILL)
                real[name](*args, **kwargs)
                if number == rename:
                    os.kill(os.getpid(), signal.SIGKILL)
            return renamed

        os.replace, os.rename = killing("replace"), killing("rename")  # type: ignore[assignment]
        try:
            work()
        finally:
            os._exit(0)
    _, status = os.waitpid(child, 0)
    return status


def _renames_of(work: Callable[[], object]) -> int:
    count = 0
    real_replace, real_rename = os.replace, os.rename

    def counted(real: Callable[..., None]) -> Callable[..., None]:
        def renamed(*args: object, **kwargs: object) -> None:
            nonlocal count
            count += 1
            real(*args, **kwargs)
        return renamed

    os.replace, os.rename = counted(real_replace), counted(real_rename)  # type: ignore[assignment]
    try:
        work()
    finally:
        os.replace, os.rename = real_replace, real_rename  # type: ignore[assignment]
    return count


def test_site_crash_at_each_rename_is_recovered(tmp_path: Path,
                                                documents: list[CollectionDocument]) -> None:
    """Killed after each rename of a publish in turn (the commit, each file moved in, the
    manifest; 0: while staging, before any): the site is whole at that moment (the old
    one, or partly the new one), and the next run finishes it, or before the commit,
    leaves the old one; the user's files stay, no stray is left."""
    first = episode_factory.episode(slug="one", date="2023-01-01")
    second = episode_factory.episode(slug="two", date="2023-02-01")
    counting = tmp_path / "counting" / "site"
    publish_site(counting, [first], documents)
    renames = _renames_of(lambda: publish_site(counting, [second], documents))
    assert renames > 10  # the commit, the changed files, the manifest
    for at in range(renames + 1):
        site = tmp_path / str(at) / "site"
        publish_site(site, [first], documents)
        mine = user_files(site)
        before = tree(site)
        status = _killed_at(at, lambda site=site: publish_site(site, [second], documents))
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, at
        assert (site / "index.html").is_file() and (site / "one" / "index.html").is_file()
        if at == 0:
            assert tree(site).items() >= before.items(), at  # staging only
        publish_site(site, [], documents)  # the next run, of another episode or none
        assert_kept(mine)
        assert_whole(site, {"one", "two"} if at >= 1 else {"one"})


def test_site_crash_of_an_earlier_swap_is_recovered(site: Path,
                                                    documents: list[CollectionDocument]
                                                    ) -> None:
    """An earlier version swapped the whole folder with two renames: killed between them,
    it left ``.site.old.*`` and ``.site.staging.*`` and no site. The next run puts the old
    site back and removes the staging folder."""
    retired = site.with_name(".site.old.k3j4x9")
    site.rename(retired)
    (site.parent / ".site.staging.a8b7c6").mkdir()
    (site.parent / ".site.staging.a8b7c6" / "index.html").write_text("half")
    publish_site(site, [episode_factory.episode(slug="two", date="2023-02-01")], documents)
    assert_whole(site, {"one", "two"})
    assert sorted(p.name for p in site.parent.iterdir()) == ["site"]


# --------------------------------------------------------------------------- 33 modes


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_site_modes_follow_the_umask(umask_022: None, tmp_path: Path,
                                     documents: list[CollectionDocument]) -> None:
    """0755 folders, 0644 files (a private 0600 audio file too), the site folder itself
    included: a web server running as another user can read it."""
    audio = tmp_path / "Private.WAV"
    audio.write_bytes(b"RIFF" + bytes(2000))
    audio.chmod(0o600)
    out = tmp_path / "site"
    publish_site(out, [episode_factory.audio_episode(audio, slug="ep")], documents)
    publish_site(out, [episode_factory.episode(slug="two")], documents)
    modes = {str(p.relative_to(tmp_path)): stat.S_IMODE(p.stat().st_mode)
             for p in [out, *out.rglob("*")]}
    assert modes["site"] == 0o755
    assert modes["site/ep/audio.wav"] == 0o644
    assert {m for p, m in modes.items() if (tmp_path / p).is_dir()} == {0o755}
    assert {m for p, m in modes.items() if (tmp_path / p).is_file()} == {0o644}
    assert audio.stat().st_mode & 0o777 == 0o600  # the input is only read


def test_site_marker_with_a_broken_base_url(site: Path,
                                            documents: list[CollectionDocument]) -> None:
    """``base-url: http://[::1/`` read back from the marker: the placeholder, no error."""
    (site / SITE_MARKER).write_text("kikigaki site\nbase-url: http://[::1/\n")
    publish_site(site, [], documents)
    assert "base-url: http://localhost:8000/" in (site / SITE_MARKER).read_text()


def test_site_refused_publish_leaves_no_new_folder(tmp_path: Path,
                                                   documents: list[CollectionDocument]
                                                   ) -> None:
    out = tmp_path / "site"
    broken = episode_factory.collection()[0].model_copy(update={"href": "../escape.html"})
    with pytest.raises(PublishError):
        publish_site(out, [episode_factory.episode(slug="one")], [broken])
    assert list(tmp_path.iterdir()) == []


def test_site_cli_refuses_a_users_file_in_one_line(prefect_harness: None, site: Path,
                                                   tmp_path: Path, capsys: Capture) -> None:
    """The clash is found after the stages, in the publish task: still one line."""
    path = tmp_path / "two.txt"
    path.write_text(SAMPLE_TEXT, encoding="utf-8")
    (site / "two").mkdir()
    (site / "two" / "index.html").write_text("<p>mine</p>")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "memo.md").write_text("# メモ\n\n資料です。\n", encoding="utf-8")
    before = tree(site)
    outcome = run(capsys, "reclean", path, "--out", site, "--collection", docs, "--quiet")
    assert_refused(outcome, str(site), "two/index.html")
    assert tree(site) == before
