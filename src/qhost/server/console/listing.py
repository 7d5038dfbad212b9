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

from qhost.errors import InputError
from qhost.jobs.status import JobStatus
from qhost.store import listing as store_listing
from qhost.store.sessions import recent_sessions as stored_sessions

if TYPE_CHECKING:
    from collections.abc import Mapping

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


def ensure_indexes(store: SqlStore) -> None:
    """Add the read indexes of the console and ``/metrics`` to the jobs table (idempotent)."""
    store_listing.ensure_read_indexes(store)


def _conditions(flt: Filters, scope: str | None) -> tuple[dict[str, str], list[str] | None]:
    """The columns a page's jobs must equal, and the statuses they may have (any for None)."""
    owner = scope if scope is not None else flt.owner
    pairs = (
        ("owner", owner),
        ("backend", flt.backend),
        ("program", flt.program),
        ("session_id", flt.session),
    )
    equal = {column: value for column, value in pairs if value is not None}
    if flt.state == "active":
        return equal, [JobStatus.QUEUED.value, JobStatus.RUNNING.value]
    return equal, None if flt.state is None else [flt.state]


def job_page(store: SqlStore, flt: Filters, scope: str | None) -> tuple[list[JobRow], int, bool]:
    """``(rows, total, capped)``: one page of matching jobs, newest first, and how many match.

    Args:
        scope: the viewer's owner id (only their jobs), or None to see everyone's (admin, or no auth).
    """
    equal, statuses = _conditions(flt, scope)
    offset = (flt.page - 1) * PAGE_SIZE
    rows, total = store_listing.job_page(
        store, equal, statuses, limit=PAGE_SIZE, offset=offset, count_cap=COUNT_CAP
    )
    return [_row(r) for r in rows], min(total, COUNT_CAP), total > COUNT_CAP


def _row(r: dict[str, Any]) -> JobRow:
    try:
        tags = [str(t) for t in json.loads(r["tags"] or "[]")]
    except ValueError:
        tags = []
    return JobRow(**{**r, "tags": tags})


def waiting_view(store: SqlStore, job_id: str, backend: str | None, sample: int = 50) -> dict[str, Any]:
    """What a queued or running job's page can say about the wait: jobs queued ahead of it, and the
    median run time of the last ``sample`` completed jobs on its backend (None when there are none)."""
    ahead, runs = store_listing.waiting_figures(store, job_id, backend, sample)
    times = sorted((datetime.fromisoformat(f) - datetime.fromisoformat(s)).total_seconds() for s, f in runs)
    typical = times[len(times) // 2] if times else None
    return {"ahead": int(ahead), "typical": typical, "sample": len(times)}


def queue_lengths(store: SqlStore) -> dict[str, int]:
    """Queued + running jobs per backend, in one ``GROUP BY`` (the status index narrows it)."""
    return store_listing.queue_lengths(store)


def recent_sessions(store: SqlStore, scope: str | None, limit: int = 20) -> list[dict[str, Any]]:
    """The newest IBM sessions (present once the IBM door ran), for ``scope``."""
    return [_session(row) for row in stored_sessions(store, scope, limit)]


def _session(row: dict[str, Any]) -> dict[str, Any]:
    for key in ("created_at", "closed_at"):
        if isinstance(row.get(key), datetime):
            row[key] = row[key].isoformat(timespec="seconds")
    return row
