"""An optional language-model writer for the theme paragraph, chapter titles and chapter
summaries, through any OpenAI-compatible chat-completions endpoint (llama.cpp's server,
Ollama, vLLM, a hosted API).

The extractive notes are the default and stay wherever the model fails: a network error,
an HTTP error, an answer that is not the JSON asked for, or an answer that fails a check:

- length: a title of 4-40 characters, a summary of 15-200, a theme of 30-320;
- language: mostly Japanese (kana or kanji make up at least 40 % of the letters);
- grounding: every name and number in the answer occurs in the transcript (Latin words,
  katakana words of three or more characters, digits, and Sudachi proper nouns, compared
  after NFKC folding and ignoring case).

Prompts are files in ``postprocess/prompts/`` (``system.txt``, ``theme.txt``,
``chapter.txt``). Answers are cached by content (the endpoint, the model and the whole
request) under ``$KIKIGAKI_LLM_CACHE`` (default ``~/.cache/kikigaki/llm``), so re-running an
unchanged episode asks nothing. The API key, when the endpoint needs one, is read from
``$KIKIGAKI_LLM_API_KEY``; the model name from ``$KIKIGAKI_LLM_MODEL`` (default "default").
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kikigaki.document import Chapter, Episode
from kikigaki.nlp import tokenize
from postprocess.notes_text import tidy

log = logging.getLogger(__name__)

PROMPTS = Path(__file__).resolve().parent / "prompts"
API_KEY_VARIABLE = "KIKIGAKI_LLM_API_KEY"
MODEL_VARIABLE = "KIKIGAKI_LLM_MODEL"
CACHE_VARIABLE = "KIKIGAKI_LLM_CACHE"
CHAPTER_TRANSCRIPT_CHARS = 2_400
THEME_TRANSCRIPT_CHARS = 1_600
LIMITS = {"title": (4, 40), "summary": (15, 200), "theme": (30, 320)}
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
_LETTER = re.compile(r"[^\W\d_]")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9.+\-]*[A-Za-z0-9+]|[A-Za-z]")
_KATAKANA_WORD = re.compile(r"[\u30a1-\u30fa\u30fc・]{3,}")
_NUMBER = re.compile(r"[0-9]+(?:[.,][0-9]+)?")
_JSON_OBJECT = re.compile(r"\{.*?\}", re.DOTALL)


@dataclass(frozen=True)
class Endpoint:
    url: str  # the chat-completions URL
    model: str = "default"
    api_key: str = ""
    timeout: float = 120.0

    @classmethod
    def from_url(cls, url: str, timeout: float = 120.0) -> Endpoint:
        """``url`` may be the server's root, its ``/v1``, or the full completions URL."""
        base = url.rstrip("/")
        if not base.endswith("/chat/completions"):
            base = base + ("/chat/completions" if base.endswith("/v1") else "/v1/chat/completions")
        return cls(
            url=base,
            model=os.environ.get(MODEL_VARIABLE, "default"),
            api_key=os.environ.get(API_KEY_VARIABLE, ""),
            timeout=timeout,
        )


class AnswerRejected(Exception):
    """The model's answer was unusable (not JSON, too long, ungrounded...)."""


# --------------------------------------------------------------------------- the writer


def rewrite_notes(episode: Episode, llm_url: str | None, *, timeout: float = 120.0) -> Episode:
    """``episode`` with the theme, chapter titles and summaries the model at ``llm_url``
    wrote, each kept from the extractive writer wherever the model failed."""
    if not llm_url or not episode.sentences:
        return episode
    endpoint = Endpoint.from_url(llm_url, timeout)
    transcript = "".join(tidy(s.text) for s in episode.sentences)
    chapters = [
        _rewrite_chapter(endpoint, episode, c, n, transcript)
        for n, c in enumerate(episode.chapters, 1)
    ]
    theme = _rewrite_theme(endpoint, episode, chapters, transcript)
    update: dict[str, object] = {"chapters": chapters}
    if theme:
        update.update(theme=theme, summary=_sentences(theme))
    return episode.model_copy(update=update)


def _rewrite_chapter(
    endpoint: Endpoint, episode: Episode, chapter: Chapter, number: int, transcript: str
) -> Chapter:
    text = "".join(tidy(s.text) for s in episode.chapter_sentences(chapter))
    prompt = _prompt(
        "chapter.txt",
        number=number,
        title=episode.meta.title,
        draft_title=chapter.title,
        transcript=text[:CHAPTER_TRANSCRIPT_CHARS],
    )
    try:
        answer = ask_json(endpoint, prompt)
        title = checked(answer.get("title"), "title", transcript)
        summary = checked(answer.get("summary"), "summary", transcript)
    except (AnswerRejected, OSError, ValueError) as error:
        log.warning("llm: chapter %d kept extractive: %s", number, error)
        return chapter
    return chapter.model_copy(update={"title": title.rstrip("。"), "summary": summary})


def _rewrite_theme(
    endpoint: Endpoint, episode: Episode, chapters: Sequence[Chapter], transcript: str
) -> str:
    outline = "\n".join(f"{n}. {c.title}: {c.summary}" for n, c in enumerate(chapters, 1))
    prompt = _prompt(
        "theme.txt",
        show=episode.meta.show,
        title=episode.meta.title,
        description=episode.meta.description or "(なし)",
        outline=outline,
        transcript=transcript[:THEME_TRANSCRIPT_CHARS],
    )
    grounding = "\n".join([transcript, episode.meta.description, episode.meta.title])
    try:
        return checked(ask_json(endpoint, prompt).get("theme"), "theme", grounding)
    except (AnswerRejected, OSError, ValueError) as error:
        log.warning("llm: theme kept extractive: %s", error)
        return ""


def _prompt(name: str, **fields: object) -> str:
    return (PROMPTS / name).read_text(encoding="utf-8").format(**fields)


def _sentences(text: str) -> list[str]:
    return [s for s in re.findall(r"[^。！？]+[。！？]?", text) if s.strip()]


# --------------------------------------------------------------------------- the endpoint


def ask_json(endpoint: Endpoint, prompt: str) -> dict:
    """The JSON object the model answers ``prompt`` with (cached by content)."""
    request = {
        "model": endpoint.model,
        "messages": [
            {"role": "system", "content": (PROMPTS / "system.txt").read_text(encoding="utf-8")},
            {"role": "user", "content": prompt},
        ],
        "temperature": 0.2,
        "max_tokens": 400,
    }
    key = hashlib.sha256(
        json.dumps([endpoint.url, request], ensure_ascii=False, sort_keys=True).encode()
    ).hexdigest()
    cached = _cache_path(key)
    if cached.exists():
        content = cached.read_text(encoding="utf-8")
    else:
        content = _post(endpoint, request)
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text(content, encoding="utf-8")
    return parse_answer(content)


def _cache_path(key: str) -> Path:
    root = os.environ.get(CACHE_VARIABLE) or Path.home() / ".cache" / "kikigaki" / "llm"
    return Path(root) / key[:2] / f"{key}.txt"


def _post(endpoint: Endpoint, request: dict) -> str:
    headers = {"Content-Type": "application/json"}
    if endpoint.api_key:
        headers["Authorization"] = f"Bearer {endpoint.api_key}"
    body = json.dumps(request, ensure_ascii=False).encode("utf-8")
    http = urllib.request.Request(endpoint.url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(http, timeout=endpoint.timeout) as response:
            data = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        raise AnswerRejected(f"HTTP {error.code} from {endpoint.url}") from None
    try:
        return str(data["choices"][0]["message"]["content"])
    except (KeyError, IndexError, TypeError):
        raise AnswerRejected("the response has no choices[0].message.content") from None


def parse_answer(content: str) -> dict:
    """The first JSON object in ``content`` (models often wrap it in prose or fences)."""
    for match in _JSON_OBJECT.finditer(content):
        try:
            value = json.loads(match.group(0))
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    raise AnswerRejected("the answer holds no JSON object")


# --------------------------------------------------------------------------- checks


def checked(value: object, kind: str, transcript: str) -> str:
    """``value`` if it passes the length, language and grounding checks for ``kind``."""
    if not isinstance(value, str):
        raise AnswerRejected(f"{kind}: not a string")
    text = " ".join(value.split())
    low, high = LIMITS[kind]
    if not low <= len(text) <= high:
        raise AnswerRejected(f"{kind}: {len(text)} characters, not {low}-{high}")
    if not is_japanese(text):
        raise AnswerRejected(f"{kind}: not Japanese")
    missing = ungrounded(text, transcript)
    if missing:
        raise AnswerRejected(f"{kind}: not in the transcript: {', '.join(missing[:5])}")
    return text


def is_japanese(text: str) -> bool:
    letters = _LETTER.findall(text)
    return bool(letters) and len(_JAPANESE.findall(text)) >= 0.4 * len(letters)


def ungrounded(text: str, transcript: str) -> list[str]:
    """The names and numbers of ``text`` that ``transcript`` never says."""
    source = _fold(transcript)
    return [name for name in dict.fromkeys(names_and_numbers(text)) if _fold(name) not in source]


def names_and_numbers(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKC", text)
    found = [*_LATIN_WORD.findall(folded), *_NUMBER.findall(folded)]
    found += [w.strip("・") for w in _KATAKANA_WORD.findall(folded)]
    found += [m.surface for m in tokenize(folded) if m.pos[1] == "固有名詞" and len(m.surface) > 1]
    return [f for f in found if f]


def _fold(text: str) -> str:
    return re.sub(r"[\s・]", "", unicodedata.normalize("NFKC", text).lower())
