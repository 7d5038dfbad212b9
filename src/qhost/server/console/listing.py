"""The console's reads of the store: one page of jobs, recent sessions, queue lengths, job counts.

Only light columns are read (never ``inputs`` or ``result``), every query is bounded (``LIMIT``; the total
is counted up to ``COUNT_CAP`` and shown as "10000+" beyond), and each filter column has an index that
starts with it and ends with ``seq`` (``ensure_indexes``), so a page costs the same with 100 or 100,000
jobs in the store.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, select

from qhost.errors import InputError
from qhost.jobs.status import JobStatus

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sqlalchemy import Table

    from qhost.store.sql_store import SqlStore

__all__ = [
    "COUNT_CAP",
    "MAX_FILTER_CHARS",
    "MAX_PAGE",
    "PAGE_SIZE",
    "STATE_CHOICES",
    "Filters",
    "JobRow",
    "ensure_indexes",
    "job_page",
    "queue_lengths",
    "recent_sessions",
    "waiting_view",
]

PAGE_SIZE = 50
"""Jobs per workloads page."""
MAX_PAGE = 2000
"""Deepest page the console serves (filter to reach older jobs)."""
COUNT_CAP = 10_000
"""Matching jobs are counted up to this many; beyond, the total reads "10000+"."""
MAX_FILTER_CHARS = 255
"""Longest value of one filter parameter."""
STATE_CHOICES = ("active", *(s.value for s in JobStatus))
"""Values of the ``state`` filter: a job state, or ``active`` (queued or running)."""
_TEXT_FILTERS = ("backend", "program", "owner", "session")


@dataclass(frozen=True)
class Filters:
    """The workloads filters, validated."""

    state: str | None = None
    backend: str | None = None
    program: str | None = None
    owner: str | None = None
    session: str | None = None
    page: int = 1

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> Filters:
        """Filters from query parameters.

        Raises:
            InputError: a value that is too long, an unknown state, or a page that is not 1..MAX_PAGE.
        """
        values: dict[str, Any] = {}
        for name in (*_TEXT_FILTERS, "state"):
            raw = (args.get(name) or "").strip()
            if len(raw) > MAX_FILTER_CHARS:
                raise InputError(
                    f"Filter {name} is {len(raw)} characters long; the limit is {MAX_FILTER_CHARS}"
                )
            values[name] = raw or None
        if values["state"] is not None and values["state"] not in STATE_CHOICES:
            raise InputError(f"Unknown state {values['state']!r}; valid: {', '.join(STATE_CHOICES)}")
        values["page"] = _page(args.get("page"))
        return cls(**values)

    def query(self, **changes: Any) -> dict[str, str]:
        """These filters (with ``changes``) as query parameters, empty ones left out."""
        values = {**self.__dict__, **changes}
        return {k: str(v) for k, v in values.items() if v not in (None, "") and not (k == "page" and v == 1)}


def _page(raw: str | None) -> int:
    if raw in (None, ""):
        return 1
    if not raw.isdigit() or len(raw) > 6 or not 1 <= int(raw) <= MAX_PAGE:
        raise InputError(
            f"Query parameter page must be a whole number from 1 to {MAX_PAGE}, got {raw[:40]!r}"
        )
    return int(raw)


@dataclass(frozen=True)
class JobRow:
    """One workloads row (light columns only)."""

    id: str
    owner: str
    program: str
    backend: str | None
    status: str
    session_id: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    worker_pid: int | None
    tags: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _columns(t: Table) -> list[Any]:
    names = ("id", "owner", "program", "backend", "status", "session_id", "created_at", "started_at")
    return [t.c[n] for n in (*names, "finished_at", "worker_pid", "tags")]


def ensure_indexes(store: SqlStore) -> None:
    """Add the read indexes of the console and ``/metrics`` to the jobs table (idempotent).

    ``(<filter column>, seq)`` for each workloads filter, and ``(status, backend)`` for the per-scrape
    ``GROUP BY``; existing databases get them too.
    """
    wanted = {f"ix_jobs_{c}_seq": (c, "seq") for c in ("owner", "backend", "program", "session_id")}
    wanted["ix_jobs_status_backend"] = ("status", "backend")
    for name, columns in wanted.items():
        store.add_index(store.jobs, name, *columns)


def _conditions(t: Table, flt: Filters, scope: str | None) -> list[Any]:
    conds: list[Any] = []
    owner = scope if scope is not None else flt.owner
    if owner is not None:
        conds.append(t.c.owner == owner)
    if flt.state == "active":
        conds.append(t.c.status.in_([JobStatus.QUEUED.value, JobStatus.RUNNING.value]))
    elif flt.state is not None:
        conds.append(t.c.status == flt.state)
    for column, value in (("backend", flt.backend), ("program", flt.program), ("session_id", flt.session)):
        if value is not None:
            conds.append(t.c[column] == value)
    return conds


def job_page(store: SqlStore, flt: Filters, scope: str | None) -> tuple[list[JobRow], int, bool]:
    """``(rows, total, capped)``: one page of matching jobs, newest first, and how many match.

    Args:
        scope: the viewer's owner id (only their jobs), or None to see everyone's (admin, or no auth).
    """
    t = store.jobs
    where = and_(True, *_conditions(t, flt, scope))
    offset = (flt.page - 1) * PAGE_SIZE
    page = select(*_columns(t)).where(where).order_by(t.c.seq.desc()).limit(PAGE_SIZE).offset(offset)
    counted = select(t.c.seq).where(where).limit(COUNT_CAP + 1).subquery()
    with store.reading() as conn:
        rows = conn.execute(page).all()
        total = int(conn.execute(select(func.count()).select_from(counted)).scalar_one())
    return [_row(r) for r in rows], min(total, COUNT_CAP), total > COUNT_CAP


def _row(r: Any) -> JobRow:
    try:
        tags = [str(t) for t in json.loads(r.tags or "[]")]
    except ValueError:
        tags = []
    return JobRow(
        r.id, r.owner, r.program, r.backend, r.status, r.session_id,
        r.created_at, r.started_at, r.finished_at, r.worker_pid, tags,
    )  # fmt: skip


def waiting_view(store: SqlStore, job_id: str, backend: str | None, sample: int = 50) -> dict[str, Any]:
    """What a queued or running job's page can say about the wait: jobs queued ahead of it, and the
    median run time of the last ``sample`` completed jobs on its backend (None when there are none)."""
    t = store.jobs
    runs = (
        select(t.c.started_at, t.c.finished_at)
        .where(t.c.backend == backend, t.c.status == JobStatus.COMPLETED.value)
        .order_by(t.c.seq.desc())
        .limit(sample)
    )
    with store.reading() as conn:
        seq = conn.execute(select(t.c.seq).where(t.c.id == job_id)).scalar()
        ahead = conn.execute(
            select(func.count()).where(t.c.status == JobStatus.QUEUED.value, t.c.seq < (seq or 0))
        ).scalar_one()
        times = sorted(
            (datetime.fromisoformat(f) - datetime.fromisoformat(s)).total_seconds()
            for s, f in conn.execute(runs)
            if s and f
        )
    typical = times[len(times) // 2] if times else None
    return {"ahead": int(ahead), "typical": typical, "sample": len(times)}


def queue_lengths(store: SqlStore) -> dict[str, int]:
    """Queued + running jobs per backend, in one ``GROUP BY`` (the status index narrows it)."""
    t = store.jobs
    active = [JobStatus.QUEUED.value, JobStatus.RUNNING.value]
    query = select(t.c.backend, func.count()).where(t.c.status.in_(active)).group_by(t.c.backend)
    with store.reading() as conn:
        return {str(backend): int(n) for backend, n in conn.execute(query).all()}


def recent_sessions(store: SqlStore, scope: str | None, limit: int = 20) -> list[dict[str, Any]]:
    """The newest IBM sessions (``ibm_sessions``, present once the IBM door ran), for ``scope``."""
    t = store.table("ibm_sessions")
    if t is None:
        return []
    query = select(t).order_by(t.c.created_at.desc()).limit(limit)
    if scope is not None:
        query = query.where(t.c.owner == scope)
    with store.reading() as conn:
        rows = conn.execute(query).mappings().all()
    return [_session(dict(r)) for r in rows]


def _session(row: dict[str, Any]) -> dict[str, Any]:
    for key in ("created_at", "closed_at"):
        if isinstance(row.get(key), datetime):
            row[key] = row[key].isoformat(timespec="seconds")
    return row
