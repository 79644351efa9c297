"""Shared fixtures: paths to the seeds and the shared data, and one Prefect test server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.settings import apply_local_defaults

apply_local_defaults()

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
EPISODE_SEED = SEEDS / "002_d502b1dd49aa2187.txt"
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect server and database for every flow test of the session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is not present (the project's shared data, beside the repo)")
    return SHARED
