"""The SQL side of the distributed mode: claims, who ran what, serial heads, stale jobs.

The store of record decides every transition; Redis only carries job ids. A worker *claims* a job with
one conditional ``UPDATE jobs … WHERE status = 'queued' …`` before it runs anything, so a job id delivered
twice (a re-enqueue after a Redis crash, a duplicate) still runs once, and a job cancelled while queued
never starts. Jobs sharing a ``serial_key`` (a dedicated session) are claimable only when none of them
runs and no older one is queued: the *head* of the key. The server enqueues only heads; when a serial job
ends, the next head is enqueued (``serial_heads``).

``job_runs`` records where a job ran (worker name, host, pid, GPU), written in the claim's transaction.
It is a table of its own so the embedded mode's ``jobs`` table (and its SQLite fast path) stay as they are.
"""

from __future__ import annotations

import builtins
import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from qhost.jobs.spec import JobRecord
from qhost.jobs.status import JobStatus
from qhost.store.sql_store import SqlStore, utcnow
from qhost.store.tables import JOB_RUNS

__all__ = [
    "RunInfo",
    "claim",
    "finish",
    "queued_heads",
    "run_info",
    "running_ids",
    "runs_table",
    "serial_heads",
    "stale_running",
]

_Q, _R = JobStatus.QUEUED.value, JobStatus.RUNNING.value


@dataclass(frozen=True)
class RunInfo:
    """Where a job ran."""

    worker: str
    host: str
    pid: int
    gpu: str | None


def runs_table(store: SqlStore) -> sa.Table:
    """The ``job_runs`` table on the store's metadata (created when missing)."""
    return store.define_table(
        JOB_RUNS,
        sa.Column("job_id", sa.String(64), primary_key=True),
        sa.Column("worker", sa.String(255), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("gpu", sa.String(32)),
    )


@functools.lru_cache(maxsize=16)
def _claim_statement(jobs: sa.Table) -> Any:
    """The claim ``UPDATE`` for ``jobs`` (built once per table: building it took ~1 ms per job)."""
    other = jobs.alias("other")
    same_key = other.c.serial_key == jobs.c.serial_key
    busy = sa.exists().where(same_key, other.c.status == _R)
    older = sa.exists().where(same_key, other.c.status == _Q, other.c.seq < jobs.c.seq)
    return (
        sa.update(jobs)
        .where(
            jobs.c.id == sa.bindparam("jid"),
            jobs.c.status == _Q,
            sa.or_(jobs.c.serial_key.is_(None), sa.and_(~busy, ~older)),
        )
        .values(
            status=_R,
            started_at=sa.bindparam("now"),
            heartbeat_at=sa.bindparam("now"),
            worker_pid=sa.bindparam("pid"),
        )
        .returning(*jobs.c)
    )


def claim(store: SqlStore, job_id: str, run: RunInfo) -> JobRecord | None:
    """Move ``job_id`` from QUEUED to RUNNING for ``run``; None when it is not claimable now.

    Not claimable: it is no longer queued (cancelled, already taken), or another job of its serial key
    runs or is older. The caller looks at the job again to tell these apart.
    """
    runs = runs_table(store)  # a job is claimed once (QUEUED -> RUNNING never happens twice): plain insert
    params = {"jid": job_id, "now": utcnow(), "pid": run.pid}
    with store.transaction() as conn:
        row = conn.execute(_claim_statement(store.jobs), params).first()
        if row is None:
            return None
        conn.execute(
            runs.insert().values(job_id=job_id, worker=run.worker, host=run.host, pid=run.pid, gpu=run.gpu)
        )
    return SqlStore._record(row)


def finish(store: SqlStore, job_id: str, ok: bool, text: str) -> bool:
    """Record a RUNNING job's outcome in one statement (no read back); False when it was not RUNNING."""
    jobs = store.jobs
    status = (JobStatus.COMPLETED if ok else JobStatus.FAILED).value
    values = {"status": status, "finished_at": utcnow(), "result" if ok else "error": text}
    stmt = sa.update(jobs).where(jobs.c.id == job_id, jobs.c.status == _R).values(**values)
    with store.transaction() as conn:
        return bool(conn.execute(stmt).rowcount == 1)


def run_info(store: SqlStore, job_ids: builtins.list[str]) -> dict[str, RunInfo]:
    """Where each of ``job_ids`` ran (jobs that never ran on a remote worker are absent)."""
    if not job_ids:
        return {}
    runs = runs_table(store)
    with store.reading() as conn:
        rows = conn.execute(sa.select(runs).where(runs.c.job_id.in_(job_ids))).all()
    return {r.job_id: RunInfo(r.worker, r.host, r.pid, r.gpu) for r in rows}


def serial_heads(store: SqlStore, serial_key: str | None = None) -> builtins.list[tuple[str, str | None]]:
    """``(job_id, backend)`` of the oldest queued job of each serial key that has no running job."""
    jobs = store.jobs
    other = jobs.alias("other")
    busy = sa.exists().where(other.c.serial_key == jobs.c.serial_key, other.c.status == _R)
    older = sa.exists().where(
        other.c.serial_key == jobs.c.serial_key, other.c.status == _Q, other.c.seq < jobs.c.seq
    )
    query = sa.select(jobs.c.id, jobs.c.backend).where(
        jobs.c.status == _Q, jobs.c.serial_key.is_not(None), ~busy, ~older
    )
    if serial_key is not None:
        query = query.where(jobs.c.serial_key == serial_key)
    with store.reading() as conn:
        return [(r.id, r.backend) for r in conn.execute(query.order_by(jobs.c.seq)).all()]


def queued_heads(
    store: SqlStore, older_than_s: float, exclude_programs: tuple[str, ...]
) -> builtins.list[tuple[str, str | None]]:
    """``(job_id, backend)`` of every queued job a worker could claim now, created ``older_than_s`` ago.

    Jobs without a serial key, plus the head of each serial key (see ``serial_heads``).
    """
    jobs = store.jobs
    cutoff = (datetime.now(UTC) - timedelta(seconds=older_than_s)).isoformat(timespec="microseconds")
    query = sa.select(jobs.c.id, jobs.c.backend).where(
        jobs.c.status == _Q,
        jobs.c.serial_key.is_(None),
        jobs.c.created_at < cutoff,
        jobs.c.program.not_in(exclude_programs),
    )
    with store.reading() as conn:
        free = [(r.id, r.backend) for r in conn.execute(query.order_by(jobs.c.seq)).all()]
    return free + serial_heads(store)


def stale_running(
    store: SqlStore, heartbeat_before: datetime, exclude_programs: tuple[str, ...]
) -> builtins.list[str]:
    """Ids of RUNNING jobs (not of ``exclude_programs``) whose last heartbeat is older than the cutoff."""
    jobs = store.jobs
    cutoff = heartbeat_before.isoformat(timespec="microseconds")
    query = sa.select(jobs.c.id).where(
        jobs.c.status == _R,
        jobs.c.program.not_in(exclude_programs),
        sa.or_(jobs.c.heartbeat_at.is_(None), jobs.c.heartbeat_at < cutoff),
    )
    with store.reading() as conn:
        return [r.id for r in conn.execute(query.order_by(jobs.c.seq)).all()]


def running_ids(store: SqlStore, exclude_programs: tuple[str, ...]) -> builtins.list[str]:
    """Ids of every RUNNING job (not of ``exclude_programs``)."""
    jobs = store.jobs
    query = sa.select(jobs.c.id).where(jobs.c.status == _R, jobs.c.program.not_in(exclude_programs))
    with store.reading() as conn:
        return [r.id for r in conn.execute(query).all()]
