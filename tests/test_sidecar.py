"""A human's edits in a sidecar file survive every re-run of the flows."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from commands.cli import EXIT_BAD_INPUT, main
from kikigaki.document import Chapter, Episode, Segment, Speaker
from kikigaki.errors import InputError
from kikigaki.sidecar import Sidecar, find_sidecar, read_sidecar
from pipeline import steps

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"

SIDECAR = """\
speaker_names = ["市來さん"]
[speakers]
"佐藤" = "佐藤ゲスト"
[chapters]
1 = "はじまり"
[[term]]
canonical = "Whisper"
misheard = ["ウィスパ"]
"""


def test_sidecar_is_found_beside_its_source(tmp_path: Path) -> None:
    source = tmp_path / "episode.mp3"
    assert find_sidecar(source) == Sidecar()
    (tmp_path / "episode.kikigaki.toml").write_text(SIDECAR, encoding="utf-8")
    sidecar = find_sidecar(source)
    assert sidecar.speaker_names == ("市來さん",)
    assert sidecar.speakers == (("佐藤", "佐藤ゲスト"),)
    assert sidecar.chapter_titles == ((1, "はじまり"),)
    assert sidecar.terms[0]["canonical"] == "Whisper"


def test_names_and_titles_are_applied_by_order_and_by_label() -> None:
    episode = Episode(
        speakers=[Speaker(id="SPEAKER_00"), Speaker(id="SPEAKER_01")],
        segments=[Segment(text="a", speaker="SPEAKER_00"), Segment(text="b", speaker="佐藤")],
        chapters=[Chapter(title="旧", first=0, end=1), Chapter(title="二", first=1, end=2)],
    )
    sidecar = Sidecar(speaker_names=("市來",), speakers=(("佐藤", "佐藤さん"),),
                      chapter_titles=((1, "新"),))
    edited = steps.chapter_titles(
        steps.speakers(episode, speaker_names=(), sidecar=sidecar), sidecar=sidecar
    )
    # In order of first appearance: SPEAKER_01 is only listed, never heard.
    assert [(s.id, s.name) for s in edited.speakers] == [
        ("SPEAKER_00", "市來"), ("佐藤", "佐藤さん"), ("SPEAKER_01", "")]
    assert [c.title for c in edited.chapters] == ["新", "二"]
    assert episode.chapters[0].title == "旧"  # the input is not changed
    assert edited.speaker_name("SPEAKER_01") == "話者3"


def test_names_given_on_the_command_line_win_over_the_sidecar() -> None:
    episode = Episode(segments=[Segment(text="a", speaker="SPEAKER_00"),
                                Segment(text="b", speaker="SPEAKER_01"),
                                Segment(text="c", speaker="SPEAKER_02")])
    sidecar = Sidecar(speaker_names=("市來", "ゲスト"))
    named = steps.speakers(episode, speaker_names=("山田",), sidecar=sidecar)
    assert [named.speaker_name(f"SPEAKER_0{i}") for i in range(3)] == ["山田", "ゲスト", "話者3"]


def test_the_sidecar_sets_the_metadata(tmp_path: Path) -> None:
    path = tmp_path / "ep.kikigaki.toml"
    path.write_text('title = "第5回"\ndate = 2023-02-22\nkeep = ["一斉"]\n', encoding="utf-8")
    sidecar = read_sidecar(path)
    assert sidecar.meta_value("title") == "第5回"
    assert sidecar.meta_value("date") == "2023-02-22"
    assert sidecar.keep == ("一斉",)


@pytest.mark.parametrize(("text", "problem"), [
    ("speaker_names = 3\n", "speaker_names"),
    ("[chapters]\nfirst = 'x'\n", "not a number"),
    ("[speakers]\nA = ''\n", "non-empty"),
    ("colour = 'red'\n", "unknown keys"),
    ("[speakers\n", "not valid TOML"),
])
def test_broken_sidecars_are_one_line_errors(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "x.kikigaki.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=problem) as caught:
        read_sidecar(path)
    assert "\n" not in str(caught.value)


def test_reclean_keeps_the_edits(prefect_harness: None, tmp_path: Path) -> None:
    source = tmp_path / "talk.vtt"
    shutil.copy(FIXTURES / "sample.vtt", source)
    (tmp_path / "talk.kikigaki.toml").write_text(SIDECAR, encoding="utf-8")
    site = tmp_path / "site"
    assert main(["reclean", str(source), "--out", str(site), "--quiet"]) == 0
    episode = Episode.load(site / "talk" / "episode.json")
    names = {s.id: s.name for s in episode.speakers}
    assert names["市來"] == "市來さん" and names["佐藤"] == "佐藤ゲスト"
    assert episode.chapters[0].title == "はじまり"
    page = (site / "talk" / "index.html").read_text(encoding="utf-8")
    assert "佐藤ゲスト" in page and "はじまり" in page
    chapters = json.loads((site / "talk" / "episode.json").read_text(encoding="utf-8"))
    assert chapters["chapters"][0]["title"] == "はじまり"


def test_a_broken_sidecar_stops_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "talk.vtt"
    shutil.copy(FIXTURES / "sample.vtt", source)
    (tmp_path / "talk.kikigaki.toml").write_text("[[term]]\nreading = 'x'\n", encoding="utf-8")
    site = tmp_path / "site"
    assert main(["reclean", str(source), "--out", str(site), "--quiet"]) == EXIT_BAD_INPUT
    assert "talk.kikigaki.toml" in capsys.readouterr().err
    assert not site.exists()
