"""The per-job hot statements of ``SqlStore`` on a SQLite file, straight through the ``sqlite3`` module.

Every job costs the store an insert, a claim (one read, one write) and a finish, and its waiter a read.
Through SQLAlchemy Core each of those costs 120 – 300 µs of Python (connection checkout, events, result
machinery); the same SQL through ``sqlite3`` costs a fraction of that, which matters when the server
process shares two cores with the workers. Everything else in the store keeps using SQLAlchemy.

The SQL is not written here: it is ``schema.Statements``' statements compiled once per store to SQLite
text with named parameters (``SqliteText``), so both hot paths run the same statements (same conditions,
same locking: writes run under the store's write lock in ``BEGIN IMMEDIATE``). Each thread keeps its own
connection, opened with the same settings as the SQLAlchemy engine's (WAL, ``busy_timeout``,
``synchronous=NORMAL``).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.dialects import sqlite as sqlite_dialect

from qhost.store.schema import Statements
from qhost.store.space import store_full_errors

__all__ = ["FastSqlite", "Row", "SqliteText"]

_DIALECT = sqlite_dialect.dialect(paramstyle="named")


class SqliteText:
    """One SQLAlchemy statement as SQLite text, and the values of the parameters SQLAlchemy made for its
    constants (``status = :status_1`` with ``'queued'``), merged into each call's parameters.

    Args:
        statement: a Core statement; ``expanding`` ``IN`` lists are rendered with the values they hold.
        column_keys: for an ``INSERT``, the columns each call gives values for.
    """

    __slots__ = ("consts", "sql")

    def __init__(self, statement: Any, column_keys: list[str] | None = None) -> None:
        compiled = statement.compile(
            dialect=_DIALECT, column_keys=column_keys, compile_kwargs={"render_postcompile": True}
        )
        self.sql: str = compiled.string
        # the caller's own parameters (``bindparam("jid")``, insert columns) hold None or a REQUIRED marker
        self.consts = {k: v for k, v in compiled.params.items() if v is not None and not _is_marker(v)}

    def params(self, given: dict[str, Any] | tuple[()] = ()) -> dict[str, Any]:
        return {**self.consts, **dict(given)} if given else self.consts


def _is_marker(value: Any) -> bool:
    return type(value).__name__ == "symbol"  # sqlalchemy.util.symbol("REQUIRED")


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
        statements: the store's hot statements, compiled here once.
    """

    def __init__(
        self, database: str, busy_ms: int, write_lock: AbstractContextManager[Any], statements: Statements
    ) -> None:
        self.database, self.busy_ms, self._write_lock = database, busy_ms, write_lock
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[tuple[threading.Thread, sqlite3.Connection]] = []
        self._generation = 0
        self._q = statements
        self._sql = _HotText(statements)
        self._next: dict[_Filter, SqliteText] = {}
        self._count: dict[tuple[tuple[str, ...], bool], SqliteText] = {}

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
                yield _FastWriter(conn, self._sql)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def by_id(self, job_id: str) -> Row | None:
        return _first(self._conn().execute(self._sql.by_id.sql, {"jid": job_id}))

    def progress_by_id(self, job_id: str) -> dict[str, Any] | None:
        """A job's ``job_progress`` row as a dict (the table belongs to ``progress_table``), or None."""
        row = _first(self._conn().execute(self._sql.progress_by_id.sql, {"jid": job_id}))
        if row is None:
            return None
        return {"done": row.done, "total": row.total, "unit": row.unit, "updated_at": row.updated_at}

    def next_queued(self, programs: tuple[str, ...] | None, exclude: tuple[str, ...] | None) -> Any:
        key = (programs, exclude)
        query = self._next.get(key)
        if query is None:
            query = self._next[key] = SqliteText(self._q.next_queued_for(programs, exclude))
        return self._scalar(query.sql, query.consts)  # finding nothing to do takes no write lock

    def count(self, statuses: list[str], backend: str | None) -> int:
        key = (tuple(statuses), backend is not None)
        query = self._count.get(key)
        if query is None:
            query = self._count[key] = SqliteText(self._q.count_for(*key))
        given = {} if backend is None else {"backend": backend}
        return int(self._scalar(query.sql, query.params(given)))

    def _scalar(self, sql: str, params: dict[str, Any]) -> Any:
        values = self._conn().execute(sql, params).fetchone()
        return None if values is None else values[0]


class _HotText:
    """The store's per-job statements as SQLite text (``SqliteText``), compiled once."""

    def __init__(self, q: Statements) -> None:
        inserted = [c.name for c in q.table.c if c.name != "seq"]  # seq: computed by the statement
        self.by_id, self.by_idem = SqliteText(q.by_id), SqliteText(q.by_idem)
        self.count_queued, self.insert = SqliteText(q.count_queued), SqliteText(q.insert, inserted)
        self.claim, self.finish = SqliteText(q.claim), SqliteText(q.finish_returning)
        self.progress_by_id = SqliteText(q.progress_by_id)


class _FastWriter:
    """The verbs that run inside one write transaction (same as ``schema._AlchemyWriter``)."""

    def __init__(self, conn: sqlite3.Connection, sql: _HotText) -> None:
        self._conn, self._sql = conn, sql

    def by_idem(self, owner: str, key: str) -> Row | None:
        return _first(self._conn.execute(self._sql.by_idem.sql, {"o": owner, "k": key}))

    def count_queued(self) -> int:
        query = self._sql.count_queued
        return int(self._conn.execute(query.sql, query.consts).fetchone()[0])

    def insert(self, values: dict[str, Any]) -> None:
        self._conn.execute(self._sql.insert.sql, self._sql.insert.params(values))

    def claim(self, job_id: str, now: str, worker_pid: int | None) -> Row | None:
        query = self._sql.claim
        return _first(
            self._conn.execute(query.sql, query.params({"jid": job_id, "now": now, "pid": worker_pid}))
        )

    def finish(self, params: dict[str, Any]) -> Row | None:
        return _first(self._conn.execute(self._sql.finish.sql, self._sql.finish.params(params)))


def _first(cur: sqlite3.Cursor) -> Row | None:
    """The cursor's first row as a ``Row`` (the rest are discarded), or None."""
    values = cur.fetchone()
    if values is None:
        return None
    names = [d[0] for d in cur.description]
    cur.fetchall()
    return Row(dict(zip(names, values, strict=True)))
