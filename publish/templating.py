"""Jinja2 rendering of the templates, for HTML (autoescaped) and Markdown (escaped here)."""

from __future__ import annotations

import functools
import re

import jinja2

from kikigaki.resources import templates_dir
from publish.layout import FEED

# --------------------------------------------------------------------------- templates


@functools.lru_cache(maxsize=4)
def _environment(folder: str, html: bool) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=None if html else markdown_text,
    )


def render_template(template: str, **context: object) -> str:
    html = template.endswith(".html.j2")
    if html:
        context.setdefault("scripts", ())
        context.setdefault("json_ld", "")
        context.setdefault("feed", FEED)
    environment = _environment(str(templates_dir()), html)
    return environment.get_template(template).render(**context)


class MarkdownRaw(str):
    """Text already written as Markdown (a link target): not escaped again."""


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>&#|!])")


def markdown_text(value: object) -> str:
    """Data shown in Markdown as literal text: punctuation escaped, one line."""
    if isinstance(value, MarkdownRaw):
        return str(value)
    text = " ".join(str(value).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def markdown_url(href: str) -> MarkdownRaw:
    return MarkdownRaw(href.replace(" ", "%20").replace("(", "%28").replace(")", "%29"))


