"""Retention: finished jobs do not stay in the store forever.

Every small job adds about 2.7 kB to the store (1.3 GB an hour at soak rate) and nothing removed
anything. ``Retention`` runs as an engine housekeeping chore (``JobEngine.every``, hourly by default):

- a finished job (completed, failed, cancelled) older than ``params_days`` loses its params (``inputs``,
  the circuits and options: usually the bulk of a job) — its status, result and error stay;
- one older than ``days`` is deleted (as ``DELETE /jobs/<id>`` would); closed IBM sessions older than
  that go too, and so do the rows of any table that names its age column in ``info[RETENTION_COLUMN]``
  (the Qrisp door's deployments: the circuits a Qrisp client uploads before each job).

Ages count from ``finished_at``; queued and running jobs are never touched; ``0`` keeps forever. Work is
done in batches of ``BATCH`` rows, each its own short transaction, so writers wait milliseconds, and at
most ``MAX_SECONDS`` per run (the rest waits for the next run). On SQLite the pages freed go to the
file's free list and are reused by new jobs, so the file stops growing at the size retention allows;
after a run that removed anything the WAL is checkpointed and truncated. Shrinking the file itself
needs ``VACUUM`` (rewrites the whole database, blocking writers): run ``sqlite3 qhost.db VACUUM`` while
the server is stopped, if ever.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from qhost.jobs.status import FINAL
from qhost.store import retention as rows
from qhost.store.tables import RETENTION_COLUMN

if TYPE_CHECKING:
    from qhost.engine.engine import JobEngine
    from qhost.store.sql_store import SqlStore

__all__ = ["BATCH", "EVERY_S", "MAX_SECONDS", "RETENTION_COLUMN", "Retention", "RetentionReport"]

log = logging.getLogger(__name__)

EVERY_S = 3600.0
"""How often the engine applies retention."""
BATCH = 500
"""Rows per transaction."""
MAX_SECONDS = 2.0
"""Longest one run may take (the dispatcher thread runs it)."""
EXPIRED_PARAMS = "{}"
"""What a job's ``inputs`` become once its params are dropped."""


@dataclass(frozen=True)
class RetentionReport:
    """What one run did: jobs whose params were dropped, jobs and sessions deleted."""

    params_dropped: int = 0
    jobs_deleted: int = 0
    sessions_deleted: int = 0
    other_rows_deleted: int = 0


@dataclass(frozen=True)
class Retention:
    """The policy: ``days`` to keep finished jobs, ``params_days`` to keep their params (0 = forever)."""

    days: float
    params_days: float

    def install(self, engine: JobEngine, every_s: float = EVERY_S) -> None:
        """Run ``apply`` on ``engine``'s store every ``every_s`` seconds (once per engine)."""
        if getattr(engine, "_qhost_retention", None) is not None:
            return
        engine._qhost_retention = self  # type: ignore[attr-defined]
        engine.every(every_s, lambda: self.apply(engine.store))

    def apply(self, store: SqlStore, now: datetime | None = None) -> RetentionReport:
        """Drop old params, delete old jobs and sessions; returns what it did."""
        now = now or datetime.now(UTC)
        deadline = time.monotonic() + MAX_SECONDS
        dropped = deleted = sessions = others = 0
        final = [s.value for s in FINAL]
        if self.params_days > 0:
            before = now - timedelta(days=self.params_days)
            dropped = rows.drop_params(store, final, before, EXPIRED_PARAMS, BATCH, deadline)
        if self.days > 0:
            before = now - timedelta(days=self.days)
            deleted = rows.delete_finished(store, final, before, BATCH, deadline)
            sessions = rows.delete_closed_sessions(store, before, BATCH, deadline)
            others = rows.delete_aged_rows(store, before, BATCH, deadline)
        report = RetentionReport(dropped, deleted, sessions, others)
        if dropped or deleted or sessions or others:
            log.info("retention: %s", report)
            rows.checkpoint(store)
        return report
