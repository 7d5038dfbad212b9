"""What Redis says about the distributed workers: snapshots per worker, workers per queue.

Read-only; used by ``RqJobEngine`` (status page, console) and by ``qhost backends --broker``. A worker
whose last heartbeat is older than three heartbeat intervals is reported ``"unresponsive"`` and does not
count as serving its queues (RQ forgets a dead worker only when its key expires, 80 s later).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from rq import Queue
from rq.serializers import JSONSerializer
from rq.worker import Worker

from qhost.engine.distributed.common import SafeJob, connect_broker
from qhost.engine.distributed.snapshots import snapshot
from qhost.engine.pool import NO_WORKER

__all__ = [
    "NO_WORKER",
    "queue_report",
    "queue_workers",
    "responsive_workers",
    "rq_worker_snapshots",
    "version_mismatches",
]

_IDLE_BEAT_S = 5.0  # an idle qhost worker re-registers this often (RQ worker TTL 20 s - 15)


def rq_worker_snapshots(conn: Any) -> list[dict[str, Any]]:
    """One snapshot dict per worker registered in Redis."""
    workers = Worker.all(connection=conn, job_class=SafeJob, serializer=JSONSerializer)
    with conn.pipeline() as pipe:
        for w in workers:
            pipe.hmget(w.key, "qhost_gpu", "qhost_jobs_done")
        extras = pipe.execute()
    now = datetime.now(UTC)
    out = []
    for w, (gpu, done) in zip(workers, extras, strict=True):
        beat = w.last_heartbeat.replace(tzinfo=UTC) if w.last_heartbeat else None
        state = str(w.get_state()) if _responsive(w, now) else "unresponsive"
        out.append(
            snapshot(
                id=w.name,
                kind="rq",
                host=w.hostname or "",
                pid=w.pid,
                queues=w.queue_names(),
                gpu=(gpu or b"").decode() or None,
                state=state,
                current_job=w.get_current_job_id(),
                jobs_done=int(done or 0),
                last_heartbeat=beat,
            )
        )
    return out


def _responsive(worker: Any, now: datetime) -> bool:
    beat = worker.last_heartbeat.replace(tzinfo=UTC) if worker.last_heartbeat else None
    limit = 3 * max(_IDLE_BEAT_S, worker.job_monitoring_interval)
    return beat is not None and (now - beat).total_seconds() <= limit


def responsive_workers(conn: Any, queue_name: str) -> int:
    """Responsive workers serving ``queue_name``, from RQ's per-queue worker registry."""
    queue = Queue(queue_name, connection=conn, serializer=JSONSerializer)
    workers = Worker.all(connection=conn, job_class=SafeJob, queue=queue, serializer=JSONSerializer)
    now = datetime.now(UTC)
    return sum(_responsive(w, now) for w in workers)


def _counts(conn: Any, queues: Iterable[str]) -> dict[str, int]:
    names = [*queues, *(q.name for q in Queue.all(connection=conn, serializer=JSONSerializer))]
    counts = dict.fromkeys(names, 0)
    for snap in rq_worker_snapshots(conn):
        if snap["state"] != "unresponsive":
            for name in snap["queues"]:
                counts[name] = counts.get(name, 0) + 1
    return counts


def queue_report(conn: Any, queues: Iterable[str] = ()) -> dict[str, dict[str, Any]]:
    """Per queue (``queues`` plus every queue Redis knows): workers, jobs waiting, ``ok``/``NO_WORKER``."""
    report = {}
    for name, workers in sorted(_counts(conn, queues).items()):
        waiting = Queue(name, connection=conn, serializer=JSONSerializer).count
        report[name] = {"workers": workers, "queued": waiting, "state": "ok" if workers else NO_WORKER}
    return report


def queue_workers(broker_url: str, queues: Iterable[str]) -> dict[str, int]:
    """Responsive workers per queue, straight from the broker (``ConfigurationError`` if unreachable)."""
    return _counts(connect_broker(broker_url), queues)


def version_mismatches(conn: Any, mine: dict[str, str]) -> dict[str, list[str]]:
    """Workers whose recorded qhost/qiskit versions differ from ``mine``.

    Returns ``{worker name: ["qhost A there, B here", ...]}``.
    """
    workers = Worker.all(connection=conn, job_class=SafeJob, serializer=JSONSerializer)
    fields = [f"{package}_version" for package in mine]
    with conn.pipeline() as pipe:
        for w in workers:
            pipe.hmget(w.key, *fields)
        rows = pipe.execute()
    out = {}
    for w, values in zip(workers, rows, strict=True):
        diffs = [
            f"{package} {value.decode()} there, {mine[package]} here"
            for package, value in zip(mine, values, strict=True)
            if value is not None and value.decode() != mine[package]
        ]
        if diffs:
            out[w.name] = diffs
    return out
