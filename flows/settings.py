"""Prefect defaults for local runs, applied before Prefect is imported.

Only defaults: a value the user set in the environment wins.
"""

from __future__ import annotations

import logging
import os
import re

LOCAL_DEFAULTS = {
    # The temporary local server's telemetry heartbeat races the flow for its SQLite
    # database ("database is locked") and would phone home; neither helps a local run.
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    # Prefect's 20 s is too short for a busy 2-core machine (seen: 30-45 s under load).
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}
_RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")
_CACHE_NOT_STORED = "An error was encountered while committing transaction"


class _DropReportedFailures(logging.Filter):
    """Drops Prefect's ERROR records (tracebacks) that would bury the CLI's one line.

    Those are a run that failed with a KikigakiError (the CLI prints it as one line) and
    a task result the cache could not store (a full disk: the run goes on without the
    cache and, if it fails, says why in one line). Any other failure is still logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        from kikigaki.errors import KikigakiError

        if record.levelno < logging.ERROR:
            return True
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, KikigakiError):
            return False
        if isinstance(error, OSError) and record.getMessage().startswith(_CACHE_NOT_STORED):
            return False
        names = "|".join(_class_names(KikigakiError))
        failed = re.search(rf"encountered an exception\W*(?:{names})\b", record.getMessage())
        return failed is None


def _class_names(cls: type) -> list[str]:
    return [cls.__name__, *(n for sub in cls.__subclasses__() for n in _class_names(sub))]


_DROP_REPORTED = _DropReportedFailures()


# The inbox service: run logs at INFO go to the Prefect UI; the console keeps to the
# service's own lines (one per scan) and errors.
SERVICE_DEFAULTS = {
    "PREFECT_LOGGING_LEVEL": "INFO",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "ERROR",
}


def apply_local_defaults(*, verbose: bool = False, service: bool = False) -> None:
    defaults = {**LOCAL_DEFAULTS, **(SERVICE_DEFAULTS if service else {})}
    for name, value in defaults.items():
        if verbose and name.startswith("PREFECT_LOGGING_"):
            continue
        os.environ.setdefault(name, value)
    for name in _RUN_LOGGERS:
        logger = logging.getLogger(name)
        if verbose:
            logger.removeFilter(_DROP_REPORTED)
        else:
            logger.addFilter(_DROP_REPORTED)


def quiet_dask(*, verbose: bool = False) -> None:
    """Dask's own INFO lines (scheduler, nannies, workers: dozens a run) only when asked;
    read by every Dask process at import, so set before ``distributed`` is imported."""
    if not verbose:
        os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
