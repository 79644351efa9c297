"""Prefect defaults for local runs, applied before Prefect is imported.

Only defaults: a value the user set in the environment wins.
"""

from __future__ import annotations

import os

LOCAL_DEFAULTS = {
    # The temporary local server's telemetry heartbeat races the flow for its SQLite
    # database ("database is locked") and would phone home; neither helps a local run.
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
}


def apply_local_defaults(*, verbose: bool = False) -> None:
    for name, value in LOCAL_DEFAULTS.items():
        if verbose and name == "PREFECT_LOGGING_LEVEL":
            continue
        os.environ.setdefault(name, value)
