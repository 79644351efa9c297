"""Artwork: the show's (the feed's channel image) and each episode's.

Either is an absolute http(s) URL, used as it is, or a JPEG or PNG file, copied into the
site (the show's as ``show-image.<ext>`` at its root, an episode's as ``cover.<ext>``
beside its page) and linked from there. The show's artwork is given once
(``--show-image``) and kept by the site, like its base URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from kikigaki.document import Episode
from kikigaki.errors import InputError
from publish.audio import SiteFile
from publish.podcast import IMAGE_TYPES, is_http_url

SHOW_IMAGE_STEM = "show-image"
COVER_STEM = "cover"


def image_file_name(stem: str, path: str) -> str:
    return stem + PurePosixPath(path.replace("\\", "/")).suffix.lower()


def check_artwork(value: str, option: str) -> None:
    """InputError (one line) unless ``value`` is an http(s) URL or a JPEG/PNG file."""
    if is_http_url(value):
        return
    if "://" in value:
        raise InputError(f"{option} {value!r}", "is not an http(s) URL",
                         "give the artwork's http:// or https:// address, or a file")
    path = Path(value)
    if path.suffix.lower() not in IMAGE_TYPES:
        raise InputError(f"{option} {value!r}", "is neither an http(s) URL nor a .jpg or .png file",
                         "give the artwork's address or a JPEG or PNG file")
    if not path.is_file():
        raise InputError(f"{option} {value!r}", "no such file", "give an existing image file")


def show_image(value: str, out_dir: Path) -> tuple[str, SiteFile | None]:
    """(what the site keeps and links, the file to copy into it): a URL as it is; a file
    as ``show-image.<ext>``, copied from ``value`` or else from the previous site."""
    if not value or is_http_url(value):
        return value, None
    name = image_file_name(SHOW_IMAGE_STEM, value)
    for candidate in (Path(value), out_dir / name):
        if candidate.is_file() and candidate.suffix.lower() in IMAGE_TYPES:
            return name, SiteFile(candidate, name)
    return "", None


def episode_covers(out_dir: Path, episodes: Mapping[str, Episode]) -> dict[str, SiteFile]:
    """The artwork files to copy beside each episode's page: ``meta.image`` when it names a
    JPEG or PNG file that is there, else the copy an earlier publish left in the site."""
    covers: dict[str, SiteFile] = {}
    for slug, episode in episodes.items():
        image = episode.meta.image
        if not image or is_http_url(image) or Path(image).suffix.lower() not in IMAGE_TYPES:
            continue
        name = image_file_name(COVER_STEM, image)
        for candidate in (Path(image), out_dir / slug / name):
            if candidate.is_file():
                covers[slug] = SiteFile(candidate, name)
                break
    return covers
