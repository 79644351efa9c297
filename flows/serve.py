"""``kikigaki serve``: the inbox scan as a Prefect deployment that never wedges.

At start, with the serve lock of the state folder held (one serve per inbox), runs of
this inbox's deployment left Running, Pending or Cancelling by a serve that died are
marked Crashed (Cancelled) and so give back the deployment's concurrency slot; late runs
left scheduled meanwhile are cancelled, and one scan runs at once. Then the schedule
runs. Stopping serve (SIGINT, SIGTERM) cancels the run in flight (its process is
stopped, the run marked Cancelled, the slot released) before the server stops; the
stopping marker (:func:`flows.service.stopping_marker`) keeps the episode it was on
from being recorded as failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import signal
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flows.local_server import DEFAULT_PORT, prefect_api
from flows.service import scan_inbox, state_dir, stopping_marker
from kikigaki.errors import KikigakiError
from pipeline.options import Options

_POLL_SECONDS = 2.0  # how often the runner looks for due runs (the start-up scan)
_STALE = ("RUNNING", "PENDING", "CANCELLING")


@contextlib.contextmanager
def serve_lock(state: Path) -> Iterator[None]:
    """Held while a serve runs on this state folder: runs of a dead serve are stale."""
    state.mkdir(parents=True, exist_ok=True)
    with (state / "serve.lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise KikigakiError(state, "another kikigaki serve is running on this inbox",
                                "stop it first, or give another --state") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def serve_inbox(
    inbox: Path, options: Options, *, schedule: dict[str, Any], name: str,
    feed: str | None = None, state: Path | None = None, port: int = DEFAULT_PORT,
    say: Callable[[str], None] = print,
) -> None:
    """Serve the scan of ``inbox`` on ``schedule`` until SIGINT or SIGTERM."""
    state_path = state_dir(inbox, state)
    parameters = {"inbox": inbox, "options": options, "feed": feed, "state": state,
                  "announce": True}
    with serve_lock(state_path), prefect_api(state_path / "prefect", port) as url:
        stopping_marker(state_path).unlink(missing_ok=True)  # left by a serve killed stopping
        say(f"serve: Prefect UI at {url.removesuffix('/api')} (API {url}); scanning "
            f"{inbox} now, then {_when(schedule)}; Ctrl-C to stop")
        deployment = scan_inbox.to_deployment(
            name=name, parameters=parameters, concurrency_limit=1, **schedule)
        try:
            asyncio.run(_serve(deployment, inbox, state_path, say))
        finally:
            stopping_marker(state_path).unlink(missing_ok=True)


def _when(schedule: dict[str, Any]) -> str:
    if "interval" in schedule:
        return f"every {schedule['interval']:g} s"
    return f"on cron {schedule['cron']!r}"


async def _serve(deployment: Any, inbox: Path, state: Path,
                 say: Callable[[str], None]) -> None:
    from prefect import get_client
    from prefect.runner import Runner

    runner = Runner(name=f"kikigaki-{deployment.name}", query_seconds=_POLL_SECONDS,
                    pause_on_shutdown=False, limit=1)
    deployment_id = await runner.aadd_deployment(deployment)
    async with get_client() as client:
        recovered = await recover_stale_runs(client, deployment_id, inbox)
        if recovered:
            say(f"serve: {recovered} run(s) left by a stopped serve marked crashed")
        await client.create_flow_run_from_deployment(deployment_id)  # the start-up scan
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Runner.start installs this as its SIGTERM handler (it would exit, leaving the run).
    runner.handle_sigterm = lambda *_: loop.call_soon_threadsafe(stop.set)  # type: ignore[method-assign]
    running = asyncio.create_task(runner.start())
    loop.add_signal_handler(signal.SIGINT, stop.set)
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait({running, stopped}, return_when=asyncio.FIRST_COMPLETED)
    say("serve: stopping: cancelling the run in flight …")
    stopping_marker(state).touch()  # what fails now is not the episode's fault
    with contextlib.suppress(Exception):
        await runner.cancel_all(state_msg="kikigaki serve was stopped")
        async with get_client() as client:
            await end_orphaned_episodes(client, deployment_id, inbox)
    with contextlib.suppress(Exception):
        await runner.astop()
    with contextlib.suppress(Exception, asyncio.CancelledError):
        await asyncio.wait_for(running, timeout=30)
    loop.remove_signal_handler(signal.SIGINT)
    say("serve: stopped")


async def recover_stale_runs(client: Any, deployment_id: Any, inbox: Path) -> int:
    """Mark this inbox's runs that no process runs any more as Crashed (Cancelling ones
    as Cancelled), with their episode sub-flows, releasing their concurrency slots;
    cancel runs left waiting past their time (the start-up scan does their work). The
    caller holds the serve lock. Returns how many scans were recovered."""
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.client.schemas.objects import StateType

    runs = await client.read_flow_runs(
        deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
        flow_run_filter=_in_states([*_STALE, "SCHEDULED"]),
    )
    now, recovered = datetime.now(UTC), 0
    for run in runs:
        if Path(str(run.parameters.get("inbox", ""))) != inbox or run.state is None:
            continue
        if run.state.type != StateType.SCHEDULED:
            await _end_stale(client, run)
            recovered += 1
        elif (run.expected_start_time or now) < now:
            from prefect.states import Cancelled

            await client.set_flow_run_state(run.id, Cancelled(
                message="late while serve was stopped; the start-up scan does its work"),
                force=True)
    await end_orphaned_episodes(client, deployment_id, inbox)
    await _free_slots(client, deployment_id)
    return recovered


async def end_orphaned_episodes(client: Any, deployment_id: Any, inbox: Path) -> None:
    """Episode sub-flows still marked running under a scan of ours that has ended."""
    for run in await client.read_flow_runs(flow_run_filter=_in_states(_STALE)):
        if await _parent_scan(client, run) == (deployment_id, inbox):
            await _end_stale(client, run)


async def _parent_scan(client: Any, run: Any) -> tuple[Any, Path] | None:
    """The deployment and inbox of the scan ``run`` is a sub-flow of, if any."""
    if run.deployment_id is not None or run.parent_task_run_id is None:
        return None
    parent_task = await client.read_task_run(run.parent_task_run_id)
    if parent_task.flow_run_id is None:
        return None
    parent = await client.read_flow_run(parent_task.flow_run_id)
    return parent.deployment_id, Path(str(parent.parameters.get("inbox", "")))


def _in_states(names: list[str], parent: Any = None) -> Any:
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterParentFlowRunId,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    state = FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType[n] for n in names]))
    if parent is None:
        return FlowRunFilter(state=state)
    return FlowRunFilter(state=state,
                         parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent]))


async def _end_stale(client: Any, run: Any) -> None:
    """A run (and its running sub-flows) whose process is gone: Crashed, or Cancelled
    if it was being cancelled."""
    from prefect.client.schemas.objects import StateType
    from prefect.states import Cancelled, Crashed

    for child in await client.read_flow_runs(flow_run_filter=_in_states(_STALE, run.id)):
        await _end_stale(client, child)
    if run.state.type == StateType.CANCELLING:
        state = Cancelled(message="its serve process stopped")
    else:
        state = Crashed(message="its kikigaki serve process stopped before it finished")
    await client.set_flow_run_state(run.id, state, force=True)


async def _free_slots(client: Any, deployment_id: Any) -> None:
    """No run of this deployment runs now: a slot still taken is a leak (a lease a dead
    process held); give it back, as ``prefect gcl update --active-slots 0`` would."""
    from prefect.client.schemas.actions import GlobalConcurrencyLimitUpdate
    from prefect.exceptions import ObjectNotFound

    name = f"deployment:{deployment_id}"
    try:
        limit = await client.read_global_concurrency_limit_by_name(name)
    except ObjectNotFound:
        return
    if limit.active_slots:
        await client.update_global_concurrency_limit(
            name, GlobalConcurrencyLimitUpdate(active_slots=0))
