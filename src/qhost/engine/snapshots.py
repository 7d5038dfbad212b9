"""``JobEngine.worker_snapshots()``: one dict per worker, the same shape in both modes.

Keys (the web console codes against exactly these): ``id``, ``kind`` (``"local"`` or ``"rq"``), ``host``,
``pid``, ``queues`` (list of str), ``gpu`` (str or None), ``state`` (``"starting"``, ``"idle"``, ``"busy"``,
``"suspended"`` or ``"unresponsive"``), ``current_job`` (str or None), ``jobs_done`` (int) and
``last_heartbeat`` (ISO-8601 UTC text or None).
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from qhost.engine.workers import WorkerState

__all__ = ["LOCAL_QUEUE", "local_snapshots", "snapshot"]

LOCAL_QUEUE = "local"
"""The queue name local worker processes report (they serve every program of their server)."""


def snapshot(
    *,
    id: str,
    kind: str,
    host: str,
    pid: int | None,
    queues: list[str],
    gpu: str | None,
    state: str,
    current_job: str | None,
    jobs_done: int,
    last_heartbeat: datetime | None,
) -> dict[str, Any]:
    """One worker's snapshot dict (``last_heartbeat`` rendered as ISO text)."""
    beat = None if last_heartbeat is None else last_heartbeat.astimezone(UTC).isoformat(timespec="seconds")
    return {
        "id": id,
        "kind": kind,
        "host": host,
        "pid": pid,
        "queues": list(queues),
        "gpu": gpu,
        "state": state,
        "current_job": current_job,
        "jobs_done": int(jobs_done),
        "last_heartbeat": beat,
    }


def local_snapshots(states: Iterable[WorkerState]) -> list[dict[str, Any]]:
    """Snapshots of the embedded engine's worker processes."""
    host = socket.gethostname()
    return [
        snapshot(
            id=f"local-{s.index}",
            kind="local",
            host=host,
            pid=s.pid,
            queues=[LOCAL_QUEUE],
            gpu=None,
            state=s.state,
            current_job=s.current_job,
            jobs_done=s.jobs_done,
            last_heartbeat=None if s.last_seen is None else datetime.fromtimestamp(s.last_seen, UTC),
        )
        for s in states
    ]
