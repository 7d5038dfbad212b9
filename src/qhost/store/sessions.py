"""The ``ibm_sessions`` table: IBM Runtime sessions and batches, as ``SessionRecord`` rows.

``SessionRows`` holds the SQL; the rules (TTL, closing, cancelling queued jobs) are the engine's
(``qhost.engine.sessions``). Times are stored as naive UTC ``DateTime`` (as since the first version) and
read back as aware UTC.
"""

from __future__ import annotations

import builtins
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from qhost.jobs.records import SessionRecord
from qhost.store.tables import IBM_SESSIONS

if TYPE_CHECKING:
    from qhost.store.sql_store import SqlStore

__all__ = ["SessionRows", "recent_sessions", "sessions_table"]


def sessions_table(store: SqlStore) -> sa.Table:
    """The ``ibm_sessions`` table of ``store`` (created when missing)."""
    return store.define_table(
        IBM_SESSIONS,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("owner", sa.String(128), nullable=False, index=True),
        sa.Column("backend", sa.String(128), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("max_ttl", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("accepting_jobs", sa.Boolean, nullable=False),
        sa.Column("closed_at", sa.DateTime, nullable=True),
    )


def _aware(when: datetime | None) -> datetime | None:
    return when.replace(tzinfo=UTC) if when is not None and when.tzinfo is None else when


def _record(row: sa.RowMapping) -> SessionRecord:
    return SessionRecord(
        id=row["id"],
        owner=row["owner"],
        backend=row["backend"],
        mode=row["mode"],
        max_ttl=row["max_ttl"],
        created_at=_aware(row["created_at"]),  # type: ignore[arg-type]
        accepting_jobs=bool(row["accepting_jobs"]),
        closed_at=_aware(row["closed_at"]),
    )


class SessionRows:
    """Insert, read and update sessions in ``store``.

    Attributes:
        table: the ``ibm_sessions`` table (for tests that read a column without the rules).
    """

    def __init__(self, store: SqlStore) -> None:
        self.store = store
        self.table = sessions_table(store)

    def insert(self, rec: SessionRecord) -> None:
        with self.store.transaction() as conn:
            conn.execute(self.table.insert().values(**rec.__dict__))

    def get(self, session_id: str, owner: str | None = None) -> SessionRecord | None:
        """The stored session, or None (also when ``owner`` is given and it is someone else's). A row whose
        values cannot make a record raises."""
        with self.store.reading() as conn:
            row = conn.execute(sa.select(self.table).where(self.table.c.id == session_id)).mappings().first()
        if row is None or (owner is not None and row["owner"] != owner):
            return None
        return _record(row)

    def update(self, session_id: str, **values: object) -> None:
        with self.store.transaction() as conn:
            conn.execute(self.table.update().where(self.table.c.id == session_id).values(**values))

    def open_ids(self) -> builtins.list[str]:
        """Ids of every session not closed yet (its TTL may have run out: the engine checks)."""
        query = sa.select(self.table.c.id).where(self.table.c.closed_at.is_(None))
        with self.store.reading() as conn:
            return builtins.list(conn.execute(query).scalars())


def recent_sessions(store: SqlStore, scope: str | None, limit: int) -> builtins.list[dict[str, Any]]:
    """The newest ``limit`` sessions as plain rows (of owner ``scope``; everyone's for None); none before
    the IBM door made the table."""
    t = store.table(IBM_SESSIONS)
    if t is None:
        return []
    query = sa.select(t).order_by(t.c.created_at.desc()).limit(limit)
    if scope is not None:
        query = query.where(t.c.owner == scope)
    with store.reading() as conn:
        return [dict(r) for r in conn.execute(query).mappings().all()]
