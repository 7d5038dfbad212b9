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

import contextlib
import logging
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from qhost.jobs.status import FINAL
from qhost.store.schema import SQLITE_BUSY_MS, sqlite_file

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
RETENTION_COLUMN = "qhost_retention_column"
"""``Table.info`` key: the column whose time makes a row old (its rows go after ``days``, like jobs; the
table needs an ``id`` primary key, by which the rows are deleted in batches)."""


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
        jobs = store.jobs
        final = [s.value for s in FINAL]
        if self.params_days > 0:
            cutoff = _iso(now - timedelta(days=self.params_days))
            old = sa.and_(
                jobs.c.status.in_(final), jobs.c.finished_at < cutoff, jobs.c.inputs != EXPIRED_PARAMS
            )
            dropped = _batched(store, jobs, old, {"inputs": EXPIRED_PARAMS}, deadline)
        if self.days > 0:
            cutoff = _iso(now - timedelta(days=self.days))
            deleted = _batched(
                store, jobs, sa.and_(jobs.c.status.in_(final), jobs.c.finished_at < cutoff), None, deadline
            )
            sessions = _old_sessions(store, now - timedelta(days=self.days), deadline)
            others = _old_rows(store, now - timedelta(days=self.days), deadline)
        report = RetentionReport(dropped, deleted, sessions, others)
        if dropped or deleted or sessions or others:
            log.info("retention: %s", report)
            _checkpoint(store)
        return report


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="microseconds")


def _batched(
    store: SqlStore,
    table: sa.Table,
    where: sa.ColumnElement[bool],
    values: dict[str, str] | None,
    deadline: float,
) -> int:
    """Update (``values``) or delete the rows matching ``where``, ``BATCH`` at a time, until ``deadline``."""
    done = 0
    while time.monotonic() < deadline:
        with store.transaction() as conn:
            ids = conn.execute(sa.select(table.c.id).where(where).limit(BATCH)).scalars().all()
            if not ids:
                break
            target = table.c.id.in_(ids)
            if table is store.jobs and not values:
                conn.execute(store.progress.delete().where(store.progress.c.job_id.in_(ids)))
            stmt = table.update().where(target).values(**values) if values else table.delete().where(target)
            done += conn.execute(stmt).rowcount
        if len(ids) < BATCH:
            break
    return done


def _old_sessions(store: SqlStore, before: datetime, deadline: float) -> int:
    table = store.table("ibm_sessions")
    if table is None:
        return 0
    cutoff = before.astimezone(UTC).replace(tzinfo=None)  # sessions store naive UTC times
    return _batched(
        store, table, sa.and_(table.c.closed_at.is_not(None), table.c.closed_at < cutoff), None, deadline
    )


def _old_rows(store: SqlStore, before: datetime, deadline: float) -> int:
    """Rows older than ``before`` in every table that declares its age column (``RETENTION_COLUMN``)."""
    done, before = 0, before.astimezone(UTC)
    for table in store.tables():
        name = table.info.get(RETENTION_COLUMN)
        if name is None:
            continue
        column = table.c[name]
        cutoff = before if getattr(column.type, "timezone", False) else before.replace(tzinfo=None)
        done += _batched(store, table, column < cutoff, None, deadline)
    return done


def _checkpoint(store: SqlStore) -> None:
    """Fold the WAL into the database file and truncate it (SQLite only; the freed pages are reused)."""
    database = sqlite_file(store.sql)
    if database is None:
        return
    try:  # a connection of its own, outside any transaction (a checkpoint inside one cannot truncate)
        with contextlib.closing(sqlite3.connect(database, timeout=SQLITE_BUSY_MS / 1000)) as conn:
            busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            log.debug("retention: WAL checkpoint busy; SQLite's own checkpoints will fold it in")
    except sqlite3.Error:  # the next run or SQLite's own checkpoint does it
        log.debug("retention: WAL checkpoint skipped", exc_info=True)
