"""The SQL side of the store: the ``jobs`` table, SQLite connection settings, prebuilt statements.

Kept apart from ``sql_store.py`` so the store reads as a list of short verbs. The per-job verbs run through
a *hot path*: ``AlchemyHotPath`` here (any database), or ``sqlite_fast.FastSqlite`` on a SQLite file. Both
offer the same verbs (reads: ``by_id``, ``next_queued``, ``count``; inside ``write()``: ``by_idem``,
``count_queued``, ``insert``, ``claim``, ``finish``), so the store writes each operation once. The hot SQL
is written once too: ``Statements`` builds it here, and ``FastSqlite`` runs the same statements compiled
to SQLite text once per store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    create_engine,
    event,
    func,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.engine import make_url

from qhost.errors import ConfigurationError
from qhost.jobs.status import JobStatus
from qhost.store.tables import JOBS

__all__ = ["SQLITE_BUSY_MS", "AlchemyHotPath", "Statements", "define_jobs", "make_engine", "sqlite_file"]

SQLITE_BUSY_MS = 10_000


def define_jobs(metadata: MetaData) -> Table:
    """The ``jobs`` table and its indexes on ``metadata``.

    Times are UTC ISO-8601 text (``2026-01-02T03:04:05.123456+00:00``), which sorts chronologically;
    ``tags`` and ``meta`` are JSON text; ``seq`` is the submission order the queue is FIFO by.
    """
    jobs = Table(
        JOBS,
        metadata,
        Column("id", String(64), primary_key=True),
        Column("seq", Integer, nullable=False),
        Column("owner", String(255), nullable=False, default=""),
        Column("program", String(64), nullable=False),
        Column("backend", String(255)),
        Column("status", String(16), nullable=False),
        Column("inputs", Text, nullable=False),
        Column("result", Text),
        Column("error", Text),
        Column("session_id", String(64)),
        Column("serial_key", String(64)),
        Column("tags", Text, nullable=False, default="[]"),
        Column("idempotency_key", String(255)),
        Column("meta", Text, nullable=False, default="{}"),
        Column("created_at", String(40), nullable=False),
        Column("started_at", String(40)),
        Column("finished_at", String(40)),
        Column("worker_pid", Integer),
        Column("heartbeat_at", String(40)),
    )
    Index("ix_jobs_status_seq", jobs.c.status, jobs.c.seq)
    Index("ix_jobs_seq", jobs.c.seq, unique=True)
    Index("ix_jobs_owner_created", jobs.c.owner, jobs.c.created_at)
    Index("ix_jobs_owner_idem", jobs.c.owner, jobs.c.idempotency_key)
    Index("ix_jobs_serial_status", jobs.c.serial_key, jobs.c.status)
    return jobs


def _sqlite_setup(engine: Engine) -> None:
    """WAL, busy timeout, NORMAL sync; and let SQLAlchemy (not pysqlite) emit BEGIN."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        readonly = conn.get_execution_options().get("qhost_readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """A SQLAlchemy engine for ``url``; SQLite files get their directory, WAL and explicit BEGINs.

    Raises:
        ConfigurationError: the URL cannot be parsed.
    """
    try:
        parsed = make_url(url)
    except Exception as exc:  # SQLAlchemy raises ArgumentError and friends
        raise ConfigurationError(f"Invalid database URL {url!r}: {exc}") from exc
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    database = parsed.database
    connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_MS / 1000}
    if not database or database == ":memory:" or database.startswith("file:"):
        engine = create_engine(url, connect_args=connect_args)
    else:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, pool_size=8, max_overflow=56, connect_args=connect_args)
    _sqlite_setup(engine)
    return engine


def sqlite_file(engine: Engine) -> str | None:
    """The database file of a SQLite engine on a plain file; None for other databases, memory and URIs."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    if engine.url.query:
        return None  # driver options we do not replicate: keep everything on SQLAlchemy
    return str(Path(database).expanduser())


class Statements:
    """The hot-path statements, built once (SQLAlchemy then only binds parameters)."""

    def __init__(self, t: Table, progress: Table) -> None:
        running, queued = JobStatus.RUNNING.value, JobStatus.QUEUED.value
        self.by_id = select(t).where(t.c.id == bindparam("jid"))
        self.by_idem = select(t).where(t.c.owner == bindparam("o"), t.c.idempotency_key == bindparam("k"))
        self.count_queued = select(func.count()).where(t.c.status == queued)
        self.insert = t.insert().values(seq=select(func.coalesce(func.max(t.c.seq), 0) + 1).scalar_subquery())
        busy = select(t.c.serial_key).where(t.c.status == running, t.c.serial_key.is_not(None))
        self.next_queued = select(t.c.id).where(
            t.c.status == queued, or_(t.c.serial_key.is_(None), t.c.serial_key.not_in(busy))
        )
        self.progress_by_id = select(progress).where(progress.c.job_id == bindparam("jid"))
        self.table = t
        self._next: dict[tuple[tuple[str, ...] | None, tuple[str, ...] | None], Any] = {}
        self._count: dict[tuple[tuple[str, ...], bool], Any] = {}
        self.claim = (
            update(t)
            .where(
                t.c.id == bindparam("jid"),
                t.c.status == queued,
                or_(t.c.serial_key.is_(None), t.c.serial_key.not_in(busy)),
            )
            .values(
                status=running,
                started_at=bindparam("now"),
                heartbeat_at=bindparam("now"),
                worker_pid=bindparam("pid"),
            )
            .returning(*t.c)
        )
        self.finish = (
            update(t)
            .where(t.c.id == bindparam("jid"), t.c.status == running)
            .values(
                status=bindparam("new"),
                finished_at=bindparam("now"),
                result=bindparam("result"),
                error=bindparam("error"),
            )
        )
        self.finish_returning = self.finish.returning(*t.c)  # one statement where RETURNING is spoken

    def next_queued_for(self, programs: tuple[str, ...] | None, exclude: tuple[str, ...] | None) -> Any:
        """The "oldest runnable queued job id" query for this program filter (built once per filter)."""
        key = (programs, exclude)
        query = self._next.get(key)
        if query is None:
            query = self.next_queued
            if programs is not None:
                query = query.where(self.table.c.program.in_(programs))
            if exclude is not None:
                query = query.where(not_(self.table.c.program.in_(exclude)))
            query = self._next[key] = query.order_by(self.table.c.seq).limit(1)
        return query

    def count_for(self, statuses: tuple[str, ...], on_backend: bool) -> Any:
        """The "how many jobs in ``statuses``" query, narrowed to ``:backend`` when ``on_backend``
        (built once per pair)."""
        key = (statuses, on_backend)
        query = self._count.get(key)
        if query is None:
            t = self.table
            query = select(func.count()).select_from(t).where(t.c.status.in_(statuses))
            if on_backend:
                query = query.where(t.c.backend == bindparam("backend", required=False))
            query = self._count[key] = query
        return query


ConnectionScope = Callable[[], AbstractContextManager[Connection]]
"""``SqlStore.transaction`` or ``SqlStore.reading``: a context manager yielding a connection."""


class AlchemyHotPath:
    """The per-job verbs through SQLAlchemy Core (any database URL)."""

    def __init__(self, q: Statements, transaction: ConnectionScope, reading: ConnectionScope) -> None:
        self._q, self._transaction, self._reading = q, transaction, reading

    def by_id(self, job_id: str) -> Any:
        with self._reading() as conn:
            return conn.execute(self._q.by_id, {"jid": job_id}).first()

    def next_queued(self, programs: tuple[str, ...] | None, exclude: tuple[str, ...] | None) -> Any:
        with self._reading() as conn:  # finding nothing to do takes no write lock
            return conn.execute(self._q.next_queued_for(programs, exclude)).scalar()

    def count(self, statuses: list[str], backend: str | None) -> int:
        query = self._q.count_for(tuple(statuses), backend is not None)
        with self._reading() as conn:
            params = {} if backend is None else {"backend": backend}
            return int(conn.execute(query, params).scalar_one())

    @contextmanager
    def write(self) -> Iterator[_AlchemyWriter]:
        with self._transaction() as conn:
            yield _AlchemyWriter(conn, self._q)


class _AlchemyWriter:
    """The verbs that run inside one write transaction."""

    def __init__(self, conn: Connection, q: Statements) -> None:
        self._conn, self._q = conn, q

    def by_idem(self, owner: str, key: str) -> Any:
        return self._conn.execute(self._q.by_idem, {"o": owner, "k": key}).first()

    def count_queued(self) -> int:
        return int(self._conn.execute(self._q.count_queued).scalar_one())

    def insert(self, values: dict[str, Any]) -> None:
        self._conn.execute(self._q.insert, values)

    def claim(self, job_id: str, now: str, worker_pid: int | None) -> Any:
        return self._conn.execute(self._q.claim, {"jid": job_id, "now": now, "pid": worker_pid}).first()

    def finish(self, params: dict[str, Any]) -> Any:
        if self._conn.execute(self._q.finish, params).rowcount != 1:
            return None
        return self._conn.execute(self._q.by_id, params).first()
