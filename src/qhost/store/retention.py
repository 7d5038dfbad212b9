"""The SQL of retention (``qhost.engine.chores.retention`` holds the policy): batched updates and deletes
of old rows, and the SQLite WAL checkpoint after a run that removed anything.

Each batch is its own short transaction (writers wait milliseconds); every function stops at
``deadline`` (``time.monotonic()``), leaving the rest for the next run.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from qhost.store.schema import SQLITE_BUSY_MS, sqlite_file
from qhost.store.tables import IBM_SESSIONS, RETENTION_COLUMN

if TYPE_CHECKING:
    from qhost.store.sql_store import SqlStore

__all__ = ["checkpoint", "delete_aged_rows", "delete_closed_sessions", "delete_finished", "drop_params"]

log = logging.getLogger(__name__)


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="microseconds")


def drop_params(
    store: SqlStore, statuses: list[str], before: datetime, expired: str, batch: int, deadline: float
) -> int:
    """Set ``inputs`` to ``expired`` on jobs in ``statuses`` finished before ``before``; jobs changed."""
    jobs = store.jobs
    old = sa.and_(jobs.c.status.in_(statuses), jobs.c.finished_at < _iso(before), jobs.c.inputs != expired)
    return _batched(store, jobs, old, {"inputs": expired}, batch, deadline)


def delete_finished(
    store: SqlStore, statuses: list[str], before: datetime, batch: int, deadline: float
) -> int:
    """Delete jobs in ``statuses`` finished before ``before`` (and their progress); jobs deleted."""
    jobs = store.jobs
    old = sa.and_(jobs.c.status.in_(statuses), jobs.c.finished_at < _iso(before))
    return _batched(store, jobs, old, None, batch, deadline)


def delete_closed_sessions(store: SqlStore, before: datetime, batch: int, deadline: float) -> int:
    """Delete IBM sessions closed before ``before``; sessions deleted."""
    table = store.table(IBM_SESSIONS)
    if table is None:
        return 0
    cutoff = before.astimezone(UTC).replace(tzinfo=None)  # sessions store naive UTC times
    old = sa.and_(table.c.closed_at.is_not(None), table.c.closed_at < cutoff)
    return _batched(store, table, old, None, batch, deadline)


def delete_aged_rows(store: SqlStore, before: datetime, batch: int, deadline: float) -> int:
    """Rows older than ``before`` in every table that declares its age column (``RETENTION_COLUMN``)."""
    done, before = 0, before.astimezone(UTC)
    for table in store.tables():
        name = table.info.get(RETENTION_COLUMN)
        if name is None:
            continue
        column = table.c[name]
        cutoff = before if getattr(column.type, "timezone", False) else before.replace(tzinfo=None)
        done += _batched(store, table, column < cutoff, None, batch, deadline)
    return done


def _batched(
    store: SqlStore,
    table: sa.Table,
    where: sa.ColumnElement[bool],
    values: dict[str, Any] | None,
    batch: int,
    deadline: float,
) -> int:
    """Update (``values``) or delete the rows matching ``where``, ``batch`` at a time, until ``deadline``."""
    done = 0
    while time.monotonic() < deadline:
        with store.transaction() as conn:
            ids = conn.execute(sa.select(table.c.id).where(where).limit(batch)).scalars().all()
            if not ids:
                break
            target = table.c.id.in_(ids)
            if table is store.jobs and not values:
                conn.execute(store.progress.delete().where(store.progress.c.job_id.in_(ids)))
            stmt = table.update().where(target).values(**values) if values else table.delete().where(target)
            done += conn.execute(stmt).rowcount
        if len(ids) < batch:
            break
    return done


def checkpoint(store: SqlStore) -> None:
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
