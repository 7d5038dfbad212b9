"""``qhost worker``: check the configuration, then start and supervise N worker processes.

Before starting anything the launcher reaches the broker and the database (a clear error naming the URL,
without its password, when either fails) and compares its qhost and qiskit versions with those the server
recorded in Redis (``SERVER_KEY``): a difference is refused, naming both, unless told to only warn.

Each worker process (``rq_worker.worker_process``) serves the queues one job at a time. With ``gpus``
there is one process per GPU, each seeing only its own (``CUDA_VISIBLE_DEVICES``), so one GPU never runs
two jobs. A worker that dies is started again (after a second); SIGTERM/SIGINT ask every worker to finish
its current job and stop (RQ's warm shutdown), a second signal kills them. Worker processes die with the
launcher, even when it is killed with SIGKILL (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from qhost.engine.distributed.common import SERVER_KEY, connect_broker, redact_url, software_versions
from qhost.engine.distributed.worker import WorkerConfig, worker_process
from qhost.errors import ConfigurationError
from qhost.store.sql_store import SqlStore

__all__ = [
    "await_services",
    "broker_connection",
    "check_database",
    "check_versions",
    "run_workers",
    "signal_process",
    "worker_configs",
]

log = logging.getLogger(__name__)

_RESTART_DELAY_S = 1.0


def check_database(url: str) -> None:
    """Connect to the job store once. ``ConfigurationError`` naming the URL (no password) when it fails."""
    shown = redact_url(url)
    try:
        store = SqlStore(url)
    except ConfigurationError:
        raise
    except Exception as exc:
        raise ConfigurationError(f"Cannot use the database {shown}: {_first_line(exc)}") from None
    try:
        store.ping()
    except Exception as exc:
        raise ConfigurationError(f"Cannot use the database {shown}: {_first_line(exc)}") from None
    finally:
        store.close()


def await_services(
    broker_url: str, database_url: str, wait_s: float, *, stop: threading.Event | None = None
) -> Any:
    """The broker connection once the broker and the database answer, retrying for up to ``wait_s`` s.

    Backoff 1, 2, 4 … 10 s between tries, each failure logged with its reason; after ``wait_s`` (0: a single
    try) the last ``ConfigurationError`` ("Cannot reach the broker …" / "Cannot use the database …") is
    raised. For workers started beside their services (compose), which come up in any order.
    """
    deadline = time.monotonic() + max(0.0, wait_s)
    delay = 1.0
    while True:
        try:
            conn = broker_connection(broker_url)
            check_database(database_url)
            return conn
        except ConfigurationError as exc:
            left = deadline - time.monotonic()
            if left <= 0:
                raise
            pause = min(delay, left)
            log.warning("%s; retrying in %.0f s (waiting up to %.0f s more)", exc.message, pause, left)
            time.sleep(pause)
            delay = min(2 * delay, 10.0)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def check_versions(conn: Any, *, strict: bool = True) -> list[str]:
    """Compare this process's qhost/qiskit versions with the server's record; returns the differences.

    Raises:
        ConfigurationError: a version differs and ``strict`` (the message names both versions).
    """
    raw = conn.hgetall(SERVER_KEY)
    server = {k.decode(): v.decode() for k, v in raw.items()}
    if not server:
        log.warning("no qhost server has registered with this broker yet; versions not compared")
        return []
    mine = software_versions()
    diffs = [
        f"{name} {mine[name]} here, {server[f'{name}_version']} on the server"
        for name in mine
        if server.get(f"{name}_version") not in (None, mine[name])
    ]
    if diffs and strict:
        raise ConfigurationError(
            "Worker and server versions differ: "
            + "; ".join(diffs)
            + ". Install the server's versions, or pass --ignore-version-mismatch to run anyway"
        )
    for diff in diffs:
        log.warning("version mismatch: %s", diff)
    return diffs


def worker_configs(base: WorkerConfig, count: int, gpus: Sequence[str] | None) -> list[WorkerConfig]:
    """One config per worker process: ``count`` CPU workers, or one per GPU in ``gpus``."""
    if gpus:
        if count != 1:
            raise ConfigurationError(
                f"Give -n or --gpus, not both (--gpus starts one worker per GPU; got -n {count})"
            )
        if len(set(gpus)) != len(gpus):
            raise ConfigurationError(f"--gpus lists a GPU twice: {','.join(gpus)} (one worker per GPU)")
        return [replace(base, gpu=gpu) for gpu in gpus]
    if count < 1:
        raise ConfigurationError(f"-n must be at least 1, got {count}")
    return [base] * count


def run_workers(configs: Sequence[WorkerConfig], stop: threading.Event | None = None) -> None:
    """Start one process per config and keep them running until SIGTERM/SIGINT (or ``stop`` is set)."""
    stop = stop or threading.Event()
    ctx = multiprocessing.get_context("spawn")
    procs: list[Any] = [None] * len(configs)
    hard = threading.Event()

    def on_signal(*_: object) -> None:
        if stop.is_set():
            hard.set()
        stop.set()

    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, on_signal)
    started = [0.0] * len(configs)
    while not stop.is_set():
        for i, cfg in enumerate(configs):
            proc = procs[i]
            if proc is not None and (proc.is_alive() or time.monotonic() - started[i] < _RESTART_DELAY_S):
                continue
            if proc is not None:
                log.warning(
                    "worker process %s ended (exit code %s); starting another", proc.pid, proc.exitcode
                )
            procs[i] = ctx.Process(target=worker_process, args=(cfg,), name=f"qhost-rq-worker-{i}")
            procs[i].start()
            started[i] = time.monotonic()
        stop.wait(0.5)
    _stop_all([p for p in procs if p is not None], hard)


def _stop_all(procs: list[Any], hard: threading.Event) -> None:
    """SIGTERM: RQ's warm shutdown (finish the current job). After a second signal to the launcher, a
    second SIGTERM: RQ's cold shutdown (kill the job, record it failed). SIGKILL only if that hangs."""
    for proc in procs:
        if proc.is_alive() and proc.pid is not None:
            signal_process(proc.pid, signal.SIGTERM)
    while any(p.is_alive() for p in procs) and not hard.wait(0.2):
        pass
    for proc in procs:
        if proc.is_alive() and proc.pid is not None:
            signal_process(proc.pid, signal.SIGTERM)
    for proc in procs:
        proc.join(10)
        if proc.is_alive():
            proc.kill()
            proc.join(5)


def signal_process(pid: int, signum: int) -> None:
    import contextlib
    import os

    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def broker_connection(url: str) -> Any:
    """The broker, checked (see ``connect_broker``)."""
    return connect_broker(url)
