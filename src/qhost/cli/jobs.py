"""``qhost jobs``: a page of jobs from the store with where they ran and how long they took."""

from __future__ import annotations

import socket
from collections.abc import Iterable
from typing import Any

from qhost.errors import InvalidOption
from qhost.jobs.status import JobStatus
from qhost.store.claims import run_info
from qhost.store.sql_store import SqlStore

__all__ = ["list_rows"]


def list_rows(
    url: str, states: Iterable[str] | None = None, owner: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Newest first: ``id, backend, program, state, owner, host, pid, created_at, started_at,
    finished_at, took_s, error``. ``host``/``pid`` name the remote worker (distributed mode) or this
    machine and the local worker process (embedded mode).

    Raises:
        InvalidOption: an unknown state or a limit below 1.
    """
    valid = [s.value for s in JobStatus]
    wanted = None if states is None else list(states)
    for state in wanted or ():
        if state not in valid:
            raise InvalidOption(f"Unknown job state {state!r}; valid: {valid}")
    if limit < 1:
        raise InvalidOption(f"--limit must be at least 1, got {limit}")
    store = SqlStore(url)
    try:
        records, _ = store.list(owner, statuses=wanted, limit=limit)
        runs = run_info(store, [r.id for r in records])
    finally:
        store.close()
    here = socket.gethostname()
    rows = []
    for r in records:
        run = runs.get(r.id)
        took = None
        if r.started_at is not None and r.finished_at is not None:
            took = round((r.finished_at - r.started_at).total_seconds(), 6)
        rows.append(
            {
                "id": r.id,
                "backend": r.spec.backend,
                "program": r.spec.program,
                "state": r.status.value,
                "owner": r.spec.owner,
                "host": run.host if run else (here if r.worker_pid is not None else None),
                "pid": run.pid if run else r.worker_pid,
                "worker": run.worker if run else None,
                "gpu": run.gpu if run else None,
                "created_at": r.created_at.isoformat(),
                "started_at": None if r.started_at is None else r.started_at.isoformat(),
                "finished_at": None if r.finished_at is None else r.finished_at.isoformat(),
                "took_s": took,
                "error": r.error,
            }
        )
    return rows
