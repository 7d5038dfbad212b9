"""The per-job hot statements of ``SqlStore`` on a SQLite file, straight through the ``sqlite3`` module.

Every job costs the store an insert, a claim (one read, one write) and a finish, and its waiter a read.
Through SQLAlchemy Core each of those costs 120 – 300 µs of Python (connection checkout, events, result
machinery); the same SQL through ``sqlite3`` costs a fraction of that, which matters when the server
process shares two cores with the workers. Everything else in the store keeps using SQLAlchemy.

The SQL is the same as ``schema.Statements`` builds (same conditions, same locking: writes run under the
store's write lock in ``BEGIN IMMEDIATE``). Each thread keeps its own connection, opened with the same
settings as the SQLAlchemy engine's (WAL, ``busy_timeout``, ``synchronous=NORMAL``).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from qhost.jobs.status import JobStatus
from qhost.store.space import store_full_errors

__all__ = [
    "BY_ID",
    "BY_IDEM",
    "CLAIM",
    "COUNT_QUEUED",
    "FINISH",
    "INSERT",
    "PROGRESS_BY_ID",
    "FastSqlite",
    "Row",
    "count_sql",
    "next_queued_sql",
]

_COLUMNS = (
    "id, seq, owner, program, backend, status, inputs, result, error, session_id, serial_key, tags, "
    "idempotency_key, meta, created_at, started_at, finished_at, worker_pid, heartbeat_at"
)
_INSERT_COLUMNS = tuple(c for c in _COLUMNS.split(", ") if c != "seq")
_Q, _R = JobStatus.QUEUED.value, JobStatus.RUNNING.value
_FREE_KEY = (
    f"(serial_key IS NULL OR serial_key NOT IN "
    f"(SELECT serial_key FROM jobs WHERE status = '{_R}' AND serial_key IS NOT NULL))"
)
BY_ID = f"SELECT {_COLUMNS} FROM jobs WHERE id = :jid"
PROGRESS_BY_ID = "SELECT done, total, unit, updated_at FROM job_progress WHERE job_id = :jid"
BY_IDEM = f"SELECT {_COLUMNS} FROM jobs WHERE owner = :o AND idempotency_key = :k"
COUNT_QUEUED = f"SELECT count(*) FROM jobs WHERE status = '{_Q}'"
INSERT = (
    f"INSERT INTO jobs (seq, {', '.join(_INSERT_COLUMNS)}) VALUES "
    f"((SELECT coalesce(max(seq), 0) + 1 FROM jobs), {', '.join(':' + c for c in _INSERT_COLUMNS)})"
)
CLAIM = (
    f"UPDATE jobs SET status = '{_R}', started_at = :now, heartbeat_at = :now, worker_pid = :pid "
    f"WHERE id = :jid AND status = '{_Q}' AND {_FREE_KEY} RETURNING {_COLUMNS}"
)
FINISH = (
    "UPDATE jobs SET status = :new, finished_at = :now, result = :result, error = :error "
    f"WHERE id = :jid AND status = '{_R}' RETURNING {_COLUMNS}"
)


def next_queued_sql(
    programs: tuple[str, ...] | None, exclude: tuple[str, ...] | None
) -> tuple[str, tuple[str, ...]]:
    """The "oldest runnable queued job id" query for this program filter, and its parameters."""
    sql = f"SELECT id FROM jobs WHERE status = '{_Q}' AND {_FREE_KEY}"
    params: tuple[str, ...] = ()
    if programs is not None:
        sql += f" AND program IN ({', '.join('?' * len(programs))})"
        params += programs
    if exclude is not None:
        sql += f" AND program NOT IN ({', '.join('?' * len(exclude))})"
        params += exclude
    return sql + " ORDER BY seq LIMIT 1", params


def count_sql(statuses: list[str], backend: str | None) -> tuple[str, tuple[str, ...]]:
    """The "how many jobs in these statuses (on this backend)" query, and its parameters."""
    sql = f"SELECT count(*) FROM jobs WHERE status IN ({', '.join('?' * len(statuses))})"
    if backend is None:
        return sql, tuple(statuses)
    return sql + " AND backend = ?", (*statuses, backend)


_Filter = tuple[tuple[str, ...] | None, tuple[str, ...] | None]
"""``(programs, exclude_programs)`` of a claim: each ``next_queued`` query is built once per filter."""


class Row:
    """Attribute access over one result row (what ``SqlStore._record`` reads)."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None


class FastSqlite:
    """Thread-local ``sqlite3`` connections to one database file.

    Args:
        database: the SQLite file path.
        busy_ms: ``busy_timeout`` in milliseconds.
        write_lock: the store's lock that serialises its writers.
    """

    def __init__(self, database: str, busy_ms: int, write_lock: AbstractContextManager[Any]) -> None:
        self.database, self.busy_ms, self._write_lock = database, busy_ms, write_lock
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[tuple[threading.Thread, sqlite3.Connection]] = []
        self._generation = 0
        self._next: dict[
            tuple[tuple[str, ...] | None, tuple[str, ...] | None], tuple[str, tuple[str, ...]]
        ] = {}

    def _conn(self) -> sqlite3.Connection:
        local = self._local
        conn = getattr(local, "conn", None)
        if conn is None or local.generation != self._generation:
            conn = sqlite3.connect(
                self.database, timeout=self.busy_ms / 1000, isolation_level=None, check_same_thread=False
            )
            conn.execute(f"PRAGMA busy_timeout={self.busy_ms}")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            with self._lock:
                dead = [c for t, c in self._open if not t.is_alive()]  # threads that ended keep no connection
                self._open = [(t, c) for t, c in self._open if t.is_alive()]
                self._open.append((threading.current_thread(), conn))
                local.conn, local.generation = conn, self._generation
            for old in dead:
                old.close()
        return conn

    def close(self) -> None:
        """Close every connection (threads open fresh ones on their next call)."""
        with self._lock:
            self._generation += 1
            conns, self._open = self._open, []
        for _thread, conn in conns:
            conn.close()

    @contextmanager
    def write(self) -> Iterator[_FastWriter]:
        """A ``BEGIN IMMEDIATE`` transaction under the write lock: commit on success, roll back on error."""
        with store_full_errors(str(Path(self.database).parent)), self._write_lock:
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield _FastWriter(conn)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def by_id(self, job_id: str) -> Row | None:
        return _first(self._conn().execute(BY_ID, {"jid": job_id}))

    def progress_by_id(self, job_id: str) -> dict[str, Any] | None:
        """A job's ``job_progress`` row as a dict (the table belongs to ``progress_table``), or None."""
        row = self._conn().execute(PROGRESS_BY_ID, {"jid": job_id}).fetchone()
        if row is None:
            return None
        return {"done": row[0], "total": row[1], "unit": row[2], "updated_at": row[3]}

    def next_queued(self, programs: tuple[str, ...] | None, exclude: tuple[str, ...] | None) -> Any:
        key = (programs, exclude)
        query = self._next.get(key)
        if query is None:
            query = self._next[key] = next_queued_sql(programs, exclude)
        return self._scalar(*query)  # finding nothing to do takes no write lock

    def count(self, statuses: list[str], backend: str | None) -> int:
        return int(self._scalar(*count_sql(statuses, backend)))

    def _scalar(self, sql: str, params: Any = ()) -> Any:
        values = self._conn().execute(sql, params).fetchone()
        return None if values is None else values[0]


class _FastWriter:
    """The verbs that run inside one write transaction (same as ``schema._AlchemyWriter``)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def by_idem(self, owner: str, key: str) -> Row | None:
        return _first(self._conn.execute(BY_IDEM, {"o": owner, "k": key}))

    def count_queued(self) -> int:
        return int(self._conn.execute(COUNT_QUEUED).fetchone()[0])

    def insert(self, values: dict[str, Any]) -> None:
        self._conn.execute(INSERT, values)

    def claim(self, job_id: str, now: str, worker_pid: int | None) -> Row | None:
        return _first(self._conn.execute(CLAIM, {"jid": job_id, "now": now, "pid": worker_pid}))

    def finish(self, params: dict[str, Any]) -> Row | None:
        return _first(self._conn.execute(FINISH, params))


def _first(cur: sqlite3.Cursor) -> Row | None:
    """The cursor's first row as a ``Row`` (the rest are discarded), or None."""
    values = cur.fetchone()
    if values is None:
        return None
    names = [d[0] for d in cur.description]
    cur.fetchall()
    return Row(dict(zip(names, values, strict=True)))
