"""The dispatch interface every worker pool implements, and what pools share.

``WorkerPool`` (``start``, ``reserve`` a free ``Slot``, ``Slot.run`` a ``Task``, ``kill`` a running job,
``stop``) is what the engine codes against; ``ProcessPool`` (:mod:`qhost.engine.local.workers`),
``ThreadPool`` (:mod:`qhost.engine.local.thread_pool`) and the distributed worker implement it.
"""

from __future__ import annotations

import signal
import socket
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "HEARTBEAT_S",
    "NO_WORKER",
    "DoneCallback",
    "NextCallback",
    "ProgressCallback",
    "Slot",
    "Task",
    "WorkerPool",
    "describe_exit",
    "iso_now",
    "snapshot",
]

HEARTBEAT_S = 10.0
"""Seconds between heartbeats a worker thread records for its running job."""

NO_WORKER = "no worker online"
"""Start of the reason a queued job shows when nothing can run it (``JobEngine.wait_reason``)."""

DoneCallback = Callable[[str, bool, str], None]
"""``on_done(job_id, ok, text)``: ``text`` is the result when ``ok``, else the failure reason."""

ProgressCallback = Callable[[str, int, int, str], None]
"""``on_progress(job_id, done, total, unit)``: a running job reported progress (throttled in the worker)."""

NextCallback = Callable[["Slot"], "Task | None"]
"""``take_next(slot)``: claim the next job for a worker that just finished one (None: go idle)."""


@dataclass(frozen=True)
class Task:
    """One claimed job as a worker needs it. ``target`` is the program's ``"module:function"``."""

    job_id: str
    program: str
    target: str
    backend: str | None
    inputs: str


def describe_exit(exitcode: int | None) -> str:
    """The failure reason for a job whose worker process died."""
    if exitcode is None:
        return "worker terminated unexpectedly (exit code unknown)"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = "unknown signal"
        hint = "; it may have run out of memory" if -exitcode == signal.SIGKILL else ""
        return f"worker terminated unexpectedly (signal {-exitcode} {name}{hint})"
    return f"worker terminated unexpectedly (exit code {exitcode})"


def iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def snapshot(
    worker_id: str, pid: int | None, queue_name: str, current: str | None, done: int, beat: str | None
) -> dict[str, Any]:
    """A worker as ``JobEngine.worker_snapshots`` reports it (the shape every dispatch mode shares)."""
    return {
        "id": worker_id,
        "kind": "local",
        "host": socket.gethostname(),
        "pid": pid,
        "queues": [queue_name],
        "gpu": None,
        "state": "busy" if current else "idle",
        "current_job": current,
        "jobs_done": done,
        "last_heartbeat": beat,
    }


class Slot(ABC):
    """A reserved place to run one task. Call exactly one of ``run`` or ``release``."""

    pid: int | None

    @abstractmethod
    def run(self, task: Task) -> None:
        """Start the task; the pool reports its end through ``on_done`` (not after a kill)."""

    @abstractmethod
    def release(self) -> None:
        """Give the slot back unused."""


class WorkerPool(ABC):
    """The dispatch interface: bounded slots that run tasks and report back through callbacks.

    Args of implementations include ``on_done`` (a task ended) and ``on_free`` (a slot became free);
    both are called from pool threads.
    """

    @abstractmethod
    def start(self) -> None:
        """Start the workers (returns without waiting for them to warm up)."""

    @abstractmethod
    def reserve(self) -> Slot | None:
        """A free slot, or None when all are busy or the pool is stopping."""

    @abstractmethod
    def kill(self, job_id: str) -> bool:
        """Stop a running task now. True when it was killed (``on_done`` then never comes)."""

    @abstractmethod
    def stop(self, timeout: float) -> None:
        """Let running tasks finish for up to ``timeout`` seconds, then kill what is left."""

    def heartbeat_jobs(self) -> list[str]:  # pragma: no cover - default for pools without heartbeats
        return []

    def snapshots(self) -> list[dict[str, Any]]:
        """One dict per worker (see ``JobEngine.worker_snapshots`` for the keys). Default: none."""
        return []

    def unavailable(self) -> str | None:
        """Why no slot will free up however long a job waits (every worker failed to start); None: fine."""
        return None

    def may_have_free_slot(self) -> bool:
        """False only when every slot is surely busy: whoever frees one then looks for work itself
        (``on_free``, or ``take_next``), so a new job need not wake the dispatcher. Default: True."""
        return True
