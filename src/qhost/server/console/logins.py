"""Console sign-ins kept server-side (table ``console_logins`` in the engine's store).

The signed session cookie alone cannot be taken back: a copy of it stayed valid until it expired, after
logout too. Each sign-in is therefore a row (a random id, the owner, admin or not, when it ends); the
cookie carries the id, and a request is signed in only while its row exists and has not ended. Logout
deletes the row; a server started without a key deletes the rows of that key's owner; rows that ended
are deleted at start and at each sign-in.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Column, DateTime, String, Table, delete, insert, select

if TYPE_CHECKING:
    from collections.abc import Iterable

    from qhost.store.sql_store import SqlStore

__all__ = ["ConsoleLogins"]

TABLE = "console_logins"


def _table(store: SqlStore) -> Table:
    return store.define_table(
        TABLE,
        Column("id", String(64), primary_key=True),
        Column("owner", String(256), nullable=False),
        Column("admin", Boolean, nullable=False),
        Column("ends_at", DateTime(timezone=True), nullable=False),
    )


class ConsoleLogins:
    """Create, check and end console sign-ins in ``store``."""

    def __init__(self, store: SqlStore) -> None:
        self.sql = store.sql
        self.table = _table(store)

    def start(self, owner: str, admin: bool, lifetime: timedelta) -> str:
        """A new sign-in of ``owner`` that ends after ``lifetime``; returns its id."""
        login_id = secrets.token_urlsafe(24)
        now = datetime.now(UTC)
        row = {"id": login_id, "owner": owner, "admin": admin, "ends_at": now + lifetime}
        with self.sql.begin() as conn:
            conn.execute(delete(self.table).where(self.table.c.ends_at <= now))
            conn.execute(insert(self.table).values(**row))
        return login_id

    def valid(self, login_id: str, owner: str, admin: bool) -> bool:
        """Whether sign-in ``login_id`` of ``owner`` (admin or not) exists and has not ended."""
        with self.sql.connect() as conn:
            row = conn.execute(select(self.table).where(self.table.c.id == login_id)).first()
        if row is None or row.owner != owner or bool(row.admin) != admin:
            return False
        ends = row.ends_at if row.ends_at.tzinfo else row.ends_at.replace(tzinfo=UTC)
        return bool(ends > datetime.now(UTC))

    def end(self, login_id: str) -> None:
        with self.sql.begin() as conn:
            conn.execute(delete(self.table).where(self.table.c.id == login_id))

    def prune(self, owners: Iterable[str]) -> None:
        """Delete sign-ins that ended, and those of owners whose key the server no longer accepts."""
        keep = list(owners)
        with self.sql.begin() as conn:
            conn.execute(delete(self.table).where(self.table.c.ends_at <= datetime.now(UTC)))
            conn.execute(delete(self.table).where(self.table.c.owner.not_in(keep)))
