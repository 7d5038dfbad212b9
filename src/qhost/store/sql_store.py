"""The persistent job store: one ``jobs`` table behind SQLAlchemy Core.

The default is a SQLite file in the data dir (WAL, ``busy_timeout``, ``synchronous=NORMAL``); any other
SQLAlchemy URL works too. Every status change is a conditional ``UPDATE … WHERE status IN (allowed-from)``
so that two threads or processes can never move one job along two paths; ``rowcount == 0`` raises
``InvalidJobTransition`` naming the job and its current status.

Other parts of qhost add their own tables to the same database with ``store.define_table(name, *columns)``:
defined once per store, created in the database if missing, and seen by other threads (``table``,
``tables``: housekeeping runs on the dispatcher thread) only once whole — SQLAlchemy puts a ``Table`` in
its ``MetaData`` before adding its columns, so ``metadata.tables`` may hold a half-built one.
Use ``store.transaction()`` for writes so SQLite takes its write lock up front (``BEGIN IMMEDIATE``).

The per-job verbs (``insert_job``, ``claim_next``, ``finish``, ``get``, ``count``) are written once over a
*hot path*: on a SQLite file the same SQL goes straight through ``sqlite3`` (``sqlite_fast.FastSqlite``),
a few times cheaper than SQLAlchemy Core per call; any other database uses ``schema.AlchemyHotPath``.
"""

from __future__ import annotations

import builtins
import json
import secrets
import threading
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Index,
    MetaData,
    Table,
    and_,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.schema import SchemaItem

from qhost.errors import InvalidJobTransition, InvalidOption, JobNotFound
from qhost.jobs.spec import JobRecord, JobSpec
from qhost.jobs.status import ALLOWED, FINAL, JobStatus
from qhost.store.progress import ProgressTable, define_progress
from qhost.store.schema import (
    SQLITE_BUSY_MS,
    AlchemyHotPath,
    Statements,
    define_jobs,
    make_engine,
    sqlite_file,
)
from qhost.store.space import store_full_errors
from qhost.store.sqlite_fast import FastSqlite

__all__ = ["SqlStore", "new_job_id", "utcnow"]

_DDL_LOCK_KEY = 0x71686F7374  # "qhost": the advisory lock taken around CREATE TABLE on PostgreSQL


def new_job_id() -> str:
    """An unguessable job id: 128 random bits as 32 hex characters."""
    return secrets.token_hex(16)


def utcnow() -> str:
    """The current UTC time as the ISO text the store keeps (sorts like the time it names)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _iso(value: datetime | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    except OverflowError:
        raise InvalidOption(f"Date {value.isoformat()} is out of range once converted to UTC") from None


def _dt(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class SqlStore:
    """Jobs in a SQL database.

    Args:
        url: a SQLAlchemy URL, e.g. ``"sqlite:////abs/path/qhost.db"``. A SQLite file's parent directory
            is created.

    Attributes:
        sql: the SQLAlchemy ``Engine``.
        metadata: the ``MetaData`` holding ``jobs``; add tables with ``define_table``.
        jobs: the ``jobs`` table.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.sql: Engine = make_engine(url)
        # SQLite has one writer at a time; queueing our own threads on a Python lock hands the write lock
        # over at once, instead of SQLite's busy handler sleeping for milliseconds between retries.
        self._write_lock: AbstractContextManager[Any] = (
            threading.Lock() if self.sql.dialect.name == "sqlite" else nullcontext()
        )
        self.metadata = MetaData()
        self._ddl_lock = threading.RLock()  # one thread at a time defines or creates tables
        self.jobs = define_jobs(self.metadata)
        self.progress = define_progress(self.metadata)
        self._stmt = Statements(self.jobs, self.progress)
        self._progress = ProgressTable(self.progress, self.transaction, self.reading)
        database = sqlite_file(self.sql)
        # where the data lives (the SQLite file's directory), as out-of-space errors name it
        self.where = str(Path(database).parent) if database else self.sql.url.render_as_string(True)
        self._fast = (
            None if database is None else FastSqlite(database, SQLITE_BUSY_MS, self._write_lock, self._stmt)
        )
        self._hot: Any = self._fast or AlchemyHotPath(self._stmt, self.transaction, self.reading)
        self.create_tables()
        self._whole: dict[str, Table] = {t.name: t for t in (self.jobs, self.progress)}

    def __repr__(self) -> str:
        return f"SqlStore({self.sql.url.render_as_string(hide_password=True)!r})"

    def define_table(self, name: str, *items: SchemaItem, **kw: Any) -> Table:
        """The table ``name`` of this store: the first call defines it with ``items`` (columns, indexes;
        ``kw`` as for ``sa.Table``) and creates it in the database if missing; later calls, from any
        thread, return the same ``Table``. Other threads see it in ``table``/``tables`` once it exists."""
        found = self._whole.get(name)
        if found is not None:
            return found
        with self._ddl_lock:
            found = self._whole.get(name)
            if found is None:
                found = Table(name, self.metadata, *items, **kw)
                self.create_tables()
                self._whole = {**self._whole, name: found}  # a new dict: readers never see one mid-change
            return found

    def add_index(self, table: Table, name: str, *columns: str) -> None:
        """Index ``table`` on ``columns`` as ``name``, in the database too, unless it has that index.

        ``create_tables`` makes indexes only with a new table: existing databases get later ones here.
        """
        with self._ddl_lock:
            if name not in {index.name for index in table.indexes}:
                Index(name, *(table.c[c] for c in columns)).create(self.sql, checkfirst=True)

    def table(self, name: str) -> Table | None:
        """The table ``name`` if it is defined (``define_table``) and created, else ``None``."""
        return self._whole.get(name)

    def tables(self) -> builtins.list[Table]:
        """Every table defined and created so far (a snapshot, safe from any thread)."""
        return builtins.list(self._whole.values())

    def create_tables(self) -> None:
        """Create every table on ``metadata`` that does not exist yet (safe to call again).

        On PostgreSQL an advisory lock serialises processes doing this at once (a server and its workers
        starting together): concurrent ``CREATE TABLE`` of one name fails there instead of waiting.
        """
        with self._ddl_lock:
            if self.sql.dialect.name != "postgresql":
                self.metadata.create_all(self.sql, checkfirst=True)
                return
            with self.sql.begin() as conn:
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _DDL_LOCK_KEY})
                self.metadata.create_all(conn, checkfirst=True)

    def ping(self) -> None:
        """Run ``SELECT 1`` in a read transaction (raises what the driver raises when it cannot)."""
        with self.reading() as conn:
            conn.execute(text("SELECT 1"))

    @property
    def in_memory(self) -> bool:
        """Whether this is a SQLite database in memory (no other process can reach it)."""
        return self.sql.dialect.name == "sqlite" and ":memory:" in str(self.sql.url)

    def close(self) -> None:
        """Close pooled connections (the store stays usable; new connections open on demand)."""
        if self._fast is not None:
            self._fast.close()
        self.sql.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction (``BEGIN IMMEDIATE`` on SQLite): commit on success, roll back on error."""
        with store_full_errors(self.where), self._write_lock, self.sql.begin() as conn:
            yield conn

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A read-only transaction (plain ``BEGIN`` on SQLite, so it never waits for writers)."""
        with self.sql.connect() as conn:
            conn = conn.execution_options(qhost_readonly=True)
            with conn.begin():
                yield conn

    # -- writing ---------------------------------------------------------------------------------

    def insert_job(self, spec: JobSpec, *, max_queued: int | None = None) -> tuple[JobRecord, bool]:
        """Insert a queued job, or return the job already holding ``(owner, idempotency_key)``.

        Returns:
            ``(record, created)``; ``created`` is False for an idempotent repeat.

        Raises:
            OverflowError: ``max_queued`` jobs are queued already (the engine turns it into ``QueueFull``).
        """
        values = self._row_values(spec)
        with self._hot.write() as w:
            if spec.idempotency_key is not None:
                row = w.by_idem(spec.owner, spec.idempotency_key)
                if row is not None:
                    return self._record(row), False
            if max_queued is not None:
                queued = w.count_queued()
                if queued >= max_queued:
                    raise OverflowError(queued)
            values["created_at"] = utcnow()  # under the write lock, so no claim can predate it
            w.insert(values)
        return self._record(_Row(values)), True

    def claim_next(
        self,
        worker_pid: int | None = None,
        *,
        programs: Iterable[str] | None = None,
        exclude_programs: Iterable[str] | None = None,
    ) -> JobRecord | None:
        """Move the oldest runnable queued job to RUNNING and return it (``None`` when there is none).

        Runnable: its ``serial_key`` is empty or no RUNNING job shares it. ``programs`` /
        ``exclude_programs`` restrict which programs this caller can run.
        """
        programs = None if programs is None else tuple(programs)
        exclude = None if exclude_programs is None else tuple(exclude_programs)
        for _attempt in range(5):
            job_id = self._hot.next_queued(programs, exclude)
            if job_id is None:
                return None
            with self._hot.write() as w:  # the update re-checks status and serial key: atomic claim
                row = w.claim(job_id, utcnow(), worker_pid)
            if row is not None:
                return self._record(row)
        return None

    def set_status(
        self,
        job_id: str,
        new: JobStatus,
        *,
        result: str | None = None,
        error: str | None = None,
        allowed_from: Iterable[JobStatus] | None = None,
    ) -> None:
        """Move a job to ``new`` if the transition table (narrowed by ``allowed_from``) allows it.

        Final states also record ``finished_at``; ``result`` / ``error`` are stored when given.

        Raises:
            InvalidJobTransition: the job is not in a state that may move to ``new``.
            JobNotFound: there is no such job.
        """
        sources = [s for s in JobStatus if new in ALLOWED[s]]
        if allowed_from is not None:
            sources = [s for s in sources if s in set(allowed_from)]
        values: dict[str, Any] = {"status": new.value}
        if new in FINAL:
            values["finished_at"] = utcnow()
        if new is JobStatus.QUEUED:
            values.update(started_at=None, worker_pid=None, heartbeat_at=None)
        if result is not None:
            values["result"] = result
        if error is not None:
            values["error"] = error
        t = self.jobs
        stmt = update(t).where(t.c.id == job_id, t.c.status.in_([s.value for s in sources])).values(**values)
        with self.transaction() as conn:
            if conn.execute(stmt).rowcount == 1:
                return
            current = conn.execute(select(t.c.status).where(t.c.id == job_id)).scalar()
        if current is None:
            raise JobNotFound(f"Job {job_id} not found")
        raise InvalidJobTransition(f"Cannot move job {job_id} to {new.value}: it is {current}")

    def finish(
        self, job_id: str, new: JobStatus, *, result: str | None = None, error: str | None = None
    ) -> bool:
        """Record the outcome of a RUNNING job. Returns False (no error) when it is no longer RUNNING."""
        return self.finish_record(job_id, new, result=result, error=error) is not None

    def finish_record(
        self, job_id: str, new: JobStatus, *, result: str | None = None, error: str | None = None
    ) -> JobRecord | None:
        """Like ``finish``, but returns the finished job (None when it was no longer RUNNING)."""
        params = {"jid": job_id, "new": new.value, "now": utcnow(), "result": result, "error": error}
        with self._hot.write() as w:
            row = w.finish(params)
        return None if row is None else self._record(row)

    def heartbeat(self, job_ids: Iterable[str]) -> None:
        """Mark RUNNING jobs as still alive (``heartbeat_at = now``)."""
        ids = list(job_ids)
        if ids:
            t = self.jobs
            with self.transaction() as conn:
                conn.execute(
                    update(t)
                    .where(t.c.id.in_(ids), t.c.status == JobStatus.RUNNING.value)
                    .values(heartbeat_at=utcnow())
                )

    def set_tags(self, job_id: str, tags: Iterable[str]) -> None:
        """Replace a job's tags."""
        t = self.jobs
        with self.transaction() as conn:
            conn.execute(update(t).where(t.c.id == job_id).values(tags=json.dumps(list(tags))))

    def take_result(self, job_id: str) -> str | None:
        """Return a finished job's result and erase it from the row, once (``None`` when already taken).

        Two concurrent readers cannot both get it: only the one whose ``UPDATE`` clears a non-null
        result returns it.
        """
        t = self.jobs
        with self.transaction() as conn:
            row = conn.execute(select(t.c.result).where(t.c.id == job_id)).first()
            if row is None or row.result is None:
                return None
            done = conn.execute(
                update(t).where(t.c.id == job_id, t.c.result.is_not(None)).values(result=None)
            ).rowcount
        return row.result if done == 1 else None

    def delete(self, job_id: str) -> bool:
        """Delete a job row (and its progress). Returns False when there was none."""
        with self.transaction() as conn:
            self._progress.delete(conn, [job_id])
            return conn.execute(self.jobs.delete().where(self.jobs.c.id == job_id)).rowcount == 1

    def set_progress(self, job_id: str, done: int, total: int, unit: str) -> None:
        """Record that a job has done ``done`` of ``total`` ``unit`` ("pubs", "shots" or "circuits").

        Raises:
            InvalidOption: not ``0 <= done <= total``, ``total < 1`` or an unknown unit.
        """
        self._progress.set(job_id, done, total, unit, utcnow())

    def get_progress(self, job_id: str) -> dict[str, Any] | None:
        """The job's last reported progress (``done``, ``total``, ``unit``, ``updated_at``), or None."""
        if self._fast is not None:  # status polls read this: the sqlite3 path, like ``get``
            return self._fast.progress_by_id(job_id)
        return self._progress.get(job_id)

    # -- reading ---------------------------------------------------------------------------------

    def get(self, job_id: str, owner: str | None = None) -> JobRecord:
        """One job. Raises ``JobNotFound`` when missing or (with ``owner``) owned by someone else."""
        row = self._hot.by_id(job_id)
        if row is None or (owner is not None and row.owner != owner):
            raise JobNotFound(f"Job {job_id} not found")
        return self._record(row)

    def list(
        self,
        owner: str | None = None,
        *,
        statuses: Iterable[JobStatus | str] | None = None,
        backend: str | None = None,
        program: str | None = None,
        session_id: str | None = None,
        tags: Iterable[str] | None = None,
        created_after: datetime | str | None = None,
        created_before: datetime | str | None = None,
        limit: int = 50,
        offset: int = 0,
        descending: bool = True,
    ) -> tuple[builtins.list[JobRecord], int]:
        """A page of jobs matching every given filter, and how many match in all.

        ``tags`` matches jobs carrying all of them. Order is by submission (newest first by default).
        """
        t = self.jobs
        conds: list[Any] = []
        if owner is not None:
            conds.append(t.c.owner == owner)
        if statuses is not None:
            conds.append(t.c.status.in_([JobStatus(s).value for s in statuses]))
        for column, value in ((t.c.backend, backend), (t.c.program, program), (t.c.session_id, session_id)):
            if value is not None:
                conds.append(column == value)
        for tag in tags or ():
            conds.append(t.c.tags.like(f"%{_like_escape(json.dumps(tag))}%", escape="\\"))
        if created_after is not None:
            conds.append(t.c.created_at > _iso(created_after))
        if created_before is not None:
            conds.append(t.c.created_at < _iso(created_before))
        where = and_(True, *conds)
        order = t.c.seq.desc() if descending else t.c.seq.asc()
        with self.reading() as conn:
            total = conn.execute(select(func.count()).select_from(t).where(where)).scalar_one()
            rows = conn.execute(select(t).where(where).order_by(order).limit(limit).offset(offset)).all()
        return [self._record(r) for r in rows], total

    def count(self, statuses: Iterable[JobStatus], backend: str | None = None) -> int:
        """How many jobs are in ``statuses`` (optionally on one backend)."""
        return int(self._hot.count([s.value for s in statuses], backend))

    def list_stale(
        self, heartbeat_before: datetime | str | None = None
    ) -> builtins.list[tuple[str, int | None]]:
        """``(job_id, worker_pid)`` of RUNNING jobs, oldest first; with ``heartbeat_before``, only those
        not heard from since. Plain columns, so one malformed row cannot break recovery of the rest."""
        t = self.jobs
        query = select(t.c.id, t.c.worker_pid).where(t.c.status == JobStatus.RUNNING.value).order_by(t.c.seq)
        if heartbeat_before is not None:
            cutoff = _iso(heartbeat_before)
            query = query.where(or_(t.c.heartbeat_at.is_(None), t.c.heartbeat_at < cutoff))
        with self.reading() as conn:
            return [(row.id, row.worker_pid) for row in conn.execute(query).all()]

    # -- rows <-> records ------------------------------------------------------------------------

    @staticmethod
    def _row_values(spec: JobSpec) -> dict[str, Any]:
        return {
            "id": new_job_id(),
            "result": None,
            "error": None,
            "started_at": None,
            "finished_at": None,
            "worker_pid": None,
            "heartbeat_at": None,
            "owner": spec.owner,
            "program": spec.program,
            "backend": spec.backend,
            "status": JobStatus.QUEUED.value,
            "inputs": spec.inputs,
            "session_id": spec.session_id,
            "serial_key": spec.serial_key or None,
            "tags": json.dumps(list(spec.tags)),
            "idempotency_key": spec.idempotency_key,
            "meta": json.dumps(spec.meta),
            "created_at": utcnow(),
        }

    @staticmethod
    def _record(row: Any) -> JobRecord:
        spec = JobSpec(
            program=row.program,
            inputs=row.inputs,
            backend=row.backend,
            owner=row.owner,
            session_id=row.session_id,
            serial_key=row.serial_key,
            tags=tuple(json.loads(row.tags or "[]")),
            idempotency_key=row.idempotency_key,
            meta=json.loads(row.meta or "{}"),
        )
        return JobRecord(
            id=row.id,
            spec=spec,
            status=JobStatus(row.status),
            created_at=_dt(row.created_at),  # type: ignore[arg-type]
            started_at=_dt(row.started_at),
            finished_at=_dt(row.finished_at),
            result=row.result,
            error=row.error,
            worker_pid=row.worker_pid,
        )


class _Row:
    """Attribute access over a freshly inserted row's values (missing columns read as None)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def __getattr__(self, name: str) -> Any:
        return self._values.get(name)
