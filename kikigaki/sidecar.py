"""A human's edits to one episode, kept beside its source so every re-run keeps them.

The sidecar is a TOML file; by default ``<stem>.kikigaki.toml`` next to the audio or
transcript (``episode.mp3`` → ``episode.kikigaki.toml``)::

    title = "第5回 拡散モデル入門"          # the episode's metadata (the command line wins)
    show = "ZENKEI AI ポッドキャスト"
    date = 2023-02-22
    description = "今回は…"
    episode_id = "S38E02"
    image = "https://example.com/cover.jpg"
    speaker_names = ["市來", "ゲスト"]     # in order of first appearance
    [speakers]                              # or by label; wins over speaker_names
    SPEAKER_01 = "山田"
    [chapters]                              # chapter number (from 1) → title
    1 = "オープニング"
    [[term]]                                # glossary additions, as in a glossary file
    canonical = "ZENKEI AI FORUM"
    misheard = ["全系AIフォーラム"]
    keep = ["一斉"]                         # words no automatic correction may change
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from kikigaki.document import Episode
from kikigaki.errors import InputError
from kikigaki.inputs import parse_toml, read_input
from kikigaki.text import printable

SIDECAR_SUFFIX = ".kikigaki.toml"
_META_KEYS = ("title", "show", "date", "description", "episode_id", "image")
_KEYS = {"speaker_names", "speakers", "chapters", "term", "keep", *_META_KEYS}


@dataclass(frozen=True)
class Sidecar:
    speaker_names: tuple[str, ...] = ()
    speakers: tuple[tuple[str, str], ...] = ()  # (label, name)
    chapter_titles: tuple[tuple[int, str], ...] = ()  # (number from 1, title)
    terms: tuple[dict, ...] = field(default=(), hash=False)  # raw [[term]] tables
    source: str = ""
    meta: tuple[tuple[str, str], ...] = ()  # (key, value): title, show, date, description…
    keep: tuple[str, ...] = ()  # surface forms automatic corrections leave alone

    def meta_value(self, key: str) -> str | None:
        return dict(self.meta).get(key)


def sidecar_path_for(source: Path) -> Path:
    return source.with_name(source.stem + SIDECAR_SUFFIX)


def find_sidecar(source: Path, given: Path | None = None) -> Sidecar:
    """The sidecar given, or the one beside ``source``, or an empty one."""
    if given is not None:
        return read_sidecar(given)
    default = sidecar_path_for(source)
    return read_sidecar(default) if default.is_file() else Sidecar()


def read_sidecar(path: Path) -> Sidecar:
    data = read_input(path, "sidecar")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(path, f"cannot read the sidecar ({error})", "save it as UTF-8") from None
    return _sidecar(parse_toml(text, path, "sidecar"), path)


def _sidecar(data: dict, path: Path) -> Sidecar:
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise InputError(path, f"has unknown keys {unknown}",
                         f"use {', '.join(_META_KEYS)}, speaker_names, keep, [speakers], "
                         "[chapters] and [[term]]")
    names = data.get("speaker_names", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise InputError(path, "speaker_names must be a list of names", 'write ["A", "B"]')
    speakers = _string_table(data.get("speakers", {}), "speakers", path)
    chapters = _string_table(data.get("chapters", {}), "chapters", path)
    titles = []
    for key, title in chapters:
        if not (key.isascii() and key.isdigit()) or len(key) > 6 or int(key) < 1:
            raise InputError(path, f"chapter key {key[:20]!r} is not a number from 1",
                             "key chapters by their number: 1 = \"title\"")
        titles.append((int(key), title))
    terms = data.get("term", [])
    if not isinstance(terms, list):
        raise InputError(path, "'term' must be an array of tables", "write [[term]]")
    keep = data.get("keep", [])
    if not isinstance(keep, list) or not all(isinstance(k, str) for k in keep):
        raise InputError(path, "keep must be a list of words", 'write keep = ["一斉"]')
    return Sidecar(tuple(printable(n).strip() for n in names), speakers, tuple(sorted(titles)),
                   tuple(terms), str(path), _meta(data, path),
                   tuple(k.strip() for k in keep if k.strip()))


def _meta(data: dict, path: Path) -> tuple[tuple[str, str], ...]:
    """The metadata keys, as text (a TOML date such as ``2023-02-22`` becomes ISO text)."""
    found = []
    for key in _META_KEYS:
        if key not in data:
            continue
        value = data[key]
        if isinstance(value, dt.date):
            value = value.isoformat()[:10]
        if not isinstance(value, str | int) or not str(value).strip():
            raise InputError(path, f"{key} must be text", f'write {key} = "…"')
        found.append((key, printable(str(value)).strip()))
    return tuple(found)


def _string_table(table: object, name: str, path: Path) -> tuple[tuple[str, str], ...]:
    if not isinstance(table, dict) or not all(
        isinstance(v, str) and v.strip() for v in table.values()
    ):
        raise InputError(path, f"[{name}] must map keys to non-empty text", f"fix [{name}]")
    return tuple((str(k), printable(v).strip()) for k, v in table.items())


def chapter_titles(episode: Episode, sidecar: Sidecar) -> Episode:
    """The episode with the sidecar's chapter titles (chapter numbers from 1)."""
    if not sidecar.chapter_titles:
        return episode
    titles = dict(sidecar.chapter_titles)
    chapters = [
        c.model_copy(update={"title": titles[n]}) if n in titles else c
        for n, c in enumerate(episode.chapters, 1)
    ]
    return episode.with_stage("chapter-titles", chapters=chapters)
