"""``JobEngine.worker_snapshots()`` for the distributed workers: one dict per worker, the embedded shape.

Keys (the web console codes against exactly these): ``id``, ``kind`` (``"local"`` or ``"rq"``), ``host``,
``pid``, ``queues`` (list of str), ``gpu`` (str or None), ``state`` (``"starting"``, ``"idle"``, ``"busy"``,
``"suspended"`` or ``"unresponsive"``), ``current_job`` (str or None), ``jobs_done`` (int) and
``last_heartbeat`` (ISO-8601 UTC text or None).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

__all__ = ["snapshot"]


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
