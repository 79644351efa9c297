"""The re-clean path end to end: the CLI runs the Prefect flow on the seed episode.

Flows run against one temporary Prefect server shared by the session (Prefect's own
test harness); bad input is refused before Prefect starts, with one line and no writes.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from commands.cli import EXIT_BAD_INPUT, main
from tests.conftest import EPISODE_SEED, SEEDS

SLUG = EPISODE_SEED.stem
MISHEARD = [
    "LSDM", "ハギンフェイス", "アテンション・イズ・オリニー", "全系AIフォーラム", "テンサーフロー",
]


@pytest.fixture(scope="module")
def published(prefect_harness: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("published") / "site"
    argv = ["reclean", str(EPISODE_SEED), "--out", str(site), "--collection", str(SEEDS)]
    assert main([*argv, "--quiet"]) == 0  # the README's demo: the seeds as the collection
    return site


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_seed_episode_page_and_files(published: Path) -> None:
    episode_dir = published / SLUG
    names = ("index.html", "transcript.txt", "transcript.html", "episode.json", "show-notes.md")
    for name in names:
        assert (episode_dir / name).is_file(), name
    episode = json.loads((episode_dir / "episode.json").read_text(encoding="utf-8"))
    assert len(episode["chapters"]) >= 4
    assert all(c["title"] for c in episode["chapters"])
    assert 2 <= len(episode["summary"]) <= 3
    assert episode["people"]
    assert episode["terms"]
    assert episode["meta"]["date"] == "2023-02-22"


def test_seed_transcript_is_split_into_sentences(published: Path) -> None:
    lines = (published / SLUG / "transcript.txt").read_text(encoding="utf-8").splitlines()
    text = "".join(lines)
    ends = len(re.findall(r"[。？！]", text))
    assert len(text) / ends <= 80
    assert max(len(line) for line in lines) <= 200
    for misheard in MISHEARD:
        assert misheard not in text, misheard
    for right in ("LSTM", "Hugging Face", "TensorFlow", "ZENKEI AI FORUM"):
        assert right in text, right


def test_an_untimed_transcript_is_offered_as_html_and_text(published: Path) -> None:
    """The page gives no times: no JSON transcript, whose segments need them."""
    assert not (published / SLUG / "transcript.json").exists()
    html = (published / SLUG / "transcript.html").read_text(encoding="utf-8")
    assert html.count("<p>") >= 10 and "<time>" not in html
    feed = (published / "feed.xml").read_text(encoding="utf-8")
    assert 'type="text/html"' in feed and 'type="text/plain"' in feed
    assert "application/json\"" not in feed


def test_index_links_every_seed_and_the_episode(published: Path) -> None:
    index = (published / "index.html").read_text(encoding="utf-8")
    for seed in SEEDS.glob("*.txt"):
        assert (published / "docs" / seed.stem / "index.html").is_file()
        # the episode's own page is no document beside it: its address points to it
        assert (f"docs/{seed.stem}/index.html" in index) == (seed.stem != SLUG)
    assert f"{SLUG}/index.html" in index
    pointer = (published / "docs" / SLUG / "index.html").read_text(encoding="utf-8")
    assert f'href="../../{SLUG}/index.html"' in pointer and "Whisper" not in pointer
    search = (published / "search-index.json").read_text(encoding="utf-8")
    assert f'"docs/{SLUG}/index.html"' not in search  # one hit per place


def test_unchanged_rerun_is_served_from_the_cache(published: Path) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from flows.episode import process_episode
    from pipeline.options import Options, PublishOptions

    options = Options(publish=PublishOptions(out=published), show_progress=False)
    state = process_episode(EPISODE_SEED, options, return_state=True)
    assert state.is_completed()
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))
        )
    states = {run.name.rsplit("-", 1)[0]: run.state_name for run in runs}
    for stage in ("read", "metadata", "normalize", "fillers", "terms", "sentences", "topics",
                  "paragraphs", "speakers", "annotate"):
        assert states.get(stage) == "Cached", (stage, states)


BAD_INPUTS = {
    "missing.txt": None,
    "empty.txt": b"",
    "binary.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
    "latin1.txt": "Ceci n'est pas du japonais: déjà vu, garçon, œuvre ½ ¾".encode("cp1252"),
    "no-body.txt": (
        "HELLO! AI ポッドキャスト\n\nS38E03 テスト回\n\nListen Later\n\n...more\n"
        "View all episodesView all episodes\n"
    ).encode(),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_is_one_line_and_leaves_the_site(
    name: str, published: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site"
    shutil.copytree(published, site)
    before = _tree(site)
    path = tmp_path / name
    if BAD_INPUTS[name] is not None:
        path.write_bytes(BAD_INPUTS[name])
    assert main(["reclean", str(path), "--out", str(site), "--quiet"]) == EXIT_BAD_INPUT
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1
    assert name in error
    assert _tree(site) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        {"site"} | ({name} if BAD_INPUTS[name] is not None else set())
    )


def test_refuses_to_publish_over_a_folder_of_other_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "thesis.docx").write_bytes(b"precious")
    assert main(["reclean", str(EPISODE_SEED), "--out", str(folder)]) == EXIT_BAD_INPUT
    assert "not a site kikigaki published" in capsys.readouterr().err
    assert [p.name for p in folder.iterdir()] == ["thesis.docx"]
