"""The ``console_logins`` table: console sign-ins kept server-side (the rules are the console's,
``qhost.server.console.logins``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from qhost.store.tables import CONSOLE_LOGINS

if TYPE_CHECKING:
    from qhost.store.sql_store import SqlStore

__all__ = ["LoginRows"]


def _table(store: SqlStore) -> sa.Table:
    return store.define_table(
        CONSOLE_LOGINS,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("owner", sa.String(256), nullable=False),
        sa.Column("admin", sa.Boolean, nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
    )


class LoginRows:
    """Insert, read and delete sign-in rows in ``store``."""

    def __init__(self, store: SqlStore) -> None:
        self.sql = store.sql
        self.table = _table(store)

    def insert(self, login_id: str, owner: str, admin: bool, ends_at: datetime, now: datetime) -> None:
        """Add a sign-in, deleting those that ended by ``now`` in the same transaction."""
        row = {"id": login_id, "owner": owner, "admin": admin, "ends_at": ends_at}
        with self.sql.begin() as conn:
            conn.execute(sa.delete(self.table).where(self.table.c.ends_at <= now))
            conn.execute(sa.insert(self.table).values(**row))

    def get(self, login_id: str) -> tuple[str, bool, datetime] | None:
        """``(owner, admin, ends_at)`` of sign-in ``login_id`` (``ends_at`` aware UTC), or None."""
        with self.sql.connect() as conn:
            row = conn.execute(sa.select(self.table).where(self.table.c.id == login_id)).first()
        if row is None:
            return None
        ends = row.ends_at if row.ends_at.tzinfo else row.ends_at.replace(tzinfo=UTC)
        return str(row.owner), bool(row.admin), ends

    def delete(self, login_id: str) -> None:
        with self.sql.begin() as conn:
            conn.execute(sa.delete(self.table).where(self.table.c.id == login_id))

    def prune(self, now: datetime, keep_owners: Iterable[str]) -> None:
        """Delete sign-ins that ended by ``now``, and those of owners not in ``keep_owners``."""
        keep = list(keep_owners)
        with self.sql.begin() as conn:
            conn.execute(sa.delete(self.table).where(self.table.c.ends_at <= now))
            conn.execute(sa.delete(self.table).where(self.table.c.owner.not_in(keep)))
