"""Caching and resume of the audio flow, measured.

On a synthetic Japanese episode (``bench/synth_episode.py``, default 3 minutes), with a
fresh Prefect home so nothing is cached at first:

1. **resume**: ``kikigaki transcribe`` is started and killed (SIGKILL) as soon as it
   reports the diarization stage; the rerun's ASR stage time is compared with a full
   ASR stage;
2. **unchanged rerun**: the flow runs twice more in one process; the second run's time
   as a share of the first full run (goal <= 5 %);
3. **glossary change**: a run with one more glossary entry; which stages took time.

Printed: stage times of each run and the ratios. Timings are printed, never checked.

    uv run python bench/cache.py [--minutes 3]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

EXTRA_GLOSSARY = """[[term]]
canonical = "ウォームアップ"
reading = "ウォームアップ"
definition = "学習率を最初だけ小さくする工夫。"
"""


def kill_during_diarization(audio: Path, out: Path, env: dict[str, str]) -> float:
    """Run the CLI until it starts diarizing, then kill it; seconds it ran."""
    began = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "commands.cli", "transcribe", str(audio), "--out", str(out)],
        cwd=REPO, env=env, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    assert process.stderr is not None
    for line in process.stderr:
        if "diarize …" in line and "transcribe:" in line:
            time.sleep(2.0)  # well inside diarization
            os.killpg(process.pid, signal.SIGKILL)
            break
    process.wait()
    return time.perf_counter() - began


def timed_run(audio: Path, out: Path, glossary: tuple[Path, ...] = ()) -> tuple[float, dict]:
    from flows.transcribe_flow import transcribe_episode

    began = time.perf_counter()
    result = transcribe_episode(audio=audio, out=out, glossary_paths=glossary,
                                show_progress=False)
    return time.perf_counter() - began, result.timings


def _stages(timings: dict[str, float]) -> str:
    return ", ".join(f"{name} {seconds:.1f}" for name, seconds in timings.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--work", type=Path, default=Path(tempfile.mkdtemp(prefix="kk-cache-")))
    args = parser.parse_args()
    home = args.work / "prefect-home"
    os.environ["PREFECT_HOME"] = str(home)  # empty cache, before Prefect is imported
    from bench.synth_episode import write_episode
    from flows.settings import apply_local_defaults

    apply_local_defaults()
    tts = Path(tempfile.gettempdir()) / "kk-bench" / "tts"
    first_episode = write_episode(args.work / "a", minutes=args.minutes, speakers=3, cache=tts)
    other_episode = write_episode(args.work / "b", minutes=args.minutes, speakers=3, seed=1,
                                  cache=tts)
    out = args.work / "site"
    first, first_stages = timed_run(first_episode.wav, out)
    print(f"first run {first:.1f} s: {_stages(first_stages)}")
    again, again_stages = timed_run(first_episode.wav, out)
    print(f"unchanged rerun {again:.1f} s: {_stages(again_stages)}")
    glossary = args.work / "extra.toml"
    glossary.write_text(EXTRA_GLOSSARY, encoding="utf-8")
    changed, changed_stages = timed_run(first_episode.wav, out, (glossary,))
    print(f"glossary changed {changed:.1f} s: {_stages(changed_stages)}")
    env = {**os.environ, "PREFECT_HOME": str(home)}
    killed = kill_during_diarization(other_episode.wav, args.work / "site-b", env)
    print(f"another episode: killed during diarization after {killed:.1f} s")
    resumed, resumed_stages = timed_run(other_episode.wav, args.work / "site-b")
    print(f"resumed run {resumed:.1f} s: {_stages(resumed_stages)}")
    print(f"unchanged rerun / first run = {again / first:.3f}; glossary change / first run ="
          f" {changed / first:.3f}; resumed ASR stage {resumed_stages.get('asr', 0):.2f} s"
          f" vs a full ASR stage {first_stages.get('asr', 0):.2f} s")


if __name__ == "__main__":
    main()
