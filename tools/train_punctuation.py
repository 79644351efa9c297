"""Train the shipped punctuation model: ``tools/punctuation/train.py`` does the work.

    nice -n 10 uv run python tools/train_punctuation.py --out postprocess/models/punctuation.npz

Kept so the command recorded in ``postprocess/models/README.md`` for earlier models still
has a home; the options are those of ``python -m tools.punctuation.train``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.punctuation.train import main

if __name__ == "__main__":
    raise SystemExit(main())
