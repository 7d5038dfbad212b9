"""The persistent job store: one ``jobs`` table behind SQLAlchemy Core.

The default is a SQLite file in the data dir (WAL, ``busy_timeout``, ``synchronous=NORMAL``); any other
SQLAlchemy URL works too. Every status change is a conditional ``UPDATE … WHERE status IN (allowed-from)``
so that two threads or processes can never move one job along two paths; ``rowcount == 0`` raises
``InvalidJobTransition`` naming the job and its current status.

Other parts of qhost may add their own tables to the same database: define them on ``store.metadata``
and call ``store.create_tables()`` again (``CREATE TABLE IF NOT EXISTS`` semantics, safe to repeat).
Use ``store.transaction()`` for writes so SQLite takes its write lock up front (``BEGIN IMMEDIATE``).

On a SQLite file the per-job verbs (``insert_job``, ``claim_next``, ``finish``, ``get``) run the same SQL
straight through ``sqlite3`` (``sqlite_fast.py``), a few times cheaper than SQLAlchemy Core per call.
"""

from __future__ import annotations

import builtins
import json
import secrets
import threading
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    Engine,
    MetaData,
    and_,
    func,
    or_,
    select,
    update,
)

from qhost.engine import sqlite_fast as fast
from qhost.engine.schema import SQLITE_BUSY_MS, Statements, define_jobs, make_engine, sqlite_file
from qhost.engine.spec import JobRecord, JobSpec
from qhost.engine.status import ALLOWED, FINAL, JobStatus
from qhost.errors import InvalidJobTransition, JobNotFound

if TYPE_CHECKING:
    from sqlalchemy.engine import Row

__all__ = ["SqlStore", "new_job_id", "utcnow"]


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
    return value.astimezone(UTC).isoformat(timespec="microseconds")


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
        metadata: the ``MetaData`` holding ``jobs``; add tables to it and call ``create_tables()``.
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
        self.jobs = define_jobs(self.metadata)
        self._stmt = Statements(self.jobs)
        database = sqlite_file(self.sql)
        self._fast = None if database is None else fast.FastSqlite(database, SQLITE_BUSY_MS, self._write_lock)
        self._next_fast: dict[Any, tuple[str, tuple[str, ...]]] = {}
        self.create_tables()

    def __repr__(self) -> str:
        return f"SqlStore({self.sql.url.render_as_string(hide_password=True)!r})"

    def create_tables(self) -> None:
        """Create every table on ``metadata`` that does not exist yet (safe to call again)."""
        self.metadata.create_all(self.sql, checkfirst=True)

    def close(self) -> None:
        """Close pooled connections (the store stays usable; new connections open on demand)."""
        if self._fast is not None:
            self._fast.close()
        self.sql.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction (``BEGIN IMMEDIATE`` on SQLite): commit on success, roll back on error."""
        with self._write_lock, self.sql.begin() as conn:
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
        if self._fast is not None:
            return self._insert_fast(spec, values, max_queued)
        q = self._stmt
        with self.transaction() as conn:
            if spec.idempotency_key is not None:
                row = conn.execute(q.by_idem, {"o": spec.owner, "k": spec.idempotency_key}).first()
                if row is not None:
                    return self._record(row), False
            if max_queued is not None:
                queued = conn.execute(q.count_queued).scalar_one()
                if queued >= max_queued:
                    raise OverflowError(queued)
            values["created_at"] = utcnow()  # under the write lock, so no claim can predate it
            conn.execute(q.insert, values)
        return self._record(_Row(values)), True

    def _insert_fast(
        self, spec: JobSpec, values: dict[str, Any], max_queued: int | None
    ) -> tuple[JobRecord, bool]:
        assert self._fast is not None
        with self._fast.write() as conn:
            if spec.idempotency_key is not None:
                cur = conn.execute(fast.BY_IDEM, {"o": spec.owner, "k": spec.idempotency_key})
                row = self._fast.first(cur)
                if row is not None:
                    return self._record(row), False
            if max_queued is not None:
                queued = conn.execute(fast.COUNT_QUEUED).fetchone()[0]
                if queued >= max_queued:
                    raise OverflowError(queued)
            values["created_at"] = utcnow()  # under the write lock, so no claim can predate it
            conn.execute(fast.INSERT, values)
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
        if self._fast is not None:
            return self._claim_fast(worker_pid, programs, exclude_programs)
        q = self._stmt
        query = q.next_queued_for(
            None if programs is None else tuple(programs),
            None if exclude_programs is None else tuple(exclude_programs),
        )
        for _attempt in range(5):
            with self.reading() as conn:  # finding nothing to do takes no write lock
                job_id = conn.execute(query).scalar()
            if job_id is None:
                return None
            with self.transaction() as conn:  # the update re-checks status and serial key: atomic claim
                row = conn.execute(q.claim, {"jid": job_id, "now": utcnow(), "pid": worker_pid}).first()
            if row is not None:
                return self._record(row)
        return None

    def _claim_fast(
        self, worker_pid: int | None, programs: Iterable[str] | None, exclude: Iterable[str] | None
    ) -> JobRecord | None:
        db = self._fast
        assert db is not None
        key = (None if programs is None else tuple(programs), None if exclude is None else tuple(exclude))
        query = self._next_fast.get(key)
        if query is None:
            query = self._next_fast[key] = fast.next_queued(*key)
        for _attempt in range(5):
            job_id = db.scalar(*query)  # finding nothing to do takes no write lock
            if job_id is None:
                return None
            with db.write() as conn:  # the update re-checks status and serial key: atomic claim
                row = db.first(conn.execute(fast.CLAIM, {"jid": job_id, "now": utcnow(), "pid": worker_pid}))
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
        if self._fast is not None:
            return self.finish_record(job_id, new, result=result, error=error) is not None
        params = {"jid": job_id, "new": new.value, "now": utcnow(), "result": result, "error": error}
        with self.transaction() as conn:
            return conn.execute(self._stmt.finish, params).rowcount == 1

    def finish_record(
        self, job_id: str, new: JobStatus, *, result: str | None = None, error: str | None = None
    ) -> JobRecord | None:
        """Like ``finish``, but returns the finished job (None when it was no longer RUNNING)."""
        params = {"jid": job_id, "new": new.value, "now": utcnow(), "result": result, "error": error}
        row: Row[Any] | fast.Row | None
        if self._fast is None:
            with self.transaction() as conn:
                if conn.execute(self._stmt.finish, params).rowcount != 1:
                    return None
                row = conn.execute(self._stmt.by_id, params).first()
        else:
            with self._fast.write() as conn:
                row = self._fast.first(conn.execute(fast.FINISH, params))
        return None if row is None else self._record(row)

    def heartbeat(self, job_ids: Iterable[str]) -> None:
        """Mark RUNNING jobs as still alive (``heartbeat_at = now``)."""
        ids = list(job_ids)
        if ids:
            t = self.jobs
            with self.transaction() as conn:
                conn.execute(
                    update(t).where(t.c.id.in_(ids), t.c.status == "running").values(heartbeat_at=utcnow())
                )

    def set_tags(self, job_id: str, tags: Iterable[str]) -> None:
        """Replace a job's tags."""
        t = self.jobs
        with self.transaction() as conn:
            conn.execute(update(t).where(t.c.id == job_id).values(tags=json.dumps(list(tags))))

    def delete(self, job_id: str) -> bool:
        """Delete a job row. Returns False when there was none."""
        with self.transaction() as conn:
            return conn.execute(self.jobs.delete().where(self.jobs.c.id == job_id)).rowcount == 1

    # -- reading ---------------------------------------------------------------------------------

    def get(self, job_id: str, owner: str | None = None) -> JobRecord:
        """One job. Raises ``JobNotFound`` when missing or (with ``owner``) owned by someone else."""
        if self._fast is not None:
            row: Any = self._fast.one(fast.BY_ID, {"jid": job_id})
        else:
            with self.reading() as conn:
                row = conn.execute(self._stmt.by_id, {"jid": job_id}).first()
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
        values = [s.value for s in statuses]
        if self._fast is not None:  # every status poll and backend status asks: keep it off SQLAlchemy
            sql, params = fast.count_sql(values, backend)
            return int(self._fast.scalar(sql, params))
        t = self.jobs
        query = select(func.count()).where(t.c.status.in_(values))
        if backend is not None:
            query = query.where(t.c.backend == backend)
        with self.reading() as conn:
            return int(conn.execute(query).scalar_one())

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
