"""A human's edits to one episode, kept beside its source so every re-run keeps them.

The sidecar is a TOML file; by default ``<stem>.kikigaki.toml`` next to the audio or
transcript (``episode.mp3`` → ``episode.kikigaki.toml``)::

    speaker_names = ["市來", "ゲスト"]     # in order of first appearance
    [speakers]                              # or by label; wins over speaker_names
    SPEAKER_01 = "山田"
    [chapters]                              # chapter number (from 1) → title
    1 = "オープニング"
    keep = ["予想市"]                       # words the homophone stage must leave alone
    [[term]]                                # glossary additions, as in a glossary file
    canonical = "ZENKEI AI FORUM"
    misheard = ["全系AIフォーラム"]
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from kikigaki.document import Episode, Speaker
from kikigaki.errors import InputError

SIDECAR_SUFFIX = ".kikigaki.toml"
_KEYS = {"speaker_names", "speakers", "chapters", "keep", "term"}


@dataclass(frozen=True)
class Sidecar:
    speaker_names: tuple[str, ...] = ()
    speakers: tuple[tuple[str, str], ...] = ()  # (label, name)
    chapter_titles: tuple[tuple[int, str], ...] = ()  # (number from 1, title)
    terms: tuple[dict, ...] = field(default=(), hash=False)  # raw [[term]] tables
    source: str = ""
    keep: tuple[str, ...] = ()  # surface forms the homophone stage leaves as they are


def sidecar_path_for(source: Path) -> Path:
    return source.with_name(source.stem + SIDECAR_SUFFIX)


def find_sidecar(source: Path, given: Path | None = None) -> Sidecar:
    """The sidecar given, or the one beside ``source``, or an empty one."""
    if given is not None:
        return read_sidecar(given)
    default = sidecar_path_for(source)
    return read_sidecar(default) if default.is_file() else Sidecar()


def read_sidecar(path: Path) -> Sidecar:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputError(path, "no such sidecar file", "check the path") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(path, f"cannot read the sidecar ({error})", "save it as UTF-8") from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(path, f"is not valid TOML ({error})", "fix the syntax") from None
    return _sidecar(data, path)


def _sidecar(data: dict, path: Path) -> Sidecar:
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise InputError(path, f"has unknown keys {unknown}",
                         "use speaker_names, keep, [speakers], [chapters] and [[term]]")
    names = data.get("speaker_names", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise InputError(path, "speaker_names must be a list of names", 'write ["A", "B"]')
    keep = data.get("keep", [])
    if not isinstance(keep, list) or not all(isinstance(k, str) and k.strip() for k in keep):
        raise InputError(path, "keep must be a list of words", 'write keep = ["word", ...]')
    speakers = _string_table(data.get("speakers", {}), "speakers", path)
    chapters = _string_table(data.get("chapters", {}), "chapters", path)
    titles = []
    for key, title in chapters:
        if not key.isdigit() or int(key) < 1:
            raise InputError(path, f"chapter key {key!r} is not a number from 1",
                             "key chapters by their number: 1 = \"title\"")
        titles.append((int(key), title))
    terms = data.get("term", [])
    if not isinstance(terms, list):
        raise InputError(path, "'term' must be an array of tables", "write [[term]]")
    return Sidecar(tuple(n.strip() for n in names), speakers, tuple(sorted(titles)),
                   tuple(terms), str(path), tuple(k.strip() for k in keep))


def _string_table(table: object, name: str, path: Path) -> tuple[tuple[str, str], ...]:
    if not isinstance(table, dict) or not all(
        isinstance(v, str) and v.strip() for v in table.values()
    ):
        raise InputError(path, f"[{name}] must map keys to non-empty text", f"fix [{name}]")
    return tuple((str(k), v.strip()) for k, v in table.items())


def apply_sidecar(episode: Episode, sidecar: Sidecar) -> Episode:
    """The episode with the sidecar's speaker names and chapter titles."""
    if not (sidecar.speakers or sidecar.speaker_names or sidecar.chapter_titles):
        return episode
    known = _all_speakers(episode)
    by_label = {s.id: n for s, n in zip(known, sidecar.speaker_names, strict=False)}
    by_label.update(sidecar.speakers)
    speakers = [
        s.model_copy(update={"name": by_label[s.id]}) if s.id in by_label else s
        for s in known
    ]
    titles = dict(sidecar.chapter_titles)
    chapters = [
        c.model_copy(update={"title": titles[n]}) if n in titles else c
        for n, c in enumerate(episode.chapters, 1)
    ]
    return episode.with_stage("sidecar", speakers=speakers, chapters=chapters)


def _all_speakers(episode: Episode) -> list[Speaker]:
    """The episode's speakers, and those only named on its segments (a captions file's
    voices), in order of first appearance."""
    speakers = list(episode.speakers)
    seen = {s.id for s in speakers}
    for item in [*episode.segments, *episode.sentences]:
        if item.speaker and item.speaker not in seen:
            seen.add(item.speaker)
            speakers.append(Speaker(id=item.speaker))
    return speakers
