"""Read-only queries of the ``jobs`` table for the console and ``/metrics``: pages, counts, queue lengths.

Only light columns are read (never ``inputs`` or ``result``) and every query is bounded. Each console
filter column has an index that starts with it and ends with ``seq`` (``ensure_read_indexes``), so a page
costs the same with 100 or 100,000 jobs in the store; ``(status, backend)`` serves the per-scrape
``GROUP BY`` of ``/metrics``.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from qhost.jobs.status import FINAL, JobStatus

if TYPE_CHECKING:
    from qhost.store.sql_store import SqlStore

__all__ = [
    "LIGHT_COLUMNS",
    "counts_by_status_backend",
    "ensure_read_indexes",
    "finished_window",
    "job_page",
    "queue_lengths",
    "waiting_figures",
]

LIGHT_COLUMNS = (
    "id", "owner", "program", "backend", "status", "session_id", "created_at", "started_at",
    "finished_at", "worker_pid", "tags",
)  # fmt: skip
"""The columns a listing reads (never ``inputs`` or ``result``)."""
_FILTER_COLUMNS = ("owner", "backend", "program", "session_id")
_ACTIVE = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)


def ensure_read_indexes(store: SqlStore) -> None:
    """Add the read indexes of the console and ``/metrics`` to the jobs table (idempotent).

    ``(<filter column>, seq)`` for each workloads filter, and ``(status, backend)`` for the per-scrape
    ``GROUP BY``; existing databases get them too.
    """
    wanted = {f"ix_jobs_{c}_seq": (c, "seq") for c in _FILTER_COLUMNS}
    wanted["ix_jobs_status_backend"] = ("status", "backend")
    for name, columns in wanted.items():
        store.add_index(store.jobs, name, *columns)


def job_page(
    store: SqlStore,
    equal: Mapping[str, str],
    statuses: Iterable[str] | None,
    *,
    limit: int,
    offset: int,
    count_cap: int,
) -> tuple[builtins.list[dict[str, Any]], int]:
    """One page of jobs (light columns, newest first) whose columns ``equal`` the given values and whose
    status is one of ``statuses`` (any for None), and how many match, counted up to ``count_cap + 1``."""
    t = store.jobs
    conds: list[Any] = [t.c[column] == value for column, value in equal.items()]
    if statuses is not None:
        conds.append(t.c.status.in_(builtins.list(statuses)))
    where = sa.and_(True, *conds)
    columns = [t.c[n] for n in LIGHT_COLUMNS]
    page = sa.select(*columns).where(where).order_by(t.c.seq.desc()).limit(limit).offset(offset)
    counted = sa.select(t.c.seq).where(where).limit(count_cap + 1).subquery()
    with store.reading() as conn:
        rows = [dict(r) for r in conn.execute(page).mappings().all()]
        total = int(conn.execute(sa.select(sa.func.count()).select_from(counted)).scalar_one())
    return rows, total


def waiting_figures(
    store: SqlStore, job_id: str, backend: str | None, sample: int
) -> tuple[int, builtins.list[tuple[str, str]]]:
    """How many queued jobs were submitted before ``job_id``, and ``(started_at, finished_at)`` of the last
    ``sample`` completed jobs on ``backend`` (one read transaction)."""
    t = store.jobs
    runs = (
        sa.select(t.c.started_at, t.c.finished_at)
        .where(t.c.backend == backend, t.c.status == JobStatus.COMPLETED.value)
        .order_by(t.c.seq.desc())
        .limit(sample)
    )
    with store.reading() as conn:
        seq = conn.execute(sa.select(t.c.seq).where(t.c.id == job_id)).scalar()
        ahead = conn.execute(
            sa.select(sa.func.count()).where(t.c.status == JobStatus.QUEUED.value, t.c.seq < (seq or 0))
        ).scalar_one()
        times = [(s, f) for s, f in conn.execute(runs) if s and f]
    return int(ahead), times


def queue_lengths(store: SqlStore) -> dict[str, int]:
    """Queued + running jobs per backend, in one ``GROUP BY`` (the status index narrows it)."""
    t = store.jobs
    query = sa.select(t.c.backend, sa.func.count()).where(t.c.status.in_(_ACTIVE)).group_by(t.c.backend)
    with store.reading() as conn:
        return {str(backend): int(n) for backend, n in conn.execute(query).all()}


def counts_by_status_backend(store: SqlStore) -> builtins.list[tuple[str, str | None, int]]:
    """``(status, backend, jobs)`` for every pair present (one ``GROUP BY``)."""
    t = store.jobs
    query = sa.select(t.c.status, t.c.backend, sa.func.count()).group_by(t.c.status, t.c.backend)
    with store.reading() as conn:
        return [(str(s), b, int(n)) for s, b, n in conn.execute(query).all()]


_Key = tuple[int, str]
_Times = tuple[str | None, str, str | None, str | None]
"""``(backend, created_at, started_at, finished_at)`` of a job."""


def finished_window(
    store: SqlStore, size: int, missing: Callable[[builtins.list[_Key]], builtins.list[int]]
) -> tuple[int, builtins.list[_Key], dict[_Key, _Times]]:
    """The finished jobs among the ``size`` newest (by submission), in one read transaction.

    Returns ``(low, keys, times)``: ``seq`` below which jobs are out of the window, ``(seq, id)`` of every
    finished job in it, and the times of those whose ``seq`` ``missing(keys)`` returns (the caller's cache
    lacks them; more than 200 missing read the whole window in one range read instead).
    """
    t = store.jobs
    final = [s.value for s in FINAL]
    with store.reading() as conn:
        low = (conn.execute(sa.select(sa.func.max(t.c.seq))).scalar() or 0) - size
        keys = [(seq, job_id) for seq, job_id in conn.execute(
            sa.select(t.c.seq, t.c.id).where(t.c.status.in_(final), t.c.seq > low))]  # fmt: skip
        wanted = missing(keys)
        query = sa.select(t.c.seq, t.c.id, t.c.backend, t.c.created_at, t.c.started_at, t.c.finished_at)
        if len(wanted) > 200:  # the first scrape: one range read beats many IN lists
            query = query.where(t.c.seq > low, t.c.status.in_(final))
        else:
            query = query.where(t.c.seq.in_(wanted))
        times = {(seq, job_id): (backend, *rest) for seq, job_id, backend, *rest in conn.execute(query)}
    return low, keys, times  # type: ignore[return-value]
